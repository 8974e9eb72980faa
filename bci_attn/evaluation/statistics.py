"""Each configuration against its no-attention baseline, as MOABB's analysis compares pipelines.

The unit of the paired test is the **subject**: a configuration and its baseline are
compared on the same folds and seeds, each subject's accuracy is averaged over those folds
and seeds, and the per-subject differences are tested

- with an exact sign-flip permutation test below ``perm_cutoff`` subjects (MOABB uses the
  same cut-off of 20), else with the Wilcoxon signed-rank test; both two-sided;
- the effect size is MOABB's standardised mean difference
  (:func:`moabb.analysis.meta_analysis.compute_effect`: mean / std of the differences);
- p-values are corrected for the number of comparisons (Holm by default).

Seeds are not independent samples: they are averaged, never counted as subjects.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from ..config.schema import check_fields, option

if TYPE_CHECKING:
    import pandas as pd

#: Columns naming a configuration in a tidy results table.
CONFIG_KEYS = ("dataset", "backbone", "protocol", "attention")
#: What a configuration is compared within (its baseline shares these).
GROUP_KEYS = CONFIG_KEYS[:-1]
BASELINE = "none"
#: The ``seed`` of rows scoring the ensemble of a configuration's seeds' models.
ENSEMBLE = "ensemble"


@dataclass(frozen=True)
class StatisticsSpec:
    """How each configuration is compared with its baseline (``statistics:``)."""

    baseline: str = option(
        BASELINE,
        "the grid.attention entry the others are compared with (default none, added when "
        "the grid lacks it; another name: a cell of the grid, e.g. the previous recipe)",
    )
    test: Literal["auto", "permutation", "wilcoxon"] = option(
        "auto",
        "paired test over subjects: auto (exact sign-flip permutation below perm_cutoff "
        "subjects, else Wilcoxon, as MOABB chooses), permutation or wilcoxon",
    )
    correction: Literal["holm", "fdr_bh", "bonferroni", "none"] = option(
        "holm", "correction for the number of comparisons of the study"
    )
    perm_cutoff: int = option(20, "subjects from which auto uses Wilcoxon", minimum=2)

    def __post_init__(self) -> None:
        check_fields(self, "statistics")


TESTS = typing.get_args(typing.get_type_hints(StatisticsSpec)["test"])
CORRECTIONS = typing.get_args(typing.get_type_hints(StatisticsSpec)["correction"])


def per_subject_seed(rows: pd.DataFrame, keys=CONFIG_KEYS) -> pd.DataFrame:
    """Accuracy per configuration, subject and seed (mean over that subject's folds)."""
    return rows.groupby([*keys, "subject", "seed"], as_index=False, sort=False)[
        ["accuracy", "kappa"]
    ].mean()


def summarise(rows: pd.DataFrame, keys=CONFIG_KEYS) -> pd.DataFrame:
    """Mean ± std of accuracy and kappa per configuration, over subjects and seeds.

    Parameters
    ----------
    rows : pd.DataFrame
        Tidy results: a row per fold and seed with ``subject``, ``seed``, ``accuracy``,
        ``kappa`` and the ``keys`` columns.

    Returns
    -------
    pd.DataFrame
        A row per configuration: ``accuracy_mean``, ``accuracy_std`` (std over the
        subject × seed scores), ``accuracy_subject_std`` (std over subjects of their
        seed-averaged scores), ``kappa_mean``, ``kappa_std``, ``n_subjects``, ``n_seeds``.
    """
    scores = per_subject_seed(rows, keys)
    grouped = scores.groupby(list(keys), sort=False)
    table = grouped.agg(
        accuracy_mean=("accuracy", "mean"),
        accuracy_std=("accuracy", lambda a: a.std(ddof=0)),
        kappa_mean=("kappa", "mean"),
        kappa_std=("kappa", lambda a: a.std(ddof=0)),
        n_subjects=("subject", "nunique"),
        n_seeds=("seed", "nunique"),
    )
    subject_means = scores.groupby([*keys, "subject"])["accuracy"].mean()
    table["accuracy_subject_std"] = subject_means.groupby(list(keys)).std(ddof=0)
    return table.reset_index()


def paired_test(
    differences: np.ndarray, test: str = "auto", perm_cutoff: int = 20
) -> tuple[float, str]:
    """Two-sided p-value that the paired ``differences`` are centred on zero.

    Parameters
    ----------
    differences : np.ndarray
        One difference per subject.
    test : {"auto", "permutation", "wilcoxon"}
        ``auto``: permutation below ``perm_cutoff`` subjects, Wilcoxon from there on.
    perm_cutoff : int

    Returns
    -------
    p : float
    test : str
        The test used.
    """
    if test not in TESTS:
        raise ValueError(f"unknown test '{test}'; available: {', '.join(TESTS)}")
    d = np.asarray(differences, dtype=float)
    if test == "auto":
        test = "permutation" if len(d) < perm_cutoff else "wilcoxon"
    if len(d) < 2 or np.allclose(d, 0):
        return 1.0, test
    from scipy import stats

    if test == "wilcoxon":
        return float(stats.wilcoxon(d).pvalue), test
    exact = 2 ** len(d) <= 100_000
    result = stats.permutation_test(
        (d,),
        np.mean,
        permutation_type="samples",  # one sample: the signs are flipped
        alternative="two-sided",
        n_resamples=np.inf if exact else 100_000,
        random_state=0,
    )
    return float(min(1.0, result.pvalue)), test


def effect_size(ours: pd.Series, baseline: pd.Series) -> float:
    """MOABB's standardised mean difference of paired scores (mean / std of differences)."""
    import pandas as pd
    from moabb.analysis.meta_analysis import compute_effect

    frame = pd.DataFrame({"ours": ours.to_numpy(), "baseline": baseline.to_numpy()})
    return float(compute_effect(frame, ["ours", "baseline"])[0, 1])


def correct(pvalues: np.ndarray, method: str = "holm") -> np.ndarray:
    """P-values adjusted for multiple comparisons (Holm, Benjamini-Hochberg, Bonferroni)."""
    if method not in CORRECTIONS:
        raise ValueError(f"unknown correction '{method}'; available: {', '.join(CORRECTIONS)}")
    p = np.asarray(pvalues, dtype=float)
    if method == "none" or len(p) == 0:
        return p
    if method == "bonferroni":
        return np.minimum(1.0, p * len(p))
    if method == "fdr_bh":
        from scipy import stats

        return stats.false_discovery_control(p, method="bh")
    order = np.argsort(p)
    stepped = np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(1.0, stepped)
    return adjusted


def stars(p: float) -> str:
    """``***`` p < 0.001, ``**`` p < 0.01, ``*`` p < 0.05, else ``ns``."""
    if not np.isfinite(p):
        return ""
    return next((s for limit, s in ((0.001, "***"), (0.01, "**"), (0.05, "*")) if p < limit), "ns")


def _pairs(ours: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``ours`` joined with the baseline's on the same fold, seed and subject; an
    ensemble (one score per fold) is joined with the baseline's mean over its seeds."""
    if (ours["seed"] == ENSEMBLE).all():
        base = base.groupby(["fold", "subject"], as_index=False)["accuracy"].mean()
        return ours.merge(base, on=["fold", "subject"], suffixes=("", "_base"))
    return ours.merge(base, on=["fold", "seed", "subject"], suffixes=("", "_base"))


def compare_with_baseline(
    rows: pd.DataFrame,
    baseline: str = BASELINE,
    test: str = "auto",
    correction: str = "holm",
    perm_cutoff: int = 20,
) -> pd.DataFrame:
    """Every configuration against the baseline of its dataset, backbone and protocol.

    Only the (fold, seed) pairs both have finished are compared; a configuration scored as
    the ensemble of its seeds' models (``seed`` = :data:`ENSEMBLE`) is compared with the
    baseline's mean over seeds, fold by fold.

    Returns
    -------
    pd.DataFrame
        A row per configuration other than the baseline: ``n_subjects``, ``delta``
        (mean accuracy difference, in accuracy units), ``effect`` (standardised mean
        difference), ``test``, ``p``, ``p_corrected``, ``significance``.

    Raises
    ------
    ValueError
        A configuration without its baseline in ``rows``.
    """
    records = []
    for group, block in rows.groupby(list(GROUP_KEYS), sort=False):
        base = block[block["attention"] == baseline]
        for label, ours in block[block["attention"] != baseline].groupby("attention", sort=False):
            where = dict(zip(GROUP_KEYS, group, strict=True))
            if base.empty:
                raise ValueError(f"no '{baseline}' baseline for {where} attention={label}")
            pairs = _pairs(ours, base)
            subjects = pairs.groupby("subject")[["accuracy", "accuracy_base"]].mean()
            p, used = paired_test(
                (subjects["accuracy"] - subjects["accuracy_base"]).to_numpy(), test, perm_cutoff
            )
            records.append(
                {
                    **where,
                    "attention": label,
                    "n_subjects": len(subjects),
                    "n_pairs": len(pairs),
                    "delta": float((subjects["accuracy"] - subjects["accuracy_base"]).mean()),
                    "effect": effect_size(subjects["accuracy"], subjects["accuracy_base"])
                    if len(subjects) > 1
                    else float("nan"),
                    "test": used,
                    "p": p,
                }
            )
    import pandas as pd

    table = pd.DataFrame(
        records, columns=[*CONFIG_KEYS, "n_subjects", "n_pairs", "delta", "effect", "test", "p"]
    )
    table["p_corrected"] = correct(table["p"].to_numpy(), correction)
    table["significance"] = [stars(p) for p in table["p_corrected"]]
    return table


def summary_table(rows: pd.DataFrame, **options) -> pd.DataFrame:
    """:func:`summarise` joined with :func:`compare_with_baseline` (NaN for baselines)."""
    summary = summarise(rows)
    comparison = compare_with_baseline(rows, **options)
    return summary.merge(comparison, on=list(CONFIG_KEYS), how="left", suffixes=("", "_paired"))


def format_summary(table: pd.DataFrame, correction: str = "holm", baseline: str = BASELINE) -> str:
    """Markdown: a row per configuration, accuracy mean ± std and the test against
    ``baseline``."""
    import pandas as pd

    lines = [
        "| dataset | backbone | protocol | attention | accuracy (%) | kappa | subjects × seeds |"
        f" Δ vs {baseline} (pp) | effect | p | p corrected | sig. |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        compared = pd.notna(r.get("p"))
        tail = (
            f"{100 * r['delta']:+.1f} | {r['effect']:.2f} | {r['p']:.3g} | "
            f"{r['p_corrected']:.3g} | {r['significance']} |"
            if compared
            else "baseline | | | | |"
        )
        lines.append(
            f"| {r['dataset']} | {r['backbone']} | {r['protocol']} | {r['attention']} | "
            f"{100 * r['accuracy_mean']:.1f} ± {100 * r['accuracy_std']:.1f} | "
            f"{r['kappa_mean']:.3f} ± {r['kappa_std']:.3f} | "
            f"{r['n_subjects']} × {r['n_seeds']} | " + tail
        )
    lines.append("")
    lines.append(
        "Mean ± std over subjects and seeds. Δ, effect (standardised mean difference) and p: "
        "paired two-sided test over subjects against the baseline "
        + ("(no attention)" if baseline == BASELINE else f"`{baseline}`")
        + " on the same "
        f"folds and seeds; p corrected: {correction} over all comparisons; "
        "\\* p < 0.05, \\*\\* p < 0.01, \\*\\*\\* p < 0.001, ns: not significant."
    )
    return "\n".join(lines)
