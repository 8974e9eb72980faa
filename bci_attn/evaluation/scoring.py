"""Scores and tables: accuracy and kappa per test subject, ensembles of seeds' models.

Metrics are torchmetrics' (``multiclass_accuracy``, ``multiclass_cohen_kappa``); tables
are per test subject, averaged over its folds and seeds, with a closing mean ± std over
subjects (seeds are averaged, never counted as samples).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from .results import FoldResult

if TYPE_CHECKING:
    import pandas as pd
    import torch


def scores(logits: torch.Tensor, y: torch.Tensor, n_classes: int) -> dict[str, float]:
    """Accuracy and Cohen's kappa of ``logits`` against labels ``y`` (torchmetrics)."""
    from torchmetrics.functional.classification import (
        multiclass_accuracy,
        multiclass_cohen_kappa,
    )

    logits, y = logits.float().cpu(), y.cpu()
    return {
        "accuracy": float(multiclass_accuracy(logits, y, n_classes, average="micro")),
        "kappa": float(multiclass_cohen_kappa(logits, y, n_classes)),
    }


def ensemble_results(results: list[FoldResult]) -> list[FoldResult]:
    """One result per fold for the ensemble of its seeds' models.

    Each test subject's zero-shot class probabilities are averaged over the fold's seeds
    and scored again; nothing but the models' own outputs enters the average. The result
    has ``seed`` set to the list of seeds it combines.

    Raises
    ------
    ValueError
        A fold result stored without probabilities (written before ensembles existed).
    """
    import torch

    by_fold: dict[str, list[FoldResult]] = {}
    for result in results:
        by_fold.setdefault(result.fold, []).append(result)
    combined = []
    for fold, members in by_fold.items():
        rows = [m.zero_shot() for m in members]
        if any(r.probabilities is None for rs in rows for r in rs):
            raise ValueError(
                f"fold {fold}: a stored result has no class probabilities (it predates "
                "ensembles); run the ensemble into a new --out"
            )
        ensemble_rows = []
        for same_subject in zip(*rows, strict=True):
            first = same_subject[0]
            mean = torch.tensor([r.probabilities for r in same_subject]).mean(0)
            ensemble_rows.append(
                dataclasses.replace(
                    first,
                    **scores(mean, torch.tensor(first.labels), mean.shape[1]),
                    predictions=mean.argmax(1).tolist(),
                    probabilities=mean.tolist(),
                )
            )
        seeds = sorted(m.seed for m in members)
        combined.append(dataclasses.replace(members[0], seed=seeds, rows=ensemble_rows))
    return combined


def result_rows(results: list[FoldResult], lists: bool = False) -> pd.DataFrame:
    """The results table: a row per fold, seed, test subject and calibration size.

    Each row joins the fold's fields (sizes, epochs, seconds) with one of its scores; the
    per-trial lists (``labels``, ``predictions``, ``probabilities``) are kept only when
    ``lists`` is True.
    """
    import pandas as pd

    records = []
    for result in results:
        shared = {
            k: v
            for k, v in result.to_dict().items()
            if k not in ("rows", "trained_with", "unit") and not isinstance(v, list)
        }
        for row in result.rows:
            values = dataclasses.asdict(row)
            kept = {k: v for k, v in values.items() if lists or not isinstance(v, list)}
            if not lists:
                kept.pop("probabilities", None)
            records.append({**shared, **kept})
    return pd.DataFrame(records)


def mean_std(table: pd.DataFrame) -> dict[str, float]:
    """Mean and standard deviation over subjects of the accuracy and kappa columns."""
    return {
        f"{metric}_{stat}": float(getattr(table[metric], stat)(**kw))
        for metric in ("accuracy", "kappa")
        for stat, kw in (("mean", {}), ("std", {"ddof": 0}))
    }


def per_subject(rows: pd.DataFrame) -> pd.DataFrame:
    """Zero-shot accuracy and kappa per test subject, averaged over its folds and seeds."""
    zero_shot = rows[rows["n_calibration"] == 0]
    return zero_shot.groupby("subject")[["accuracy", "kappa"]].mean()


def calibration_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Accuracy and kappa per test subject (rows) and calibration size (columns).

    Columns are a two-level index ``(metric, n_calibration)``; values are averaged over
    the subject's folds and seeds.
    """
    return rows.pivot_table(
        index="subject", columns="n_calibration", values=["accuracy", "kappa"], aggfunc="mean"
    )


def _cells(accuracy: pd.Series, kappa: pd.Series) -> tuple[list[str], str]:
    """Per-subject cells and the closing mean ± std cell of one accuracy/kappa pair."""
    cells = [f"{100 * a:.1f} | {k:.3f}" for a, k in zip(accuracy, kappa, strict=True)]
    acc = 100 * accuracy
    closing = (
        f"{acc.mean():.1f} ± {acc.std(ddof=0):.1f} | {kappa.mean():.3f} ± {kappa.std(ddof=0):.3f}"
    )
    return cells, closing


def format_table(table: pd.DataFrame) -> str:
    """Per-subject table in percent with a closing mean ± std (std over subjects)."""
    cells, closing = _cells(table["accuracy"], table["kappa"])
    lines = ["| subject | accuracy (%) | kappa |", "|---|---|---|"]
    lines += [f"| {subject} | {cell} |" for subject, cell in zip(table.index, cells, strict=True)]
    lines.append(f"| mean ± std | {closing} |")
    return "\n".join(lines)


def format_calibration_table(curve: pd.DataFrame) -> str:
    """:func:`calibration_table` as Markdown: accuracy (%) and kappa per calibration size.

    N is the number of calibration trials per class (N=0: zero-shot); the closing row is
    the mean ± std over subjects.
    """
    sizes = list(curve["accuracy"].columns)
    columns = [_cells(curve["accuracy"][n], curve["kappa"][n]) for n in sizes]
    header = " | ".join(f"N={n} acc. (%) | N={n} kappa" for n in sizes)
    lines = [f"| subject | {header} |", "|---" * (1 + 2 * len(sizes)) + "|"]
    for i, subject in enumerate(curve.index):
        lines.append(f"| {subject} | " + " | ".join(c[0][i] for c in columns) + " |")
    lines.append("| mean ± std | " + " | ".join(c[1] for c in columns) + " |")
    return "\n".join(lines)
