"""LightningCLI: train, validate or test one fold of a configuration file.

python -m bci_attn.cli fit --config configs/eegnet_ham_bnci2014001_loso.yaml
python -m bci_attn.cli fit --config FILE --data.fold subject3 --trainer.max_epochs 5
python -m bci_attn.cli fit --config FILE --print_config

The file's ``model:`` section builds :class:`EEGDecoder`, ``data:`` builds
:class:`FoldDataModule` (``data.fold``: a fold's name or index), ``trainer:`` the Lightning
Trainer. The data's shape (electrodes, samples, classes, sampling rate) reaches the model
through ``link_arguments``. ``python -m bci_attn.run --config FILE`` runs every fold.

The recipe ``run.recipe`` names (default ``auto``: cross-subject for leave-one-subject-out,
holdout and cross-dataset protocols, see :mod:`bci_attn.recipes`) sets the defaults of the
``model``/``data`` sections under the files and the command line, as in ``run``, so a fold
trains here as it does there; its ``run``-section settings (SWA, ensembles) need the
whole-protocol run.
"""

from __future__ import annotations

import sys
import warnings

from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from .config import SECTIONS, config_options, read_yaml
from .data import EEGData, MissingDataError
from .experiment import RunConfig, fold_arrays, prepare, select_fold
from .models import build_model
from .recipes import RECIPES, resolve_recipe
from .run import quiet_libraries
from .training import DecodingModule, TrialsDataModule

D = RunConfig()


class EEGDecoder(DecodingModule):
    """A backbone with attention, built from options (the ``model:`` section).

    Parameters
    ----------
    backbone, attention, attention_at, attention_options, backbone_options
        As in :func:`bci_attn.models.build_model`.
    lr, weight_decay, schedule, warmup_epochs, augment, augment_probability,
    augment_options, label_smoothing
        As in :class:`~bci_attn.training.DecodingModule`.
    max_epochs : int | None
        Length of the cosine schedule; linked to ``trainer.max_epochs`` (``None``: the
        trainer's).
    n_chans, n_times, n_classes : int
        Shape of the data, linked from the data module.
    sfreq : float
        Sampling rate of the data (Hz), linked from the data module.
    """

    def __init__(
        self,
        n_chans: int,
        n_times: int,
        n_classes: int,
        sfreq: float,
        backbone: str = D.backbone,
        attention: str = D.attention,
        attention_at: list[str] | None = None,
        attention_options: dict | None = None,
        backbone_options: dict | None = None,
        lr: float = D.lr,
        weight_decay: float = D.weight_decay,
        schedule: str = D.schedule,
        warmup_epochs: int = D.warmup_epochs,
        max_epochs: int | None = None,
        augment: list[str] | None = None,
        augment_probability: float = D.augment_probability,
        augment_options: dict | None = None,
        label_smoothing: float = D.label_smoothing,
    ) -> None:
        model = build_model(
            backbone,
            attention,
            attention_at,
            n_chans=n_chans,
            n_times=n_times,
            n_outputs=n_classes,
            sfreq=sfreq,
            attention_options=attention_options or {},
            **(backbone_options or {}),
        )
        super().__init__(
            model,
            n_classes=n_classes,
            lr=lr,
            weight_decay=weight_decay,
            schedule=schedule,
            warmup_epochs=warmup_epochs,
            max_epochs=max_epochs,
            augment=augment,
            augment_probability=augment_probability,
            augment_options=augment_options,
            sfreq=sfreq,
            label_smoothing=label_smoothing,
        )


class FoldDataModule(TrialsDataModule):
    """One fold of a protocol on a MOABB dataset (the ``data:`` section).

    Trials are loaded (from the cache when possible) the first time the data's shape or
    splits are needed, with :func:`bci_attn.experiment.prepare`, and z-scored with the
    training split's statistics, exactly as :func:`~bci_attn.experiment.train_fold` does.

    Parameters
    ----------
    fold : int | str
        The fold: its name (``subject3``) or its index in the protocol's list.
    seed : int
        Seed of the batch order (linked to ``seed_everything``).
    split_seed : int
        Seed of the protocol's splits (validation subjects, within-session folds), as in
        :class:`~bci_attn.experiment.RunConfig`: the same folds for every seed.
    dataset, subjects, protocol, classes, n_classes, fmin, fmax, tmin, tmax, resample,
    channels, align, batch_size, data_dir, cache_dir, offline
        As in :class:`~bci_attn.experiment.RunConfig`; ``subjects`` may be a string
        such as ``"1-3,7"``.
    """

    def __init__(
        self,
        dataset: str = D.dataset,
        subjects: list[int] | str | None = None,
        protocol: str = D.protocol,
        fold: int | str = 0,
        classes: list[str] | None = None,
        n_classes: int | None = None,
        fmin: float = D.fmin,
        fmax: float = D.fmax,
        tmin: float = D.tmin,
        tmax: float | None = None,
        resample: float | None = D.resample,
        channels: list[str] | None = None,
        align: str = D.align,
        batch_size: int = D.batch_size,
        seed: int = 0,
        split_seed: int = D.split_seed,
        data_dir: str | None = None,
        cache_dir: str | None = None,
        offline: bool = False,
    ) -> None:
        super().__init__(None, None, None, batch_size=batch_size, seed=seed)
        from .config import parse_subjects

        self.config = RunConfig(
            dataset=dataset,
            subjects=parse_subjects(subjects) if isinstance(subjects, str) else subjects,
            protocol=protocol,
            classes=classes,
            n_classes=n_classes,
            fmin=fmin,
            fmax=fmax,
            tmin=tmin,
            tmax=tmax,
            resample=resample,
            channels=channels,
            align=align,
            batch_size=batch_size,
            seeds=[seed],
            split_seed=split_seed,
            data_dir=data_dir,
            cache_dir=cache_dir,
            offline=offline,
        )
        self.fold_option = fold
        self.fold = None
        self._data: EEGData | None = None

    def load(self) -> EEGData:
        """Load the trials and split out the fold (once)."""
        if self._data is None:
            data, folds = prepare(self.config)
            self.fold = select_fold(folds, self.fold_option)
            splits = fold_arrays(data, self.fold)
            self.splits = dict(zip(("train", "valid", "test"), splits, strict=True))
            self._data = data
        return self._data

    @property
    def n_chans(self) -> int:
        return self.load().n_chans

    @property
    def n_times(self) -> int:
        return self.load().n_times

    @property
    def n_classes(self) -> int:
        return len(self.load().classes)

    @property
    def sfreq(self) -> float:
        return self.load().sfreq

    def setup(self, stage: str | None = None) -> None:
        self.load()
        super().setup(stage)


class AttentionCLI(LightningCLI):
    """LightningCLI with the data's shape linked into the model, a ``run:`` section and
    ``defaults`` (``"section.key"`` -> value, e.g. a recipe's) under the files' values."""

    def __init__(self, *args, defaults: dict | None = None, **kwargs) -> None:
        self.defaults = defaults or {}
        super().__init__(*args, **kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.set_defaults(self.defaults)
        for key in ("n_chans", "n_times", "n_classes", "sfreq"):
            parser.link_arguments(f"data.{key}", f"model.{key}", apply_on="instantiate")
        parser.link_arguments("trainer.max_epochs", "model.max_epochs")
        parser.link_arguments("seed_everything", "data.seed")
        # Options of the whole-protocol run (python -m bci_attn.run); one fold ignores them.
        parser.add_argument("--run.seeds", type=list[int] | None, default=None)
        parser.add_argument("--run.select", type=str, default=D.select)
        parser.add_argument("--run.patience", type=int | None, default=None)
        parser.add_argument("--run.swa_start", type=float | None, default=None)
        parser.add_argument("--run.swa_lr", type=float | None, default=None)
        parser.add_argument("--run.ensemble", type=bool, default=False)
        parser.add_argument("--run.recipe", type=str, default="auto")
        parser.add_argument("--run.out", type=str | None, default=None)
        parser.add_argument("--run.quiet", type=bool, default=False)


def given_values(argv: list[str], flag: str) -> list[str]:
    """The values of ``flag`` in ``argv`` (``--flag VALUE`` or ``--flag=VALUE``), in order."""
    values = []
    for index, argument in enumerate(argv):
        if argument == flag and index + 1 < len(argv):
            values.append(argv[index + 1])
        elif argument.startswith(f"{flag}="):
            values.append(argument.split("=", 1)[1])
    return values


def check_config_files(argv: list[str]) -> dict:
    """Check every ``--config FILE`` of ``argv`` with messages naming the key and the file
    (LightningCLI would refuse the same mistakes, without naming the file).

    Returns
    -------
    dict
        ``RunConfig`` field -> value, the files' options merged in order.
    """
    options: dict = {}
    for path in given_values(argv, "--config"):
        options.update(config_options(read_yaml(path), path, lightning=True))
    return options


def recipe_defaults(options: dict, argv: list[str]) -> dict:
    """The ``model``/``data`` settings of the recipe that ``options`` (the files') and
    ``argv`` name, as ``"section.key"`` -> value (ValueError for an unknown recipe)."""
    recipe = (given_values(argv, "--run.recipe") or [options.get("recipe", "auto")])[-1]
    protocol = (given_values(argv, "--data.protocol") or [options.get("protocol", D.protocol)])[-1]
    settings = RECIPES[resolve_recipe(recipe, protocol)].settings
    return {
        f"{section}.{key}": value
        for section in ("model", "data")
        for key, value in settings.items()
        if key in SECTIONS[section]
    }


def main(argv: list[str] | None = None) -> None:
    """Run LightningCLI (``fit``, ``validate``, ``test``, ``predict``) on ``argv``."""
    from jsonargparse import lazy_instance
    from lightning.pytorch.loggers import CSVLogger

    given = argv
    argv = sys.argv[1:] if argv is None else list(argv)
    quiet_libraries()
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    warnings.filterwarnings("ignore", ".*is an iterable.*")
    try:
        defaults = recipe_defaults(check_config_files(argv), argv)
        AttentionCLI(
            EEGDecoder,
            FoldDataModule,
            args=given,
            defaults=defaults,
            trainer_defaults={
                "logger": lazy_instance(CSVLogger, save_dir="lightning_logs"),
                "deterministic": True,
                "num_sanity_val_steps": 0,
                "log_every_n_steps": 1,
            },
            parser_kwargs={"prog": "python -m bci_attn.cli"},
        )
    except (ValueError, MissingDataError) as error:
        print(f"python -m bci_attn.cli: error: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
