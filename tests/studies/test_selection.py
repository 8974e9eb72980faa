"""Nested recipe selection: no outer test subject in any inner split, the best inner score
wins, a killed selection resumes, bad selection files name the key and the file.

Trainings are replaced by an executor returning known scores, except in one tiny end-to-end
selection (synthetic EEG, 4 subjects, 2 classes, 1 s trials, 1 epoch).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from bci_attn.evaluation.executor import Executor
from bci_attn.evaluation.preparation import prepared
from bci_attn.evaluation.protocols import Fold, LeaveOneSubjectOut
from bci_attn.evaluation.results import FoldResult, Score
from bci_attn.studies.selection import (
    NestedSelection,
    SelectionSpec,
    assert_unseen,
    candidates,
    choose,
    fixed,
    inner_folds,
)
from bci_attn.studies.specs import read_spec

from .conftest import SETTINGS, Recording

ROOT = Path(__file__).resolve().parents[2]
#: Four subjects: each outer fold keeps three, one scored (holdout of 1), one monitoring.
FOUR = {**SETTINGS, "data": {**SETTINGS["data"], "subjects": "1-4"}}
#: Candidates told apart by their learning rate, which the known scores read; set as a
#: section of bci-attn 0.1's layout, in the current layout, and by name.
SPACE = [
    {"name": "a", "model": {"lr": 0.001}},
    {"name": "b", "training": {"lr": 0.002}},
    {"name": "c", "lr": 0.003},
]


@pytest.fixture
def selection_file(study_file):
    """``selection_file(**keys)``: a selection of SPACE on four subjects, inner holdout."""

    def write(**changes) -> Path:
        keys = dict(settings=FOUR, inner="holdout", inner_valid_subjects=1, seeds=[0])
        return study_file("selection", **{**keys, "space": SPACE, **changes})

    return write


def toy_trials(n_subjects: int, per_subject: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    subjects = np.repeat(np.arange(1, n_subjects + 1), per_subject)
    meta = pd.DataFrame({"subject": subjects, "session": "0", "run": "0"})
    return meta, np.tile([0, 1], len(meta) // 2)


# --- inner splits -------------------------------------------------------------------------


@pytest.mark.parametrize(("inner", "n_valid", "n_scored"), [("loso", 1, 4), ("holdout", 2, 2)])
def test_the_outer_test_subject_is_in_no_inner_split(inner, n_valid, n_scored):
    meta, y = toy_trials(5)
    subject_of = meta["subject"].to_numpy()
    for outer in LeaveOneSubjectOut(split_seed=0).split(meta, y):
        folds = inner_folds(outer, meta, y, inner, n_valid, seed=0)
        training_rows = np.flatnonzero(subject_of != outer.subject)
        scored = []
        for fold in folds:
            parts = np.concatenate([fold.train, fold.valid, fold.test])
            assert outer.subject not in set(subject_of[parts])
            assert np.array_equal(np.sort(parts), training_rows)  # every other trial, once
            assert len(fold.valid) and len(fold.train)  # monitoring and training subjects
            assert fold.name.startswith(f"{outer.name}-inner-")
            scored += sorted(set(subject_of[fold.test]))
        assert len(scored) == len(set(scored)) == n_scored


def test_inner_holdout_draws_the_same_subjects_from_the_same_seed():
    meta, y = toy_trials(6)
    outer = LeaveOneSubjectOut(split_seed=0).split(meta, y)[0]
    draws = [inner_folds(outer, meta, y, "holdout", 2, seed)[0] for seed in (0, 0, 1)]
    assert np.array_equal(draws[0].test, draws[1].test)
    assert draws[0].name == "subject1-inner-holdout"


def test_a_leaking_split_is_refused():
    meta, _ = toy_trials(4)
    leaking = Fold("leak", None, np.arange(4, 8), np.arange(0, 4), np.arange(8, 12))
    with pytest.raises(AssertionError, match="outer test subject 1 is in leak's valid split"):
        assert_unseen(1, [leaking], meta["subject"].to_numpy())


def test_too_few_subjects_for_the_inner_split_is_an_error():
    meta, y = toy_trials(4)
    outer = LeaveOneSubjectOut(split_seed=0).split(meta, y)[0]
    with pytest.raises(ValueError, match="inner holdout needs at least 5 subjects.*got 4"):
        inner_folds(outer, meta, y, "holdout", 2, seed=0)


def test_the_best_score_wins_and_ties_go_to_the_first():
    assert choose({"a": 0.5, "b": 0.7, "c": 0.6}) == "b"
    assert choose({"a": 0.7, "b": 0.7}) == "a"


# --- the procedure, with known scores -----------------------------------------------------


class KnownScores(Executor):
    """Scores every unit by its candidate (its lr) and outer subject instead of training it.

    Inner scores: a 0.6 everywhere; b 0.7 for even outer subjects, 0.5 for odd; c as b (so b
    and c tie, and b comes first). Outer test accuracy: a 0.55, b 0.75, c 0.95.
    """

    def __init__(self, killed_after: int | None = None) -> None:
        self.calls: list[tuple[str, str, int]] = []
        self.killed_after = killed_after

    def completed(self, tasks):
        for task in tasks:
            for unit in task:
                if len(self.calls) == self.killed_after:
                    raise RuntimeError("killed")
                self.calls.append((Path(unit.folder).name, unit.fold.name, unit.seed))
            yield task, [self.result(unit) for unit in task]

    @staticmethod
    def result(unit) -> FoldResult:
        lr, fold = unit.config.training.lr, unit.fold
        outer, _, inner = fold.name.partition("-inner-")
        if inner:
            accuracy = {0.001: 0.6, 0.002: 0.7, 0.003: 0.7}[lr]
            accuracy = (
                0.5 if accuracy == 0.7 and int(outer.removeprefix("subject")) % 2 else accuracy
            )
        else:
            accuracy = {0.001: 0.55, 0.002: 0.75, 0.003: 0.95}[lr]
        subject_of = prepared(unit.config).data.meta["subject"].to_numpy()
        rows = [
            Score(int(s), 0, 0, accuracy, 0.0, 1, [0], [0])
            for s in sorted(set(subject_of[fold.test]))
        ]
        sizes = (len(fold.train), len(fold.valid), len(fold.test))
        return FoldResult(fold.name, fold.subject, unit.seed, *sizes, 1, 0.0, rows, unit=unit.key)


def test_the_best_inner_score_is_chosen_ties_going_to_the_first(selection_file, tmp_path):
    known = KnownScores()
    outer = NestedSelection(str(selection_file()), echo=lambda *a: None).run(known)
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
    assert len(known.calls) == 4 * 3 + 4 and len(set(known.calls)) == len(known.calls)
    assert {(folder, fold) for folder, fold, _ in known.calls[-4:]} == {
        ("a", "subject1"), ("b", "subject2"), ("a", "subject3"), ("b", "subject4"),
    }  # fmt: skip
    stored = json.loads(
        (tmp_path / "selection/runs/a/folds/subject1-inner-holdout-seed0.json").read_text()
    )
    assert stored["rows"][0]["accuracy"] == 0.6  # every unit in its candidate's run folder


def test_a_killed_selection_resumes_without_training_again(selection_file):
    path = str(selection_file())
    before = KnownScores(killed_after=5)
    with pytest.raises(RuntimeError, match="killed"):
        NestedSelection(path, echo=lambda *a: None).run(before)
    after = KnownScores()
    outer = NestedSelection(path, echo=lambda *a: None).run(after)
    assert len(before.calls) == 5 and len(after.calls) == 4 * 3 + 4 - 5
    assert not set(before.calls) & set(after.calls)
    assert list(outer["candidate"]) == ["a", "b", "a", "b"]


# --- selection files ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"spaces": SPACE}, "unknown key 'spaces'"),
        ({"space": []}, "space must be a list of mappings, got [] (empty)"),
        ({"seeds": "0"}, "seeds must be a list of ints >= 0 (or null), got '0'"),
        ({"inner": "kfold"}, "inner must be one of loso, holdout, got 'kfold'"),
        ({"inner": "loso"}, "inner_valid_subjects goes with inner: holdout"),
        ({"space": [{"name": "a", "model": {"weight_decays": 0.1}}]}, "'model.weight_decays'"),
        ({"space": [{"name": "a", "model": {"weight_decay": "x"}}]}, "model.weight_decay must be"),
        ({"space": [{"name": "a", "data": {"subjects": "1-3"}}]}, "may not set data.subjects"),
        ({"space": [{"name": "a", "protocol": "holdout"}]}, "may not set evaluation.protocol"),
        ({"space": [{"model": {"lr": 0.1}}]}, "must be a mapping with a name"),
        ({"space": [{"name": "a"}, {"name": "a"}]}, "space names must be unique"),
        ({"space": [{"name": "a"}, {"name": "odd", "data": {"align": "x"}}]}, "(space: odd)"),
        (
            {"settings": {**FOUR, "evaluation": {"protocol": "within-session"}}},
            "the outer protocol is loso, not within-session",
        ),
        (
            {"settings": {**FOUR, "evaluation": {"calibration_trials": [2]}}},
            "selection scores zero-shot: no calibration_trials",
        ),
    ],
)
def test_a_bad_selection_file_names_the_key_and_the_file(selection_file, change, message):
    path = selection_file(**change)
    with pytest.raises(ValueError) as info:
        NestedSelection(str(path), echo=lambda *a: None)
    assert str(info.value).startswith(str(path)) and message in str(info.value)
    assert "\n" not in str(info.value)


def test_candidates_may_set_neither_the_evaluation_nor_the_trials():
    assert {"protocol", "seeds", "split_seed", "dataset", "subjects", "classes", "out"} <= set(
        fixed()
    )
    assert not {"lr", "batch_size", "align", "channels", "augment"} & set(fixed())


def test_seeds_come_from_the_settings_when_not_given(selection_file):
    path = selection_file(settings={**FOUR, "evaluation": {"seeds": [1, 2]}})
    document = yaml.safe_load(path.read_text())
    del document["seeds"]
    path.write_text(yaml.safe_dump(document))
    spec = read_spec(str(path), SelectionSpec)
    assert spec.seeds is None
    assert [c.config.evaluation.seeds for c in candidates(spec, str(path))] == [(1, 2)] * 3


def test_what_each_candidate_sets_is_listed(selection_file):
    selection = NestedSelection(str(selection_file()), echo=lambda *a: None)
    assert [(c.name, c.labels["sets"]) for c in selection.cells] == [
        ("a", "lr=0.001"), ("b", "lr=0.002"), ("c", "lr=0.003"),
    ]  # fmt: skip
    assert [str(c.folder.name) for c in selection.cells] == ["a", "b", "c"]


def test_the_committed_selection_file_reads():
    source = str(ROOT / "experiments" / "recipe_selection.yaml")
    spec = read_spec(source, SelectionSpec)
    cells = candidates(spec, source)
    assert (spec.inner, spec.n_valid, spec.seeds) == ("holdout", 3, (0,))
    assert cells[0].name == "plain" and cells[0].labels["sets"] == "the settings"
    # the candidates start from the options' defaults, not from the recipe they choose
    assert {c.config.recipe for c in cells} == {"plain"}
    assert {c.config.data.subjects for c in cells} == {tuple(range(1, 11))}
    text = (ROOT / "experiments" / "recipe_selection" / "selection.md").read_text()
    space = text.split("## Search space")[1].split("##")[0]  # what the committed run chose from
    assert re.findall(r"^\| ([^ |]+) \| ", space, re.M) == ["candidate", *(c.name for c in cells)]


# --- end to end ---------------------------------------------------------------------------


def test_a_tiny_selection_writes_its_tables(selection_file, tmp_path):
    space = [{"name": "plain"}, {"name": "euclidean", "data": {"align": "euclidean"}}]
    recording = Recording()
    NestedSelection(str(selection_file(space=space)), echo=lambda *a: None).run(recording)
    out = tmp_path / "selection"
    inner = pd.read_csv(out / "inner.csv")
    outer = pd.read_csv(out / "outer.csv")
    assert len(inner) == 4 * 2 and list(outer["outer_subject"]) == [1, 2, 3, 4]
    chosen = inner[inner["chosen"]].set_index("outer_subject")["candidate"]
    assert chosen.to_dict() == outer.set_index("outer_subject")["candidate"].to_dict()
    assert outer["accuracy"].between(0, 1).all()
    assert len(recording.trained) == 4 * 2 + 4
    text = (out / "selection.md").read_text()
    assert "## Search space" in text and "| euclidean | align=euclidean |" in text
    assert "Nested accuracy" in text and "Recommended default" in text
    inner_fold = out / "runs" / "plain" / "folds" / "subject1-inner-holdout-seed0.json"
    assert json.loads(inner_fold.read_text())["trained_with"]["device"] == "cpu"
