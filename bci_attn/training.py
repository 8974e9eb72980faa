"""Lightning training of any braindecode model on trials held in memory (or on the GPU)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import lightning as L
import numpy as np
import torch
from torch import nn
from torchmetrics.functional.classification import multiclass_accuracy, multiclass_cohen_kappa

from .attention import AttentionModule


class TrialBatches:
    """Mini-batches indexed straight out of tensors that already sit on the device.

    EEG training sets are small (a few hundred MB at most): holding the whole set on the
    accelerator and indexing batches there avoids a DataLoader, its workers and a
    host-to-device copy per batch. Shuffling draws from a seeded CPU generator, so the
    batch order depends on the seed alone, whatever the device.

    Parameters
    ----------
    X : torch.Tensor, shape (n_trials, n_electrodes, n_times)
    y : torch.Tensor, shape (n_trials,)
    batch_size : int
    shuffle : bool
        Draw a new permutation every epoch.
    seed : int
        Seed of the permutations.
    """

    def __init__(
        self, X: torch.Tensor, y: torch.Tensor, batch_size: int, shuffle: bool, seed: int = 0
    ) -> None:
        self.X, self.y = X, y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(seed)

    def _starts(self) -> range:
        n = len(self.y)
        # A last batch of one trial breaks BatchNorm in training mode: fold it away.
        stop = n - 1 if self.shuffle and n % self.batch_size == 1 and n > 1 else n
        return range(0, stop, self.batch_size)

    def __len__(self) -> int:
        return len(self._starts())

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.y)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        order = order.to(self.X.device)
        for start in self._starts():
            idx = order[start : start + self.batch_size]
            yield self.X[idx], self.y[idx]


class TrialsDataModule(L.LightningDataModule):
    """Train/validation/test trials as tensors, moved once to the trainer's device.

    Parameters
    ----------
    train, valid, test : tuple of np.ndarray
        ``(X, y)`` per split, ``X`` of shape ``(n, n_electrodes, n_times)``; ``valid`` and
        ``test`` may be empty.
    batch_size : int
    seed : int
        Seed of the training batch order.
    """

    def __init__(self, train, valid, test, batch_size: int, seed: int = 0) -> None:
        super().__init__()
        self.splits = {"train": train, "valid": valid, "test": test}
        self.batch_size = batch_size
        self.seed = seed
        self.tensors: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def setup(self, stage: str | None = None) -> None:
        device = self.trainer.strategy.root_device if self.trainer else torch.device("cpu")
        for name, (X, y) in self.splits.items():
            if name not in self.tensors:
                self.tensors[name] = (
                    torch.as_tensor(X, dtype=torch.float32).to(device),
                    torch.as_tensor(y, dtype=torch.long).to(device),
                )

    def _batches(self, name: str, shuffle: bool) -> TrialBatches:
        X, y = self.tensors[name]
        return TrialBatches(X, y, self.batch_size, shuffle=shuffle, seed=self.seed)

    def train_dataloader(self) -> TrialBatches:
        return self._batches("train", shuffle=True)

    def val_dataloader(self) -> TrialBatches | list:
        return self._batches("valid", shuffle=False) if len(self.splits["valid"][1]) else []

    def test_dataloader(self) -> TrialBatches:
        return self._batches("test", shuffle=False)

    def predict_dataloader(self) -> TrialBatches:
        return self._batches("test", shuffle=False)


def warmup_cosine(epoch: int, warmup_epochs: int, max_epochs: int) -> float:
    """Learning-rate factor: linear warm-up over ``warmup_epochs``, then cosine decay to 0."""
    if epoch < warmup_epochs:
        return (epoch + 1) / (warmup_epochs + 1)
    progress = (epoch - warmup_epochs) / max(1, max_epochs - warmup_epochs)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


class DecodingModule(L.LightningModule):
    """Cross-entropy training of a trial classifier, with accuracy and Cohen's kappa.

    Parameters
    ----------
    model : nn.Module
        Maps ``(B, n_electrodes, n_times)`` to logits ``(B, n_classes)``; attention modules
        inside it that prescribe a loss term (:meth:`AttentionModule.penalty`, e.g. NAM's
        sparsity) have it added to the training loss.
    n_classes : int
    lr : float
        AdamW learning rate.
    weight_decay : float
        AdamW weight decay.
    schedule : {"constant", "cosine"}
        ``cosine``: linear warm-up over ``warmup_epochs`` then cosine decay per epoch.
    warmup_epochs : int
    max_epochs : int | None
        Length of the cosine schedule; ``None``: the trainer's ``max_epochs``.
    """

    def __init__(
        self,
        model: nn.Module,
        n_classes: int,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        schedule: str = "constant",
        warmup_epochs: int = 0,
        max_epochs: int | None = 100,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["model"])
        self.model = model
        self.loss = nn.CrossEntropyLoss()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def attention_penalty(self) -> torch.Tensor | float:
        """Sum of the loss terms the model's attention modules prescribe."""
        terms = [
            term
            for module in self.model.modules()
            if isinstance(module, AttentionModule) and (term := module.penalty()) is not None
        ]
        return torch.stack(terms).sum() if terms else 0.0

    def _metrics(self, logits: torch.Tensor, y: torch.Tensor, stage: str) -> None:
        n = self.hparams.n_classes
        self.log(
            f"{stage}_acc",
            multiclass_accuracy(logits, y, n, average="micro"),
            prog_bar=True,
            batch_size=len(y),
        )

    def training_step(self, batch, batch_idx):
        X, y = batch
        logits = self(X)
        loss = self.loss(logits, y) + self.attention_penalty()
        self.log("train_loss", loss, prog_bar=True, batch_size=len(y))
        self._metrics(logits, y, "train")
        return loss

    def validation_step(self, batch, batch_idx):
        X, y = batch
        logits = self(X)
        self.log("val_loss", self.loss(logits, y), prog_bar=True, batch_size=len(y))
        self._metrics(logits, y, "val")

    def test_step(self, batch, batch_idx):
        X, y = batch
        logits = self(X)
        self.log("test_loss", self.loss(logits, y), batch_size=len(y))
        self._metrics(logits, y, "test")

    def predict_step(self, batch, batch_idx):
        return self(batch[0])

    def configure_optimizers(self):
        hp = self.hparams
        optimizer = torch.optim.AdamW(self.parameters(), lr=hp.lr, weight_decay=hp.weight_decay)
        if hp.schedule == "constant":
            return optimizer
        max_epochs = hp.max_epochs or self.trainer.max_epochs
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda e: warmup_cosine(e, hp.warmup_epochs, max_epochs)
        )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"},
        }


def scores(logits: torch.Tensor, y: torch.Tensor, n_classes: int) -> dict[str, float]:
    """Accuracy and Cohen's kappa of ``logits`` against labels ``y`` (torchmetrics)."""
    logits, y = logits.float().cpu(), y.cpu()
    return {
        "accuracy": float(multiclass_accuracy(logits, y, n_classes, average="micro")),
        "kappa": float(multiclass_cohen_kappa(logits, y, n_classes)),
    }


def standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Per-electrode z-scoring with statistics of the training trials only.

    Written by hand: braindecode's standardisation works on continuous raw recordings,
    here the statistics must come from the training split of already-epoched trials.
    """
    mean = train.mean(axis=(0, 2), keepdims=True)
    std = train.std(axis=(0, 2), keepdims=True) + 1e-8
    return [((a - mean) / std).astype(np.float32) for a in (train, *others)]
