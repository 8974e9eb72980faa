"""Cross-dataset transfer: the training side from one dataset, the test from another."""

import numpy as np
import pandas as pd
import pytest

from bci_attn.config import RunConfig
from bci_attn.evaluation.protocols import CrossDataset, check_protocol
from bci_attn.evaluation.protocols.cross_dataset import same_name


@pytest.fixture
def pooled(trials):
    """Datasets A (subjects 1-3) and B (subjects 1-2) pooled, subject numbers shared."""
    meta_a, y_a = trials(subjects=(1, 2, 3), dataset="A", runs=("0", "1"))
    meta_b, y_b = trials(subjects=(1, 2), dataset="B", runs=("0", "1"))
    return pd.concat([meta_a, meta_b], ignore_index=True), np.r_[y_a, y_b]


def test_sides_come_from_their_datasets_even_with_equal_subject_numbers(pooled, disjoint):
    meta, y = pooled
    (fold,) = CrossDataset(train_dataset="A", test_dataset="B").split(meta, y)
    disjoint(fold)
    assert fold.name == "A-to-B" and fold.subject is None
    assert set(meta["dataset"].iloc[fold.test]) == {"B"}
    assert set(meta["dataset"].iloc[np.r_[fold.train, fold.valid]]) == {"A"}
    assert sorted(meta["subject"].iloc[fold.test].unique()) == [1, 2]
    assert len(fold.train) + len(fold.valid) + len(fold.test) == len(meta)


def test_subjects_of_each_side_can_be_chosen(pooled):
    meta, y = pooled
    protocol = CrossDataset(
        train_dataset="A", test_dataset="B", train_subjects=(1, 2), test_subjects=(2,)
    )
    (fold,) = protocol.split(meta, y)
    assert set(map(tuple, meta.iloc[fold.test][["dataset", "subject"]].values)) == {("B", 2)}
    sides = meta.iloc[np.r_[fold.train, fold.valid]][["dataset", "subject"]].values
    assert set(map(tuple, sides)) == {("A", 1), ("A", 2)}


def test_dataset_names_match_in_any_spelling(pooled):
    assert same_name("BNCI2014001", "bnci2014_001") and not same_name("BNCI2014001", "B")
    meta, y = pooled
    meta["dataset"] = meta["dataset"].map({"A": "BNCI2014_001", "B": "PhysionetMI"})
    (fold,) = CrossDataset(train_dataset="BNCI2014001", test_dataset="physionetmi").split(meta, y)
    assert set(meta["dataset"].iloc[fold.test]) == {"PhysionetMI"}


@pytest.mark.parametrize(
    ("values", "key", "message"),
    [
        (dict(test_dataset="B"), "evaluation.train_dataset", "must be given with protocol"),
        (dict(train_dataset="A"), "evaluation.test_dataset", "must be given with protocol"),
        (
            dict(train_dataset="BNCI2014001", test_dataset="BNCI2014_001"),
            "evaluation.test_dataset",
            "is evaluation.train_dataset again (BNCI2014001); use protocol holdout",
        ),
        (
            dict(train_dataset="A", test_dataset="B", subjects=[1]),
            "data.subjects",
            "cross-dataset takes evaluation.train_subjects and evaluation.test_subjects",
        ),
    ],
)
def test_its_rules_name_the_option(refusal, values, key, message):
    error = refusal("cross-dataset", **values)
    assert error.key == key and message in error.problem


def test_it_loads_each_side_from_its_dataset():
    config = RunConfig.create(
        protocol="cross-dataset", train_dataset="A", test_dataset="B", test_subjects=[2],
        min_channels=5,
    )  # fmt: skip
    protocol = check_protocol(config)
    requests = protocol.requests(config)
    assert [(r.dataset, r.subjects) for r in requests] == [("A", None), ("B", (2,))]
    assert protocol.data_name(config) == "A-to-B" and protocol.min_channels == 5
    assert protocol.alignment_groups() == ("dataset", "subject", "session")
    assert protocol.cross_subject
