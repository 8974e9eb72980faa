"""Each configuration against its no-attention baseline: paired over subjects on the same
folds and seeds, corrected for the number of comparisons."""

import numpy as np
import pandas as pd
import pytest

from bci_attn.config import ConfigError
from bci_attn.evaluation import statistics as stats


def tidy(rows: list[tuple], columns=("attention", "fold", "subject", "seed", "accuracy")):
    table = pd.DataFrame(rows, columns=list(columns))
    return table.assign(dataset="d", backbone="b", protocol="loso", kappa=0.0)


def test_paired_tests_and_corrections():
    p, test = stats.paired_test(np.array([0.1, 0.05, -0.02, 0.08, 0.03]))
    assert test == "permutation" and p == pytest.approx(4 / 32)  # exact sign flips
    assert stats.paired_test(np.zeros(5))[0] == 1.0
    assert stats.paired_test(np.array([0.1]))[0] == 1.0  # one subject: nothing to test
    p, test = stats.paired_test(np.linspace(0.01, 0.2, 25))
    assert test == "wilcoxon" and p < 1e-4
    assert stats.paired_test(np.linspace(0.01, 0.2, 25), "permutation")[1] == "permutation"
    assert stats.paired_test(np.ones(5), "auto", perm_cutoff=5)[1] == "wilcoxon"
    np.testing.assert_allclose(stats.correct([0.01, 0.04, 0.03], "holm"), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(stats.correct([0.01, 0.5], "bonferroni"), [0.02, 1.0])
    np.testing.assert_allclose(stats.correct([0.01, 0.04, 0.03], "fdr_bh"), [0.03, 0.04, 0.04])
    np.testing.assert_allclose(stats.correct([0.01, 0.5], "none"), [0.01, 0.5])
    assert [stats.stars(p) for p in (0.0005, 0.005, 0.04, 0.2)] == ["***", "**", "*", "ns"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: stats.paired_test(np.ones(3), "t-test"), "unknown test 't-test'; available"),
        (lambda: stats.correct([0.1], "sidak"), "unknown correction 'sidak'; available: holm"),
    ],
)
def test_unknown_tests_and_corrections_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("values", "key"),
    [
        (dict(test="t-test"), "statistics.test"),
        (dict(correction="sidak"), "statistics.correction"),
        (dict(perm_cutoff=1), "statistics.perm_cutoff"),
    ],
)
def test_the_statistics_options_are_checked_when_made(values, key):
    with pytest.raises(ConfigError) as info:
        stats.StatisticsSpec(**values)
    assert info.value.key == key


def test_the_comparison_pairs_the_same_folds_and_seeds():
    rng = np.random.default_rng(0)
    rows = []
    for attention, shift in (("none", 0.0), ("good", 0.05), ("same", 0.0)):
        for subject in range(1, 11):
            for seed in (0, 1):
                base = 0.6 + 0.02 * subject + 0.01 * seed
                noise = rng.normal(0, 0.005) if shift else 0
                rows.append((attention, f"subject{subject}", subject, seed, base + shift + noise))
    rows = tidy(rows)
    # a seed only the attention run has is left out of the comparison
    extra = rows[rows["attention"] == "good"].assign(seed=9, accuracy=0.0)
    table = stats.summary_table(pd.concat([rows, extra])).set_index("attention")
    good = table.loc["good"]
    assert good["delta"] == pytest.approx(0.05, abs=0.01)
    assert good["significance"] in ("*", "**") and good["n_pairs"] == 20
    assert good["n_subjects"] == 10 and good["test"] == "permutation" and good["effect"] > 1
    same = table.loc["same"]
    assert same["p"] == 1.0 and same["significance"] == "ns"
    assert pd.isna(table.loc["none", "p"])  # the baseline is no comparison
    text = stats.format_summary(table.reset_index())
    assert "| d | b | loso | none |" in text and "baseline" in text and "holm" in text
    assert "Δ vs none (pp)" in text and "baseline (no attention)" in text
    renamed = rows.replace({"attention": {"none": "previous"}})
    table = stats.summary_table(renamed, baseline="previous").set_index("attention")
    assert table.loc["good", "delta"] == pytest.approx(0.05, abs=0.01)
    text = stats.format_summary(table.reset_index(), baseline="previous")
    assert "Δ vs previous (pp)" in text and "baseline `previous`" in text


def test_an_ensemble_is_paired_with_the_baseline_mean_over_seeds():
    rows = []
    for subject in range(1, 7):
        for seed, accuracy in ((0, 0.5), (1, 0.7)):
            rows.append(("none", f"subject{subject}", subject, seed, accuracy))
        rows.append(
            ("+ensemble", f"subject{subject}", subject, stats.ENSEMBLE, 0.6 + 0.01 * subject)
        )
    (row,) = stats.compare_with_baseline(tidy(rows)).itertuples()
    assert row.n_pairs == 6  # one pair per fold: the ensemble against the seeds' mean
    assert row.delta == pytest.approx(np.mean([0.01 * s for s in range(1, 7)]))


def test_a_configuration_without_its_baseline_is_refused():
    rows = tidy([("se", "subject1", 1, 0, 0.5), ("se", "subject2", 2, 0, 0.6)])
    with pytest.raises(ValueError, match="no 'none' baseline for .*attention=se"):
        stats.compare_with_baseline(rows)


def test_the_summary_averages_folds_per_subject_and_seed():
    rows = tidy(
        [
            ("none", "a", 1, 0, 0.5), ("none", "b", 1, 0, 0.7),  # subject 1, seed 0: 0.6
            ("none", "a", 1, 1, 0.8),
            ("none", "a", 2, 0, 0.4), ("none", "a", 2, 1, 0.4),
        ]
    )  # fmt: skip
    (row,) = stats.summarise(rows).itertuples()
    assert (row.n_subjects, row.n_seeds) == (2, 2)
    assert row.accuracy_mean == pytest.approx(np.mean([0.6, 0.8, 0.4, 0.4]))
    assert row.accuracy_subject_std == pytest.approx(np.std([0.7, 0.4]))
