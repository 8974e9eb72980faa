"""Lightning training of any braindecode model: the loss, the schedule and the metrics."""

from __future__ import annotations

import dataclasses
import json
import math
from functools import partial

import lightning as L
import torch
from torch import nn
from torchmetrics.functional.classification import multiclass_accuracy

from ..attention import AttentionModule
from ..config import TrainingConfig
from .augmentation import make_augmentation


def attention_penalty(model: nn.Module) -> torch.Tensor | float:
    """Sum of the loss terms the attention modules inside ``model`` prescribe, or 0."""
    terms = [
        term
        for module in model.modules()
        if isinstance(module, AttentionModule) and (term := module.penalty()) is not None
    ]
    return torch.stack(terms).sum() if terms else 0.0


def warmup_cosine(epoch: int, warmup_epochs: int, max_epochs: int) -> float:
    """Learning-rate factor: linear warm-up over ``warmup_epochs``, then cosine decay to 0.

    The cosine decay is SGDR's (Loshchilov & Hutter, 2017, "SGDR: stochastic gradient
    descent with warm restarts", ICLR) without restarts; the linear warm-up is Goyal et
    al.'s (2017, "Accurate, large minibatch SGD: training ImageNet in 1 hour").
    """
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
    """Cross-entropy training of a trial classifier, logging its loss and accuracy.

    Parameters
    ----------
    model : nn.Module
        Maps ``(B, n_electrodes, n_times)`` to logits ``(B, n_classes)``; attention modules
        inside it that prescribe a loss term (:meth:`AttentionModule.penalty`, e.g. NAM's
        sparsity) have it added to the training loss.
    n_classes : int
    training : TrainingConfig
        The options used here: AdamW's ``lr`` and ``weight_decay``; the ``schedule``
        (``cosine``: linear warm-up over ``warmup_epochs``, then cosine decay per epoch
        over ``max_epochs``); the augmentations ``augment``, applied to each training
        batch on its device with ``augment_probability`` and ``augment_options``
        (:mod:`bci_attn.training.augmentation`), never at validation, test or prediction;
        and the ``label_smoothing`` of the training loss (validation and test losses are
        plain). The trainer applies the others (epochs, selection, SWA).
    sfreq : float | None
        Sampling rate of the trials (Hz); needed by augmentations.
    channels_last : bool
        Keep the convolution weights, and so the feature maps, in channels-last memory
        format (faster convolutions with oneDNN on CPU and with cuDNN on tensor cores; see
        ``benchmarks/README.md``).
    compile : bool
        Run the model through :func:`torch.compile`.

    Raises
    ------
    ValueError
        Augmentations without ``sfreq``.
    ConfigError
        Augmentations the registry does not know or options it refuses.

    Notes
    -----
    The hyper-parameters are saved as plain data (``training`` as a mapping of its
    options), so Lightning's ``hparams.yaml`` is plain YAML. Metrics are accumulated per
    step and logged once per epoch (``on_step=False``): a logger call per step was the
    main part of Lightning's overhead over a plain loop on models this small
    (``benchmarks/throughput.py``).
    """

    def __init__(
        self,
        model: nn.Module,
        n_classes: int,
        training: TrainingConfig = TrainingConfig(),  # noqa: B008  frozen: safe to share
        *,
        sfreq: float | None = None,
        channels_last: bool = False,
        compile: bool = False,
    ) -> None:
        super().__init__()
        options = json.loads(json.dumps(dataclasses.asdict(training)))  # tuples -> lists
        self.save_hyperparameters(
            {
                "n_classes": n_classes,
                "training": options,
                "sfreq": sfreq,
                "channels_last": channels_last,
                "compile": compile,
            }
        )
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        if compile:
            model.compile()  # in place: the state dict keeps its keys
        self.model = model
        self.options = training
        if training.augment and sfreq is None:
            raise ValueError("augmentation needs the trials' sampling rate: pass sfreq")
        self.augment = make_augmentation(
            training.augment,
            sfreq or 0.0,
            training.augment_probability,
            training.augment_options,
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
        loss = mixed_cross_entropy(logits, target, self.options.label_smoothing)
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
        options = self.options
        optimizer = torch.optim.AdamW(
            self.parameters(), lr=options.lr, weight_decay=options.weight_decay
        )
        if options.schedule == "constant":
            return optimizer
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda e: warmup_cosine(e, options.warmup_epochs, options.max_epochs)
        )
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "interval": "epoch"},
        }
