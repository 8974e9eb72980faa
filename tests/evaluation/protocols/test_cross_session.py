"""Cross-session: train on each subject's first session, test on each later one."""

from types import SimpleNamespace

import numpy as np
import pytest

from bci_attn.evaluation.protocols import CrossSession


def test_training_is_the_first_session_whatever_its_name(trials, disjoint):
    meta, y = trials(sessions=("session_T", "session_E"), per_run=20)
    folds = CrossSession().split(meta, y)
    assert len(folds) == 4
    assert folds[0].name == "subject1-session_T-to-session_E"
    for fold in folds:
        disjoint(fold)
        assert set(meta["session"].iloc[np.r_[fold.train, fold.valid]]) == {"session_T"}
        assert set(meta["session"].iloc[fold.test]) == {"session_E"}
        assert set(meta["subject"].iloc[np.r_[fold.train, fold.test]]) == {fold.subject}


def test_validation_is_a_stratified_share_of_the_training_session(trials):
    meta, y = trials(subjects=(1,), sessions=("0", "1"), per_run=20)
    (fold,) = CrossSession(valid_fraction=0.2).split(meta, y)
    assert len(fold.valid) == 4 and np.bincount(y[fold.valid]).tolist() == [2, 2]
    assert len(fold.train) == 16


def test_each_later_session_is_a_fold(trials):
    meta, y = trials(subjects=(1, 2), sessions=("2", "0", "1"))
    folds = CrossSession().split(meta, y)
    assert [f.name for f in folds] == [
        f"subject{s}-0-to-{later}" for s in (1, 2) for later in ("1", "2")
    ]


def test_a_single_session_is_refused(trials):
    meta, y = trials(sessions=("0",))
    with pytest.raises(ValueError, match="at least two sessions per subject; subject 1 has 1"):
        CrossSession().split(meta, y)


def test_a_dataset_of_one_session_cannot_serve_it():
    class OneSession(SimpleNamespace):
        pass

    reason = CrossSession().is_valid(OneSession(n_sessions=1))
    assert reason.startswith("OneSession has 1 session per subject; cross-session needs")
    assert CrossSession().is_valid(OneSession(n_sessions=2)) is None
