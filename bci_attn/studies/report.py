"""Report on a run or a sweep: Markdown and HTML with tables and PNG figures.

::

    bci-attn report runs/attention_zoo            # a sweep folder (sweep.json)
    bci-attn report runs/synthetic-eegnet-ham-loso --interpret   # a run folder
    bci-attn report experiments/attention_zoo --zoo-table   # the zoo's table of a sweep

Writes ``report.md``, ``report.html`` and ``figures/*.png`` into the folder: per-subject
accuracy, the distribution per attention module, confusion matrices and learning curves
(from the Lightning CSV logs); with ``interpret`` (runs only) the scalp maps and attention
figures of :func:`bci_attn.studies.interpret.interpret_run`. :func:`zoo_table` is the attention
zoo's table of a sweep (``experiments/attention_zoo.md``): each module's costs beside its
accuracy on each dataset.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_atomic
from ..evaluation.folder import RunFolder
from ..evaluation.records import config_of
from ..evaluation.scoring import format_table, per_subject, result_rows
from ..evaluation.statistics import (
    CONFIG_KEYS,
    GROUP_KEYS,
    StatisticsSpec,
    format_summary,
    summary_table,
)
from .interpret import save_figure


def gather(folder: Path) -> tuple[pd.DataFrame, dict[tuple, Path], dict, bool]:
    """Every finished fold under ``folder`` (a run or a sweep), labels and predictions kept.

    Returns
    -------
    rows : pd.DataFrame
        A row per configuration, fold and seed.
    folders : dict
        Configuration (``CONFIG_KEYS`` values) -> its run folder.
    classes : dict
        Configuration -> its class names.
    is_sweep : bool

    Raises
    ------
    ValueError
        ``folder`` is neither a run nor a sweep, or holds no finished fold.
    """
    from .grid import cell_rows, load_cells

    if (folder / "sweep.json").is_file():
        cells, _ = load_cells(folder)
        runs = {tuple(c.labels[k] for k in CONFIG_KEYS): c.folder for c in cells}
        # The rows the sweep's statistics use (an ensemble cell scores its ensemble).
        read = {
            tuple(c.labels[k] for k in CONFIG_KEYS): partial(cell_rows, c, lists=True)
            for c in cells
        }
        is_sweep = True
    elif (folder / "config.json").is_file():
        config = config_of(RunFolder(folder).config())
        key = (
            config.data.dataset,
            config.model.backbone,
            config.evaluation.protocol,
            config.model.attention,
        )
        runs, is_sweep = {key: folder}, False
        read = {key: lambda: result_rows(RunFolder(folder).results(), lists=True)}
    else:
        raise ValueError(
            f"{folder} is neither a run folder (config.json) nor a sweep folder (sweep.json)"
        )
    frames, classes = [], {}
    for key, path in runs.items():
        rows = read[key]()
        if rows.empty:
            continue
        for name, value in reversed(list(zip(CONFIG_KEYS, key, strict=True))):
            rows.insert(0, name, value)
        frames.append(rows)
        classes[key] = _classes(RunFolder(path).config())
    if not frames:
        raise ValueError(
            f"{folder}: no results to report: no finished fold (folds/*.json) in "
            f"{'any of its runs' if is_sweep else 'the run'}; run it first"
        )
    return pd.concat(frames, ignore_index=True), runs, classes, is_sweep


def _classes(stored: dict) -> list[str] | None:
    from ..evaluation.records import resolved_of

    return resolved_of(stored).get("classes")


def _groups(rows: pd.DataFrame):
    return rows.groupby(list(GROUP_KEYS), sort=False)


def _title(group: tuple) -> str:
    return " / ".join(str(g) for g in group)


def _slug(group: tuple) -> str:
    return "-".join(str(g) for g in group).replace(" ", "_")


def plot_per_subject(rows: pd.DataFrame, path: Path) -> Path:
    """Accuracy per subject (mean over folds and seeds), a line per attention module."""
    import matplotlib.pyplot as plt

    groups = list(_groups(rows))
    fig, axes = plt.subplots(len(groups), 1, figsize=(7, 2.8 * len(groups)), squeeze=False)
    for ax, (group, block) in zip(axes[:, 0], groups, strict=True):
        table = block.groupby(["subject", "attention"], sort=False)["accuracy"].mean().unstack()
        for name in table.columns:
            ax.plot(table.index.astype(str), 100 * table[name], marker="o", label=name)
        ax.set_ylabel("accuracy (%)")
        ax.set_xlabel("subject")
        ax.set_title(_title(group), fontsize=9)
        ax.legend(fontsize=7, ncol=4)

    return save_figure(fig, path)


def plot_distribution(rows: pd.DataFrame, path: Path) -> Path:
    """Per-subject accuracy per attention module as box plots, a panel per group."""
    import matplotlib.pyplot as plt

    groups = list(_groups(rows))
    fig, axes = plt.subplots(len(groups), 1, figsize=(7, 2.8 * len(groups)), squeeze=False)
    for ax, (group, block) in zip(axes[:, 0], groups, strict=True):
        scores = block.groupby(["attention", "subject"], sort=False)["accuracy"].mean()
        names = list(dict.fromkeys(block["attention"]))
        data = [100 * scores[name].to_numpy() for name in names]
        ax.boxplot(data, tick_labels=names, showmeans=True)
        for index, values in enumerate(data, 1):
            ax.plot(np.full(len(values), index), values, ".", color="grey", alpha=0.6)
        ax.set_ylabel("accuracy (%)")
        ax.set_title(f"{_title(group)}: per-subject accuracy", fontsize=9)
        ax.tick_params(axis="x", labelrotation=30)
    return save_figure(fig, path)


def confusion(block: pd.DataFrame, n_classes: int) -> np.ndarray:
    """Confusion matrix (rows: true class, normalised to 1) summed over folds and seeds."""
    from sklearn.metrics import confusion_matrix

    labels = np.concatenate([np.asarray(v) for v in block["labels"]])
    predictions = np.concatenate([np.asarray(v) for v in block["predictions"]])
    return confusion_matrix(labels, predictions, labels=range(n_classes), normalize="true")


def plot_confusions(rows: pd.DataFrame, classes: dict, path: Path) -> Path:
    """A confusion matrix per attention module of one group."""
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    configs = list(rows.groupby(list(CONFIG_KEYS), sort=False))
    columns = min(4, len(configs))
    n_rows = int(np.ceil(len(configs) / columns))
    fig, axes = plt.subplots(n_rows, columns, figsize=(3.2 * columns, 3 * n_rows), squeeze=False)
    for ax in axes.flat[len(configs) :]:
        ax.set_axis_off()
    for ax, (key, block) in zip(axes.flat, configs, strict=False):
        names = classes.get(key) or [
            str(k) for k in range(int(block["labels"].map(max).max()) + 1)
        ]
        matrix = confusion(block, len(names))
        ConfusionMatrixDisplay(matrix, display_labels=names).plot(
            ax=ax, colorbar=False, values_format=".2f"
        )
        ax.set_title(key[-1], fontsize=9)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.tick_params(axis="y", labelsize=7)
    return save_figure(fig, path)


def learning_curves(run: Path) -> pd.DataFrame:
    """Per-epoch ``train_loss``, ``val_loss``, ``val_acc`` of every fold and seed of a run."""
    frames = []
    for metrics in sorted(run.glob("logs/*/seed*/metrics.csv")):
        table = pd.read_csv(metrics)
        if "epoch" not in table:
            continue
        columns = [c for c in ("train_loss", "val_loss", "val_acc") if c in table]
        frames.append(table.groupby("epoch")[columns].mean().reset_index())
    return pd.concat(frames) if frames else pd.DataFrame()


def plot_learning_curves(folders: dict[tuple, Path], group: tuple, path: Path) -> Path | None:
    """Mean training/validation loss and validation accuracy per epoch, a line per module."""
    import matplotlib.pyplot as plt

    curves = {
        key[-1]: learning_curves(run)
        for key, run in folders.items()
        if tuple(key[: len(group)]) == tuple(group)
    }
    curves = {name: table for name, table in curves.items() if not table.empty}
    if not curves:
        return None
    metrics = ("train_loss", "val_loss", "val_acc")
    fig, axes = plt.subplots(1, 3, figsize=(12, 3))
    for name, table in curves.items():
        mean = table.groupby("epoch").mean()
        for ax, metric in zip(axes, metrics, strict=True):
            if metric in mean and mean[metric].notna().any():
                ax.plot(mean.index, mean[metric], marker=".", label=name)
    for ax, metric in zip(axes, metrics, strict=True):
        ax.set_xlabel("epoch")
        ax.set_title(metric.replace("_", " "), fontsize=9)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"{_title(group)}: mean over folds and seeds", fontsize=10)
    return save_figure(fig, path)


def markdown_to_html(text: str, title: str) -> str:
    """A standalone HTML page of Markdown ``text`` (tables included)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(text)
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}"
        "table{border-collapse:collapse;font-size:0.85em}"
        "td,th{border:1px solid #ccc;padding:3px 6px}img{max-width:100%}"
    )
    return (
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{style}</style></head><body>\n{body}</body></html>\n"
    )


def write_report(folder: str | os.PathLike, interpret: bool = False, echo=print) -> Path:
    """Write ``report.md``, ``report.html`` and ``figures/`` for a run or sweep folder.

    Raises
    ------
    ValueError
        Not a run or sweep folder, or no finished fold in it.
    """
    folder = Path(folder)
    rows, folders, classes, is_sweep = gather(folder)
    figures = folder / "figures"
    lines = [f"# Report: {folder.name}", ""]
    if is_sweep:
        from .grid import load_cells

        _, spec = load_cells(folder)
        statistics = StatisticsSpec(**(spec.get("statistics") or {}))
        lists = [c for c in ("labels", "predictions", "probabilities") if c in rows]
        table = summary_table(rows.drop(columns=lists), **asdict(statistics))
        lines += [
            "## Summary",
            "",
            format_summary(table, statistics.correction, statistics.baseline),
            "",
        ]
    else:
        (key,) = folders
        lines += [
            f"{key[0]}, {key[1]} with attention `{key[3]}`, protocol {key[2]}; "
            f"{len(rows)} folds × seeds, seeds {sorted(rows['seed'].unique().tolist())}, "
            f"classes {', '.join(classes.get(key) or [])}.",
            "",
            "## Per subject",
            "",
            format_table(per_subject(rows)),
            "",
        ]
    plots = [
        ("Accuracy per subject", plot_per_subject(rows, figures / "per_subject.png")),
        (
            "Distribution per attention module",
            plot_distribution(rows, figures / "distribution.png"),
        ),
    ]
    for group, block in _groups(rows):
        slug = _slug(group)
        plots.append(
            (
                f"Confusion matrices: {_title(group)}",
                plot_confusions(block, classes, figures / f"confusion_{slug}.png"),
            )
        )
        curve = plot_learning_curves(folders, group, figures / f"learning_curves_{slug}.png")
        if curve is not None:
            plots.append((f"Learning curves: {_title(group)}", curve))
    if interpret and not is_sweep:
        from .interpret import interpret_run

        for path in interpret_run(folder, out=figures):
            plots.append((f"Interpretation: {path.stem.replace('_', ' ')}", path))
    for title, path in plots:
        lines += [f"## {title}", "", f"![{title}]({path.relative_to(folder).as_posix()})", ""]
    text = "\n".join(lines)
    write_atomic(folder / "report.md", text)
    write_atomic(folder / "report.html", markdown_to_html(text, f"Report: {folder.name}"))
    echo(f"report: {folder / 'report.md'} and report.html, {len(plots)} figures in {figures}")
    return folder / "report.md"


def zoo_table(folder: str | os.PathLike, costs_at: str | None = None) -> str:
    """The attention zoo's table of a sweep: each attention entry's insertion point,
    parameters and multiply-adds beside its accuracy on each dataset of the grid.

    Parameters
    ----------
    folder : path
        A sweep folder (its ``sweep.json`` names the sweep file and the cells' folders).
    costs_at : str | None
        The dataset, by its name in the grid, at whose input shape parameters and
        multiply-adds are counted (default: the grid's last dataset). Each module is
        counted as its run there computed it (insertion points and every option, from the
        run's ``config.json``), or as the sweep file sets it when that run has not started.

    Returns
    -------
    str
        Markdown: a title, what the table holds, and a table per backbone and protocol with
        a row per attention entry. An accuracy is the mean ± std over the test subjects (each
        subject's seeds averaged) in %; a run not finished shows how many of its units are
        done.

    Raises
    ------
    ValueError
        ``folder`` holds no sweep, or ``costs_at`` names none of its datasets.
    """
    import json
    from dataclasses import replace

    from ..evaluation.records import attention_options, resolved_of
    from ..models import get_backbone
    from ..models.cost import data_shape, summarize
    from .grid import SweepSpec, expand

    folder = Path(folder)
    record_file = folder / "sweep.json"
    if not record_file.is_file():
        raise ValueError(f"{folder} is not a sweep folder (no sweep.json): run the sweep first")
    record = json.loads(record_file.read_text())
    source = record.get("source", str(record_file))
    recorded = {tuple(c[k] for k in CONFIG_KEYS): c for c in record["cells"]}
    cells = {}
    for cell in expand(SweepSpec(**record["spec"]), source):
        key = tuple(cell.labels[k] for k in CONFIG_KEYS)
        entry = recorded.get(key, {})
        scoring = {k: entry[k] for k in ("seeds", "ensemble") if k in entry}
        config = cell.config.replace(out=entry.get("folder", str(cell.folder)), **scoring)
        cells[key] = replace(cell, config=config)
    datasets = list(dict.fromkeys(key[0] for key in cells))
    costs_at = datasets[-1] if costs_at is None else costs_at
    if costs_at not in datasets:
        raise ValueError(
            f"--costs-at {costs_at!r}: the sweep's datasets are {', '.join(datasets)}"
        )
    lines, shape = [], None
    for backbone, protocol in dict.fromkeys((key[1], key[2]) for key in cells):
        lines += [
            f"## {get_backbone(backbone).display_name}, {protocol}",
            "",
            "| module | point | params | attn params | MACs | attn MACs | "
            + " | ".join(datasets)
            + " |",
            "|---|---|---:|---:|---:|---:|" + "---|" * len(datasets),
        ]
        names = dict.fromkeys(k[3] for k in cells if k[1:3] == (backbone, protocol))
        for name in names:
            cell = cells[(costs_at, backbone, protocol, name)]
            model = cell.config.model
            points, options = model.attention_at, model.attention_options
            stored = RunFolder(cell.folder).stored()
            if stored is not None:
                points, options = resolved_of(stored)["attention_at"], attention_options(stored)
            shape = data_shape(cell.config.data)
            cost = summarize(backbone, model.attention, shape, points, options)
            shown = ",".join(cost.points) if model.attention != "none" else "-"
            accuracies = [
                _zoo_accuracy(cells[(dataset, backbone, protocol, name)]) for dataset in datasets
            ]
            lines.append(
                f"| {name} | {shown} | {cost.params:,} | {cost.attention_params:,} | "
                f"{cost.macs:,} | {cost.attention_macs:,} | " + " | ".join(accuracies) + " |"
            )
        lines.append("")
    head = [
        f"# Attention zoo: {Path(source).stem}",
        "",
        f"Made by `bci-attn report {folder.as_posix()} --zoo-table` from the sweep "
        f"`{source}`. Parameters and multiply-adds of one trial at the {costs_at} input "
        f"({shape.describe()}), of each module as its run computed it (insertion point and "
        "options); *attn*: the attention layers alone. Accuracy in %, mean ± std over the "
        "test subjects, each subject's seeds averaged; a run not finished shows how many of "
        "its units are done.",
        "",
    ]
    return "\n".join(head + lines).rstrip() + "\n"


def _zoo_accuracy(cell) -> str:
    """A cell's accuracy as :func:`zoo_table` shows it."""
    from ..evaluation.records import resolved_of
    from .grid import cell_rows

    run = RunFolder(cell.folder)
    stored = run.stored()
    seeds = cell.config.evaluation.seeds
    done = [r for r in run.results() if r.seed in seeds] if stored is not None else []
    if not done:
        return "not run"
    expected = len(resolved_of(stored).get("folds", [])) * len(seeds)
    if len(done) < expected:
        return f"({len(done)} of {expected} units done)"
    accuracy = 100 * per_subject(cell_rows(cell))["accuracy"]
    return f"{accuracy.mean():.1f} ± {accuracy.std(ddof=0):.1f}"
