"""Leave-one-subject-out: no trial of the test subject in training or validation."""

import numpy as np
import pytest

from bci_attn.config import RunConfig
from bci_attn.evaluation.protocols import LeaveOneSubjectOut


def test_the_test_subject_is_out_of_training_and_validation(trials, disjoint):
    meta, y = trials(subjects=range(1, 6), sessions=("0train", "1test"), per_run=20)
    folds = LeaveOneSubjectOut(n_valid_subjects=1).split(meta, y)
    assert [f.subject for f in folds] == [1, 2, 3, 4, 5]
    assert [f.name for f in folds] == [f"subject{s}" for s in range(1, 6)]
    for fold in folds:
        disjoint(fold)
        seen = set(meta["subject"].iloc[np.r_[fold.train, fold.valid]])
        assert fold.subject not in seen
        assert set(meta["subject"].iloc[fold.test]) == {fold.subject}
        valid_subjects = set(meta["subject"].iloc[fold.valid])
        assert len(valid_subjects) == 1  # one whole validation subject
        assert not valid_subjects & set(meta["subject"].iloc[fold.train])
        assert len(fold.train) + len(fold.valid) + len(fold.test) == len(meta)
        assert fold.calibration == {}


def test_too_few_subjects_are_refused(trials):
    meta, y = trials(subjects=(1, 2))
    with pytest.raises(ValueError, match="with 1 validation subject.*at least 3 subjects, got 2"):
        LeaveOneSubjectOut(n_valid_subjects=1).split(meta, y)
    assert len(LeaveOneSubjectOut(n_valid_subjects=0).split(meta, y)) == 2


def test_without_validation_subjects_every_other_subject_trains(trials):
    meta, y = trials(subjects=(1, 2, 3))
    for fold in LeaveOneSubjectOut(n_valid_subjects=0).split(meta, y):
        assert len(fold.valid) == 0
        assert set(meta["subject"].iloc[fold.train]) == {1, 2, 3} - {fold.subject}


def test_validation_subjects_are_drawn_with_the_split_seed(trials):
    meta, y = trials(subjects=range(1, 9))

    def valid_subjects(seed: int) -> list[set]:
        folds = LeaveOneSubjectOut(split_seed=seed).split(meta, y)
        return [set(meta["subject"].iloc[f.valid]) for f in folds]

    assert valid_subjects(0) == valid_subjects(0)
    assert valid_subjects(0) != valid_subjects(1)


def test_its_options_come_from_the_evaluation_section():
    config = RunConfig.create(split_seed=3, calibration_trials=[4, 2])
    protocol = LeaveOneSubjectOut.from_config(config)
    assert (protocol.split_seed, protocol.calibration_trials) == (3, (2, 4))
    assert protocol.n_valid_subjects == 1  # not an option: the protocol's own default
    assert LeaveOneSubjectOut.cross_subject
