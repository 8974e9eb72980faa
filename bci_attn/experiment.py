"""A whole evaluation: load data, split by protocol, train and test every fold and seed.

Transfer protocols (``loso``, ``holdout``, ``cross-dataset``) can also calibrate: after a
fold's model is trained, each test subject gets its own fine-tuned copy per calibration
size N (trials per class from its first session, in time order), and every N, N = 0
(zero-shot) included, is tested on the same trials of that subject.
"""

from __future__ import annotations

import os
import shutil
import time
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from . import attention as attention_zoo
from .alignment import align_groups
from .augmentation import check_augmentation
from .data import (
    EEGData,
    Preprocessing,
    load_transfer,
    load_trials,
    resolve_dataset,
)
from .data.datasets import dataset_name
from .data.transfer import MIN_SHARED_CHANNELS
from .models import build_model, get_backbone, resolve_points
from .protocols import TRANSFER_PROTOCOLS, Fold, calibration_set, make_protocol
from .recipes import RECIPES
from .results import (
    RunFolder,
    ensemble_results,
    format_calibration_table,
    format_table,
    per_subject,
    result_rows,
)
from .training import FINETUNE_PARTS


@dataclass
class RunConfig:
    """Everything that defines a run; stored as ``config.json`` in the run's folder.

    The defaults are the plain recipe; ``recipe`` records the name of the recipe
    (:mod:`bci_attn.recipes`) the interfaces started from before the options given.
    """

    dataset: str = "synthetic"
    subjects: list[int] | None = None
    train_subjects: list[int] | None = None
    test_subjects: list[int] | None = None
    train_dataset: str | None = None
    test_dataset: str | None = None
    min_channels: int = MIN_SHARED_CHANNELS
    backbone: str = "eegnet"
    attention: str = "none"
    attention_at: list[str] | None = None
    attention_options: dict = field(default_factory=dict)
    backbone_options: dict = field(default_factory=dict)
    protocol: str = "loso"
    split_seed: int = 0
    classes: list[str] | None = None
    n_classes: int | None = None
    fmin: float = 4.0
    fmax: float = 38.0
    tmin: float = 0.0
    tmax: float | None = None
    resample: float | None = 128.0
    channels: list[str] | None = None
    align: str = "none"
    max_epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    schedule: str = "constant"
    warmup_epochs: int = 0
    select: str = "last"
    patience: int | None = None
    augment: list[str] = field(default_factory=list)
    augment_probability: float = 0.5
    augment_options: dict = field(default_factory=dict)
    label_smoothing: float = 0.0
    swa_start: float | None = None
    swa_lr: float | None = None
    ensemble: bool = False
    seeds: list[int] = field(default_factory=lambda: [0])
    calibration_trials: list[int] = field(default_factory=list)
    calibration_steps: int = 50
    calibration_lr: float | None = None
    finetune: str = "all"
    data_dir: str | None = None
    cache_dir: str | None = None
    offline: bool = False
    out: str | None = None
    accelerator: str = "auto"
    devices: int = 1
    precision: str = "32-true"
    channels_last: bool = True
    compile: bool = False
    parallel_folds: int = 1
    logger: str = "csv"
    quiet: bool = False
    recipe: str = "plain"

    def validate(self) -> None:
        """Check everything that can be checked before loading data (ValueError if not)."""
        checks = [
            (self.max_epochs >= 1, f"--max-epochs must be at least 1, got {self.max_epochs}"),
            (self.batch_size >= 1, f"--batch-size must be at least 1, got {self.batch_size}"),
            (self.lr > 0, f"--lr must be positive, got {self.lr}"),
            (self.weight_decay >= 0, f"--weight-decay must be >= 0, got {self.weight_decay}"),
            (
                self.align in ("none", "euclidean"),
                f"--align must be none or euclidean, got {self.align}",
            ),
            (
                self.schedule in ("constant", "cosine"),
                f"--schedule must be constant or cosine, got {self.schedule}",
            ),
            (self.select in ("last", "best"), f"--select must be last or best, got {self.select}"),
            (
                self.recipe in RECIPES,
                f"recipe must be one of {', '.join(RECIPES)} once resolved, got {self.recipe}",
            ),
            (
                self.patience is None or self.patience >= 1,
                f"--patience must be at least 1, got {self.patience}",
            ),
            (
                0 <= self.warmup_epochs < self.max_epochs,
                f"--warmup-epochs must be in [0, max-epochs), got {self.warmup_epochs}",
            ),
            (len(self.seeds) >= 1, "--seed needs at least one value"),
            (
                self.parallel_folds >= 1,
                f"--parallel-folds must be at least 1, got {self.parallel_folds}",
            ),
            (
                self.parallel_folds == 1 or (self.select == "last" and self.patience is None),
                "--parallel-folds trains a fixed number of epochs: it takes --select last "
                "and no --patience",
            ),
            (
                self.parallel_folds == 1 or self.devices == 1,
                "--parallel-folds runs on one device; use --devices 1",
            ),
            (
                self.logger in ("csv", "tensorboard"),
                f"--logger must be csv or tensorboard, got {self.logger}",
            ),
            (
                self.classes is None
                or self.n_classes is None
                or self.n_classes == len(self.classes),
                "--classes and --n-classes disagree; give one of them",
            ),
            (
                self.data_dir is None
                or not Path(self.data_dir).expanduser().exists()
                or Path(self.data_dir).expanduser().is_dir(),
                f"--data-dir '{self.data_dir}' is not a folder",
            ),
        ]
        for ok, message in checks + self._transfer_checks() + self._recipe_checks():
            if not ok:
                raise ValueError(message)
        check_augmentation(self.augment, self.augment_probability, self.augment_options)
        get_backbone(self.backbone)
        spec = attention_zoo.get_spec(self.attention)
        resolve_points(self.backbone, self.attention, self.attention_at)
        unknown = sorted(set(self.attention_options) - set(spec.options()))
        if unknown:
            raise ValueError(
                f"attention '{spec.name}' does not take option(s) {', '.join(unknown)}; it "
                f"takes: {', '.join(spec.options()) or 'no options'}"
            )
        make_protocol(self.protocol)
        self.preprocessing().validate()

    def _recipe_checks(self) -> list[tuple[bool, str]]:
        plain = not (self.augment or self.label_smoothing or self.swa_start is not None)
        return [
            (
                0.0 <= self.label_smoothing < 1.0,
                f"--label-smoothing must be in [0, 1), got {self.label_smoothing}",
            ),
            (
                self.swa_start is None or 0.0 < self.swa_start < 1.0,
                f"--swa-start is a fraction of --max-epochs in (0, 1), got {self.swa_start}",
            ),
            (
                self.swa_lr is None or self.swa_lr > 0,
                f"--swa-lr must be positive, got {self.swa_lr}",
            ),
            (
                self.swa_lr is None or self.swa_start is not None,
                "--swa-lr goes with --swa-start (stochastic weight averaging)",
            ),
            (
                self.swa_start is None or (self.select == "last" and self.patience is None),
                "--swa-start averages the last epochs' weights: it takes --select last and "
                "no --patience",
            ),
            (
                not self.augment or "mixup" not in self.augment[:-1],
                "--augment: mixup mixes the labels, so it must come last in the list",
            ),
            (
                self.parallel_folds == 1 or plain,
                "--parallel-folds trains plainly: it takes no --augment, --label-smoothing "
                "or --swa-start"
                + (
                    ""
                    if self.recipe == "plain"
                    else f" (the {self.recipe} recipe sets "
                    "some of them: add --recipe plain, or set them off)"
                ),
            ),
            (
                not self.ensemble or len(self.seeds) >= 2,
                "--ensemble averages the seeds' models: give at least two --seed values",
            ),
        ]

    def _transfer_checks(self) -> list[tuple[bool, str]]:
        holdout = self.protocol in ("holdout", "cross-dataset")
        overlap = sorted(set(self.train_subjects or ()) & set(self.test_subjects or ()))
        return [
            (
                self.protocol != "cross-dataset" or bool(self.train_dataset and self.test_dataset),
                "--protocol cross-dataset needs --train-dataset and --test-dataset",
            ),
            (
                self.protocol == "cross-dataset"
                or (self.train_dataset is None and self.test_dataset is None),
                f"--train-dataset/--test-dataset go with --protocol cross-dataset, not "
                f"{self.protocol}",
            ),
            (
                self.protocol != "holdout" or bool(self.test_subjects),
                "--protocol holdout needs --test-subjects (and --train-subjects, default: "
                "every other subject of the dataset)",
            ),
            (
                holdout or (self.train_subjects is None and self.test_subjects is None),
                f"--train-subjects/--test-subjects go with --protocol holdout or cross-dataset, "
                f"not {self.protocol}; use --subjects",
            ),
            (
                not holdout or self.subjects is None,
                f"--protocol {self.protocol} takes --train-subjects/--test-subjects, not "
                "--subjects",
            ),
            (
                self.protocol != "holdout" or not overlap,
                "--train-subjects and --test-subjects overlap (subject(s) "
                f"{', '.join(map(str, overlap))}): a test subject must be unseen in training",
            ),
            (
                self.protocol != "cross-dataset"
                or _same_dataset(self.train_dataset, self.test_dataset) is False,
                f"--train-dataset and --test-dataset are both {self.train_dataset}; use "
                "--protocol holdout to hold out subjects of one dataset",
            ),
            (
                self.min_channels >= 1,
                f"--min-channels must be at least 1, got {self.min_channels}",
            ),
            (
                all(n >= 1 for n in self.calibration_trials),
                f"--calibration-trials must be at least 1 per class, got "
                f"{self.calibration_trials}",
            ),
            (
                not self.calibration_trials or self.protocol in TRANSFER_PROTOCOLS,
                f"--calibration-trials goes with --protocol {', '.join(TRANSFER_PROTOCOLS)}, "
                f"not {self.protocol}",
            ),
            (
                self.calibration_steps >= 1,
                f"--calibration-steps must be at least 1, got {self.calibration_steps}",
            ),
            (
                self.calibration_lr is None or self.calibration_lr > 0,
                f"--calibration-lr must be positive, got {self.calibration_lr}",
            ),
            (
                self.finetune in FINETUNE_PARTS,
                f"--finetune must be one of {', '.join(FINETUNE_PARTS)}, got {self.finetune}",
            ),
        ]

    def protocol_options(self) -> dict:
        """Arguments of :func:`make_protocol` besides the name and seed."""
        options = {}
        if self.protocol in TRANSFER_PROTOCOLS:
            options["calibration_trials"] = max(self.calibration_trials, default=0)
        if self.protocol in ("holdout", "cross-dataset"):
            options["train_subjects"] = tuple(self.train_subjects or ())
            options["test_subjects"] = tuple(self.test_subjects or ())
        if self.protocol == "cross-dataset":
            options["train_dataset"] = dataset_name(resolve_dataset(self.train_dataset))
            options["test_dataset"] = dataset_name(resolve_dataset(self.test_dataset))
        return options

    def preprocessing(self) -> Preprocessing:
        return Preprocessing(
            classes=tuple(self.classes) if self.classes else None,
            n_classes=self.n_classes,
            fmin=self.fmin,
            fmax=self.fmax,
            tmin=self.tmin,
            tmax=self.tmax,
            resample=self.resample,
        )

    def out_folder(self) -> Path:
        """``--out``, else ``runs/<dataset>-<backbone>-<attention>-<protocol>``.

        Cross-dataset runs are named ``<train dataset>-to-<test dataset>``.
        """
        if self.out:
            return Path(self.out)
        data = self.dataset
        if self.protocol == "cross-dataset":
            data = f"{self.train_dataset}-to-{self.test_dataset}"
        return Path("runs") / f"{data}-{self.backbone}-{self.attention}-{self.protocol}"

    def cache_folder(self) -> Path:
        """``--cache-dir``, else ``$BCI_ATTN_CACHE``, else ``~/.cache/bci_attn``."""
        default = os.environ.get("BCI_ATTN_CACHE", Path.home() / ".cache" / "bci_attn")
        return Path(self.cache_dir or default).expanduser()


def _same_dataset(first: str | None, second: str | None) -> bool | None:
    """Whether two dataset names (any spelling) are one dataset; None if one is missing."""
    if not first or not second:
        return None
    try:
        return dataset_name(resolve_dataset(first)) == dataset_name(resolve_dataset(second))
    except ValueError:
        return first == second  # an unknown name fails with its own message when loaded


def load_data(config: RunConfig) -> EEGData:
    """The trials the run needs: one dataset, or two pooled for cross-dataset transfer,
    on ``config.channels`` when they are given."""
    data = _load_trials(config)
    return data.pick(config.channels) if config.channels else data


def _load_trials(config: RunConfig) -> EEGData:
    where = dict(data_dir=config.data_dir, cache_dir=config.cache_folder(), offline=config.offline)
    if config.protocol == "cross-dataset":
        train, test = resolve_dataset(config.train_dataset), resolve_dataset(config.test_dataset)
        return load_transfer(
            train,
            test,
            config.train_subjects or list(train.subject_list),
            config.test_subjects or list(test.subject_list),
            config.preprocessing(),
            min_channels=config.min_channels,
            **where,
        )
    dataset = resolve_dataset(config.dataset)
    subjects = config.subjects or list(dataset.subject_list)
    if config.protocol == "holdout":
        tested = set(config.test_subjects)
        train = config.train_subjects or [s for s in dataset.subject_list if s not in tested]
        subjects = sorted({*train, *tested})
    return load_trials(dataset, subjects, config.preprocessing(), **where)


def prepare(config: RunConfig) -> tuple[EEGData, list[Fold]]:
    """Load the trials, align them if asked, and split them into folds (nothing trains)."""
    config.validate()
    data = load_data(config)
    # The splits do not depend on --seed: every seed trains on the same folds, and a seed
    # gives the same result run alone or with others.
    protocol = make_protocol(config.protocol, seed=config.split_seed, **config.protocol_options())
    folds = protocol.split(data.meta, data.y)
    if config.align == "euclidean":
        # He & Wu 2019: each subject's session is re-centred with its own unlabelled trials,
        # the test subject's included, as the protocol allows (no labels are used).
        data.X = align_groups(data.X, data.meta, protocol.alignment_groups())
    return data, folds


def make_model(config: RunConfig, data: EEGData):
    """The configured backbone with attention, built for the data's shape."""
    return build_model(
        config.backbone,
        config.attention,
        config.attention_at,
        n_chans=data.n_chans,
        n_times=data.n_times,
        n_outputs=len(data.classes),
        sfreq=data.sfreq,
        attention_options=config.attention_options,
        **config.backbone_options,
    )


def _device(config: RunConfig):
    """Where hand-written loops (fine-tuning, fold-parallel training) run: the GPU when
    Lightning would use one, else the CPU."""
    import torch

    gpu = config.accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available()
    return torch.device("cuda" if gpu else "cpu")


def _calibration_pools(fold: Fold) -> np.ndarray:
    """Every calibration pool of the fold, concatenated (time order within each)."""
    pools = list(fold.calibration.values())
    return np.concatenate(pools) if pools else np.array([], dtype=int)


def make_module(config: RunConfig, model, n_classes: int, sfreq: float | None = None):
    """The :class:`~bci_attn.training.DecodingModule` training ``model`` as configured
    (``sfreq``, the trials' sampling rate, is needed by augmentations)."""
    from .training import DecodingModule

    return DecodingModule(
        model,
        n_classes=n_classes,
        lr=config.lr,
        weight_decay=config.weight_decay,
        schedule=config.schedule,
        warmup_epochs=config.warmup_epochs,
        max_epochs=config.max_epochs,
        channels_last=config.channels_last,
        compile=config.compile,
        augment=config.augment,
        augment_probability=config.augment_probability,
        augment_options=config.augment_options,
        sfreq=sfreq,
        label_smoothing=config.label_smoothing,
    )


def swa_callback(config: RunConfig):
    """Lightning's stochastic weight averaging from ``swa_start`` of the epochs on, or None.

    The averaged model's BatchNorm statistics are then re-estimated by Lightning on the
    training batches only (one more pass over the training data, no gradient step).
    """
    from lightning.pytorch.callbacks import StochasticWeightAveraging

    if config.swa_start is None:
        return None
    return StochasticWeightAveraging(
        swa_lrs=config.swa_lr or config.lr, swa_epoch_start=config.swa_start
    )


def make_trainer(config: RunConfig, logger, callbacks: list, checkpointing: bool = False):
    """The Lightning ``Trainer`` of a fold (the benchmarks time this very trainer)."""
    import lightning as L

    return L.Trainer(
        max_epochs=config.max_epochs,
        accelerator=config.accelerator,
        devices=config.devices,
        precision=config.precision,
        deterministic=True,
        logger=logger,
        callbacks=callbacks,
        enable_checkpointing=checkpointing,
        enable_progress_bar=not config.quiet,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=1,
    )


def fold_arrays(data: EEGData, fold: Fold):
    """``(X, y)`` of the fold's train, validation and test trials, z-scored on train."""
    from .training import standardise

    splits = (fold.train, fold.valid, fold.test)
    X = standardise(*(data.X[idx] for idx in splits))
    return [(x, data.y[idx]) for x, idx in zip(X, splits, strict=True)]


def select_fold(folds: list[Fold], fold: int | str) -> Fold:
    """The fold called ``fold``, or the ``fold``-th one (a ValueError listing the names)."""
    names = [f.name for f in folds]
    if isinstance(fold, int) or (isinstance(fold, str) and fold.isdigit()):
        index = int(fold)
        if 0 <= index < len(folds):
            return folds[index]
        raise ValueError(f"fold {index} out of range: the protocol has {len(folds)} folds")
    if fold in names:
        return folds[names.index(fold)]
    raise ValueError(f"no fold '{fold}'; folds: {', '.join(names)}")


def make_loggers(config: RunConfig, folder: RunFolder, fold: str, seed: int) -> list:
    """CSV logs always (reports read them), TensorBoard as well when ``logger='tensorboard'``."""
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    where = dict(save_dir=folder.path / "logs", name=fold, version=f"seed{seed}")
    loggers = [CSVLogger(**where)]
    if config.logger == "tensorboard":
        try:
            loggers.append(TensorBoardLogger(**where, default_hp_metric=False))
        except ModuleNotFoundError as error:
            raise ValueError(
                "--logger tensorboard needs the tensorboard package: pip install tensorboard"
            ) from error
    return loggers


def train_fold(config: RunConfig, data: EEGData, fold: Fold, seed: int, folder: RunFolder) -> dict:
    """Train on ``fold.train`` (monitoring ``fold.valid``), test each subject of ``fold.test``.

    With calibration, every test subject is then also tested after fine-tuning a copy of
    the trained model on each calibration size (:func:`score_subjects`).

    Returns
    -------
    dict
        The fold's sizes and timing, and ``rows``: one per test subject and calibration
        size (0 for zero-shot) with its scores, labels and predictions.
    """
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

    from .training import TrialsDataModule, standardise

    start = time.perf_counter()
    L.seed_everything(seed, workers=True, verbose=False)
    pool_index = _calibration_pools(fold)
    train, valid, test, pool = standardise(
        *(data.X[idx] for idx in (fold.train, fold.valid, fold.test, pool_index))
    )
    datamodule = TrialsDataModule(
        (train, data.y[fold.train]),
        (valid, data.y[fold.valid]),
        (test, data.y[fold.test]),
        batch_size=config.batch_size,
        seed=seed,
    )
    module = make_module(config, make_model(config, data), len(data.classes), data.sfreq)
    has_valid = len(fold.valid) > 0
    callbacks = [swa] if (swa := swa_callback(config)) else []
    checkpoint_dir = folder.path / "checkpoints" / f"{fold.name}-seed{seed}"
    checkpoint = None
    if config.select == "best" and has_valid:
        checkpoint = ModelCheckpoint(dirpath=checkpoint_dir, monitor="val_loss", save_top_k=1)
        callbacks.append(checkpoint)
    if config.patience and has_valid:
        callbacks.append(EarlyStopping(monitor="val_loss", patience=config.patience))
    log_dir = folder.path / "logs" / fold.name / f"seed{seed}"
    shutil.rmtree(log_dir, ignore_errors=True)  # a fold cut short starts its log afresh
    trainer = make_trainer(
        config,
        logger=make_loggers(config, folder, fold.name, seed),
        callbacks=callbacks,
        checkpointing=checkpoint is not None,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        warnings.filterwarnings("ignore", ".*is an iterable.*")
        trainer.fit(module, datamodule=datamodule)
        if checkpoint is not None:
            best = torch.load(checkpoint.best_model_path, weights_only=True)["state_dict"]
            module.load_state_dict(best)
            shutil.rmtree(checkpoint_dir, ignore_errors=True)
        logits = torch.cat(trainer.predict(module, datamodule=datamodule))
    folder.save_model(fold.name, seed, module.model.state_dict())
    return fold_result(
        config,
        data,
        fold,
        seed,
        module.model,
        logits,
        (test, pool_index, pool),
        trainer.current_epoch,
        time.perf_counter() - start,
    )


#: How a fold was executed: options that may differ between the runs filling one folder
#: (``config.json`` records the last run's), kept in each fold's result.
EXECUTION = ("accelerator", "devices", "precision", "channels_last", "compile", "parallel_folds")


def execution_record(config: RunConfig) -> dict:
    """How this process trains ``config``'s folds: :data:`EXECUTION`'s options, the torch
    version, the device and the CPU threads."""
    import torch

    on_gpu = config.accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available()
    return {
        **{key: getattr(config, key) for key in EXECUTION},
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name() if on_gpu else "cpu",
        "threads": torch.get_num_threads(),
    }


def fold_result(
    config: RunConfig,
    data: EEGData,
    fold: Fold,
    seed: int,
    model,
    logits,
    standardised: tuple[np.ndarray, np.ndarray, np.ndarray],
    epochs: int,
    seconds: float,
) -> dict:
    """The stored result of a fold trained with ``seed``: sizes, timing, its ``rows`` and
    how it was trained (``trained_with``, :func:`execution_record`).

    ``standardised`` holds the fold's test trials, the indices of its calibration pools and
    those trials, standardised with the training statistics (see :func:`score_subjects`).
    """
    rows = score_subjects(config, data, fold, seed, model, logits, *standardised)
    return {
        "fold": fold.name,
        "subject": fold.subject,
        "seed": seed,
        "n_train": len(fold.train),
        "n_valid": len(fold.valid),
        "n_test": len(fold.test),
        "epochs": epochs,
        "seconds": round(seconds, 2),
        "rows": rows,
        "trained_with": execution_record(config),
    }


def score_subjects(
    config: RunConfig,
    data: EEGData,
    fold: Fold,
    seed: int,
    model,
    zero_shot,
    X_test: np.ndarray,
    pool_index: np.ndarray,
    X_pool: np.ndarray,
) -> list[dict]:
    """Score each test subject zero-shot, then after calibration on each requested size.

    For calibration size N, a copy of the trained ``model`` is fine-tuned on the subject's
    first N trials per class (:func:`~bci_attn.protocols.calibration_set`) and tested on
    the subject's test trials, the same trials for every N and for N = 0: the pools of the
    largest N are never tested, so the curve compares calibration sizes on equal terms.
    Every fine-tuning starts from the same trained weights, which stay untouched.

    Parameters
    ----------
    model : torch.nn.Module
        The trained network.
    zero_shot : torch.Tensor
        Its logits for ``fold.test``.
    X_test : np.ndarray
        ``fold.test`` standardised with the training statistics.
    pool_index, X_pool : np.ndarray
        Indices of the calibration pools (:func:`_calibration_pools`) and their trials,
        standardised likewise.

    Returns
    -------
    list of dict
        One row per subject and N: ``subject``, ``n_calibration`` (per class),
        ``n_calibration_trials``, ``accuracy``, ``kappa``, ``n_test``, ``labels``,
        ``predictions``.
    """
    import torch

    from .training import finetune, predict, scores

    device = _device(config)
    subject_of = data.meta["subject"].to_numpy()[fold.test]
    y_test = data.y[fold.test]
    n_classes = len(data.classes)

    def row(subject, n, logits, n_trials) -> dict:
        labels = y_test[subject_of == subject]
        return {
            "subject": int(subject),
            "n_calibration": n,
            "n_calibration_trials": n_trials,
            **scores(logits, torch.as_tensor(labels), n_classes),
            "n_test": len(labels),
            "labels": labels.tolist(),
            "predictions": logits.argmax(1).tolist(),
            # for the ensemble of the seeds' models (results.ensemble_results)
            "probabilities": logits.float().softmax(1).round(decimals=5).tolist(),
        }

    rows = []
    for subject in pd.unique(subject_of):
        at = subject_of == subject
        rows.append(row(subject, 0, zero_shot[at], 0))
        for n in sorted(set(config.calibration_trials)):
            chosen = np.isin(
                pool_index, calibration_set(fold.calibration[int(subject)], data.y, n)
            )
            tuned = finetune(
                model,
                X_pool[chosen],
                data.y[pool_index[chosen]],
                part=config.finetune,
                steps=config.calibration_steps,
                lr=config.calibration_lr or config.lr,
                weight_decay=config.weight_decay,
                batch_size=config.batch_size,
                seed=seed,
                device=device,
            )
            logits = predict(tuned, X_test[at], device=device)
            rows.append(row(subject, n, logits, int(chosen.sum())))
    return rows


def train_folds_parallel(
    config: RunConfig, data: EEGData, jobs: list[tuple[Fold, int]], folder: RunFolder
) -> list[dict]:
    """Train several ``(fold, seed)`` jobs at once as one stacked model (bci_attn.parallel).

    Every job is initialised and batched as :func:`train_fold` would (same seed), and its
    epoch losses go to ``logs/<fold>/seed<seed>/metrics.csv``. The jobs must have as many
    training trials each; ``seconds`` is the group's time shared out evenly.
    """
    import lightning as L
    import pandas as pd

    from .parallel import Member, predict, train_parallel
    from .training import standardise

    start = time.perf_counter()
    device = _device(config)
    members, tests = [], []
    for fold, seed in jobs:
        L.seed_everything(seed, verbose=False)
        pool_index = _calibration_pools(fold)
        train, test, pool = standardise(*(data.X[i] for i in (fold.train, fold.test, pool_index)))
        members.append(Member(make_model(config, data), train, data.y[fold.train], seed))
        tests.append((test, pool_index, pool))
    history = train_parallel(
        members,
        batch_size=config.batch_size,
        max_epochs=config.max_epochs,
        lr=config.lr,
        weight_decay=config.weight_decay,
        schedule=config.schedule,
        warmup_epochs=config.warmup_epochs,
        device=device,
        precision=config.precision,
    )
    seconds = (time.perf_counter() - start) / len(jobs)
    results = []
    for (fold, seed), member, test, losses in zip(jobs, members, tests, history, strict=True):
        log_dir = folder.path / "logs" / fold.name / f"seed{seed}"
        log_dir.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"epoch": range(len(losses)), "train_loss": losses}).to_csv(
            log_dir / "metrics.csv", index=False
        )
        logits = predict(member.model, test[0])
        results.append(
            fold_result(
                config, data, fold, seed, member.model, logits, test, config.max_epochs, seconds
            )
        )
    return results


def parallel_groups(jobs: list[tuple[Fold, int]], size: int) -> list[list[tuple[Fold, int]]]:
    """``jobs`` in groups of at most ``size`` whose folds have as many training trials."""
    by_size: dict[int, list[tuple[Fold, int]]] = {}
    for job in jobs:
        by_size.setdefault(len(job[0].train), []).append(job)
    return [same[i : i + size] for same in by_size.values() for i in range(0, len(same), size)]


def resolved_config(config: RunConfig, data: EEGData, folds: list[Fold]) -> dict:
    """The configuration as stored: options plus what the data resolved them to."""
    import bci_attn

    return {
        **asdict(config),
        "subjects": sorted(int(s) for s in data.meta["subject"].unique()),
        "classes": data.classes,
        "n_chans": data.n_chans,
        "n_times": data.n_times,
        "sfreq": data.sfreq,
        "ch_names": data.ch_names,
        "attention_at": resolve_points(config.backbone, config.attention, config.attention_at),
        "alignment_uses": (
            "each subject-session's own unlabelled trials (test trials included, no labels)"
            + (
                "; a test subject's calibration and test trials are aligned together"
                if config.calibration_trials
                else ""
            )
            if config.align == "euclidean"
            else None
        ),
        "calibration": (
            f"N = {', '.join(map(str, sorted(set(config.calibration_trials))))} trials per "
            "class from each test subject's first session in time order; fine-tuning "
            f"'{config.finetune}' for {config.calibration_steps} steps; N = 0 and every N "
            f"tested on the same trials (those after the {max(config.calibration_trials)} "
            "per class)"
            if config.calibration_trials
            else None
        ),
        "notes": data.notes,
        "folds": [f.name for f in folds],
        "bci_attn_version": bci_attn.__version__,
    }


def run_experiment(config: RunConfig, echo=print) -> dict:
    """Run every fold and seed, resuming finished ones; return the summary.

    The run's folder holds the resolved configuration, a file per finished fold, the
    results table (CSV) and the summary; a run started again with the same ``--out``
    skips the folds it already finished.
    """
    from .training import tuned_modules

    data, folds = prepare(config)
    model = make_model(config, data)  # attention options that do not fit fail before training
    if config.calibration_trials:
        tuned_modules(model, config.finetune)  # so does a part to fine-tune it lacks
    folder = RunFolder(config.out_folder())
    # An option a run folder predates counts as its default there.
    folder.claim(resolved_config(config, data, folds), defaults=asdict(RunConfig()))
    for note in data.notes:
        echo(note)
    echo(
        f"{data.dataset}: {len(data.y)} trials, {data.n_chans} electrodes x {data.n_times} "
        f"samples at {data.sfreq:g} Hz, classes {', '.join(data.classes)}; "
        f"{config.protocol}: {len(folds)} folds x {len(config.seeds)} seed(s) -> {folder.path}"
    )
    jobs = [(fold, seed) for seed in config.seeds for fold in folds]
    done = {(f.name, seed): folder.finished(f.name, seed) for f, seed in jobs}
    status = {key: "done before, resumed" for key, result in done.items() if result}
    pending = [(f, seed) for f, seed in jobs if done[f.name, seed] is None]
    if config.parallel_folds > 1:
        for group in parallel_groups(pending, config.parallel_folds):
            for result in train_folds_parallel(config, data, group, folder):
                folder.save_fold(result)
                done[result["fold"], result["seed"]] = result
                status[result["fold"], result["seed"]] = (
                    f"{result['seconds']:.1f} s, {len(group)} in parallel"
                )
    results = []
    for fold, seed in jobs:
        result = done[fold.name, seed]
        if result is None:
            result = train_fold(config, data, fold, seed, folder)
            folder.save_fold(result)
            status[fold.name, seed] = f"{result['seconds']:.1f} s"
        for line in fold_lines(fold, seed, result, status[fold.name, seed]):
            echo(line)
        results.append(result)
    table, curve = folder.write_tables(results, ensemble=config.ensemble)
    echo(format_table(table) if curve is None else format_calibration_table(curve))
    summary = {"folder": str(folder.path), "table": table, "calibration": curve}
    if config.ensemble:
        summary["ensemble"] = per_subject(result_rows(ensemble_results(results)))
        echo(f"ensemble of the {len(config.seeds)} seeds' models (mean probability):")
        echo(format_table(summary["ensemble"]))
    return summary


def fold_lines(fold: Fold, seed: int, result: dict, status: str) -> list[str]:
    """Progress lines of a finished fold: its scores, per test subject when it has several."""

    def scores_text(rows: list[dict]) -> str:
        if len(rows) == 1:
            return f"accuracy {100 * rows[0]['accuracy']:.1f} %, kappa {rows[0]['kappa']:.3f}"
        return "accuracy " + ", ".join(
            f"N={r['n_calibration']}: {100 * r['accuracy']:.1f} %" for r in rows
        )

    by_subject: dict[int, list[dict]] = {}
    for row in result["rows"]:
        by_subject.setdefault(row["subject"], []).append(row)
    if fold.subject is not None:
        return [f"  {fold.name} seed {seed}: {scores_text(result['rows'])} ({status})"]
    return [f"  {fold.name} seed {seed}: trained once ({status})"] + [
        f"    subject {subject}: {scores_text(rows)}" for subject, rows in by_subject.items()
    ]


def config_from_folder(path: str | os.PathLike) -> tuple[RunConfig, dict]:
    """The :class:`RunConfig` of the run in ``path`` and its stored ``config.json``.

    Raises
    ------
    ValueError
        When ``path`` holds no ``config.json``.
    """
    stored = RunFolder(path).config()
    names = {f.name for f in fields(RunConfig)}
    config = RunConfig(**{k: v for k, v in stored.items() if k in names})
    config.out = str(path)
    return config, stored


def load_model(path: str | os.PathLike, fold: str, seed: int = 0):
    """The trained model of ``fold`` and ``seed`` in run folder ``path``, in eval mode.

    The network is rebuilt from ``config.json`` (backbone, attention, data shape) and its
    weights are read from ``folds/<fold>-seed<seed>.pt``.

    Raises
    ------
    ValueError
        No such run, or no saved model for that fold and seed (naming those there are).
    """
    import torch

    config, stored = config_from_folder(path)
    folder = RunFolder(path)
    target = folder.model_file(fold, seed)
    if not target.is_file():
        saved = ", ".join(f"{f}-seed{s}" for f, s in folder.saved_models()) or "none"
        raise ValueError(f"{path}: no saved model for fold {fold} seed {seed}; saved: {saved}")
    model = build_model(
        config.backbone,
        config.attention,
        stored["attention_at"],
        n_chans=stored["n_chans"],
        n_times=stored["n_times"],
        n_outputs=len(stored["classes"]),
        sfreq=stored["sfreq"],
        attention_options=config.attention_options,
        **config.backbone_options,
    )
    model.load_state_dict(torch.load(target, map_location="cpu", weights_only=True))
    return model.eval()
