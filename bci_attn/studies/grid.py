"""A grid sweep: datasets × backbones × protocols × attention × seeds, with paired
statistics against the no-attention baseline.

A sweep file::

    out: runs/attention_zoo
    base: configs/{backbone}_none_{dataset}_{protocol}.yaml   # optional; values lower-cased
    settings:                  # sections of a configuration file, on top of every cell's
      training: {max_epochs: 125}
    grid:
      dataset: [BNCI2014001, BNCI2014004]
      backbone: [eegnet, shallow]
      protocol: [cross-session, loso]
      attention: [none, se, {name: se-r8, attention: se, attention_options: {reduction: 8}}]
      seeds: [0, 1, 2]
    exclude:                   # combinations left out on purpose
      - {dataset: PhysionetMI, protocol: cross-session}
    statistics: {test: auto, correction: holm}   # baseline: another grid.attention entry

Every axis entry is a value, or a mapping with a ``name`` and what the cell sets: options
by name, or sections of a configuration file (``{name: aligned, attention: none, data:
{align: euclidean}}``: an ablation against the plain baseline). An entry that sets
``evaluation: {ensemble: true}`` is scored as the ensemble of its seeds' models, paired
with the baseline's mean over those seeds. ``grid.seeds`` are the seeds of every cell but
one whose entry sets its own (``evaluation: {seeds: [0]}``). The baseline (``attention:
none``) is added when the grid lacks it; ``statistics: {baseline: NAME}`` makes another
entry the baseline.

Every cell is an ordinary run folder (``<out>/runs/<dataset>-<backbone>-<protocol>-<name>``);
cells that train the same models share the first one's folder and train once. ``<out>``
receives ``sweep.json`` (the cells and their folders), ``results.csv`` (a row per cell,
fold, seed and subject), ``summary.csv`` and ``summary.md``.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import write_atomic
from ..config import Layer
from ..config.schema import check_fields, option
from ..evaluation.executor import Executor
from ..evaluation.folder import RunFolder
from ..evaluation.records import config_of
from ..evaluation.statistics import BASELINE, CONFIG_KEYS, ENSEMBLE
from .specs import (
    FileStudy,
    StudySpec,
    base_layers,
    cell_config,
    check_name,
    entry_layer,
    statistics_of,
)
from .study import Cell, Study

if TYPE_CHECKING:
    import pandas as pd

#: The grid's axes: the columns that name a configuration in tables, then the seeds.
AXES = (*CONFIG_KEYS, "seeds")


@dataclass(frozen=True)
class SweepSpec(StudySpec):
    """A sweep file's keys (see the module's docstring)."""

    grid: dict = option(
        {},
        "the axes: dataset, backbone, protocol, attention (values, or mappings with a name "
        "and what the cell sets), seeds",
        nonempty=True,
    )
    exclude: tuple[dict, ...] = option(
        [], "combinations left out, e.g. {dataset: PhysionetMI, protocol: cross-session}"
    )
    statistics: dict = option({}, "test, correction, perm_cutoff (see StatisticsSpec)")

    def __post_init__(self) -> None:
        check_fields(self, "")


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def axis_entries(
    axis: str, values: list, source: str, baseline: str = BASELINE
) -> list[tuple[str, dict]]:
    """The entries of one axis as ``(name, what the cell sets)``; for ``attention`` the
    ``baseline`` first (``none`` is added when missing; another must be an entry)."""
    entries = []
    for value in values:
        if isinstance(value, dict):
            if axis not in value and "name" not in value:
                raise ValueError(
                    f"{source}: grid.{axis} entry {value!r} must have a name or '{axis}'"
                )
            name = str(value.get("name", value.get(axis)))
            entries.append((name, {k: v for k, v in value.items() if k != "name"}))
        else:
            entries.append((str(value), {axis: value}))
        check_name(entries[-1][0], source, f"grid.{axis}")
    names = [name for name, _ in entries]
    if len(set(names)) != len(names):
        raise ValueError(f"{source}: grid.{axis} names must be unique, got {names}")
    if axis == "attention":
        if baseline not in names and baseline != BASELINE:
            raise ValueError(
                f"{source}: statistics.baseline '{baseline}' is not a grid.attention entry; "
                f"the entries: {', '.join(names)}"
            )
        if baseline not in names:
            entries.insert(0, (BASELINE, {"attention": BASELINE}))
        entries.sort(key=lambda entry: entry[0] != baseline)
    return entries


def _excluded(labels: dict, rules: tuple[dict, ...]) -> bool:
    return any(all(str(labels.get(k)) == str(v) for k, v in rule.items()) for rule in rules)


def expand(spec: SweepSpec, source: str, overrides: Layer | None = None) -> list[Cell]:
    """Every cell of the grid (exclusions removed), each with its whole configuration
    (``overrides``, e.g. the command line's execution options, on top of every cell), the
    baseline (``statistics.baseline``) first."""
    baseline = statistics_of(spec, source).baseline
    unknown = [key for key in spec.grid if key not in AXES]
    if unknown:
        raise ValueError(
            f"{source}: unknown key 'grid.{unknown[0]}'; the grid takes: {', '.join(AXES)}"
        )
    axes = {
        axis: axis_entries(axis, _listed(spec.grid.get(axis, _default(axis))), source, baseline)
        for axis in CONFIG_KEYS
    }
    seeds = spec.grid.get("seeds")
    out = spec.folder(source)
    cells = []
    for combination in itertools.product(*axes.values()):
        labels = {axis: name for axis, (name, _) in zip(CONFIG_KEYS, combination, strict=True)}
        if _excluded(labels, spec.exclude):
            continue
        values = {
            axis: entry.get(axis)
            for axis, (_, entry) in zip(CONFIG_KEYS, combination, strict=True)
        }
        layers = base_layers(spec, source, {k: v for k, v in values.items() if v is not None})
        if seeds is not None:  # before the entries: an entry's own seeds replace them
            seeds_layer = {"evaluation": {"seeds": _listed(seeds)}}
            layers.append(entry_layer(seeds_layer, f"{source} (grid.seeds)"))
        what = f"{source} (cell {'-'.join(labels.values())})"
        layers += [entry_layer(entry, what) for _, entry in combination]
        folder = out / "runs" / "-".join(labels[k] for k in CONFIG_KEYS[:3] + ("attention",))
        layers.append(entry_layer({"execution": {"out": str(folder)}}, what))
        layers += [overrides] if overrides is not None else []
        cells.append(Cell("-".join(labels.values()), cell_config(layers, what), labels))
    if not cells:
        raise ValueError(f"{source}: the grid is empty (every combination excluded?)")
    return cells


def _default(axis: str) -> Any:
    from ..config import RunConfig

    defaults = RunConfig()
    return {
        "dataset": defaults.data.dataset,
        "backbone": defaults.model.backbone,
        "protocol": defaults.evaluation.protocol,
        "attention": BASELINE,
    }[axis]


def cell_rows(cell: Cell, lists: bool = False) -> pd.DataFrame:
    """The finished results of a cell, of its seeds only: a row per fold, seed and test
    subject; for an ensemble cell, a row per fold and test subject scoring the ensemble of
    the seeds' models, with ``seed`` = :data:`ENSEMBLE`."""
    from ..evaluation.scoring import ensemble_results, result_rows

    config = cell.config
    results = [r for r in RunFolder(cell.folder).results() if r.seed in config.evaluation.seeds]
    ensemble = config.evaluation.ensemble and bool(results)
    rows = result_rows(ensemble_results(results) if ensemble else results, lists=lists)
    if ensemble and not rows.empty:
        rows["seed"] = ENSEMBLE
    return rows


def tidy_results(cells: list[Cell], lists: bool = False) -> pd.DataFrame:
    """A row per cell, fold, seed and subject from the cells' run folders."""
    import pandas as pd

    frames = []
    for cell in cells:
        rows = cell_rows(cell, lists)
        if rows.empty:
            continue
        for key in reversed(CONFIG_KEYS):
            rows.insert(0, key, cell.labels[key])
        frames.append(rows)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def load_cells(folder: str | Path) -> tuple[list[Cell], dict]:
    """The cells of the sweep in ``folder`` (from its ``sweep.json``) and its spec."""
    from ..config import RunConfig

    record = json.loads((Path(folder) / "sweep.json").read_text())
    cells = []
    for entry in record["cells"]:
        stored = RunFolder(entry["folder"]).stored()
        config = config_of(stored) if stored else RunConfig()
        scoring = {k: entry[k] for k in ("seeds", "ensemble") if k in entry}  # older lack them
        config = config.replace(out=entry["folder"], **scoring)
        labels = {k: entry[k] for k in CONFIG_KEYS}
        cells.append(Cell("-".join(labels.values()), config, labels))
    return cells, record["spec"]


class Sweep(FileStudy):
    """The cells of a sweep file (see the module's docstring)."""

    spec_class = SweepSpec
    noun = "configurations"

    def cells_of(self, overrides: Layer | None) -> list[Cell]:
        self.statistics = statistics_of(self.spec, self.source)
        return expand(self.spec, self.source, overrides)

    def describe(self) -> list[str]:
        """A line per cell, naming the cell whose models it shares."""
        first: dict[Path, str] = {}
        lines = []
        for cell in self.cells:
            owner = first.setdefault(cell.folder, cell.name)
            shown = " ".join(f"{k}={v}" for k, v in cell.labels.items())
            lines.append(f"  {shown}" + ("" if owner == cell.name else f" (models of {owner})"))
        return lines

    def record(self) -> dict:
        """What ``sweep.json`` holds: the spec, and each cell's folder and scoring (a folder
        may serve several cells, whose seeds and ensembles differ)."""
        from ..config import read_yaml

        return {
            "source": self.source,
            "spec": read_yaml(self.source),
            "cells": [
                {
                    **cell.labels,
                    "folder": str(cell.folder),
                    "seeds": list(cell.config.evaluation.seeds),
                    "ensemble": cell.config.evaluation.ensemble,
                }
                for cell in self.cells
            ],
        }

    def run(self, executor: Executor | None = None, tables_only: bool = False):
        """Check every cell, train what is missing (nothing with ``tables_only``), write
        the tables; return the summary table."""
        self.validate()
        self.echo(f"{self.source}: {len(self.cells)} configurations -> {self.out}")
        if tables_only:
            write_atomic(self.out / "sweep.json", json.dumps(self.record(), indent=2))
            return self.tables()
        self.prepare()
        units = [unit for cell in self.cells for unit in self.units(cell)]
        try:
            self.start(units, executor)
            with self.claimed():
                write_atomic(self.out / "sweep.json", json.dumps(self.record(), indent=2))
                self.execute(units, self._line)
                self.cell_tables()
                return self.tables()
        finally:
            self.close()

    def cell_tables(self) -> None:
        """Each cell's run-folder tables (``results.csv``, ``summary.json``, ...), as a run
        writes them: every cell is an ordinary run folder."""
        for cell in self.cells:
            results = RunFolder(cell.folder).results()
            mine = [r for r in results if r.seed in cell.config.evaluation.seeds]
            if mine:
                RunFolder(cell.folder).write_tables(mine, cell.config.evaluation.ensemble)

    @staticmethod
    def _line(unit, result, status) -> str:
        return f"  {Path(unit.folder).name}:" + Study.describe_result(unit, result, status)[1:]

    def tables(self):
        """``results.csv``, ``summary.csv`` and ``summary.md`` from the finished units."""
        from ..evaluation.statistics import format_summary, summary_table

        rows = tidy_results(self.cells)
        if rows.empty:
            raise ValueError(f"{self.source}: no cell has a finished fold yet")
        write_atomic(self.out / "results.csv", rows.to_csv(index=False))
        table = summary_table(rows, **asdict(self.statistics))
        write_atomic(self.out / "summary.csv", table.to_csv(index=False))
        text = format_summary(table, self.statistics.correction, self.statistics.baseline)
        write_atomic(self.out / "summary.md", "# Sweep summary\n\n" + text + "\n")
        self.echo(text)
        return table
