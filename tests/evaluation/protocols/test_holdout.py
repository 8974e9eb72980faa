"""Holdout subjects: trained once on fixed subjects, each held-out subject tested alone."""

import numpy as np
import pytest

from bci_attn.config import RunConfig
from bci_attn.evaluation.protocols import Holdout, check_protocol


def test_a_test_subject_is_never_trained_on_or_validated_on(trials):
    meta, y = trials(subjects=range(1, 8), runs=("0", "1"))
    protocol = Holdout(train_subjects=(1, 2, 3, 4), test_subjects=(6, 7), split_seed=3)
    (fold,) = protocol.split(meta, y)
    subject_of = meta["subject"].to_numpy()
    assert (fold.name, fold.subject) == ("holdout", None)
    assert set(subject_of[fold.test]) == {6, 7}
    assert set(subject_of[np.r_[fold.train, fold.valid]]) <= {1, 2, 3, 4}
    assert len(set(subject_of[fold.valid])) == 1  # one whole validation subject
    assert not set(subject_of[fold.valid]) & set(subject_of[fold.train])
    assert 5 not in set(subject_of[np.r_[fold.train, fold.valid, fold.test]])


def test_without_training_subjects_every_other_subject_trains(trials):
    meta, y = trials(subjects=range(1, 6))
    (fold,) = Holdout(test_subjects=(5,), n_valid_subjects=1).split(meta, y)
    assert set(meta["subject"].iloc[np.r_[fold.train, fold.valid]]) == {1, 2, 3, 4}


def holdout_config(**values) -> RunConfig:
    return RunConfig.create(protocol="holdout", **values)


@pytest.mark.parametrize(
    ("values", "key", "message"),
    [
        (
            dict(train_subjects=[1, 2, 3], test_subjects=[3, 4]),
            "evaluation.train_subjects",
            "overlaps evaluation.test_subjects (subject(s) 3): a test subject must be unseen",
        ),
        (dict(), "evaluation.test_subjects", "must be given with protocol holdout"),
        (
            dict(subjects=[1, 2, 3], test_subjects=[3]),
            "data.subjects",
            "holdout takes evaluation.train_subjects and evaluation.test_subjects",
        ),
    ],
)
def test_its_rules_name_the_option(refusal, values, key, message):
    error = refusal("holdout", **values)
    assert error.key == key and message in error.problem


def loaded(protocol, config) -> list[tuple]:
    return [(request.dataset, request.subjects) for request in protocol.requests(config)]


def test_it_loads_the_subjects_of_both_sides():
    config = holdout_config(train_subjects=[4, 1], test_subjects=[7])
    protocol = check_protocol(config)
    assert loaded(protocol, config) == [("synthetic", (1, 4, 7))]
    every = holdout_config(test_subjects=[7])
    assert loaded(check_protocol(every), every) == [("synthetic", None)]


@pytest.mark.parametrize(
    ("protocol", "message"),
    [
        (Holdout(train_subjects=(1, 2), test_subjects=(9,)), "no trials of test subject(s) 9"),
        (Holdout(train_subjects=(1, 8), test_subjects=(3,)), "no trials of train subject(s) 8"),
        (
            Holdout(train_subjects=(1,), test_subjects=(3,)),
            "with 1 validation subject(s) needs at least 2 training subjects, got 1",
        ),
    ],
)
def test_data_that_cannot_serve_it_is_named(trials, protocol, message):
    meta, y = trials()
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        protocol.split(meta, y)
