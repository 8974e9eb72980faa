"""Loading through MOABB's paradigms: FakeDataset, real PhysioNet files, cache, offline."""

from dataclasses import asdict

import numpy as np
import pytest
from moabb.datasets.fake import FakeDataset

from bci_attn.config import DataConfig
from bci_attn.data import Preprocessing, load_trials, resolve_dataset
from bci_attn.data import loading as loading_module

LEFT_RIGHT = Preprocessing(classes=("left_hand", "right_hand"))


def fake(n_subjects=3):
    return FakeDataset(
        event_list=("left_hand", "right_hand"), n_sessions=2, n_subjects=n_subjects, seed=7
    )


def test_moabb_fake_dataset_goes_through_the_same_loader(tmp_path):
    data = load_trials(fake(), [1, 2], Preprocessing(), data_dir=tmp_path, cache_dir=None)
    assert data.X.shape[:2] == (len(data.y), 3) and data.X.dtype == np.float32
    assert data.classes == ["left_hand", "right_hand"]
    assert set(data.meta["subject"]) == {1, 2}
    assert set(data.meta["session"]) == {"0", "1"}
    assert data.sfreq == 128.0 and data.ch_names == ["C3", "Cz", "C4"]


def test_second_load_comes_from_the_cache(tmp_path, monkeypatch):
    calls = []
    read = loading_module._read_subject
    monkeypatch.setattr(loading_module, "_read_subject", lambda *a: calls.append(a[2]) or read(*a))
    first = load_trials(fake(), [1, 2], Preprocessing(), data_dir=tmp_path, cache_dir=tmp_path)
    second = load_trials(fake(), [1, 2], Preprocessing(), data_dir=tmp_path, cache_dir=tmp_path)
    assert calls == [1, 2]
    np.testing.assert_array_equal(first.X, second.X)
    np.testing.assert_array_equal(first.y, second.y)
    assert first.meta.equals(second.meta)
    # Another preprocessing parameter is another entry, never the old one.
    load_trials(fake(), [1], Preprocessing(fmax=30.0), data_dir=tmp_path, cache_dir=tmp_path)
    assert calls == [1, 2, 1]


def test_real_physionet_left_right_runs_only(physionet_dir):
    dataset = resolve_dataset("PhysionetMI")
    data = load_trials(dataset, [1, 2], LEFT_RIGHT, data_dir=physionet_dir, cache_dir=None)
    assert dataset.feet_runs == []
    assert data.X.shape == (90, 64, 385)
    assert sorted(set(data.y.tolist())) == [0, 1]
    assert data.sfreq == 128.0 and "C3" in data.ch_names


def test_bad_preprocessing_is_refused(tmp_path):
    with pytest.raises(ValueError, match="fmin < fmax"):
        Preprocessing(fmin=30, fmax=8).validate()
    with pytest.raises(ValueError, match="does not fit the 3 s trials"):
        load_trials(fake(), [1], Preprocessing(tmax=5.0), data_dir=tmp_path, cache_dir=None)
    with pytest.raises(ValueError, match=r"no subject\(s\) \[9\]"):
        load_trials(fake(), [9], Preprocessing(), data_dir=tmp_path, cache_dir=None)
    with pytest.raises(ValueError, match="names feet, which dataset FakeDataset lacks"):
        load_trials(
            fake(),
            [1],
            Preprocessing(classes=("feet", "left_hand")),
            data_dir=tmp_path,
            cache_dir=None,
        )


def test_preprocessing_comes_from_the_data_section_and_keeps_its_cache_key():
    assert Preprocessing.from_config(DataConfig()) == Preprocessing()
    data = DataConfig(
        dataset="BNCI2014001",
        classes=("feet", "tongue"),
        fmin=8.0,
        fmax=30.0,
        tmin=0.5,
        tmax=2.5,
        resample=100.0,
        channels=("C3", "C4"),
    )
    prep = Preprocessing.from_config(data)
    # The cache key of earlier versions: these fields, these names, these values.
    assert asdict(prep) == {
        "classes": ("feet", "tongue"),
        "n_classes": None,
        "fmin": 8.0,
        "fmax": 30.0,
        "tmin": 0.5,
        "tmax": 2.5,
        "resample": 100.0,
    }
