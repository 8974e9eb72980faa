"""Fold results: their JSON form, the formats of earlier versions, what a damaged one lacks."""

import json
from pathlib import Path

import pytest
import torch

from bci_attn.evaluation.results import FoldResult, Score

ROOT = Path(__file__).resolve().parents[2]


def test_the_json_form_reads_back_as_the_same_result(result):
    first = result(accuracies={3: 0.75, 4: 0.5}, probabilities=[[0.2, 0.8]] * 4)
    first = FoldResult(**{**first.__dict__, "unit": "abc", "weights": {"w": torch.ones(2)}})
    values = json.loads(json.dumps(first.to_dict()))
    assert "weights" not in values and values["rows"][0]["subject"] == 3
    again = FoldResult.from_dict(values)
    assert again == first and again.weights is None


def test_results_from_before_calibration_are_one_zero_shot_row():
    old = {
        "fold": "subject1", "subject": 1, "seed": 0, "accuracy": 0.5, "kappa": 0.0,
        "n_train": 8, "n_valid": 2, "n_test": 4, "epochs": 1, "seconds": 1.0,
        "labels": [0, 1, 0, 1], "predictions": [0, 0, 0, 1],
    }  # fmt: skip
    read = FoldResult.from_dict(old)
    assert read.rows == [Score(1, 0, 0, 0.5, 0.0, 4, [0, 1, 0, 1], [0, 0, 0, 1])]
    assert (read.fold, read.n_train, read.trained_with, read.unit) == ("subject1", 8, {}, None)
    assert read.zero_shot() == read.rows


def test_every_committed_fold_file_reads():
    files = sorted(ROOT.glob("experiments/*/runs/*/folds/*.json"))
    assert len(files) > 500
    old = 0
    for path in files:
        values = json.loads(path.read_text())
        read = FoldResult.from_dict(values)
        assert read.fold == values["fold"] and read.rows, path
        if "rows" not in values:  # before calibration: the scores at the top level
            old += 1
            assert [(r.subject, r.accuracy) for r in read.rows] == [
                (values["subject"], values["accuracy"])
            ]
    assert old > 0


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "expected a JSON object, got list"),
        ({"fold": "subject1"}, "lacks field(s) subject, seed, n_train, n_valid, n_test, epochs"),
        (
            {"fold": "a", "subject": 1, "seed": 0, "n_train": 1, "n_valid": 0, "n_test": 1,
             "epochs": 1, "seconds": 1.0},
            "lacks field(s) rows",
        ),
        (
            {"fold": "a", "subject": 1, "seed": 0, "n_train": 1, "n_valid": 0, "n_test": 1,
             "epochs": 1, "seconds": 1.0, "rows": [{"subject": 1}]},
            "has a row that is not a score",
        ),
    ],
)  # fmt: skip
def test_what_a_damaged_result_lacks_is_named(values, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        FoldResult.from_dict(values)


def test_zero_shot_leaves_out_the_calibrated_scores(result):
    calibrated = result(accuracies={1: 0.5, 2: 0.75}, calibration={(1, 5): 0.9, (2, 5): 1.0})
    assert [(r.subject, r.n_calibration) for r in calibrated.rows] == [
        (1, 0),
        (2, 0),
        (1, 5),
        (2, 5),
    ]
    assert [r.accuracy for r in calibrated.zero_shot()] == [0.5, 0.75]
