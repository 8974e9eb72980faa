"""Nested recipe selection: no outer test subject in any inner split, the best inner score
wins, a killed selection resumes, bad selection files name the key and the file.

Trainings are replaced by a function returning known scores except in one tiny end-to-end
run (synthetic EEG, 4 subjects, 2 classes, 1 s trials, 1 epoch).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from bci_attn import experiment, selection
from bci_attn.protocols import Fold, LeaveOneSubjectOut

TINY = {
    "data": {"dataset": "synthetic", "subjects": "1-4", "n_classes": 2, "tmax": 1.0},
    "trainer": {"max_epochs": 1},
}
#: Candidates told apart by their learning rate, which the fake training reads.
SPACE = [
    {"name": "a", "model": {"lr": 0.001}},
    {"name": "b", "model": {"lr": 0.002}},
    {"name": "c", "model": {"lr": 0.003}},
]


def write_spec(tmp: Path, **changes) -> Path:
    spec = {
        "out": str(tmp / "selection"),
        "settings": TINY,
        "inner": "holdout",
        "inner_valid_subjects": 1,
        "seeds": [0],
        "space": SPACE,
    }
    spec.update(changes)
    path = tmp / "selection.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def toy_trials(n_subjects: int, per_subject: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    subjects = np.repeat(np.arange(1, n_subjects + 1), per_subject)
    meta = pd.DataFrame({"subject": subjects, "session": "0", "run": "0"})
    return meta, np.tile([0, 1], len(meta) // 2)


# --- inner splits -------------------------------------------------------------------------


@pytest.mark.parametrize(("inner", "n_valid", "n_scored"), [("loso", 1, 4), ("holdout", 2, 2)])
def test_the_outer_test_subject_is_in_no_inner_split(inner, n_valid, n_scored):
    meta, y = toy_trials(5)
    subject_of = meta["subject"].to_numpy()
    for outer in LeaveOneSubjectOut(seed=0).split(meta, y):
        folds = selection.inner_folds(outer, meta, y, inner, n_valid, seed=0)
        training_rows = np.flatnonzero(subject_of != outer.subject)
        scored = []
        for fold in folds:
            parts = np.concatenate([fold.train, fold.valid, fold.test])
            assert outer.subject not in set(subject_of[parts])
            assert np.array_equal(np.sort(parts), training_rows)  # every other trial, once
            assert len(fold.valid) and len(fold.train)  # monitoring and training subjects
            scored += sorted(set(subject_of[fold.test]))
        assert len(scored) == len(set(scored)) == n_scored


def test_inner_holdout_draws_the_same_subjects_from_the_same_seed():
    meta, y = toy_trials(6)
    outer = LeaveOneSubjectOut(seed=0).split(meta, y)[0]
    draws = [selection.inner_folds(outer, meta, y, "holdout", 2, seed)[0] for seed in (0, 0, 1)]
    assert np.array_equal(draws[0].test, draws[1].test)
    assert draws[0].name == "subject1-inner-holdout"


def test_a_leaking_split_is_refused():
    meta, _ = toy_trials(4)
    leaking = Fold("leak", None, np.arange(4, 8), np.arange(0, 4), np.arange(8, 12))
    with pytest.raises(AssertionError, match="outer test subject 1 is in leak's valid split"):
        selection.assert_unseen(1, [leaking], meta["subject"].to_numpy())


def test_too_few_subjects_for_the_inner_split_is_an_error():
    meta, y = toy_trials(4)
    outer = LeaveOneSubjectOut(seed=0).split(meta, y)[0]
    with pytest.raises(ValueError, match="inner holdout needs at least 5 subjects.*got 4"):
        selection.inner_folds(outer, meta, y, "holdout", 2, seed=0)


# --- the procedure, with known scores -----------------------------------------------------


def fake_training(calls: list, killed_after: int | None = None):
    """A ``train_fold`` whose accuracy depends on the candidate (its lr) and outer subject.

    Inner scores: a 0.6 everywhere; b 0.7 for even outer subjects, 0.5 for odd; c as b (so
    b and c tie, and b comes first). Outer test accuracy: a 0.55, b 0.75, c 0.95.
    """

    def train_fold(config, data, fold, seed, folder):
        if killed_after is not None and len(calls) == killed_after:
            raise RuntimeError("killed")
        calls.append((folder.path.name, fold.name, seed))
        subject_of = data.meta["subject"].to_numpy()
        seen = set(subject_of[np.concatenate([fold.train, fold.valid, fold.test])])
        unseen = set(subject_of) - seen  # an inner fold's outer test subject
        if unseen:
            (outer,) = unseen
            accuracy = {0.001: 0.6, 0.002: 0.7, 0.003: 0.7}[config.lr]
            accuracy = 0.5 if accuracy == 0.7 and outer % 2 else accuracy
        else:
            accuracy = {0.001: 0.55, 0.002: 0.75, 0.003: 0.95}[config.lr]
        rows = [
            {"subject": int(s), "n_calibration": 0, "accuracy": accuracy, "kappa": 0.0}
            for s in sorted(set(subject_of[fold.test]))
        ]
        return {
            "fold": fold.name,
            "subject": fold.subject,
            "seed": seed,
            "seconds": 0.0,
            "rows": rows,
        }

    return train_fold


def test_the_best_inner_score_is_chosen_ties_going_to_the_first(tmp_path, monkeypatch):
    calls: list = []
    monkeypatch.setattr(experiment, "train_fold", fake_training(calls))
    outer = selection.run_selection(str(write_spec(tmp_path)), echo=lambda *a: None)
    chosen = outer.set_index("outer_subject")["candidate"].to_dict()
    assert chosen == {1: "a", 2: "b", 3: "a", 4: "b"}
    assert list(outer["accuracy"]) == [0.55, 0.75, 0.55, 0.75]
    inner = pd.read_csv(tmp_path / "selection" / "inner.csv")
    assert len(inner) == 4 * 3
    best = inner.loc[inner.groupby("outer_subject")["inner_accuracy"].idxmax()]
    assert list(best["candidate"]) == ["a", "b", "a", "b"] and best["chosen"].all()
    assert inner["chosen"].sum() == 4
    text = (tmp_path / "selection" / "selection.md").read_text()
    assert "Nested accuracy: 65.0 ± 10.0 %" in text
    assert "Recommended default: `a`" in text  # a and b both chosen twice: the first wins
    # each candidate's inner fold once per outer subject, the chosen one's outer fold once
    assert len(calls) == 4 * 3 + 4 and len(set(calls)) == len(calls)


def test_a_killed_selection_resumes_without_training_again(tmp_path, monkeypatch):
    path = str(write_spec(tmp_path))
    before: list = []
    monkeypatch.setattr(experiment, "train_fold", fake_training(before, killed_after=5))
    with pytest.raises(RuntimeError, match="killed"):
        selection.run_selection(path, echo=lambda *a: None)
    after: list = []
    monkeypatch.setattr(experiment, "train_fold", fake_training(after))
    outer = selection.run_selection(path, echo=lambda *a: None)
    assert len(before) == 5 and len(after) == 4 * 3 + 4 - 5
    assert not set(before) & set(after)
    assert list(outer["candidate"]) == ["a", "b", "a", "b"]


# --- selection files and the command line -------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"spaces": SPACE}, "unknown key 'spaces'"),
        ({"space": []}, "space must list at least one candidate"),
        ({"seeds": "0"}, "seeds must be a list of ints, got '0'"),
        ({"inner": "kfold"}, "inner must be loso or holdout"),
        ({"inner": "loso"}, "inner_valid_subjects goes with inner: holdout"),
        ({"space": [{"name": "a", "model": {"weight_decays": 0.1}}]}, "'model.weight_decays'"),
        ({"space": [{"name": "a", "model": {"weight_decay": "x"}}]}, "weight_decay must be float"),
        ({"space": [{"name": "a", "data": {"subjects": "1-3"}}]}, "may not set subjects"),
        ({"space": [{"model": {"lr": 0.1}}]}, "must be a mapping with a name"),
        ({"space": [{"name": "a"}, {"name": "a"}]}, "space names must be unique"),
        ({"space": [{"name": "a"}, {"name": "odd", "data": {"align": "x"}}]}, "(space: odd)"),
    ],
)
def test_bad_selection_file_names_the_key_and_the_file(
    tmp_path, capsys, monkeypatch, change, message
):
    monkeypatch.setattr(experiment, "prepare", lambda *a: pytest.fail("loaded data"))
    path = write_spec(tmp_path, **change)
    with pytest.raises(SystemExit) as exit_info:
        selection.main([str(path), "--check"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and str(path) in err
    assert err.count("\n") == 1


def test_check_lists_the_candidates_and_trains_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(experiment, "prepare", lambda *a: pytest.fail("loaded data"))
    assert selection.main([str(write_spec(tmp_path)), "--check"]) == 0
    out = capsys.readouterr().out
    assert "3 candidates, inner holdout" in out and "b: lr=0.002" in out
    assert not (tmp_path / "selection").exists()


def test_seeds_come_from_the_settings_when_not_given(tmp_path):
    path = write_spec(tmp_path, settings={**TINY, "run": {"seeds": [1, 2]}})
    spec = yaml.safe_load(path.read_text())
    del spec["seeds"]
    path.write_text(yaml.safe_dump(spec))
    read = selection.read_spec(str(path))
    assert read.seeds == [1, 2] and read.candidates[0].config.seeds == [1, 2]


def test_the_experiment_selection_file_is_valid():
    spec = Path(__file__).resolve().parents[1] / "experiments" / "recipe_selection.yaml"
    read = selection.read_spec(str(spec))
    selection.check(read)
    assert read.candidates[0].name == "plain" and read.candidates[0].overrides == {}
    # the candidates start from RunConfig's defaults, not from the recipe they choose
    assert {c.config.recipe for c in read.candidates} == {"plain"}


# --- end to end ---------------------------------------------------------------------------


def test_a_tiny_selection_writes_its_tables(tmp_path):
    space = [{"name": "plain"}, {"name": "euclidean", "data": {"align": "euclidean"}}]
    path = write_spec(tmp_path, space=space)
    selection.run_selection(str(path), echo=lambda *a: None)
    out = tmp_path / "selection"
    inner = pd.read_csv(out / "inner.csv")
    outer = pd.read_csv(out / "outer.csv")
    assert len(inner) == 4 * 2 and list(outer["outer_subject"]) == [1, 2, 3, 4]
    chosen = inner[inner["chosen"]].set_index("outer_subject")["candidate"]
    assert chosen.to_dict() == outer.set_index("outer_subject")["candidate"].to_dict()
    assert outer["accuracy"].between(0, 1).all()
    text = (out / "selection.md").read_text()
    assert "## Search space" in text and "| euclidean | align=euclidean |" in text
    assert "Nested accuracy" in text and "Recommended default" in text
    inner_fold = out / "runs" / "plain" / "folds" / "subject1-inner-holdout-seed0.json"
    assert json.loads(inner_fold.read_text())["trained_with"]["device"] == "cpu"


def test_outer_shares_run_only_their_subjects_and_a_last_run_writes_the_tables(
    tmp_path, monkeypatch
):
    path = str(write_spec(tmp_path))
    calls: list = []
    monkeypatch.setattr(experiment, "train_fold", fake_training(calls))
    for share in ([1, 3], [2, 4]):
        before = len(calls)
        selection.run_selection(path, echo=lambda *a: None, outer=share)
        trained = {fold.split("-")[0] for _, fold, _ in calls[before:]}
        assert trained == {f"subject{s}" for s in share}
        assert not (tmp_path / "selection" / "selection.md").exists()
    assert len(calls) == 4 * 3 + 4
    outer = selection.run_selection(path, echo=lambda *a: None)
    assert len(calls) == 4 * 3 + 4  # the last run trains nothing
    assert list(outer["candidate"]) == ["a", "b", "a", "b"]
    assert (tmp_path / "selection" / "selection.md").is_file()


def test_an_outer_subject_the_selection_lacks_is_named(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        selection.main([str(write_spec(tmp_path)), "--outer", "5"])
    assert exit_.value.code == 2
    assert "no outer fold tests subject(s) [5]; the outer test subjects: 1, 2, 3, 4" in (
        capsys.readouterr().err
    )


def test_an_outer_value_that_is_no_subject_list_is_named(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        selection.main([str(write_spec(tmp_path)), "--outer", "1-x"])
    assert exit_.value.code == 2
    assert "argument --outer: invalid subjects '1-x': use ranges" in capsys.readouterr().err
