"""Two datasets pooled for cross-dataset transfer: shared electrodes, rate and classes."""

import numpy as np
import pytest

from bci_attn.data import Preprocessing, load_transfer, shared_channels

from .fake_datasets import fake_pair


def test_shared_electrodes_are_matched_by_name_whatever_the_case():
    assert shared_channels(["Fp1", "FCZ", "c3", "Cz"], ["cz", "C3", "FCz", "T7"]) == [
        (1, 2, "FCz"),
        (2, 1, "C3"),
        (3, 0, "Cz"),
    ]


def test_two_fake_datasets_pooled_on_shared_electrodes_rate_and_classes(tmp_path):
    train, test = fake_pair()
    data = load_transfer(train, test, [1, 2, 3], [1, 2], Preprocessing(), data_dir=tmp_path,
                         cache_dir=None)  # fmt: skip
    assert data.ch_names == ["C3", "Cz", "C4", "FCz"]  # the training dataset's order
    assert data.classes == ["left_hand", "right_hand"]
    assert data.sfreq == 128.0 and data.X.shape[1:] == (4, 385)
    assert data.meta.groupby("dataset")["subject"].unique().map(list).to_dict() == {
        "FakeTrain": [1, 2, 3],
        "FakeTest": [1, 2],
    }
    assert any("C3, Cz, C4, FCz" in note for note in data.notes)
    # The same electrode carries the same signal whichever dataset it came from.
    alone = load_transfer(test, train, [1], [1], Preprocessing(), data_dir=tmp_path,
                          cache_dir=None)  # fmt: skip
    c3 = alone.ch_names.index("C3")
    np.testing.assert_array_equal(
        alone.X[alone.meta["dataset"] == "FakeTest"][:, c3],
        data.X[(data.meta["dataset"] == "FakeTest") & (data.meta["subject"] == 1)][:, 0],
    )


def test_disjoint_classes_and_too_few_electrodes_are_refused(tmp_path):
    train, test = fake_pair(test_events=("feet_x", "tongue"))
    with pytest.raises(ValueError, match="share 0 class"):
        load_transfer(train, test, [1], [1], Preprocessing(), data_dir=tmp_path, cache_dir=None)
    train, test = fake_pair(test_channels=("C3", "Pz", "O1"))
    with pytest.raises(ValueError, match=r"share 1 electrode\(s\) \(C3\), fewer than the mini"):
        load_transfer(train, test, [1], [1], Preprocessing(), data_dir=tmp_path, cache_dir=None)
