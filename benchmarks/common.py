"""Shared pieces of the benchmarks: data shapes, models, the three training loops, timing.

The three loops train the same model (same initial weights), on the same tensors, with the
same batch size, epochs and optimiser (AdamW, lr 1e-3):

- ``toolkit``: bci_attn's Lightning path, the very ``Trainer`` and ``DecodingModule`` that a
  unit's training (``bci_attn.training.fit.fit``) builds (CSV logger included, progress bar
  off as with ``--quiet``);
- ``braindecode``: braindecode's ``EEGClassifier`` (skorch) as its documentation uses it,
  with no validation split;
- ``plain``: the shortest correct PyTorch loop (permutation, index, forward, backward, step).
"""

from __future__ import annotations

import copy
import gc
import logging
import os
import platform
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

warnings.filterwarnings("ignore")
logging.getLogger("lightning.pytorch.utilities.rank_zero").setLevel(logging.ERROR)
logging.getLogger("lightning.fabric.utilities.rank_zero").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Shape:
    """A dataset's trial shape."""

    name: str
    n_chans: int
    n_times: int
    sfreq: float
    n_classes: int


SHAPES = {
    "bnci": Shape("BNCI2014001 (22 x 1000, 250 Hz)", 22, 1000, 250.0, 4),
    "physionet": Shape("PhysionetMI (64 x 640, 160 Hz)", 64, 640, 160.0, 4),
}
LR = 1e-3


def machine() -> str:
    """One line describing where the benchmark ran."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if "model name" in line)
    except (OSError, StopIteration):
        pass
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    return (
        f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), {gpu}"
    )


def synthetic(shape: Shape, n_trials: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Standard-normal trials of ``shape`` with balanced labels (speed does not need EEG)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_trials, shape.n_chans, shape.n_times), dtype=np.float32)
    y = np.arange(n_trials) % shape.n_classes
    return X, y


def build(backbone: str, attention: str, shape: Shape, seed: int = 0, **options) -> nn.Module:
    """``backbone`` with ``attention`` at its default point, initialised from ``seed``."""
    from bci_attn.models import build_model

    torch.manual_seed(seed)
    return build_model(
        backbone,
        attention,
        n_chans=shape.n_chans,
        n_times=shape.n_times,
        n_outputs=shape.n_classes,
        sfreq=shape.sfreq,
        **options,
    )


def plain_loop(model: nn.Module, X: np.ndarray, y: np.ndarray, batch_size: int, epochs: int):
    """The minimal PyTorch training loop."""
    X_t, y_t = torch.as_tensor(X), torch.as_tensor(y)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(y_t))
        for start in range(0, len(y_t), batch_size):
            idx = order[start : start + batch_size]
            loss = loss_fn(model(X_t[idx]), y_t[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()


def toolkit(
    model: nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    epochs: int,
    **config_options,
):
    """bci_attn's Lightning training: the ``Trainer`` and ``DecodingModule`` a unit's
    :func:`~bci_attn.training.fit.fit` builds."""
    from lightning.pytorch.loggers import CSVLogger

    from bci_attn.config import RunConfig
    from bci_attn.training import DecodingModule, TrialsDataModule
    from bci_attn.training.fit import make_trainer

    empty = (X[:0], y[:0])
    config = RunConfig.create(
        max_epochs=epochs, batch_size=batch_size, lr=LR, accelerator="cpu", quiet=True,
        **config_options,
    )  # fmt: skip
    execution = config.execution
    with tempfile.TemporaryDirectory() as logs:
        trainer = make_trainer(config, logger=CSVLogger(logs), callbacks=[])
        module = DecodingModule(
            model,
            int(y.max()) + 1,
            training=config.training,
            channels_last=execution.channels_last,
            compile=execution.compile,
        )
        trainer.fit(module, datamodule=TrialsDataModule((X, y), empty, empty, batch_size))


def braindecode(model: nn.Module, X: np.ndarray, y: np.ndarray, batch_size: int, epochs: int):
    """braindecode's ``EEGClassifier`` (skorch), no validation split."""
    from braindecode import EEGClassifier

    clf = EEGClassifier(
        model,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.AdamW,
        lr=LR,
        batch_size=batch_size,
        max_epochs=epochs,
        train_split=None,
        iterator_train__shuffle=True,
        device="cpu",
        verbose=0,
    )
    clf.fit(X, y)


LOOPS: dict[str, Callable] = {"toolkit": toolkit, "braindecode": braindecode, "plain": plain_loop}


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Fastest of ``repeats`` wall-clock runs of ``fn`` (the least disturbed by other load)."""
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def interleaved(candidates: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Best wall time of every candidate, run in turns (A B C A B C ...).

    Running the candidates in turns within one process exposes them to the same background
    load, so their ratios hold on a shared machine even when absolute times do not.
    """
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            times[name].append(best_time(fn, 1))
    return {name: min(values) for name, values in times.items()}


def from_copy(loop: Callable, model: nn.Module, *args, **kwargs) -> None:
    """Run ``loop`` on a copy of ``model``: every loop starts from the same weights."""
    loop(copy.deepcopy(model), *args, **kwargs)


def speed_rows(seconds: dict[str, float], baseline: str, trials: int, label: str) -> list[dict]:
    """A row per candidate (named in column ``label``): its time, trials/s and speed-up
    over ``baseline``, for ``trials`` trials trained by each."""
    return [
        {label: name, "seconds": s, "trials/s": trials / s, "speed-up": seconds[baseline] / s}
        for name, s in seconds.items()
    ]


def markdown(rows: list[dict]) -> str:
    """A Markdown table of ``rows`` (pandas + tabulate)."""
    import pandas as pd

    return pd.DataFrame(rows).to_markdown(index=False, floatfmt=".3g")
