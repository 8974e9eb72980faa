"""Splits never leak: no trial of the test subject or session in training or validation."""

import numpy as np
import pandas as pd
import pytest

from bci_attn.protocols import CrossSession, LeaveOneSubjectOut, WithinSession, make_protocol


def metadata(n_subjects=4, sessions=("0train", "1test"), per_session=20):
    rows = [
        {"subject": s, "session": sess, "run": "0"}
        for s in range(1, n_subjects + 1)
        for sess in sessions
        for _ in range(per_session)
    ]
    meta = pd.DataFrame(rows)
    y = np.tile(np.arange(2), len(meta) // 2)
    return meta, y


def assert_disjoint(fold):
    sets = [set(fold.train), set(fold.valid), set(fold.test)]
    assert not sets[0] & sets[1] and not sets[0] & sets[2] and not sets[1] & sets[2]


def test_loso_keeps_test_subject_out_of_training_and_validation():
    meta, y = metadata(n_subjects=5)
    folds = LeaveOneSubjectOut(n_valid_subjects=1).split(meta, y)
    assert [f.subject for f in folds] == [1, 2, 3, 4, 5]
    for fold in folds:
        assert_disjoint(fold)
        seen = set(meta["subject"].iloc[np.r_[fold.train, fold.valid]])
        assert fold.subject not in seen
        assert set(meta["subject"].iloc[fold.test]) == {fold.subject}
        valid_subjects = set(meta["subject"].iloc[fold.valid])
        assert len(valid_subjects) == 1
        assert not valid_subjects & set(meta["subject"].iloc[fold.train])
        assert len(fold.train) + len(fold.valid) + len(fold.test) == len(meta)


def test_cross_session_trains_on_first_session_whatever_its_name():
    meta, y = metadata(sessions=("session_T", "session_E"))
    folds = CrossSession().split(meta, y)
    assert len(folds) == 4
    for fold in folds:
        assert_disjoint(fold)
        assert set(meta["session"].iloc[np.r_[fold.train, fold.valid]]) == {"session_T"}
        assert set(meta["session"].iloc[fold.test]) == {"session_E"}
        assert set(meta["subject"].iloc[np.r_[fold.train, fold.test]]) == {fold.subject}


def test_within_session_folds_partition_each_session():
    meta, y = metadata(n_subjects=2)
    folds = WithinSession(n_folds=5).split(meta, y)
    assert len(folds) == 2 * 2 * 5
    for fold in folds:
        assert_disjoint(fold)
        rows = meta.iloc[np.r_[fold.train, fold.valid, fold.test]]
        assert rows[["subject", "session"]].drop_duplicates().shape[0] == 1
    tested = np.concatenate([f.test for f in folds])
    assert sorted(tested) == list(range(len(meta)))


def test_protocols_refuse_data_they_cannot_split():
    meta, y = metadata(sessions=("0",))
    with pytest.raises(ValueError, match="two sessions"):
        CrossSession().split(meta, y)
    meta, y = metadata(n_subjects=2)
    with pytest.raises(ValueError, match="at least 3 subjects"):
        LeaveOneSubjectOut(n_valid_subjects=1).split(meta, y)
    with pytest.raises(ValueError, match="available: within-session, cross-session, loso"):
        make_protocol("kfold")
