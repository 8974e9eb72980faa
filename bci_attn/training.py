"""Lightning training of any braindecode model on trials held in memory (or on the GPU)."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from functools import partial

import lightning as L
import numpy as np
import torch
from torch import nn
from torchmetrics.functional.classification import multiclass_accuracy, multiclass_cohen_kappa

from .attention import AttentionModule
from .augmentation import make_augmentation


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


def attention_penalty(model: nn.Module) -> torch.Tensor | float:
    """Sum of the loss terms the attention modules inside ``model`` prescribe, or 0."""
    terms = [
        term
        for module in model.modules()
        if isinstance(module, AttentionModule) and (term := module.penalty()) is not None
    ]
    return torch.stack(terms).sum() if terms else 0.0


def warmup_cosine(epoch: int, warmup_epochs: int, max_epochs: int) -> float:
    """Learning-rate factor: linear warm-up over ``warmup_epochs``, then cosine decay to 0."""
    if epoch < warmup_epochs:
        return (epoch + 1) / (warmup_epochs + 1)
    progress = (epoch - warmup_epochs) / max(1, max_epochs - warmup_epochs)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def mixed_cross_entropy(
    logits: torch.Tensor, target, label_smoothing: float = 0.0
) -> torch.Tensor:
    """Cross-entropy with label smoothing, for plain targets and mixup's ``(y_a, y_b, lam)``.

    Written here because braindecode's ``mixup_criterion`` takes log-probabilities and has
    no label smoothing; for a plain target this is ``F.cross_entropy``.

    Parameters
    ----------
    logits : torch.Tensor, shape (batch, n_classes)
    target : torch.Tensor of shape (batch,), or tuple of three such tensors
        Labels, or the two label sets mixup mixed and each trial's weight of the first.
    label_smoothing : float
    """
    loss = partial(nn.functional.cross_entropy, logits, label_smoothing=label_smoothing)
    if not isinstance(target, tuple | list):
        return loss(target)
    y_a, y_b, lam = target
    return (lam * loss(y_a, reduction="none") + (1 - lam) * loss(y_b, reduction="none")).mean()


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
    channels_last : bool
        Keep the convolution weights, and so the feature maps, in channels-last memory
        format (faster convolutions with oneDNN on CPU and with cuDNN on tensor cores; see
        ``benchmarks/README.md``).
    compile : bool
        Run the model through :func:`torch.compile`.
    augment : list of str
        Augmentations applied to each training batch on its device
        (:mod:`bci_attn.augmentation`); never at validation, test or prediction.
    augment_probability : float
        Probability of applying each augmentation to a trial.
    augment_options : dict of str to dict
        Per augmentation, options overriding its defaults.
    sfreq : float | None
        Sampling rate of the trials (Hz); needed by augmentations.
    label_smoothing : float
        Label smoothing of the training loss (validation and test losses are plain).

    Notes
    -----
    Metrics are accumulated per step and logged once per epoch (``on_step=False``): a
    logger call per step was the main part of Lightning's overhead over a plain loop on
    models this small (``benchmarks/throughput.py``).
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
        channels_last: bool = False,
        compile: bool = False,
        augment: list[str] | None = None,
        augment_probability: float = 0.5,
        augment_options: dict | None = None,
        sfreq: float | None = None,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["model"])
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        if compile:
            model.compile()  # in place: the state dict keeps its keys
        self.model = model
        if augment and sfreq is None:
            raise ValueError("augmentation needs the trials' sampling rate: pass sfreq")
        self.augment = make_augmentation(
            augment or [], sfreq or 0.0, augment_probability, augment_options
        )
        self.loss = nn.CrossEntropyLoss()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)

    def attention_penalty(self) -> torch.Tensor | float:
        """Sum of the loss terms the model's attention modules prescribe."""
        return attention_penalty(self.model)

    def _log(self, stage: str, loss: torch.Tensor, logits: torch.Tensor, y: torch.Tensor) -> None:
        accuracy = multiclass_accuracy(
            logits.detach(), y, self.hparams.n_classes, average="micro", validate_args=False
        )
        metrics = {f"{stage}_loss": loss.detach(), f"{stage}_acc": accuracy}
        self.log_dict(
            metrics, prog_bar=stage != "test", on_step=False, on_epoch=True, batch_size=len(y)
        )

    def training_step(self, batch, batch_idx):
        X, y = batch
        target = y
        if self.augment is not None:
            X, target = self.augment(X, y)  # mixup keeps y as the first of its label sets
        logits = self(X)
        loss = mixed_cross_entropy(logits, target, self.hparams.label_smoothing)
        loss = loss + self.attention_penalty()
        self._log("train", loss, logits, y)
        return loss

    def validation_step(self, batch, batch_idx):
        X, y = batch
        logits = self(X)
        self._log("val", self.loss(logits, y), logits, y)

    def test_step(self, batch, batch_idx):
        X, y = batch
        logits = self(X)
        self._log("test", self.loss(logits, y), logits, y)

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


#: What few-shot fine-tuning may change: every layer, the classifier head only (the
#: ``final_layer`` of braindecode's models), or the attention modules only.
FINETUNE_PARTS = ("all", "head", "attention")


def tuned_modules(model: nn.Module, part: str) -> list[nn.Module]:
    """The sub-modules of ``model`` that fine-tuning ``part`` trains.

    Raises
    ------
    ValueError
        Unknown ``part``, or a part the model lacks or that has no parameters.
    """
    if part not in FINETUNE_PARTS:
        raise ValueError(f"--finetune must be one of {', '.join(FINETUNE_PARTS)}, got {part}")
    if part == "all":
        modules = [model]
    elif part == "head":
        modules = [m for name, m in model.named_children() if name == "final_layer"]
    else:
        modules = [m for m in model.modules() if isinstance(m, AttentionModule)]
    if not any(p.numel() for m in modules for p in m.parameters()):
        raise ValueError(
            f"--finetune {part}: the model has no {part} parameters to fine-tune"
            + (" (choose an --attn module with parameters)" if part == "attention" else "")
        )
    return modules


def finetune(
    model: nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    *,
    part: str = "all",
    steps: int = 50,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    batch_size: int = 64,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> nn.Module:
    """Few-shot calibration: a fine-tuned *copy* of a trained model; ``model`` is untouched.

    Fine-tuning a subject-independent network on a few labelled trials of the new
    subject is the deep-learning form of calibration-time reduction (Fahimi et al. 2019,
    "Inter-subject transfer learning with an end-to-end deep convolutional neural
    network for EEG-based BCI", J. Neural Eng. 16(2); Zhang et al. 2021, "Adaptive
    transfer learning for EEG motor imagery classification with deep convolutional
    neural network", Neural Networks 136). AdamW runs a fixed number of ``steps`` (no
    validation data exist to stop on). The frozen layers are kept in evaluation mode, so
    fine-tuning the head or the attention modules leaves BatchNorm statistics and the
    rest of the network exactly as trained; ``part="all"`` trains every layer, BatchNorm
    statistics included.

    Parameters
    ----------
    model : nn.Module
        The trained network; copied, never modified.
    X : np.ndarray, shape (n_trials, n_electrodes, n_times)
        Calibration trials, standardised as the training trials were.
    y : np.ndarray, shape (n_trials,)
    part : {"all", "head", "attention"}
        What is trained (:func:`tuned_modules`).
    steps : int
        Optimiser steps (mini-batches); a calibration set smaller than ``batch_size`` is
        one batch per step.
    lr, weight_decay : float
    batch_size : int
    seed : int
        Seeds the batch order and dropout: the same inputs give the same model.
    device : torch.device or str

    Returns
    -------
    nn.Module
        The fine-tuned copy, in evaluation mode.
    """
    tuned = copy.deepcopy(model).to(device)
    modules = tuned_modules(tuned, part)
    parameters = list(dict.fromkeys(p for m in modules for p in m.parameters()))
    for p in tuned.parameters():
        p.requires_grad_(False)
    for p in parameters:
        p.requires_grad_(True)
    tuned.eval()
    for module in modules:
        module.train()
    torch.manual_seed(seed)
    batches = TrialBatches(
        torch.as_tensor(X, dtype=torch.float32, device=device),
        torch.as_tensor(y, dtype=torch.long, device=device),
        batch_size,
        shuffle=True,
        seed=seed,
    )
    optimizer = torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    step = 0
    while step < steps:
        for X_batch, y_batch in batches:
            loss = loss_fn(tuned(X_batch), y_batch) + attention_penalty(tuned)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step == steps:
                break
    return tuned.eval()


@torch.no_grad()
def predict(
    model: nn.Module, X: np.ndarray, batch_size: int = 256, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """Logits of ``model`` (in evaluation mode) for trials ``X``, on the CPU."""
    model = model.to(device).eval()
    X = torch.as_tensor(X, dtype=torch.float32)
    return torch.cat(
        [model(X[i : i + batch_size].to(device)).cpu() for i in range(0, len(X), batch_size)]
    )


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
