"""Within-session: stratified k-fold inside each subject's session."""

import numpy as np
import pytest

from bci_attn.evaluation.protocols import WithinSession


def test_the_folds_partition_each_session(trials, disjoint):
    meta, y = trials(subjects=(1, 2), sessions=("0train", "1test"), per_run=20)
    folds = WithinSession(n_folds=5).split(meta, y)
    assert len(folds) == 2 * 2 * 5
    assert folds[0].name == "subject1-0train-fold0"
    for fold in folds:
        disjoint(fold)
        rows = meta.iloc[np.r_[fold.train, fold.valid, fold.test]]
        assert rows[["subject", "session"]].drop_duplicates().shape[0] == 1
        assert len(fold.valid) > 0  # validation from the training folds
    tested = np.concatenate([f.test for f in folds])
    assert sorted(tested) == list(range(len(meta)))


def test_the_folds_follow_the_split_seed(trials):
    meta, y = trials(subjects=(1,), per_run=20)
    first, again = (WithinSession(split_seed=0).split(meta, y) for _ in range(2))
    other = WithinSession(split_seed=1).split(meta, y)
    assert all(np.array_equal(a.test, b.test) for a, b in zip(first, again, strict=True))
    assert any(not np.array_equal(a.test, b.test) for a, b in zip(first, other, strict=True))


def test_too_few_trials_of_a_class_for_the_folds_are_refused(trials):
    meta, y = trials(subjects=(1,), per_run=6)
    with pytest.raises(ValueError, match="5-fold: subject 1 session 0 has only 3 trials of a"):
        WithinSession(n_folds=5).split(meta, y)
