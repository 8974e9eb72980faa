"""Study files: the keys every study file shares, read and checked once for every kind.

A study file (a sweep's or a selection's) is YAML. The keys all kinds take are the fields
of :class:`StudySpec`; each kind adds its own (:class:`~bci_attn.studies.grid.SweepSpec`,
:class:`~bci_attn.studies.selection.SelectionSpec`), declared the way configuration options
are (:func:`~bci_attn.config.schema.option`), so a bad value is refused naming its key and
the file. A cell's configuration is built from layers, each on top of the one before:
the recipe, the ``base`` configuration file, the ``settings``, then what the cell itself
sets (:func:`cell_config`).
"""

from __future__ import annotations

import dataclasses
import re
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ..config import ConfigError, Layer, RunConfig, build, read_document, read_yaml
from ..config.files import rename
from ..config.schema import check_fields, option
from ..evaluation.statistics import StatisticsSpec
from .study import Cell, Study, quietly

#: What a cell's name may be (it names a folder).
NAME = re.compile(r"[A-Za-z0-9+][A-Za-z0-9._+-]*")


@dataclass(frozen=True)
class StudySpec:
    """The keys every study file takes."""

    out: str | None = option(None, "the study's folder (default: runs/<file name>)", nonempty=True)
    base: str | None = option(
        None,
        "a configuration file under every cell's settings (a sweep replaces {dataset}, "
        "{backbone}, {protocol} by the cell's values, lower-cased)",
        nonempty=True,
    )
    settings: dict = option({}, "sections of a configuration file applied to every cell")

    def __post_init__(self) -> None:
        check_fields(self, "")

    def folder(self, source: str) -> Path:
        """``out``, else ``runs/<the file's name>``."""
        return Path(self.out or Path("runs") / Path(source).stem)


def read_spec(path: str, cls: type) -> Any:
    """The study file ``path`` as a ``cls`` spec (ValueError naming the key and the file)."""
    document = read_yaml(path)
    keys = [f.name for f in dataclasses.fields(cls)]
    unknown = [key for key in document if key not in keys]
    if unknown:
        raise ValueError(f"{path}: unknown key '{unknown[0]}'; it takes: {', '.join(keys)}")
    if not document:
        raise ValueError(f"{path} is empty; it takes: {', '.join(keys)}")
    try:
        return cls(**document)
    except ValueError as error:  # ConfigError, or a rule between keys
        raise ValueError(f"{path}: {error}") from None


def statistics_of(spec: Any, source: str) -> StatisticsSpec:
    """The ``statistics`` mapping of a spec, checked (ValueError naming its key)."""
    values = spec.statistics or {}
    names = [f.name for f in dataclasses.fields(StatisticsSpec)]
    unknown = [key for key in values if key not in names]
    if unknown:
        raise ValueError(
            f"{source}: unknown key 'statistics.{unknown[0]}'; it takes: {', '.join(names)}"
        )
    try:
        return StatisticsSpec(**values)
    except ConfigError as error:
        raise ValueError(f"{source}: {error}") from None


def check_name(name: Any, source: str, what: str) -> str:
    """A cell's name, which names a folder (ValueError otherwise)."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValueError(
            f"{source}: {what} name {name!r} names a folder: use letters, digits, '.', '_', "
            "'-', '+'"
        )
    return name


def base_layers(spec: StudySpec, source: str, values: dict[str, str] | None = None) -> list[Layer]:
    """The layers every cell starts from: the ``base`` file (its name formatted with
    ``values``, lower-cased) and the ``settings``."""
    layers = []
    if spec.base:
        base = spec.base.format(**{k: str(v).lower() for k, v in (values or {}).items()})
        layers.append(read_document(read_yaml(base), base))
    layers.append(read_document(spec.settings, f"{source} (settings)"))
    return layers


def entry_layer(entry: dict, source: str) -> Layer:
    """What a cell's entry sets: sections of a configuration file, and options by name at
    its top level (``attention: se``, ``attention_options: {reduction: 8}``); messages name
    each key as the entry writes it."""
    from ..config.files import LEGACY_SECTIONS
    from ..config.sections import SECTIONS, all_options

    sections = (*SECTIONS, *LEGACY_SECTIONS)
    document = {k: v for k, v in entry.items() if k in sections and isinstance(v, dict)}
    layer = read_document(document, source)
    for key, value in entry.items():
        if key in document:
            continue
        try:  # a legacy section places a key by name (renamed keys and the recipe too)
            alone = read_document({"run": {key: value}}, source)
        except ValueError as error:
            if f"unknown key 'run.{key}'" not in str(error):
                raise
            names = ", ".join(sorted(o.name for o in all_options()))
            raise ValueError(
                f"{source}: unknown key '{key}'; an entry takes a name, sections "
                f"({', '.join(SECTIONS)}) and options by name: {names}"
            ) from None
        for placed in alone.names:
            layer.set(placed, alone.get(placed), f"{source}: {key}")
        layer.recipe = alone.recipe or layer.recipe
    return layer


def cell_config(layers: list[Layer], source: str) -> RunConfig:
    """The configuration ``layers`` make (ValueError naming the key and the file)."""
    names: dict[str, str] = {}
    for layer in layers:
        names.update(layer.names)
    try:
        return build(layers)
    except ConfigError as error:
        raise ValueError(str(rename(error, names))) from None


class FileStudy(Study):
    """A study read from a file: its spec (``spec_class``), its cells (:meth:`cells_of`) with
    ``overrides`` on top of each (the command line's execution options, say), quietly: a
    study of many runs reports unit by unit.
    """

    spec_class: ClassVar[type]
    noun: ClassVar[str]

    def __init__(
        self, path: str, echo: Callable[[str], Any] = print, overrides: Layer | None = None
    ) -> None:
        self.source = str(path)
        self.spec = read_spec(path, self.spec_class)
        super().__init__(quietly(self.cells_of(overrides)), self.spec.folder(path), echo)

    @abstractmethod
    def cells_of(self, overrides: Layer | None) -> list[Cell]:
        """The study's cells, from :attr:`spec`."""

    @abstractmethod
    def describe(self) -> list[str]:
        """A line per cell, for ``--check``."""
