"""The unit of work: one training, (configuration, fold, seed) -> a :class:`FoldResult`.

A :class:`Unit` holds a configuration, one fold (its trial indices: a fold of the
configuration's protocol, or an inner fold of a nested selection), one seed, and the run
folder its result belongs to. Its :attr:`~Unit.key` is a stable hash of what it computes
(the options that change results, the fold's name and the seed), the same in every process
and on every machine: two studies that would train the same model share it.

:func:`execute` is what an executor runs, in this process or on a worker: it prepares the
configuration's trials (once per process, :func:`~bci_attn.evaluation.preparation.prepared`),
trains and scores the units of one task, and returns their results; writing them is the
caller's (the client's) job. A task is one unit, or several trained at once as one stacked
model (``execution.parallel_folds``).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .preparation import Prepared, prepared
from .protocols import Fold, calibration_set
from .results import FoldResult, Score

if TYPE_CHECKING:
    import torch
    from torch import nn

    from ..config import RunConfig
    from ..data.loading import EEGData

#: Execution options kept in each result (``trained_with``), beside the device, threads and
#: torch version: how this unit was computed, whatever the folder's last run used.
EXECUTION = ("accelerator", "devices", "precision", "channels_last", "compile", "parallel_folds")


class UnitFailed(RuntimeError):
    """A unit that could not be trained (divergence, a bad option value for this data)."""


@dataclass(frozen=True, eq=False)
class Unit:
    """One training: ``config``'s model on ``fold`` with ``seed``, for ``folder``.

    Attributes
    ----------
    config : RunConfig
    fold : Fold
        Its trial indices (of the configuration's prepared trials).
    seed : int
    folder : str
        The run folder its result and logs go to.
    """

    config: RunConfig
    fold: Fold
    seed: int
    folder: str

    @property
    def key(self) -> str:
        """A stable hash of what the unit computes: equal for equal computations."""
        text = json.dumps(
            {"config": self.config.fingerprint(), "fold": self.fold.name, "seed": self.seed},
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def describe(self) -> str:
        return f"{self.fold.name} seed {self.seed} ({self.folder})"


def plan(config: RunConfig, folds: Sequence[Fold], folder: str | Path) -> list[Unit]:
    """Every unit of a configuration: each fold with each of its seeds, seed by seed."""
    return [
        Unit(config, fold, seed, str(folder)) for seed in config.evaluation.seeds for fold in folds
    ]


def tasks(units: Sequence[Unit]) -> list[tuple[Unit, ...]]:
    """``units`` grouped for execution: one per task, or, for configurations with
    ``execution.parallel_folds`` K > 1, groups of at most K units of one configuration
    whose folds have as many training trials (they train as one stacked model)."""
    grouped: dict[tuple, list[Unit]] = {}
    for unit in units:
        size = unit.config.execution.parallel_folds
        key = (unit.key,) if size == 1 else (unit.config.fingerprint(), len(unit.fold.train))
        grouped.setdefault(key, []).append(unit)
    return [
        tuple(same[i : i + unit_size(same)])
        for same in grouped.values()
        for i in range(0, len(same), unit_size(same))
    ]


def unit_size(units: Sequence[Unit]) -> int:
    """How many of ``units`` (of one configuration) train at once."""
    return units[0].config.execution.parallel_folds


def make_model(config: RunConfig, data: EEGData) -> nn.Module:
    """The configured backbone with attention, built for the data's shape."""
    from ..models import build_model

    model = config.model
    return build_model(
        model.backbone,
        model.attention,
        model.attention_at,
        n_chans=data.n_chans,
        n_times=data.n_times,
        n_outputs=len(data.classes),
        sfreq=data.sfreq,
        attention_options=model.attention_options,
        **model.backbone_options,
    )


def execution_record(config: RunConfig) -> dict:
    """How this process trains ``config``'s units: :data:`EXECUTION`'s options, the torch
    version, the device and the CPU threads."""
    import torch

    from ..training.fit import device_of

    device = device_of(config)
    return {
        **{key: getattr(config.execution, key) for key in EXECUTION},
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
    }


def execute(task: Sequence[Unit]) -> list[FoldResult]:
    """Train and score the units of one task (see the module's docstring).

    Raises
    ------
    UnitFailed
        A unit could not be trained, naming it and why.
    """
    from ..training.fit import TrainingDiverged

    ready = prepared(task[0].config)
    try:
        if len(task) > 1:
            return _train_stacked(task, ready)
        return [_train(task[0], ready)]
    except (TrainingDiverged, ValueError) as error:
        names = ", ".join(unit.describe() for unit in task)
        # chained: the traceback failures.json keeps shows where training failed
        raise UnitFailed(f"{names}: {error}") from error


def _standardised(data: EEGData, fold: Fold) -> tuple[list[np.ndarray], np.ndarray]:
    """The fold's train, valid, test and calibration-pool trials, z-scored on train, and
    the pools' indices."""
    from ..training.batches import standardise

    pool_index = fold.calibration_pools()
    parts = standardise(*(data.X[i] for i in (fold.train, fold.valid, fold.test, pool_index)))
    return parts, pool_index


def _train(unit: Unit, ready: Prepared) -> FoldResult:
    from ..training.fit import fit

    start = time.perf_counter()
    data, fold, config = ready.data, unit.fold, unit.config
    (train, valid, test, pool), pool_index = _standardised(data, fold)
    fitted = fit(
        config,
        lambda: make_model(config, data),
        ((train, data.y[fold.train]), (valid, data.y[fold.valid]), (test, data.y[fold.test])),
        n_classes=len(data.classes),
        sfreq=data.sfreq,
        seed=unit.seed,
        log_dir=Path(unit.folder) / "logs" / fold.name / f"seed{unit.seed}",
    )
    rows = score_subjects(
        config, data, fold, unit.seed, fitted.model, fitted.logits, test, pool_index, pool
    )
    return _result(unit, fold, fitted.model, rows, fitted.epochs, time.perf_counter() - start)


def _train_stacked(task: Sequence[Unit], ready: Prepared) -> list[FoldResult]:
    """Train several units at once as one stacked model (:mod:`bci_attn.training.parallel`).

    Every unit is initialised and batched as :func:`_train` would (same seed); its epoch
    losses go to its ``metrics.csv``; ``seconds`` is the group's time shared out evenly.
    """
    import lightning as L
    import pandas as pd

    from ..training.fit import device_of
    from ..training.parallel import Member, predict, train_parallel

    start = time.perf_counter()
    data, config = ready.data, task[0].config
    members, tests = [], []
    for unit in task:
        fold = unit.fold
        L.seed_everything(unit.seed, verbose=False)
        (train, _, test, pool), pool_index = _standardised(data, fold)
        members.append(Member(make_model(config, data), train, data.y[fold.train], unit.seed))
        tests.append((test, pool_index, pool))
    history = train_parallel(
        members,
        config.training,
        device=device_of(config),
        precision=config.execution.precision,
    )
    seconds = (time.perf_counter() - start) / len(task)
    results = []
    for unit, member, test, losses in zip(task, members, tests, history, strict=True):
        fold = unit.fold
        log_dir = Path(unit.folder) / "logs" / fold.name / f"seed{unit.seed}"
        log_dir.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"epoch": range(len(losses)), "train_loss": losses}).to_csv(
            log_dir / "metrics.csv", index=False
        )
        logits = predict(member.model, test[0])
        rows = score_subjects(config, data, fold, unit.seed, member.model, logits, *test)
        results.append(
            _result(unit, fold, member.model, rows, config.training.max_epochs, seconds)
        )
    return results


def _result(
    unit: Unit, fold: Fold, model: nn.Module, rows: list[Score], epochs: int, seconds: float
) -> FoldResult:
    return FoldResult(
        fold=fold.name,
        subject=fold.subject,
        seed=unit.seed,
        n_train=len(fold.train),
        n_valid=len(fold.valid),
        n_test=len(fold.test),
        epochs=int(epochs),
        seconds=round(seconds, 2),
        rows=rows,
        trained_with=execution_record(unit.config),
        unit=unit.key,
        weights={k: v.detach().cpu() for k, v in model.state_dict().items()},
    )


def score_subjects(
    config: RunConfig,
    data: EEGData,
    fold: Fold,
    seed: int,
    model: nn.Module,
    zero_shot: torch.Tensor,
    X_test: np.ndarray,
    pool_index: np.ndarray,
    X_pool: np.ndarray,
) -> list[Score]:
    """Score each test subject zero-shot, then after calibration on each requested size.

    For calibration size N, a copy of the trained ``model`` is fine-tuned on the subject's
    first N trials per class (:func:`~bci_attn.evaluation.protocols.calibration_set`) and
    tested on the subject's test trials, the same trials for every N and for N = 0: the
    pools of the largest N are never tested, so the curve compares calibration sizes on
    equal terms. Every fine-tuning starts from the same trained weights, which stay
    untouched. With ``evaluation.adapt``, every model is adapted to the subject's
    unlabelled test trials before they are scored
    (:mod:`bci_attn.training.adaptation`); their labels are only compared with.

    Parameters
    ----------
    model : torch.nn.Module
        The trained network.
    zero_shot : torch.Tensor
        Its logits for ``fold.test``.
    X_test : np.ndarray
        ``fold.test`` standardised with the training statistics.
    pool_index, X_pool : np.ndarray
        Indices of the calibration pools and their trials, standardised likewise.
    """
    import pandas as pd
    import torch

    from ..training.adaptation import adapted_logits
    from ..training.finetune import finetune, predict
    from ..training.fit import device_of
    from .scoring import scores

    device = device_of(config)
    subject_of = data.meta["subject"].to_numpy()[fold.test]
    y_test = data.y[fold.test]
    evaluation, training = config.evaluation, config.training

    def row(subject, n, logits, n_trials) -> Score:
        labels = y_test[subject_of == subject]
        return Score(
            subject=int(subject),
            n_calibration=n,
            n_calibration_trials=n_trials,
            **scores(logits, torch.as_tensor(labels), len(data.classes)),
            n_test=len(labels),
            labels=labels.tolist(),
            predictions=logits.argmax(1).tolist(),
            # for the ensemble of the seeds' models (scoring.ensemble_results)
            probabilities=logits.float().softmax(1).round(decimals=5).tolist(),
        )

    def adapted(network: nn.Module, logits: torch.Tensor, at: np.ndarray) -> torch.Tensor:
        if evaluation.adapt == "none":
            return logits
        return adapted_logits(network, X_test[at], evaluation.adapt, device)

    rows = []
    for subject in pd.unique(subject_of):
        at = subject_of == subject
        rows.append(row(subject, 0, adapted(model, zero_shot[at], at), 0))
        for n in evaluation.calibration_trials:
            chosen = np.isin(
                pool_index, calibration_set(fold.calibration[int(subject)], data.y, n)
            )
            tuned = finetune(
                model,
                X_pool[chosen],
                data.y[pool_index[chosen]],
                part=evaluation.finetune,
                steps=evaluation.calibration_steps,
                lr=evaluation.calibration_lr or training.lr,
                weight_decay=training.weight_decay,
                batch_size=training.batch_size,
                seed=seed,
                device=device,
            )
            logits = adapted(tuned, predict(tuned, X_test[at], device=device), at)
            rows.append(row(subject, n, logits, int(chosen.sum())))
    return rows
