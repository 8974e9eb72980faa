"""One fold of a configuration as LightningCLI's classes.

:class:`EEGDecoder` (a :class:`~bci_attn.training.module.DecodingModule` built from the
``model`` and ``training`` options) and :class:`FoldDataModule` (one fold of the ``data``
and ``evaluation`` options) take those options as keyword arguments: their signatures are
the sections' options (:func:`with_options`), so jsonargparse derives LightningCLI's
arguments, types and defaults from the configuration's one declaration. The data's shape
reaches the model through ``link_arguments``; ``bci-attn fit`` runs them
(:func:`run_lightning`).
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from typing import Any

from ..config.sections import (
    DataConfig,
    EvaluationConfig,
    ModelConfig,
    RunConfig,
    TrainingConfig,
)
from ..training.batches import TrialsDataModule
from ..training.module import DecodingModule

#: Evaluation options of the whole protocol that one fold has no use for.
WHOLE_RUN = ("seeds", "ensemble")


def _options(*sections: type) -> list[str]:
    return [f.name for cls in sections for f in dataclasses.fields(cls) if f.name not in WHOLE_RUN]


#: The options :class:`EEGDecoder` takes (LightningCLI's ``model`` section).
MODEL_OPTIONS = _options(ModelConfig, TrainingConfig)
#: The options :class:`FoldDataModule` takes (LightningCLI's ``data`` section).
DATA_OPTIONS = _options(DataConfig, EvaluationConfig)


def with_options(cls: type, *sections: type) -> type:
    """Give ``cls.__init__`` (which takes ``**options``) the sections' options as keyword
    parameters of its signature, with their types and defaults."""
    own = [
        p
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.kind is not p.VAR_KEYWORD
    ]
    hints = {k: v for section in sections for k, v in typing.get_type_hints(section).items()}
    extra = []
    for section in sections:
        for item in dataclasses.fields(section):
            if item.name in WHOLE_RUN:
                continue
            default = item.default
            if default is dataclasses.MISSING:
                default = item.default_factory()
            annotation = hints[item.name]
            if item.metadata["spec"].form == "subjects":
                annotation = annotation | str  # ranges such as 1-10, as everywhere else
            extra.append(
                inspect.Parameter(
                    item.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    default=default,
                    annotation=annotation,
                )
            )
    cls.__init__.__signature__ = inspect.Signature(own + extra)
    return cls


def _section(cls: type, options: dict[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in options.items() if k in names})


class EEGDecoder(DecodingModule):
    """A backbone with attention, built from the ``model`` and ``training`` options.

    Parameters
    ----------
    n_chans, n_times, n_classes : int
        Shape of the data, linked from the data module.
    sfreq : float
        Sampling rate of the data (Hz), linked from the data module.
    **options
        The options of :class:`~bci_attn.config.ModelConfig` and
        :class:`~bci_attn.config.TrainingConfig`, by name.
    """

    def __init__(self, n_chans: int, n_times: int, n_classes: int, sfreq: float, **options):
        from ..models import build_model

        model, training = _section(ModelConfig, options), _section(TrainingConfig, options)
        network = build_model(
            model.backbone,
            model.attention,
            model.attention_at,
            n_chans=n_chans,
            n_times=n_times,
            n_outputs=n_classes,
            sfreq=sfreq,
            attention_options=model.attention_options,
            **model.backbone_options,
        )
        # Not super(): Lightning's save_hyperparameters reads the locals of every __init__
        # frame that uses it by the class's signature, and these options are in **options.
        DecodingModule.__init__(self, network, n_classes, training, sfreq=sfreq)


class FoldDataModule(TrialsDataModule):
    """One fold of the ``data`` and ``evaluation`` options.

    The trials are loaded (from the cache when possible) the first time the data's shape
    or splits are needed, with :func:`~bci_attn.evaluation.preparation.prepare`, and
    z-scored with the training split's statistics, as a run's unit is.

    Parameters
    ----------
    fold : int | str
        The fold: its name (``subject3``) or its index in the protocol's list.
    batch_size : int
        Trials per step (linked to the model's ``batch_size``).
    seed : int
        Seed of the batch order (linked to ``seed_everything``).
    **options
        The options of :class:`~bci_attn.config.DataConfig` and
        :class:`~bci_attn.config.EvaluationConfig`, by name.
    """

    def __init__(
        self,
        fold: int | str = 0,
        batch_size: int = TrainingConfig.batch_size,
        seed: int = 0,
        **options,
    ):
        super().__init__(None, None, None, batch_size=batch_size, seed=seed)
        self.config = RunConfig(
            data=_section(DataConfig, options),
            evaluation=dataclasses.replace(_section(EvaluationConfig, options), seeds=(seed,)),
        )
        self.fold_option = fold
        self.fold = None
        self._data = None

    def load(self):
        """Load the trials and split out the fold (once)."""
        from ..training.batches import standardise
        from .preparation import prepare

        if self._data is None:
            ready = prepare(self.config)
            self.fold = ready.select(self.fold_option)
            data, fold = ready.data, self.fold
            X = standardise(*(data.X[i] for i in (fold.train, fold.valid, fold.test)))
            splits = (fold.train, fold.valid, fold.test)
            self.splits = {
                name: (x, data.y[i])
                for name, x, i in zip(("train", "valid", "test"), X, splits, strict=True)
            }
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


with_options(EEGDecoder, ModelConfig, TrainingConfig)
with_options(FoldDataModule, DataConfig, EvaluationConfig)


def run_lightning(subcommand: str, args: list[str], prog: str) -> None:
    """Run LightningCLI's ``subcommand`` with :class:`EEGDecoder` and
    :class:`FoldDataModule` on ``args``."""
    import warnings

    from jsonargparse import ArgumentError, lazy_instance
    from lightning.pytorch.cli import LightningArgumentParser, LightningCLI
    from lightning.pytorch.loggers import CSVLogger

    class FoldCLI(LightningCLI):
        def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
            for key in ("n_chans", "n_times", "n_classes", "sfreq"):
                parser.link_arguments(f"data.{key}", f"model.{key}", apply_on="instantiate")
            parser.link_arguments("model.batch_size", "data.batch_size")
            parser.link_arguments("trainer.max_epochs", "model.max_epochs")
            parser.link_arguments("seed_everything", "data.seed")

    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    warnings.filterwarnings("ignore", ".*is an iterable.*")
    warnings.filterwarnings("ignore", ".*args parameter is intended to run from within.*")
    base = prog.removesuffix(f" {subcommand}")  # LightningCLI adds the subcommand
    # Parse errors are raised, not printed with the whole usage: the caller reports one line.
    strict = {"exit_on_error": False}
    try:
        FoldCLI(
            EEGDecoder,
            FoldDataModule,
            args=[subcommand, *args],
            trainer_defaults={
                "logger": lazy_instance(CSVLogger, save_dir="lightning_logs"),
                "deterministic": True,
                "num_sanity_val_steps": 0,
                "log_every_n_steps": 1,
            },
            parser_kwargs={"prog": base, **strict, subcommand: strict},
        )
    except ArgumentError as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        raise ValueError(" ".join(lines) + f" (see {prog} --help)") from None
