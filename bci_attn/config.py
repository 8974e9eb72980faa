"""Configuration files: the YAML LightningCLI reads, mapped onto a :class:`RunConfig`.

One file serves both entry points: ``python -m bci_attn.cli fit --config FILE`` trains one
fold of it with LightningCLI, ``python -m bci_attn.run --config FILE`` runs every fold and
seed of its protocol. Its sections::

    seed_everything: 0            # the seed (run: unless run.seeds lists several)
    model:    backbone, attention, attention_at, attention_options, backbone_options,
              lr, weight_decay, schedule, warmup_epochs
    data:     dataset, subjects, protocol, split_seed, fold, classes, n_classes, fmin, fmax,
              tmin, tmax, resample, channels, align, batch_size, data_dir, cache_dir, offline
    trainer:  max_epochs, accelerator, devices, precision, logger
    run:      seeds, select, patience, swa_start, swa_lr, ensemble, recipe, out, quiet, ...
              (the whole-protocol run only)

``run.recipe`` (default ``auto``) names the recipe (:mod:`bci_attn.recipes`) whose values
the other keys are applied on top of.

``data.fold`` selects the fold LightningCLI trains; the whole-protocol run ignores it. Keys
are the :class:`RunConfig` fields of the same name.
"""

from __future__ import annotations

import os
import types
import typing
from dataclasses import asdict
from pathlib import Path

import yaml

from .experiment import RunConfig
from .recipes import RECIPE_NAMES, with_recipe

SECTIONS: dict[str, tuple[str, ...]] = {
    "model": (
        "backbone",
        "attention",
        "attention_at",
        "attention_options",
        "backbone_options",
        "lr",
        "weight_decay",
        "schedule",
        "warmup_epochs",
        "augment",
        "augment_probability",
        "augment_options",
        "label_smoothing",
    ),
    "data": (
        "dataset",
        "subjects",
        "protocol",
        "split_seed",
        "fold",
        "classes",
        "n_classes",
        "fmin",
        "fmax",
        "tmin",
        "tmax",
        "resample",
        "channels",
        "align",
        "batch_size",
        "data_dir",
        "cache_dir",
        "offline",
    ),
    "trainer": ("max_epochs", "accelerator", "devices", "precision", "logger"),
    "run": (
        "seeds",
        "select",
        "patience",
        "swa_start",
        "swa_lr",
        "ensemble",
        "recipe",
        "out",
        "quiet",
        # transfer protocols and calibration (whole-protocol runs only)
        "train_subjects",
        "test_subjects",
        "train_dataset",
        "test_dataset",
        "min_channels",
        "calibration_trials",
        "calibration_steps",
        "calibration_lr",
        "finetune",
        # execution strategies
        "channels_last",
        "compile",
        "parallel_folds",
    ),
}
TOP_LEVEL = ("seed_everything", *SECTIONS)
#: Top-level keys of LightningCLI that the whole-protocol run does not use.
LIGHTNING_ONLY = ("optimizer", "lr_scheduler", "ckpt_path", "weights_only")
#: Keys that only the one-fold LightningCLI uses.
FOLD_ONLY = {"fold"}
#: Logger classes ``trainer.logger`` may name, by the :class:`RunConfig` value they mean.
LOGGERS = {"CSVLogger": "csv", "TensorBoardLogger": "tensorboard"}


def parse_subjects(text: str, what: str = "subjects") -> list[int]:
    """``"1-3,7"`` -> ``[1, 2, 3, 7]`` (ValueError naming ``what`` on anything else)."""
    numbers: list[int] = []
    try:
        for part in str(text).split(","):
            low, _, high = part.strip().partition("-")
            first, last = int(low), int(high or low)
            if last < first:
                raise ValueError
            numbers.extend(range(first, last + 1))
    except ValueError:
        raise ValueError(
            f"invalid {what} '{text}': use ranges and lists such as 1-10 or 1,3,5"
        ) from None
    return sorted(set(numbers))


def read_yaml(path: str | os.PathLike) -> dict:
    """A YAML file holding a mapping (ValueError naming the file otherwise)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"config file {path} not found")
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML: {error}") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a mapping of sections, got {type(document).__name__}")
    return document


def _type_name(annotation) -> str:
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def matches(value, annotation) -> bool:
    """Whether ``value`` (read from YAML) fits a :class:`RunConfig` field's annotation."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(matches(value, arg) for arg in typing.get_args(annotation))
    if annotation is type(None):
        return value is None
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is list:
        (item,) = typing.get_args(annotation) or (object,)
        return isinstance(value, list) and all(matches(v, item) for v in value)
    if origin is dict or annotation is dict:
        return isinstance(value, dict)
    return annotation is object or isinstance(value, annotation)


def logger_name(value, where: str) -> str:
    """``trainer.logger`` as LightningCLI writes it -> ``"csv"`` or ``"tensorboard"``."""
    if value is None or value is True:
        return "csv"
    spec = value.get("class_path", "") if isinstance(value, dict) else str(value)
    name = spec.rpartition(".")[2]
    if name in LOGGERS:
        return LOGGERS[name]
    if spec.lower() in LOGGERS.values():
        return spec.lower()
    raise ValueError(
        f"{where}: trainer.logger {value!r} is not one bci_attn.run can use; "
        f"use {' or '.join(LOGGERS)} (CSV logs are always written)"
    )


def trainer_keys() -> set[str]:
    """Every option of the Lightning Trainer."""
    import inspect

    from lightning import Trainer

    return set(inspect.signature(Trainer).parameters)


def config_options(document: dict, source: str, *, lightning: bool = False) -> dict:
    """Turn a sectioned configuration into :class:`RunConfig` keyword arguments.

    Parameters
    ----------
    document : dict
        The file's content (see the module's docstring for its sections).
    source : str
        Where it comes from, for the messages (the file's path).
    lightning : bool
        Check the document for LightningCLI: any Trainer option and LightningCLI's own
        top-level keys are allowed (and dropped), ``trainer.logger`` may be any logger.

    Returns
    -------
    dict
        ``RunConfig`` field -> value, only the keys the document sets.

    Raises
    ------
    ValueError
        An unknown section or key, or a value of the wrong type, naming the key and
        ``source``.
    """
    hints = {**typing.get_type_hints(RunConfig), "fold": int | str}
    top_level = (*TOP_LEVEL, *LIGHTNING_ONLY) if lightning else TOP_LEVEL
    allowed = {**SECTIONS, "trainer": trainer_keys()} if lightning else SECTIONS
    options: dict = {}
    for section, content in document.items():
        if section not in top_level:
            raise ValueError(
                f"{source}: unknown key '{section}'; allowed sections: {', '.join(top_level)}"
            )
        if section in LIGHTNING_ONLY:
            continue
        if section == "seed_everything":
            if not matches(content, int):
                raise ValueError(f"{source}: seed_everything must be an int, got {content!r}")
            options.setdefault("seeds", [content])
            continue
        if content is None:
            continue
        if not isinstance(content, dict):
            raise ValueError(f"{source}: section '{section}' must be a mapping of keys")
        for key, value in content.items():
            if section == "data" and key == "download" and isinstance(value, bool):
                # Before 0.2 downloads were off unless data.download was true.
                key, value = "offline", not value
            name = f"{section}.{key}"
            if key not in allowed[section]:
                takes = ", ".join(SECTIONS[section])
                if section == "trainer":
                    takes = "any Lightning Trainer option" if lightning else takes
                    takes += "" if lightning else " (python -m bci_attn.cli: any Trainer option)"
                raise ValueError(f"{source}: unknown key '{name}'; {section} takes: {takes}")
            if key not in hints or (key == "logger" and lightning):
                continue  # a Trainer option LightningCLI checks itself
            if key == "logger":
                options["logger"] = logger_name(value, source)
                continue
            if key == "subjects" and isinstance(value, str | int) and not isinstance(value, bool):
                try:
                    value = parse_subjects(value)
                except ValueError as error:
                    raise ValueError(f"{source}: {name}: {error}") from None
            if key == "attention_at" and isinstance(value, str):
                value = [p.strip() for p in value.split(",") if p.strip()]
            if value is None and key.endswith("_options"):
                value = {}
            if not matches(value, hints[key]):
                raise ValueError(
                    f"{source}: {name} must be {_type_name(hints[key])}, got {value!r} "
                    f"({type(value).__name__})"
                )
            if key == "recipe" and value not in RECIPE_NAMES:
                raise ValueError(
                    f"{source}: {name} must be one of {', '.join(RECIPE_NAMES)}, got {value!r}"
                )
            if key not in FOLD_ONLY:
                options[key] = value
    if "seeds" in options and options["seeds"] is not None:
        options["seeds"] = list(dict.fromkeys(options["seeds"]))
    return options


def load_config(path: str | os.PathLike, **overrides) -> RunConfig:
    """The :class:`RunConfig` a configuration file describes, with ``overrides`` on top,
    starting from the recipe it names (``run.recipe``, default ``auto``)."""
    options = config_options(read_yaml(path), str(path))
    options.update(overrides)
    return recipe_config(options)


def recipe_config(options: dict) -> RunConfig:
    """``options`` (RunConfig keyword arguments) on top of the recipe they name
    (:func:`bci_attn.recipes.with_recipe`)."""
    return RunConfig(**with_recipe(options, RunConfig.protocol))


def sectioned(config: RunConfig, fold: int | str | None = None) -> dict:
    """``config`` as a sectioned document (the inverse of :func:`config_options`)."""
    values = asdict(config)
    document: dict = {"seed_everything": values["seeds"][0]}
    for section, keys in SECTIONS.items():
        document[section] = {k: values[k] for k in keys if k in values}
    if fold is not None:
        document["data"]["fold"] = fold
    document["trainer"]["logger"] = (
        {
            "class_path": "lightning.pytorch.loggers.TensorBoardLogger",
            "init_args": {"save_dir": "lightning_logs"},
        }
        if config.logger == "tensorboard"
        else None
    )
    return document


def dump(config: RunConfig) -> str:
    """YAML text of ``config`` in sections, as ``--print_config`` shows it."""
    return yaml.safe_dump(sectioned(config), sort_keys=False)
