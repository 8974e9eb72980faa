"""Tests of the synthetic motor-imagery dataset (through MOABB's own paradigms)."""

from __future__ import annotations

import warnings

import mne
import numpy as np
import pytest
from moabb.paradigms import LeftRightImagery, MotorImagery
from scipy.signal import welch

from bci_attn.data.synthetic import DEFAULT_CHANNELS, SyntheticMotorImagery

N_TRIALS = 24
ALL_CLASSES = ("left_hand", "right_hand", "feet", "tongue")


@pytest.fixture(scope="module")
def dataset() -> SyntheticMotorImagery:
    return SyntheticMotorImagery(
        n_subjects=3, n_trials_per_class=N_TRIALS, classes=ALL_CLASSES, seed=7
    )


@pytest.fixture(scope="module")
def left_right(dataset):
    return LeftRightImagery().get_data(dataset, subjects=[1], return_epochs=True)


def test_raw_structure_channels_and_montage(dataset):
    data = dataset.get_data(subjects=[2])
    assert list(data) == [2]
    assert sorted(data[2]) == ["0", "1"]  # two sessions
    raw = data[2]["0"]["0"]
    assert raw.info["sfreq"] == 250.0
    eeg = mne.pick_types(raw.info, eeg=True)
    assert [raw.ch_names[i] for i in eeg] == list(DEFAULT_CHANNELS)
    with warnings.catch_warnings():  # MNE 1.13 renamed the montage to colin27_1020
        warnings.simplefilter("ignore", FutureWarning)
        montage = mne.channels.make_standard_montage("standard_1020")
    assert set(DEFAULT_CHANNELS) <= set(montage.ch_names)
    reference = mne.create_info(list(DEFAULT_CHANNELS), 250.0, "eeg")
    reference.set_montage(montage)
    expected = mne.channels.DigMontage.get_positions(reference.get_montage())["ch_pos"]
    positions = raw.get_montage().get_positions()["ch_pos"]
    for name in DEFAULT_CHANNELS:
        np.testing.assert_allclose(positions[name], expected[name], atol=1e-6)
    events = mne.find_events(raw, shortest_event=0, verbose=False)
    assert np.bincount(events[:, 2], minlength=5)[1:].tolist() == [N_TRIALS] * 4
    std_uv = raw.get_data(picks="eeg").std() * 1e6
    assert 3 < std_uv < 100  # scalp EEG amplitude


def test_left_right_shapes_labels_sessions(left_right):
    epochs, labels, meta = left_right
    x = epochs.get_data(copy=False)
    assert x.shape == (4 * N_TRIALS, len(DEFAULT_CHANNELS), 751)  # 2 sessions x 2 classes, 3 s
    assert sorted(np.unique(labels)) == ["left_hand", "right_hand"]
    assert (np.unique(labels, return_counts=True)[1] == 2 * N_TRIALS).all()
    assert sorted(meta.session.unique()) == ["0", "1"]


def test_four_classes(dataset):
    x, labels, meta = MotorImagery(n_classes=4).get_data(dataset, subjects=[3])
    assert x.shape[0] == 8 * N_TRIALS
    assert sorted(np.unique(labels)) == ["feet", "left_hand", "right_hand", "tongue"]
    assert meta.subject.unique().tolist() == [3]


def test_mu_erd_is_contralateral(left_right):
    epochs, labels, _ = left_right
    x = epochs.get_data(copy=False)
    freqs, psd = welch(x, fs=epochs.info["sfreq"], nperseg=256, axis=-1)
    band = (freqs >= 8) & (freqs <= 13)
    mu = np.log(psd[..., band].mean(axis=-1))  # (trials, channels)
    c3, c4 = epochs.ch_names.index("C3"), epochs.ch_names.index("C4")
    left, right = labels == "left_hand", labels == "right_hand"
    # Right-hand imagery desynchronises the left hemisphere (C3), left-hand the right (C4).
    assert mu[right, c3].mean() < mu[left, c3].mean()
    assert mu[left, c4].mean() < mu[right, c4].mean()


def test_deterministic_and_independent_of_other_subjects():
    small = {"n_subjects": 3, "n_sessions": 1, "n_trials_per_class": 4}
    one = SyntheticMotorImagery(seed=3, **small).get_data(subjects=[2])[2]["0"]["0"]
    both = SyntheticMotorImagery(seed=3, **small).get_data(subjects=[1, 2])[2]["0"]["0"]
    np.testing.assert_array_equal(one.get_data(), both.get_data())
    other = SyntheticMotorImagery(seed=4, **small).get_data(subjects=[2])[2]["0"]["0"]
    assert not np.array_equal(one.get_data()[:2, :1000], other.get_data()[:2, :1000])


def test_subjects_and_sessions_differ():
    data = SyntheticMotorImagery(n_subjects=2, n_trials_per_class=4, seed=0).get_data()
    a, b, c = data[1]["0"]["0"], data[1]["1"]["0"], data[2]["0"]["0"]
    n = min(a.n_times, b.n_times, c.n_times)
    assert not np.allclose(a.get_data()[:, :n], b.get_data()[:, :n])
    assert not np.allclose(a.get_data()[:, :n], c.get_data()[:, :n])


def test_data_path_downloads_nothing(dataset):
    assert dataset.data_path(1) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_subjects": 0},
        {"n_sessions": -1},
        {"n_trials_per_class": 2.5},
        {"classes": ("left_hand", "jaw")},
        {"classes": ("left_hand", "left_hand")},
        {"sfreq": 50},
        {"seed": -1},
        {"channels": ("C3", "XX9")},
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        SyntheticMotorImagery(**kwargs)
