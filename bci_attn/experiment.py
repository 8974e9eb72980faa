"""A whole evaluation: load data, split by protocol, train and test every fold and seed."""

from __future__ import annotations

import logging
import os
import shutil
import time
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from . import attention as attention_zoo
from .alignment import align_groups
from .data import EEGData, Preprocessing, load_trials, resolve_dataset, use_data_dir
from .models import build_model, get_backbone, resolve_points
from .protocols import Fold, make_protocol
from .results import RunFolder, format_table

log = logging.getLogger("bci_attn")


@dataclass
class RunConfig:
    """Everything that defines a run; stored as ``config.json`` in the run's folder."""

    dataset: str = "synthetic"
    subjects: list[int] | None = None
    backbone: str = "eegnet"
    attention: str = "none"
    attention_at: list[str] | None = None
    attention_options: dict = field(default_factory=dict)
    backbone_options: dict = field(default_factory=dict)
    protocol: str = "loso"
    classes: list[str] | None = None
    n_classes: int | None = None
    fmin: float = 4.0
    fmax: float = 38.0
    tmin: float = 0.0
    tmax: float | None = None
    resample: float | None = 128.0
    align: str = "none"
    max_epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    schedule: str = "constant"
    warmup_epochs: int = 0
    select: str = "last"
    patience: int | None = None
    seeds: list[int] = field(default_factory=lambda: [0])
    data_dir: str | None = None
    cache_dir: str | None = None
    download: bool = False
    out: str | None = None
    accelerator: str = "auto"
    devices: int = 1
    precision: str = "32-true"
    logger: str = "csv"
    quiet: bool = False

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
                self.patience is None or self.patience >= 1,
                f"--patience must be at least 1, got {self.patience}",
            ),
            (
                0 <= self.warmup_epochs < self.max_epochs,
                f"--warmup-epochs must be in [0, max-epochs), got {self.warmup_epochs}",
            ),
            (len(self.seeds) >= 1, "--seed needs at least one value"),
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
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)
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
        """``--out``, else ``runs/<dataset>-<backbone>-<attention>-<protocol>``."""
        if self.out:
            return Path(self.out)
        return Path("runs") / f"{self.dataset}-{self.backbone}-{self.attention}-{self.protocol}"

    def cache_folder(self) -> Path:
        """``--cache-dir``, else ``$BCI_ATTN_CACHE``, else ``~/.cache/bci_attn``."""
        default = os.environ.get("BCI_ATTN_CACHE", Path.home() / ".cache" / "bci_attn")
        return Path(self.cache_dir or default).expanduser()


def prepare(config: RunConfig) -> tuple[EEGData, list[Fold]]:
    """Load the trials, align them if asked, and split them into folds (nothing trains)."""
    config.validate()
    data_dir = use_data_dir(config.data_dir)
    dataset = resolve_dataset(config.dataset)
    subjects = config.subjects or list(dataset.subject_list)
    data = load_trials(
        dataset,
        subjects,
        config.preprocessing(),
        data_dir=data_dir,
        cache_dir=config.cache_folder(),
        download=config.download,
    )
    protocol = make_protocol(config.protocol, seed=config.seeds[0])
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
    """Train on ``fold.train`` (monitoring ``fold.valid``), test on ``fold.test``."""
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

    from .training import DecodingModule, TrialsDataModule, scores

    start = time.perf_counter()
    L.seed_everything(seed, workers=True, verbose=False)
    datamodule = TrialsDataModule(
        *fold_arrays(data, fold), batch_size=config.batch_size, seed=seed
    )
    module = DecodingModule(
        make_model(config, data),
        n_classes=len(data.classes),
        lr=config.lr,
        weight_decay=config.weight_decay,
        schedule=config.schedule,
        warmup_epochs=config.warmup_epochs,
        max_epochs=config.max_epochs,
    )
    has_valid = len(fold.valid) > 0
    callbacks = []
    checkpoint_dir = folder.path / "checkpoints" / f"{fold.name}-seed{seed}"
    if config.select == "best" and has_valid:
        callbacks.append(ModelCheckpoint(dirpath=checkpoint_dir, monitor="val_loss", save_top_k=1))
    if config.patience and has_valid:
        callbacks.append(EarlyStopping(monitor="val_loss", patience=config.patience))
    log_dir = folder.path / "logs" / fold.name / f"seed{seed}"
    shutil.rmtree(log_dir, ignore_errors=True)  # a fold cut short starts its log afresh
    trainer = L.Trainer(
        max_epochs=config.max_epochs,
        accelerator=config.accelerator,
        devices=config.devices,
        precision=config.precision,
        deterministic=True,
        logger=make_loggers(config, folder, fold.name, seed),
        callbacks=callbacks,
        enable_checkpointing=bool(callbacks and config.select == "best"),
        enable_progress_bar=not config.quiet,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=1,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*does not have many workers.*")
        warnings.filterwarnings("ignore", ".*is an iterable.*")
        trainer.fit(module, datamodule=datamodule)
        if config.select == "best" and has_valid:
            best = torch.load(callbacks[0].best_model_path, weights_only=True)["state_dict"]
            module.load_state_dict(best)
            shutil.rmtree(checkpoint_dir, ignore_errors=True)
        logits = torch.cat(trainer.predict(module, datamodule=datamodule))
    folder.save_model(fold.name, seed, module.model.state_dict())
    y_test = torch.as_tensor(data.y[fold.test])
    return {
        "fold": fold.name,
        "subject": fold.subject,
        "seed": seed,
        **scores(logits, y_test, len(data.classes)),
        "n_train": len(fold.train),
        "n_valid": len(fold.valid),
        "n_test": len(fold.test),
        "epochs": trainer.current_epoch,
        "seconds": round(time.perf_counter() - start, 2),
        "labels": y_test.tolist(),
        "predictions": logits.argmax(1).tolist(),
    }


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
            if config.align == "euclidean"
            else None
        ),
        "folds": [f.name for f in folds],
        "bci_attn_version": bci_attn.__version__,
    }


def run_experiment(config: RunConfig, echo=print) -> dict:
    """Run every fold and seed, resuming finished ones; return the summary.

    The run's folder holds the resolved configuration, a file per finished fold, the
    results table (CSV) and the summary; a run started again with the same ``--out``
    skips the folds it already finished.
    """
    data, folds = prepare(config)
    make_model(config, data)  # attention options that do not fit the maps fail before training
    folder = RunFolder(config.out_folder())
    folder.claim(resolved_config(config, data, folds))
    echo(
        f"{data.dataset}: {len(data.y)} trials, {data.n_chans} electrodes x {data.n_times} "
        f"samples at {data.sfreq:g} Hz, classes {', '.join(data.classes)}; "
        f"{config.protocol}: {len(folds)} folds x {len(config.seeds)} seed(s) -> {folder.path}"
    )
    results = []
    for seed in config.seeds:
        for fold in folds:
            result = folder.finished(fold.name, seed)
            if result is None:
                result = train_fold(config, data, fold, seed, folder)
                folder.save_fold(result)
                status = f"{result['seconds']:.1f} s"
            else:
                status = "done before, resumed"
            echo(
                f"  {fold.name} seed {seed}: accuracy {100 * result['accuracy']:.1f} %, "
                f"kappa {result['kappa']:.3f} ({status})"
            )
            results.append(result)
    table = folder.write_tables(results)
    echo(format_table(table))
    return {"folder": str(folder.path), "table": table}


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
