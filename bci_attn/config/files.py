"""Configuration files: YAML documents whose sections are :data:`~bci_attn.config.SECTIONS`.

A file sets any options, section by section::

    data: {dataset: BNCI2014001, subjects: 1-9, classes: [left_hand, right_hand]}
    model: {backbone: eegnet, attention: ham}
    training: {max_epochs: 125, batch_size: 64}
    evaluation: {protocol: loso, seeds: [0, 1, 2]}
    execution: {out: runs/bnci-ham}
    recipe: plain        # the recipe the file applies on top of (default: auto)

Files written for bci-attn 0.1 have LightningCLI's sections (``model``, ``data``,
``trainer``, ``run`` and ``seed_everything``, with ``lr`` under ``model`` and
``batch_size`` under ``data``): they are read as they are, each key placed in the section
that declares an option of its name. The keys renamed since are in :data:`RENAMED`.

Several sources make a configuration, each a :class:`Layer` on top of the one before:
the options' defaults, the recipe, configuration files, the command line. A value that
fails its check is reported with the name its source gave it (``--batch-size``, or
``config.yaml: data.batch_size``).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .schema import ConfigError, join
from .sections import SECTIONS, RunConfig, all_options

#: Sections of the files of bci-attn 0.1 (LightningCLI's) that are no section any more:
#: their keys are placed by name.
LEGACY_SECTIONS = ("trainer", "run")
#: Keys renamed since bci-attn 0.1: old name -> (new name, how the value translates).
RENAMED = {
    # Downloads were off unless data.download was true; now they are on unless offline.
    "download": ("offline", lambda value: not value if isinstance(value, bool) else value),
}
#: Top-level keys of LightningCLI that only the one-fold command (``bci-attn fit``) uses.
LIGHTNING_ONLY = ("seed_everything", "optimizer", "lr_scheduler", "ckpt_path", "fold")
#: Logger classes ``trainer.logger`` may name, by the value they mean.
LOGGERS = {"CSVLogger": "csv", "TensorBoardLogger": "tensorboard"}


@dataclass
class Layer:
    """Options given by one source.

    Attributes
    ----------
    values : dict
        Section -> option name -> value (as written: lists, strings for ranges, ...).
    names : dict
        Option key (``section.name``) -> how the source names it, for messages.
    lightning : dict
        What only LightningCLI reads (``fold``, ``trainer`` options, ``seed_everything``...).
    recipe : str | None
        The recipe the source names.
    """

    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    lightning: dict[str, Any] = field(default_factory=dict)
    recipe: str | None = None

    def set(self, key: str, value: Any, name: str | None = None) -> None:
        section, option = key.split(".")
        self.values.setdefault(section, {})[option] = value
        self.names[key] = name or key

    def get(self, key: str, default: Any = None) -> Any:
        section, option = key.split(".")
        return self.values.get(section, {}).get(option, default)


def _option_sections() -> dict[str, str]:
    return {o.name: o.section for o in all_options()}


def read_yaml(path: str | os.PathLike) -> dict:
    """A YAML file holding a mapping (ValueError naming the file otherwise)."""
    import yaml

    path = Path(path)
    if path.is_dir():
        raise ValueError(f"config file {path} is a folder, not a YAML file")
    if not path.is_file():
        raise ValueError(f"config file {path} not found")
    try:
        document = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(f"{path}: not valid YAML ({first})") from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a mapping of sections, got {type(document).__name__}")
    return document


def logger_name(value: Any, where: str) -> str:
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
        f"{where}: trainer.logger {value!r} is not one bci-attn can use; use "
        f"{' or '.join(LOGGERS)} (CSV logs are always written)"
    )


def read_document(document: dict, source: str, *, lightning: bool = False) -> Layer:
    """The options of a configuration document (a file's content) as a :class:`Layer`.

    Parameters
    ----------
    document : dict
        Sections (see the module's docstring), in the current or bci-attn 0.1's layout.
    source : str
        Where it comes from, for messages (a file's path).
    lightning : bool
        For the one-fold LightningCLI: any ``trainer`` option is kept for the Trainer.

    Raises
    ------
    ValueError
        An unknown section or key, naming it, the file and what is allowed.
    """
    placed = _option_sections()
    layer = Layer()
    allowed = (*SECTIONS, "recipe", *LEGACY_SECTIONS, *LIGHTNING_ONLY)
    for section, content in document.items():
        if section not in allowed:
            raise ValueError(
                f"{source}: unknown key '{section}'; allowed sections: "
                f"{', '.join((*SECTIONS, 'recipe'))} (and bci-attn 0.1's trainer, run)"
            )
        if section == "recipe":
            layer.recipe = _recipe_name(content, f"{source}: recipe")
            continue
        if section in LIGHTNING_ONLY:
            if section == "seed_everything" and not (isinstance(content, int) or content is None):
                raise ValueError(f"{source}: seed_everything must be an int, got {content!r}")
            layer.lightning[section] = content
            continue
        if content is None:
            continue
        if not isinstance(content, dict):
            raise ValueError(f"{source}: section '{section}' must be a mapping of options")
        for key, value in content.items():
            _place(layer, section, key, value, source, placed, lightning)
    seed = layer.lightning.get("seed_everything")
    if seed is not None and layer.get("evaluation.seeds") is None:
        layer.set("evaluation.seeds", [seed], f"{source}: seed_everything")
    return layer


def _place(
    layer: Layer,
    section: str,
    key: str,
    value: Any,
    source: str,
    placed: dict[str, str],
    lightning: bool,
) -> None:
    written = f"{section}.{key}"
    if key in RENAMED:
        key, translate = RENAMED[key]
        value = translate(value)
    if key == "recipe" and section == "run":
        layer.recipe = _recipe_name(value, f"{source}: {written}")
    elif key == "fold" and section == "data":
        layer.lightning["fold"] = value
    elif key == "logger" and section in ("trainer", "execution"):
        if lightning and section == "trainer":
            layer.lightning.setdefault("trainer", {})[key] = value
        layer.set("execution.logger", logger_name(value, source), f"{source}: {written}")
    elif key in placed:
        layer.set(f"{placed[key]}.{key}", value, f"{source}: {written}")
        if lightning and section == "trainer":
            layer.lightning.setdefault("trainer", {})[key] = value
    elif lightning and section == "trainer":
        layer.lightning.setdefault("trainer", {})[key] = value
    else:
        takes = sorted(o.name for o in all_options() if o.section == section)
        if section in LEGACY_SECTIONS:
            takes = sorted(placed)
        hint = " (bci-attn fit: any Lightning Trainer option)" if section == "trainer" else ""
        raise ValueError(
            f"{source}: unknown key '{written}'; {section} takes: {', '.join(takes)}{hint}"
        )


def _recipe_name(value: Any, where: str) -> str:
    from .recipes import recipe_names

    if not isinstance(value, str) or value not in recipe_names():
        raise ValueError(f"{where} must be one of {', '.join(recipe_names())}, got {value!r}")
    return value


def build(layers: Iterable[Layer], names: dict[str, str] | None = None) -> RunConfig:
    """The configuration the ``layers`` make, each on top of the one before, over the
    recipe they name, over the options' defaults.

    The recipe is the last layer's that names one (default ``auto``: chosen by the
    protocol, :func:`~bci_attn.config.recipes.resolve_recipe`), with its settings for the
    run's dataset and backbone (each from the last layer that names it: ``data.dataset``,
    ``model.backbone``). The protocol is
    ``cross-dataset`` when no layer names one and a layer names a transfer dataset
    (``evaluation.train_dataset`` or ``test_dataset``).

    ``names`` (option key -> how the user calls it: a command's flags) names the options
    no layer sets, in messages.

    Raises
    ------
    ConfigError
        A value that fails its check, named as its layer names it.
    """
    from .recipes import recipe_layer, resolve_recipe

    layers = list(layers)
    names = dict(names or {})
    for layer in layers:
        names.update(layer.names)
    protocol = _last(layers, "evaluation.protocol")
    implied = Layer()
    if protocol is None:  # cross-dataset when a transfer dataset is named, else the default
        transfer = ("evaluation.train_dataset", "evaluation.test_dataset")
        named = any(layer.get(key) is not None for layer in layers for key in transfer)
        protocol = "cross-dataset" if named else RunConfig().evaluation.protocol
        implied.set("evaluation.protocol", protocol)
    asked = next((layer.recipe for layer in reversed(layers) if layer.recipe), "auto")
    dataset = _last(layers, "data.dataset", RunConfig().data.dataset)
    backbone = _last(layers, "model.backbone", RunConfig().model.backbone)
    try:
        recipe = resolve_recipe(asked, protocol)
        settings = recipe_layer(recipe, dataset, backbone)
        return _overlay(RunConfig(recipe=recipe), [settings, implied, *layers])
    except ConfigError as error:
        raise rename(error, names) from None


def _last(layers: list[Layer], key: str, default: Any = None) -> Any:
    """The value of ``key`` in the last layer that sets it, else ``default``."""
    return next((v for layer in reversed(layers) if (v := layer.get(key)) is not None), default)


def _overlay(base: RunConfig, layers: list[Layer]) -> RunConfig:
    given: dict[str, dict[str, Any]] = {}
    for layer in layers:
        for section, values in layer.values.items():
            given.setdefault(section, {}).update(values)
    sections = {}
    for section, values in given.items():
        current = getattr(base, section)
        sections[section] = _section(current, values)
    return dataclasses.replace(base, **sections)


def _section(current: Any, values: dict[str, Any]) -> Any:
    """``current`` with ``values``; a failing check names the first option that fails."""
    from .schema import check_value, section_options

    options = {o.name: o for o in section_options(type(current), _name_of(current))}
    for name, value in values.items():
        check_value(options[name], value)  # field by field first: the message names it
    return dataclasses.replace(current, **values)


def _name_of(section: Any) -> str:
    return next(name for name, cls in SECTIONS.items() if isinstance(section, cls))


def rename(error: ConfigError, names: dict[str, str]) -> ConfigError:
    """``error`` with every option key in it written as ``names`` names it."""
    message = join(names.get(error.key, error.key), error.problem)
    for key in sorted(names, key=len, reverse=True):
        if key != error.key:
            message = re.sub(rf"(?<![\w.-]){re.escape(key)}(?![\w])", names[key], message)
    renamed = ConfigError(error.key, error.problem)
    renamed.args = (message,)
    return renamed


def load_config(path: str | os.PathLike, **overrides: Any) -> RunConfig:
    """The configuration a file describes, on top of the recipe it names (default ``auto``),
    with ``overrides`` (options by name) on top."""
    layer = read_document(read_yaml(path), str(path))
    extra = Layer()
    placed = _option_sections()
    for name, value in overrides.items():
        if name == "recipe":
            extra.recipe = value
        else:
            extra.set(f"{placed[name]}.{name}", value, name)
    return build([layer, extra])


def to_yaml(config: RunConfig) -> str:
    """The configuration as a YAML document of its sections (``--print_config``)."""
    import yaml

    return yaml.safe_dump(config.to_dict(), sort_keys=False)


def from_stored(values: dict) -> RunConfig:
    """The configuration a run folder's ``config.json`` stored: the current layout
    (sections), or bci-attn 0.1's flat one (options by name; ``subjects``, ``classes`` and
    ``attention_at`` hold what the data resolved them to, which selects the same data and
    model)."""
    if all(isinstance(values.get(name), dict) for name in SECTIONS):
        layer = read_document({k: values[k] for k in (*SECTIONS, "recipe") if k in values}, "")
    else:
        placed = _option_sections()
        layer = Layer()
        for key, value in values.items():
            if key in RENAMED:
                key, translate = RENAMED[key]
                value = translate(value)
            if key in placed:
                layer.set(f"{placed[key]}.{key}", value)
        recipe = values.get("recipe")
        layer.recipe = recipe if recipe not in (None, "auto") else None
    return _overlay(RunConfig(recipe=layer.recipe or "plain"), [layer])
