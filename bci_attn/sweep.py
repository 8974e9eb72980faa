"""A grid of runs: attention × backbone × protocol × dataset × seeds, resumable.

python -m bci_attn.sweep experiments/attention_zoo.yaml
python -m bci_attn.sweep experiments/attention_zoo.yaml --check     # validate, train nothing
python -m bci_attn.sweep experiments/attention_zoo.yaml --tables-only   # tables of what is done
python -m bci_attn.sweep experiments/recipe_ablation.yaml --only backbone=shallow --seeds 0
    # a share of it, e.g. for one of several 1-thread processes; a last plain run gathers

A sweep file::

    out: runs/attention_zoo
    base: configs/{backbone}_none_{dataset}_{protocol}.yaml   # optional; values lower-cased
    settings:                  # sections of a config file, on top of every run's
      trainer: {max_epochs: 125}
    grid:
      dataset: [BNCI2014001, BNCI2014004]
      backbone: [eegnet, shallow]
      protocol: [cross-session, loso]
      attention: [none, se, {name: se-r8, attention: se, attention_options: {reduction: 8}}]
      seeds: [0, 1, 2]
    # An attention entry may also change the recipe with config sections, e.g.
    #   {name: aligned, attention: none, data: {align: euclidean}}: an ablation against
    # the plain baseline. An entry with ``run: {ensemble: true}`` is scored as the
    # ensemble of its seeds' models, paired with the baseline's mean over those seeds.
    # Cells that train the same models (they differ only in options such as ``ensemble``
    # that change how runs are executed or scored) share one run folder: trained once.
    exclude:                   # combinations left out on purpose
      - {dataset: PhysionetMI, protocol: cross-session}
    statistics: {test: auto, correction: holm}

Every cell is an ordinary run folder (``<out>/runs/<dataset>-<backbone>-<protocol>-<name>``)
and resumes like one. ``<out>`` receives ``results.csv`` (a row per fold and seed),
``summary.csv``/``summary.md`` (a row per configuration with its test against the
no-attention baseline, which is added to the grid when missing) and ``sweep.json``.
Every combination is checked before anything trains.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pandas as pd

warnings.filterwarnings("ignore", message="Montage name .* is deprecated", category=FutureWarning)

from .config import config_options, parse_subjects, read_yaml, recipe_config  # noqa: E402
from .experiment import RunConfig  # noqa: E402
from .results import (  # noqa: E402
    OPERATIONAL,
    RunFolder,
    ensemble_results,
    result_rows,
    write_atomic,
)
from .stats import (  # noqa: E402
    BASELINE,
    CONFIG_KEYS,
    CORRECTIONS,
    ENSEMBLE,
    TESTS,
    format_summary,
    summary_table,
)

SPEC_KEYS = ("out", "base", "settings", "grid", "exclude", "statistics")
GRID_KEYS = ("dataset", "backbone", "protocol", "attention", "seeds")
ATTENTION_KEYS = ("name", "attention", "attention_at", "attention_options")
#: Config sections an attention entry may carry to change the recipe of its runs.
ENTRY_SECTIONS = ("model", "data", "trainer", "run")


@dataclass(frozen=True)
class Cell:
    """One configuration of the grid and its run."""

    dataset: str
    backbone: str
    protocol: str
    attention: str  # the configuration's name in tables (the module, or the grid's name)
    config: RunConfig

    def describe(self) -> str:
        return (
            f"dataset={self.dataset} backbone={self.backbone} protocol={self.protocol} "
            f"attention={self.attention}"
        )


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def attention_entries(values: list, source: str) -> list[tuple[str, dict]]:
    """Grid ``attention`` entries as ``(name, model options)``, the baseline first."""
    entries = []
    for value in values:
        if isinstance(value, str):
            entries.append((value, {"attention": value}))
            continue
        if not isinstance(value, dict) or "attention" not in value:
            raise ValueError(
                f"{source}: grid.attention entry {value!r} must be a name or a mapping with "
                f"'attention' (and optionally {', '.join(ATTENTION_KEYS)})"
            )
        unknown = sorted(set(value) - set(ATTENTION_KEYS) - set(ENTRY_SECTIONS))
        if unknown:
            raise ValueError(
                f"{source}: unknown key 'grid.attention.{unknown[0]}'; "
                f"an entry takes: {', '.join(ATTENTION_KEYS + ENTRY_SECTIONS)}"
            )
        options = {k: v for k, v in value.items() if k != "name"}
        entries.append((str(value.get("name", value["attention"])), options))
    names = [name for name, _ in entries]
    if len(set(names)) != len(names):
        raise ValueError(f"{source}: grid.attention names must be unique, got {names}")
    if BASELINE not in names:
        entries.insert(0, (BASELINE, {"attention": BASELINE}))
    return sorted(entries, key=lambda e: e[0] != BASELINE)


def read_spec(path: str) -> dict:
    """The sweep file, with its keys checked (ValueError naming the key and the file)."""
    spec = read_yaml(path)
    for key in spec:
        if key not in SPEC_KEYS:
            raise ValueError(f"{path}: unknown key '{key}'; a sweep takes: {', '.join(SPEC_KEYS)}")
    grid = spec.get("grid") or {}
    if not isinstance(grid, dict):
        raise ValueError(f"{path}: grid must be a mapping of {', '.join(GRID_KEYS)}")
    for key in grid:
        if key not in GRID_KEYS:
            raise ValueError(
                f"{path}: unknown key 'grid.{key}'; the grid takes: {', '.join(GRID_KEYS)}"
            )
    statistics = spec.get("statistics") or {}
    for key, allowed in (("test", TESTS), ("correction", CORRECTIONS)):
        if statistics.get(key, allowed[0]) not in allowed:
            raise ValueError(
                f"{path}: statistics.{key} must be one of {', '.join(allowed)}, "
                f"got {statistics[key]!r}"
            )
    unknown = sorted(set(statistics) - {"test", "correction", "perm_cutoff"})
    if unknown:
        raise ValueError(
            f"{path}: unknown key 'statistics.{unknown[0]}'; it takes test, correction, "
            "perm_cutoff"
        )
    return spec


def excluded(combination: dict, rules: list[dict]) -> bool:
    return any(all(str(combination.get(k)) == str(v) for k, v in r.items()) for r in rules)


def expand(spec: dict, source: str) -> list[Cell]:
    """Every cell of the grid (exclusions removed), each with its full :class:`RunConfig`."""
    grid = spec.get("grid") or {}
    out = Path(spec.get("out") or Path("runs") / Path(source).stem)
    settings = config_options(spec.get("settings") or {}, f"{source} (settings)")
    defaults = RunConfig()
    axes = {
        key: _listed(grid.get(key, getattr(defaults, key)))
        for key in ("dataset", "backbone", "protocol")
    }
    seeds = _listed(grid.get("seeds", settings.get("seeds", defaults.seeds)))
    rules = spec.get("exclude") or []
    cells = []
    folders: dict[str, str] = {}  # what a cell trains -> the folder that holds it
    entries = attention_entries(_listed(grid.get("attention", BASELINE)), source)
    for dataset, backbone, protocol in itertools.product(*axes.values()):
        where = {"dataset": dataset, "backbone": backbone, "protocol": protocol}
        kept = [e for e in entries if not excluded({**where, "attention": e[0]}, rules)]
        if not kept:
            continue
        options = {}
        if spec.get("base"):
            base = str(spec["base"]).format(**{k: str(v).lower() for k, v in where.items()})
            options = config_options(read_yaml(base), base)
        options.update(settings)
        for name, entry in kept:
            sections = {k: v for k, v in entry.items() if k in ENTRY_SECTIONS}
            attention = {k: v for k, v in entry.items() if k not in ENTRY_SECTIONS}
            model = config_options(
                {**sections, "model": {**(sections.get("model") or {}), **attention}},
                f"{source} (grid.attention {name})",
            )
            folder = out / "runs" / f"{dataset}-{backbone}-{protocol}-{name}"
            config = recipe_config(
                {**options, **where, **model, "seeds": list(seeds), "out": str(folder)}
            )
            config = replace(config, out=folders.setdefault(trained_models(config), config.out))
            cells.append(Cell(dataset, backbone, protocol, name, config))
    return cells


def trained_models(config: RunConfig) -> str:
    """What ``config`` trains: its options less those that change only how the run is
    executed or scored (:data:`~bci_attn.results.OPERATIONAL`), as a key."""
    computed = {k: v for k, v in asdict(config).items() if k not in OPERATIONAL}
    return json.dumps(computed, sort_keys=True, default=str)


def check_cell(cell: Cell) -> None:
    """Everything about a cell that can be checked without loading data (ValueError)."""
    from .data import resolve_dataset
    from .models import build_model

    config = cell.config
    config.validate()
    dataset = resolve_dataset(config.dataset)
    if config.protocol == "cross-session" and dataset.n_sessions < 2:
        raise ValueError(
            f"{config.dataset} has {dataset.n_sessions} session per subject; cross-session "
            "needs at least two (use within-session or loso, or exclude this combination)"
        )
    lacking = sorted(set(config.subjects or []) - set(dataset.subject_list))
    if lacking:
        raise ValueError(f"{config.dataset} has no subject(s) {lacking}")
    # The model on a map of about the data's size: attention that cannot sit at its point
    # (electrode attention after the spatial filter, ...) fails here, not after training.
    length = (config.tmax or dataset.interval[1] - dataset.interval[0]) - config.tmin
    sfreq = config.resample or 128.0
    build_model(
        config.backbone,
        config.attention,
        config.attention_at,
        n_chans=8,
        n_times=max(32, int(length * sfreq)),
        n_outputs=2,
        sfreq=sfreq,
        attention_options=config.attention_options,
        **config.backbone_options,
    )


def check(cells: list[Cell], source: str) -> None:
    """Check every cell; one ValueError listing every invalid combination."""
    problems = []
    for cell in cells:
        try:
            check_cell(cell)
        except (ValueError, TypeError) as error:
            problems.append(f"  {cell.describe()}: {error}")
    if problems:
        raise ValueError(
            f"{source}: {len(problems)} invalid combination(s); nothing was trained:\n"
            + "\n".join(problems)
        )


def cell_rows(config: RunConfig, lists: bool = False) -> pd.DataFrame:
    """The finished results of a cell's run, of the cell's seeds only: a row per fold, seed
    and test subject; for an ensemble configuration, a row per fold and test subject
    scoring the ensemble of the seeds' models, with ``seed`` = :data:`ENSEMBLE`."""
    results = RunFolder(config.out_folder()).results()
    results = [r for r in results if r["seed"] in config.seeds]
    if config.ensemble and results:
        results = ensemble_results(results)
    rows = result_rows(results, lists=lists)
    if config.ensemble and not rows.empty:
        rows["seed"] = ENSEMBLE
    return rows


def tidy_results(cells: list[Cell]) -> pd.DataFrame:
    """A row per configuration, fold and seed from the cells' run folders."""
    frames = []
    for cell in cells:
        rows = cell_rows(cell.config)
        if rows.empty:
            continue
        for key in reversed(CONFIG_KEYS):
            rows.insert(0, key, getattr(cell, key))
        frames.append(rows)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def write_summary(out: Path, rows: pd.DataFrame, statistics: dict) -> pd.DataFrame:
    """``results.csv``, ``summary.csv`` and ``summary.md`` of a sweep."""
    write_atomic(out / "results.csv", rows.to_csv(index=False))
    table = summary_table(rows, **statistics)
    write_atomic(out / "summary.csv", table.to_csv(index=False))
    text = format_summary(table, statistics.get("correction", "holm"))
    write_atomic(out / "summary.md", "# Sweep summary\n\n" + text + "\n")
    return table


def sweep_record(spec: dict, source: str, cells: list[Cell]) -> dict:
    """What ``sweep.json`` holds: the spec, every cell's run folder, and how the cell
    scores it (its seeds and ``ensemble``: a folder may serve several cells, and its
    ``config.json`` records the last run's)."""
    return {
        "source": str(source),
        "spec": spec,
        "cells": [
            {k: getattr(c, k) for k in CONFIG_KEYS}
            | {
                "folder": str(c.config.out_folder()),
                "seeds": c.config.seeds,
                "ensemble": c.config.ensemble,
            }
            for c in cells
        ],
    }


def load_cells(folder: str | Path) -> tuple[list[Cell], dict]:
    """The cells of the sweep in ``folder`` (from its ``sweep.json``) and its spec."""
    record = json.loads((Path(folder) / "sweep.json").read_text())
    cells = []
    for c in record["cells"]:
        config, _ = _stored_config(c["folder"])
        scoring = {k: c[k] for k in ("seeds", "ensemble") if k in c}  # older sweeps lack them
        cells.append(Cell(*(c[k] for k in CONFIG_KEYS), config=replace(config, **scoring)))
    return cells, record["spec"]


def _stored_config(folder: str) -> tuple[RunConfig, dict]:
    from .experiment import config_from_folder

    try:
        return config_from_folder(folder)
    except ValueError:  # a cell not started yet
        return RunConfig(out=folder), {}


def share(cells: list[Cell], only: list[str], seeds: list[int] | None) -> list[Cell]:
    """The cells matching every ``only`` rule (``"key=value[,value]"``, key one of
    dataset, backbone, protocol, attention), each to be run with the ``seeds`` among its
    own (None: all of them). ValueError naming a rule or seed that matches nothing."""
    chosen = cells
    for rule in only:
        key, sep, text = rule.partition("=")
        if not sep or key not in CONFIG_KEYS:
            raise ValueError(
                f"--only {rule!r}: use KEY=VALUE[,VALUE] with KEY one of {', '.join(CONFIG_KEYS)}"
            )
        values = [value.strip() for value in text.split(",")]
        known = list(dict.fromkeys(str(getattr(cell, key)) for cell in cells))
        unknown = [value for value in values if value not in known]
        if unknown:
            raise ValueError(
                f"--only {rule!r}: the sweep has no {key} {unknown[0]!r}; "
                f"it has {', '.join(known)}"
            )
        chosen = [cell for cell in chosen if str(getattr(cell, key)) in values]
    if not chosen:
        raise ValueError(f"--only {' '.join(only)}: no cell matches every rule")
    if seeds is None:
        return chosen
    known_seeds = sorted({seed for cell in chosen for seed in cell.config.seeds})
    unknown_seeds = sorted(set(seeds) - set(known_seeds))
    if unknown_seeds:
        raise ValueError(
            f"--seeds: the chosen cells have no seed {unknown_seeds[0]}; they have "
            f"{', '.join(map(str, known_seeds))}"
        )
    return [
        replace(
            cell, config=replace(cell.config, seeds=[s for s in seeds if s in cell.config.seeds])
        )
        for cell in chosen
        if set(seeds) & set(cell.config.seeds)
    ]


def run_sweep(
    path: str,
    echo=print,
    check_only: bool = False,
    tables_only: bool = False,
    only: list[str] | None = None,
    seeds: list[int] | None = None,
) -> pd.DataFrame | None:
    """Check every cell of sweep file ``path``, run them (resuming), write the tables.

    With ``tables_only`` nothing trains: the tables hold the folds finished so far (a sweep
    cut short, or one whose cells other processes run), and a line per cell says how many
    fold results it has. With ``only`` rules or ``seeds`` (see :func:`share`) it trains
    that share of the sweep and writes no tables: processes can share a sweep (seeds are
    operational, so a cell's seeds may train in different processes), and a last run
    without them writes the tables.
    """
    from .experiment import run_experiment

    spec = read_spec(path)
    cells = expand(spec, path)
    if not cells:
        raise ValueError(f"{path}: the grid is empty (every combination excluded?)")
    check(cells, path)
    partial = bool(only) or seeds is not None
    if partial:
        if tables_only:
            raise ValueError("--tables-only writes the whole sweep's tables: drop --only/--seeds")
        chosen = share(cells, only or [], seeds)
    out = Path(spec.get("out") or Path("runs") / Path(path).stem)
    echo(f"{path}: {len(cells)} configurations -> {out}")
    if check_only:
        trained_by: dict[str, str] = {}
        for cell in cells:
            first = trained_by.setdefault(cell.config.out, cell.attention)
            echo(
                f"  {cell.describe()}"
                + ("" if first == cell.attention else f" (models of {first})")
            )
        return None
    write_atomic(out / "sweep.json", json.dumps(sweep_record(spec, path, cells), indent=2))
    if partial:
        for number, cell in enumerate(chosen, 1):
            seeds_text = ",".join(map(str, cell.config.seeds))
            echo(f"[{number}/{len(chosen)}] {cell.describe()} seeds={seeds_text}")
            run_experiment(replace(cell.config, quiet=True), echo=lambda *a: None)
        echo("tables not written for a share of the sweep: run again without --only/--seeds")
        return None
    for number, cell in enumerate(cells, 1):
        if tables_only:
            results = RunFolder(cell.config.out_folder()).results()
            seeds = set(cell.config.seeds)
            done = sum(result["seed"] in seeds for result in results)
            echo(f"  {cell.describe()}: {done} fold results")
            continue
        echo(f"[{number}/{len(cells)}] {cell.describe()}")
        run_experiment(replace(cell.config, quiet=True), echo=lambda *a: None)
    rows = tidy_results(cells)
    if rows.empty:
        raise ValueError(f"{path}: no cell has a finished fold yet")
    table = write_summary(out, rows, spec.get("statistics") or {})
    echo(format_summary(table, (spec.get("statistics") or {}).get("correction", "holm")))
    return table


def spec_command(
    prog: str,
    doc: str,
    run: Callable,
    argv: list[str] | None,
    kind: str,
    items: str,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> int:
    """The command line ``prog SPEC [--check]`` of a YAML-driven runner.

    Parameters
    ----------
    prog, doc : str
        The command and the module docstring (its first line describes the command).
    run : callable
        ``run(spec_path, check_only=bool)``.
    argv : list of str | None
        The arguments (None: ``sys.argv``).
    kind, items : str
        What the file is and what ``--check`` checks, for the help text.
    add_arguments : callable, optional
        Adds the runner's own options to the parser; they reach ``run`` as keywords.

    Returns
    -------
    int
        0; a ValueError or missing data exits with status 2 and one line naming the problem.
    """
    from .data import MissingDataError
    from .run import quiet_libraries

    parser = argparse.ArgumentParser(prog=prog, description=doc.splitlines()[0])
    parser.add_argument("spec", help=f"{kind} file (YAML)")
    parser.add_argument("--check", action="store_true", help=f"check every {items} and exit")
    if add_arguments is not None:
        add_arguments(parser)
    options = vars(parser.parse_args(argv))
    spec, check_only = options.pop("spec"), options.pop("check")
    quiet_libraries()
    try:
        run(spec, check_only=check_only, **options)
    except (ValueError, MissingDataError) as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    return 0


def parse_seeds(text: str) -> list[int]:
    """``"0-2"`` -> ``[0, 1, 2]`` for argparse."""
    try:
        return parse_subjects(text, what="seeds")
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tables-only",
        action="store_true",
        help="train nothing: write the tables from the folds finished so far",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="KEY=VALUE[,VALUE]",
        help="run only the cells with these values (key: dataset, backbone, protocol, "
        "attention; repeatable, all must match), to share the sweep between processes; no "
        "tables are written: a last run without --only/--seeds writes them",
    )
    parser.add_argument(
        "--seeds",
        type=parse_seeds,
        default=None,
        metavar="SEEDS",
        help="run only these of the cells' seeds (e.g. 0 or 1-2); no tables are written",
    )


def main(argv: list[str] | None = None) -> int:
    return spec_command(
        "python -m bci_attn.sweep",
        __doc__,
        run_sweep,
        argv,
        "sweep",
        "combination",
        add_arguments=add_sweep_arguments,
    )


if __name__ == "__main__":
    sys.exit(main())
