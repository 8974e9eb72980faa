"""Few-shot calibration pools: a test subject's first trials in time, never tested on."""

import numpy as np
import pytest

from bci_attn.evaluation.protocols import (
    Holdout,
    LeaveOneSubjectOut,
    calibration_pool,
    calibration_set,
)


def test_calibration_trials_come_first_in_time_and_are_never_tested(trials):
    meta, y = trials(runs=("0", "1"))
    subject4 = meta["subject"] == 4
    meta.loc[subject4, "session"] = np.repeat(["1", "0"], 10)  # sessions recorded swapped
    meta.loc[subject4, "run"] = np.repeat(["0", "1"], 10)
    for subject in (1, 4):
        rows = np.flatnonzero(meta["subject"] == subject)
        pool, test = calibration_pool(meta, y, rows, n_per_class=3)
        assert not set(pool) & set(test) and set(pool) | set(test) == set(rows)
        assert list(pool) == sorted(pool)
        assert (meta["session"].iloc[pool] == "0").all()  # the first session only
        first = rows[(meta["session"].iloc[rows] == "0").to_numpy()][:6]
        assert list(pool) == list(first)  # the first 3 trials of each class
        small = calibration_set(pool, y, 2)
        assert set(small) < set(pool) and np.bincount(y[small]).tolist() == [2, 2]
    with pytest.raises(ValueError, match="--calibration-trials 11 is more than subject 1 has"):
        calibration_pool(meta, y, np.flatnonzero(meta["subject"] == 1), n_per_class=11)


def test_smaller_calibration_sets_are_nested_in_larger_ones(trials):
    meta, y = trials(subjects=(1,), per_run=20)
    pool, _ = calibration_pool(meta, y, np.arange(len(meta)), n_per_class=5)
    sets = [set(calibration_set(pool, y, n)) for n in (1, 2, 5)]
    assert sets[0] < sets[1] < sets[2] == set(pool)


def test_a_pool_that_leaves_nothing_to_test_is_refused(trials):
    meta, y = trials(subjects=(1,), per_run=4)
    with pytest.raises(ValueError, match="--calibration-trials 2 leaves no trial of subject 1"):
        calibration_pool(meta, y, np.arange(4), n_per_class=2)


def test_loso_and_holdout_set_the_calibration_pool_apart(trials):
    meta, y = trials(runs=("0", "1"))
    folds = LeaveOneSubjectOut(calibration_trials=(4,)).split(meta, y)
    folds += Holdout(train_subjects=(1, 2), test_subjects=(3, 4), calibration_trials=(2, 4)).split(
        meta, y
    )
    for fold in folds:
        pools = fold.calibration_pools()
        assert len(pools) == 8 * len(fold.calibration)  # the largest size, per class
        assert not set(pools) & set(np.r_[fold.train, fold.valid, fold.test])
        assert set(meta["subject"].iloc[pools]) == set(meta["subject"].iloc[fold.test])
        assert set(fold.calibration) == set(meta["subject"].iloc[fold.test])
