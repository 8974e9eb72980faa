"""Scores and tables: accuracy and kappa, the seeds' ensemble, per-subject tables."""

import numpy as np
import pytest
import torch

from bci_attn.evaluation.scoring import (
    calibration_table,
    ensemble_results,
    format_calibration_table,
    format_table,
    mean_std,
    per_subject,
    result_rows,
    scores,
)


def test_accuracy_and_kappa_of_logits():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [0.0, 3.0], [-1.0, 1.0]])  # 0, 1, 1, 1
    found = scores(logits, torch.tensor([0, 1, 0, 1]), 2)
    assert found == {"accuracy": 0.75, "kappa": pytest.approx(0.5)}  # chance agreement 0.5


def test_the_ensemble_averages_the_seeds_probabilities(result):
    members = [
        result("subject1", 0, probabilities=[[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.4, 0.6]]),
        result("subject1", 1, probabilities=[[0.4, 0.6], [0.1, 0.9], [0.45, 0.55], [0.3, 0.7]]),
    ]  # labels 0, 1, 0, 1: seed 0 predicts 0, 0, 1, 1 and seed 1 predicts 1, 1, 1, 1
    (combined,) = ensemble_results(members)
    (row,) = combined.rows
    assert combined.seed == [0, 1] and combined.fold == "subject1"
    assert row.predictions == [0, 1, 1, 1] and row.accuracy == 0.75
    np.testing.assert_allclose(row.probabilities[0], [0.65, 0.35])
    assert row.labels == [0, 1, 0, 1]


def test_an_ensemble_of_results_without_probabilities_is_refused(result):
    members = [result("subject1", 0, probabilities=[[0.5, 0.5]] * 4), result("subject1", 1)]
    with pytest.raises(ValueError, match="fold subject1: a stored result has no class prob"):
        ensemble_results(members)


def test_the_results_table_has_a_row_per_fold_seed_subject_and_size(result):
    results = [
        result("holdout", 0, {3: 0.5, 4: 0.25}, [[0.5, 0.5]] * 4, {(3, 2): 0.75, (4, 2): 1.0}),
        result("holdout", 1, {3: 0.75, 4: 0.75}, [[0.5, 0.5]] * 4, {(3, 2): 1.0, (4, 2): 0.5}),
    ]
    rows = result_rows(results)
    assert len(rows) == 8
    assert not {"labels", "predictions", "probabilities", "rows", "unit"} & set(rows)
    assert {"fold", "seed", "n_train", "epochs", "subject", "n_calibration"} <= set(rows)
    assert {"labels", "probabilities"} <= set(result_rows(results, lists=True))
    table = per_subject(rows)
    assert table["accuracy"].to_dict() == {3: 0.625, 4: 0.5}  # zero-shot, seeds averaged
    curve = calibration_table(rows)
    assert curve["accuracy"][2].to_dict() == {3: 0.875, 4: 0.75}
    assert mean_std(table)["accuracy_mean"] == pytest.approx(0.5625)
    assert mean_std(table)["accuracy_std"] == pytest.approx(0.0625)  # ddof 0


def test_tables_in_markdown(result):
    rows = result_rows([result("a", 0, {1: 0.5, 2: 1.0}, calibration={(1, 5): 0.75, (2, 5): 1})])
    text = format_table(per_subject(rows))
    assert text.splitlines() == [
        "| subject | accuracy (%) | kappa |",
        "|---|---|---|",
        "| 1 | 50.0 | 0.000 |",
        "| 2 | 100.0 | 1.000 |",
        "| mean ± std | 75.0 ± 25.0 | 0.500 ± 0.500 |",
    ]
    lines = format_calibration_table(calibration_table(rows)).splitlines()
    assert lines[0] == "| subject | N=0 acc. (%) | N=0 kappa | N=5 acc. (%) | N=5 kappa |"
    assert (
        lines[-1] == "| mean ± std | 75.0 ± 25.0 | 0.500 ± 0.500 | 87.5 ± 12.5 | 0.750 ± 0.250 |"
    )
