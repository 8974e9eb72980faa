"""Training one model on one fold with Lightning: the trainer, its callbacks and logs.

:func:`fit` trains a network on a fold's standardised training trials, monitoring its
validation trials (from the training side only), with the options of the ``training``
section (best-epoch selection, early stopping, stochastic weight averaging) and of the
``execution`` section (accelerator, precision, memory format), and returns the model and
its logits for the test trials. A loss that stops being finite stops the training with
:class:`TrainingDiverged`: a diverged model is a failure, not a result.
"""

from __future__ import annotations

import math
import shutil
import signal
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback

from .batches import TrialsDataModule
from .module import DecodingModule

if TYPE_CHECKING:
    from torch import nn

    from ..config import RunConfig


class TrainingDiverged(RuntimeError):
    """The training loss stopped being finite (learning rate too high, bad data)."""


class FiniteLoss(Callback):
    """Stops training when a training step's loss is NaN or infinite."""

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is not None and not torch.isfinite(loss.detach()).all():
            lr = trainer.optimizers[0].param_groups[0]["lr"] if trainer.optimizers else math.nan
            raise TrainingDiverged(
                f"training diverged at epoch {trainer.current_epoch}: the loss is "
                f"{float(loss.detach()):g} (learning rate {lr:g}); lower --lr or check the data"
            )


@dataclass
class Fitted:
    """A trained model and what :func:`fit` measured.

    Attributes
    ----------
    model : nn.Module
        The trained network (the best epoch's weights with ``select: best``).
    logits : torch.Tensor, shape (n_test, n_classes)
        Its outputs for the test trials.
    epochs : int
        Epochs trained.
    """

    model: nn.Module
    logits: torch.Tensor
    epochs: int


def device_of(config: RunConfig) -> torch.device:
    """Where hand-written loops (fine-tuning, fold-parallel training) run: the GPU when
    Lightning would use one, else the CPU."""
    accelerator = config.execution.accelerator
    gpu = accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available()
    return torch.device("cuda" if gpu else "cpu")


def make_trainer(
    config: RunConfig, logger: Any, callbacks: list, checkpointing: bool = False
) -> L.Trainer:
    """The Lightning ``Trainer`` of a fold (the benchmarks time this very trainer)."""
    execution = config.execution
    return L.Trainer(
        max_epochs=config.training.max_epochs,
        accelerator=execution.accelerator,
        devices=execution.devices,
        precision=execution.precision,
        deterministic=True,
        logger=logger,
        callbacks=[FiniteLoss(), *callbacks],
        enable_checkpointing=checkpointing,
        enable_progress_bar=not execution.quiet,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=1,
    )


def make_loggers(config: RunConfig, log_dir: Path) -> list:
    """CSV logs always (reports read them), TensorBoard as well with ``logger: tensorboard``;
    both write into ``log_dir`` (``logs/<fold>/seed<k>`` of the run folder)."""
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    where = dict(save_dir=log_dir.parent.parent, name=log_dir.parent.name, version=log_dir.name)
    loggers = [CSVLogger(**where)]
    if config.execution.logger == "tensorboard":
        try:
            loggers.append(TensorBoardLogger(**where, default_hp_metric=False))
        except ModuleNotFoundError as error:
            raise ValueError(
                "--logger tensorboard needs the tensorboard package: pip install tensorboard"
            ) from error
    return loggers


def _callbacks(config: RunConfig, has_valid: bool, checkpoints: Path) -> tuple[list, Any]:
    """SWA, best-epoch checkpointing and early stopping as the training options ask."""
    from lightning.pytorch.callbacks import (
        EarlyStopping,
        ModelCheckpoint,
        StochasticWeightAveraging,
    )

    training = config.training
    callbacks: list = []
    if training.swa_start is not None:
        # Lightning re-estimates the averaged model's BatchNorm statistics on the training
        # batches only (one more pass over the training data, no gradient step).
        callbacks.append(
            StochasticWeightAveraging(
                swa_lrs=training.swa_lr or training.lr, swa_epoch_start=training.swa_start
            )
        )
    checkpoint = None
    if training.select == "best" and has_valid:
        checkpoint = ModelCheckpoint(dirpath=checkpoints, monitor="val_loss", save_top_k=1)
        callbacks.append(checkpoint)
    if training.patience and has_valid:
        callbacks.append(EarlyStopping(monitor="val_loss", patience=training.patience))
    return callbacks, checkpoint


def _fit(trainer: L.Trainer, module: DecodingModule, data: TrialsDataModule) -> None:
    """``trainer.fit``, with Ctrl-C raised as KeyboardInterrupt: Lightning catches it, stops
    gracefully, ignores further Ctrl-C and exits with status 1; the caller reports it."""
    try:
        trainer.fit(module, datamodule=data)
    except SystemExit:
        if not trainer.interrupted:
            raise
        signal.signal(signal.SIGINT, signal.default_int_handler)
        raise KeyboardInterrupt from None


def fit(
    config: RunConfig,
    build: Callable[[], nn.Module],
    splits: tuple[tuple[np.ndarray, np.ndarray], ...],
    *,
    n_classes: int,
    sfreq: float,
    seed: int,
    log_dir: Path,
) -> Fitted:
    """Train ``model`` on a fold and predict its test trials.

    Parameters
    ----------
    config : RunConfig
        Its ``training`` and ``execution`` sections are used.
    build : callable
        Makes the network, which maps ``(B, n_electrodes, n_times)`` to logits
        ``(B, n_classes)``; called once the seed is set, so its initialisation is the seed's.
    splits : tuple of (X, y)
        Training, validation (may be empty) and test trials, standardised with the
        training statistics; ``X`` of shape ``(n, n_electrodes, n_times)``.
    n_classes : int
    sfreq : float
        Sampling rate of the trials (augmentations need it).
    seed : int
        Seeds initialisation, batch order, dropout and augmentation.
    log_dir : Path
        Where the fold's logs go (started afresh: a unit cut short logs anew).

    Raises
    ------
    TrainingDiverged
        The training loss stopped being finite.
    """
    L.seed_everything(seed, workers=True, verbose=False)
    train, valid, test = splits
    data = TrialsDataModule(train, valid, test, batch_size=config.training.batch_size, seed=seed)
    module = DecodingModule(
        build(),
        n_classes,
        config.training,
        sfreq=sfreq,
        channels_last=config.execution.channels_last,
        compile=config.execution.compile,
    )
    shutil.rmtree(log_dir, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="bci-attn-checkpoints-") as checkpoints:
        callbacks, checkpoint = _callbacks(config, len(valid[1]) > 0, Path(checkpoints))
        trainer = make_trainer(
            config, make_loggers(config, log_dir), callbacks, checkpoint is not None
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", ".*does not have many workers.*")
            warnings.filterwarnings("ignore", ".*is an iterable.*")
            _fit(trainer, module, data)
            if checkpoint is not None and checkpoint.best_model_path:
                best = torch.load(checkpoint.best_model_path, weights_only=True)["state_dict"]
                module.load_state_dict(best)
            logits = torch.cat(trainer.predict(module, datamodule=data))
    return Fitted(module.model, logits, trainer.current_epoch)
