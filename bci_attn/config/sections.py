"""The configuration of a run: five sections of options, each a frozen dataclass.

==============  ===========================================================================
``data``        which recordings, how they become trials, where they are read from
``model``       the backbone and the attention inserted into it
``training``    how one model is trained
``evaluation``  the protocol that splits the trials into folds, seeds, transfer, calibration
``execution``   where and how units are run, and where results go (never what they compute)
==============  ===========================================================================

These sections are the YAML sections of a configuration file; every option is declared
once, here, with :func:`~bci_attn.config.schema.option`. A section checks its own fields
when it is made; :class:`RunConfig` checks the rules that span sections. Checks against the
registries (attention modules, backbones, protocols, augmentations) and against the data
(subjects, classes, window) come later: :meth:`RunConfig.validate` and the data loader.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from .schema import ConfigError, Option, check_fields, option, section_options

#: Where ``data.cache_dir`` points by default (``$BCI_ATTN_CACHE`` overrides it).
DEFAULT_CACHE = "~/.cache/bci_attn"


@dataclass(frozen=True)
class DataConfig:
    """Which recordings, how they become trials, and where they are read from."""

    dataset: str = option(
        "synthetic",
        "MOABB motor-imagery dataset (BNCI2014001 or BNCI2014_001, PhysionetMI, ...) or "
        "'synthetic'",
        nonempty=True,
    )
    subjects: tuple[int, ...] | None = option(
        None,
        "subjects, e.g. 1-10 or 1,3,5 (default: all of the dataset)",
        minimum=1,
        nonempty=True,
        form="subjects",
    )
    classes: tuple[str, ...] | None = option(
        None,
        "class names, e.g. left_hand,right_hand (default: all classes of the dataset, rest "
        "excluded)",
        nonempty=True,
    )
    n_classes: int | None = option(
        None, "use the dataset's first N classes instead of --classes", minimum=2
    )
    fmin: float = option(4.0, "band-pass low edge (Hz)", minimum=0)
    fmax: float = option(38.0, "band-pass high edge (Hz)", above=0)
    tmin: float = option(0.0, "window start (s) from the start of the imagery interval", minimum=0)
    tmax: float | None = option(
        None,
        "window end (s) from the start of the imagery interval (default: its end)",
        above=0,
    )
    resample: float | None = option(
        128.0,
        "sampling rate after resampling (Hz); null keeps the dataset's",
        above=0,
        maximum=4096,
    )
    channels: tuple[str, ...] | None = option(
        None,
        "electrodes to keep, in this order, e.g. C3,Cz,C4 (default: all of the dataset's, or "
        "those two pooled datasets share)",
        nonempty=True,
        metavar="NAME[,NAME]",
    )
    align: Literal["none", "euclidean"] = option(
        "none",
        "Euclidean alignment of each subject's session with its own unlabelled trials "
        "(He & Wu 2019)",
    )
    align_shrinkage: Literal["none", "ledoit-wolf"] = option(
        "none",
        "shrinkage of the reference covariance Euclidean alignment inverts, towards a "
        "multiple of the identity (Ledoit & Wolf 2004, with the trials as observations)",
    )
    executed: bool = option(
        False,
        "PhysionetMI: train on the executed (real) movements of the same classes too; "
        "validation and test trials stay imagery alone, and each task is aligned apart",
    )
    data_dir: str | None = option(
        None,
        "MNE data folder holding the datasets (default: MNE's: $MNE_DATA, else MNE_DATA in "
        "MNE's configuration, else ~/mne_data); missing files are downloaded there",
        affects_results=False,
        nonempty=True,
    )
    cache_dir: str | None = option(
        None,
        f"cache of preprocessed trials (default: $BCI_ATTN_CACHE, else {DEFAULT_CACHE})",
        affects_results=False,
        nonempty=True,
    )
    offline: bool = option(
        False,
        "never touch the network: a file missing from the data folder fails at once "
        "(default: MOABB downloads it)",
        affects_results=False,
    )

    def __post_init__(self) -> None:
        check_fields(self, "data")
        if self.fmin >= self.fmax:
            raise ConfigError(
                "data.fmin", f"must be below data.fmax ({self.fmax:g}), got {self.fmin:g}"
            )
        if self.tmax is not None and self.tmax <= self.tmin:
            raise ConfigError(
                "data.tmax", f"must be above data.tmin ({self.tmin:g}), got {self.tmax:g}"
            )
        if self.resample is not None and self.fmax >= self.resample / 2:
            raise ConfigError(
                "data.fmax",
                f"must be below the Nyquist frequency of data.resample {self.resample:g} Hz "
                f"({self.resample / 2:g} Hz), got {self.fmax:g}",
            )
        if self.align_shrinkage != "none" and self.align != "euclidean":
            raise ConfigError("data.align_shrinkage", "goes with data.align euclidean")
        if self.classes is not None and len(set(self.classes)) < 2:
            raise ConfigError(
                "data.classes", f"must name at least two classes, got {list(self.classes)}"
            )
        if self.classes is not None and self.n_classes not in (None, len(self.classes)):
            raise ConfigError(
                "data.n_classes",
                f"disagrees with data.classes ({len(self.classes)} classes); give one of them",
            )


@dataclass(frozen=True)
class ModelConfig:
    """The braindecode backbone and the attention inserted into it."""

    backbone: str = option("eegnet", "braindecode backbone (see --list-backbones)", nonempty=True)
    attention: str = option(
        "none",
        "attention module by name (see --list-attention)",
        flag="--attn",
        aliases=("--attention",),
        nonempty=True,
    )
    attention_at: tuple[str, ...] | None = option(
        None,
        "insertion point(s), e.g. separable (default: the module's or backbone's default; "
        "--list-backbones shows each backbone's points)",
        flag="--attn-at",
        nonempty=True,
        metavar="POINT[,POINT]",
    )
    attention_options: dict = option(
        {}, "attention option (repeatable)", flag="--attn-opt", form="pairs", metavar="KEY=VALUE"
    )
    backbone_options: dict = option(
        {},
        "braindecode model option, e.g. drop_prob=0.25 (repeatable)",
        form="pairs",
        flag="--backbone-opt",
        metavar="KEY=VALUE",
    )

    def __post_init__(self) -> None:
        check_fields(self, "model")
        object.__setattr__(self, "attention", self.attention.strip().lower())


@dataclass(frozen=True)
class TrainingConfig:
    """How one model is trained on a fold's training trials."""

    max_epochs: int = option(30, "epochs", minimum=1, maximum=100_000)
    batch_size: int = option(64, "trials per optimiser step", minimum=1)
    lr: float = option(1e-3, "AdamW learning rate", above=0, maximum=10)
    weight_decay: float = option(0.0, "AdamW weight decay", minimum=0, maximum=10)
    schedule: Literal["constant", "cosine"] = option(
        "constant", "learning-rate schedule (cosine: warm-up then cosine decay)"
    )
    warmup_epochs: int = option(0, "linear warm-up epochs of the cosine schedule", minimum=0)
    select: Literal["last", "best"] = option(
        "last",
        "model tested: last epoch, or lowest validation loss (validation data come from the "
        "training side)",
    )
    patience: int | None = option(
        None, "early stopping on validation loss after N epochs without gain", minimum=1
    )
    augment: tuple[str, ...] = option(
        [],
        "braindecode augmentations applied to training batches, in order (see "
        "--list-augmentations)",
        metavar="NAME[,NAME]",
    )
    augment_probability: float = option(
        0.5, "probability of applying each augmentation to a trial", minimum=0, maximum=1
    )
    augment_options: dict = option(
        {},
        "augmentation option, e.g. time_shift.max_shift=0.2 (repeatable)",
        flag="--augment-opt",
        form="nested",
        metavar="NAME.KEY=VALUE",
    )
    label_smoothing: float = option(
        0.0, "label smoothing of the training loss", minimum=0, below=1
    )
    swa_start: float | None = option(
        None,
        "stochastic weight averaging (Lightning's callback) from this fraction of the epochs "
        "on; BatchNorm re-estimated on the training trials",
        above=0,
        below=1,
        metavar="FRACTION",
    )
    swa_lr: float | None = option(
        None, "learning rate during SWA (default: --lr)", above=0, maximum=10
    )

    def __post_init__(self) -> None:
        check_fields(self, "training")
        rules = [
            (
                "training.warmup_epochs",
                self.warmup_epochs < self.max_epochs,
                f"must be below training.max_epochs ({self.max_epochs}), got {self.warmup_epochs}",
            ),
            (
                "training.swa_lr",
                self.swa_lr is None or self.swa_start is not None,
                "goes with training.swa_start (stochastic weight averaging)",
            ),
            (
                "training.swa_start",
                self.swa_start is None or (self.select == "last" and self.patience is None),
                "averages the last epochs' weights: it takes training.select last and no "
                "training.patience",
            ),
            (
                "training.augment",
                "mixup" not in self.augment[:-1],
                "lists mixup before another augmentation: mixup mixes the labels, so it must "
                "come last",
            ),
            (
                "training.augment",
                len(set(self.augment)) == len(self.augment),
                f"lists an augmentation twice: {', '.join(self.augment)}",
            ),
        ]
        for key, ok, problem in rules:
            if not ok:
                raise ConfigError(key, problem)

    @property
    def plain(self) -> bool:
        """Whether training is plain (no augmentation, label smoothing or SWA)."""
        return not (self.augment or self.label_smoothing or self.swa_start is not None)


@dataclass(frozen=True)
class EvaluationConfig:
    """How trials are split into folds, with which seeds, and how models are scored."""

    protocol: str = option(
        "loso",
        "evaluation protocol (see --list-protocols); cross-dataset when train_dataset and "
        "test_dataset are given",
        nonempty=True,
    )
    split_seed: int = option(
        0,
        "seed of the protocol's random splits (validation subjects, within-session folds); "
        "the same for every seed, so every seed trains on the same folds",
        minimum=0,
        maximum=2**32 - 1,
    )
    n_valid_subjects: int = option(
        1,
        "loso and holdout: training subjects held out, whole, to monitor the validation "
        "loss (best epoch, early stopping); 0 trains on all of them",
        minimum=0,
    )
    seeds: tuple[int, ...] = option(
        [0],
        "one or several seeds; each fold is trained once per seed",
        flag="--seed",
        affects_results=False,
        minimum=0,
        maximum=2**32 - 1,
        nonempty=True,
        form="many",
    )
    train_subjects: tuple[int, ...] | None = option(
        None,
        "holdout/cross-dataset: subjects trained on (default: every subject not tested)",
        minimum=1,
        nonempty=True,
        form="subjects",
    )
    test_subjects: tuple[int, ...] | None = option(
        None,
        "holdout/cross-dataset: subjects tested on, each scored on its own (cross-dataset "
        "default: all of test_dataset)",
        minimum=1,
        nonempty=True,
        form="subjects",
    )
    train_dataset: str | None = option(
        None, "cross-dataset transfer: dataset trained on", nonempty=True
    )
    test_dataset: str | None = option(
        None, "cross-dataset transfer: dataset tested on", nonempty=True
    )
    min_channels: int = option(
        3, "cross-dataset: fewest electrodes the two datasets must share", minimum=1
    )
    calibration_trials: tuple[int, ...] = option(
        [],
        "loso/holdout/cross-dataset: few-shot calibration with N labelled trials per class of "
        "each test subject (its first session, in time order); each N is reported next to "
        "N=0 (zero-shot) on the same test trials",
        minimum=1,
        form="many",
        metavar="N",
    )
    calibration_steps: int = option(
        50, "optimiser steps of each calibration fine-tuning", minimum=1
    )
    calibration_lr: float | None = option(
        None, "learning rate of calibration fine-tuning (default: --lr)", above=0, maximum=10
    )
    finetune: Literal["all", "head", "attention"] = option(
        "all", "what calibration fine-tunes: all layers, the classifier head, or the attention"
    )
    adapt: Literal["none", "adabn", "online-adabn"] = option(
        "none",
        "test-time adaptation to each test subject with its own unlabelled test trials: "
        "BatchNorm statistics re-estimated on all of them (adabn), or trial by trial in "
        "time order, each predicted before it updates them, as a deployed BCI would "
        "(online-adabn)",
    )
    ensemble: bool = option(
        False,
        "also score the ensemble of the seeds' models (mean of their probabilities)",
        affects_results=False,
    )

    def __post_init__(self) -> None:
        check_fields(self, "evaluation")
        for key in ("seeds", "calibration_trials"):
            object.__setattr__(self, key, tuple(dict.fromkeys(getattr(self, key))))
        object.__setattr__(self, "calibration_trials", tuple(sorted(self.calibration_trials)))
        if self.ensemble and len(self.seeds) < 2:
            raise ConfigError(
                "evaluation.ensemble",
                "averages the seeds' models: give at least two evaluation.seeds",
            )


@dataclass(frozen=True)
class ExecutionConfig:
    """Where and how units run, and where results go; never what they compute."""

    accelerator: Literal["auto", "cpu", "gpu", "cuda", "mps"] = option(
        "auto",
        "Lightning accelerator: auto (GPU when there is one), cpu, gpu",
        affects_results=False,
    )
    devices: int = option(
        1,
        "devices one training uses (several: Lightning's DDP)",
        affects_results=False,
        minimum=1,
        maximum=64,
    )
    precision: Literal["32-true", "16-mixed", "bf16-mixed", "64-true"] = option(
        "32-true", "Lightning precision"
    )
    channels_last: bool = option(
        True,
        "channels-last memory format for the convolutions (faster training on CPU, see "
        "benchmarks/README.md)",
        affects_results=False,
    )
    compile: bool = option(False, "run the model through torch.compile", affects_results=False)
    parallel_folds: int = option(
        1,
        "train K folds/seeds at once as one stacked model (torch.func.vmap); folds with as "
        "many training trials are grouped; trains plainly for a fixed number of epochs",
        affects_results=False,
        minimum=1,
        maximum=1024,
        metavar="K",
    )
    logger: Literal["csv", "tensorboard"] = option(
        "csv", "training logs: CSV, or CSV and TensorBoard", affects_results=False
    )
    out: str | None = option(
        None,
        "run folder (default: runs/<dataset>-<backbone>-<attn>-<protocol>); the same --out "
        "resumes a killed run",
        affects_results=False,
        nonempty=True,
    )
    quiet: bool = option(False, "no progress bars or fold lines", affects_results=False)
    executor: Literal["auto", "dask", "sequential"] = option(
        "auto",
        "where units run: dask (on execution.cluster), sequential (in this process, one after "
        "the other), auto (dask when a study has several units, else sequential)",
        affects_results=False,
    )
    cluster: str = option(
        "local",
        "the Dask cluster: local (worker processes on this machine), slurm (workers started "
        "as SLURM jobs, settings in execution.cluster_config), or a running scheduler's "
        "address, tcp://HOST:PORT",
        affects_results=False,
        nonempty=True,
    )
    cluster_config: str | None = option(
        None,
        "with cluster slurm: a YAML file of dask-jobqueue SLURMCluster settings (queue or "
        "partition, cores, memory, walltime, processes, job_script_prologue, ...) and jobs, "
        "gpus_per_job",
        affects_results=False,
        nonempty=True,
        metavar="FILE",
    )
    workers: int | None = option(
        None,
        "local cluster on a CPU machine: worker processes (default: cores / threads_per_unit)",
        affects_results=False,
        minimum=1,
        maximum=1024,
    )
    threads_per_unit: int | None = option(
        None,
        "CPU threads of each unit's training (default 1, whichever executor runs it: the "
        "same seed gives the same result; a local Dask cluster runs cores / threads units at "
        "once)",
        affects_results=False,
        minimum=1,
        maximum=1024,
    )
    units_per_gpu: int = option(
        1,
        "local cluster on a GPU machine: units trained at once on each GPU (each one a "
        "worker pinned to its GPU)",
        affects_results=False,
        minimum=1,
        maximum=64,
        metavar="K",
    )
    retries: int = option(
        1,
        "Dask: times a task that raised an error runs again before it counts as failed (a "
        "dead worker's task always runs again)",
        affects_results=False,
        minimum=0,
        maximum=10,
    )

    def __post_init__(self) -> None:
        check_fields(self, "execution")
        address = "://" in self.cluster and self.cluster.split("://")[0] in SCHEMES
        if self.cluster not in ("local", "slurm") and not address:
            raise ConfigError(
                "execution.cluster",
                "must be local, slurm or a Dask scheduler's address such as "
                f"tcp://HOST:8786, got {self.cluster!r}",
            )
        if (self.cluster == "slurm") != (self.cluster_config is not None):
            raise ConfigError(
                "execution.cluster_config",
                "goes with execution.cluster slurm, and slurm needs it (a YAML file of "
                "SLURMCluster settings)",
            )
        if self.executor == "sequential" and self.cluster != "local":
            raise ConfigError(
                "execution.cluster",
                f"is {self.cluster}, which the sequential executor does not use: choose "
                "execution.executor dask (or auto)",
            )


#: Dask's communication protocols a scheduler's address may start with.
SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")


#: The sections of a run's configuration, by name, in the order files show them.
SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "model": ModelConfig,
    "training": TrainingConfig,
    "evaluation": EvaluationConfig,
    "execution": ExecutionConfig,
}


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run; stored in the run folder's ``config.json``.

    Build one from keywords placed by name with :meth:`create`
    (``RunConfig.create(dataset="synthetic", attention="cbam", max_epochs=10)``), from a
    file with :func:`bci_attn.config.load_config`, or section by section. The defaults are
    the plain recipe; ``recipe`` records the recipe the interfaces started from
    (:mod:`bci_attn.config.recipes`).
    """

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)
    recipe: str = "plain"

    def __post_init__(self) -> None:
        for name, cls in SECTIONS.items():
            if not isinstance(getattr(self, name), cls):
                raise ConfigError(name, f"must be a {cls.__name__}, got {getattr(self, name)!r}")
        execution, training = self.execution, self.training
        rules = [
            (
                "execution.parallel_folds",
                execution.parallel_folds == 1
                or (training.select == "last" and training.patience is None),
                "trains a fixed number of epochs: it takes training.select last and no "
                "training.patience",
            ),
            (
                "execution.parallel_folds",
                execution.parallel_folds == 1 or training.plain,
                "trains plainly: it takes no training.augment, label_smoothing or swa_start"
                + (
                    ""
                    if self.recipe == "plain"
                    else f" (the {self.recipe} recipe may set "
                    "some of them: use recipe plain, or set them off)"
                ),
            ),
            (
                "execution.parallel_folds",
                execution.parallel_folds == 1 or execution.devices == 1,
                "runs on one device: it takes execution.devices 1",
            ),
            (
                "evaluation.n_valid_subjects",
                self.evaluation.n_valid_subjects > 0
                or (training.select == "last" and training.patience is None),
                "is 0, and training.select best and training.patience need validation subjects",
            ),
        ]
        for key, ok, problem in rules:
            if not ok:
                raise ConfigError(key, problem)

    # -- building and changing --------------------------------------------------------
    @classmethod
    def create(cls, recipe: str = "plain", **values: Any) -> RunConfig:
        """A configuration from keywords named after the options, placed by name, over the
        settings of ``recipe`` for the dataset they name, as a configuration file or the
        command line would make it (default ``plain``: the options' defaults; ``auto``: the
        protocol's recipe).

        >>> config = RunConfig.create(dataset="synthetic", attention="cbam", max_epochs=10)
        >>> config.training.max_epochs
        10
        >>> RunConfig.create(recipe="cross-subject").training.batch_size
        16
        """
        from .files import Layer, build

        layer = Layer(recipe=recipe)
        for name, value in values.items():
            layer.set(f"{section_of(name)}.{name}", value)
        return build([layer])

    def replace(self, **values: Any) -> RunConfig:
        """A copy with the options named by ``values`` (field names, any section) changed."""
        sections: dict[str, dict] = {}
        recipe = values.pop("recipe", self.recipe)
        for name, value in values.items():
            sections.setdefault(section_of(name), {})[name] = value
        changed = {
            section: dataclasses.replace(getattr(self, section), **given)
            for section, given in sections.items()
        }
        return dataclasses.replace(self, recipe=recipe, **changed)

    # -- views ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The configuration as nested plain data (lists for tuples), as files hold it."""
        document: dict[str, Any] = {
            name: {
                o.name: _plain(getattr(getattr(self, name), o.name))
                for o in section_options(cls, name)
            }
            for name, cls in SECTIONS.items()
        }
        document["recipe"] = self.recipe
        return document

    def computed(self) -> dict[str, Any]:
        """The options that change results (``affects_results``), as nested plain data."""
        return {
            name: {
                o.name: _plain(getattr(getattr(self, name), o.name))
                for o in section_options(cls, name)
                if o.spec.affects_results
            }
            for name, cls in SECTIONS.items()
        }

    def fingerprint(self) -> str:
        """A stable text of :meth:`computed`: equal for configurations that compute alike."""
        return json.dumps(self.computed(), sort_keys=True, default=str)

    def flat(self) -> dict[str, Any]:
        """Every option by field name (plain data), as run folders of bci-attn 0.1 stored
        them and tables show them."""
        return {
            key: value
            for section in self.to_dict().values()
            if isinstance(section, dict)
            for key, value in section.items()
        }


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def all_options() -> list[Option]:
    """Every option of every section, in order (the schema the interfaces derive from)."""
    return [o for name, cls in SECTIONS.items() for o in section_options(cls, name)]


def section_of(name: str) -> str:
    """The section holding the option called ``name`` (ValueError listing the options)."""
    for item in all_options():
        if item.name == name:
            return item.section
    raise ValueError(
        f"unknown option '{name}'; options: {', '.join(o.name for o in all_options())}"
    )
