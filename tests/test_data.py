"""Loading through MOABB's paradigms: FakeDataset, real PhysioNet files, cache, offline."""

import numpy as np
import pytest
from moabb.datasets.fake import FakeDataset

from bci_attn.data import MissingDataError, Preprocessing, load_trials, resolve_dataset
from bci_attn.data import loading as loading_module
from bci_attn.data.cache import TrialCache
from bci_attn.data.loading import session_order

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


def test_corrupted_and_stale_entries_are_rebuilt(tmp_path):
    cache = TrialCache(tmp_path)
    key = {"dataset": {"class": "D"}, "prep": {"fmin": 4}}
    entry = {
        "X": np.ones((2, 3, 4), np.float32),
        "y": np.array([0, 1]),
        "session": np.array(["0", "0"]),
        "run": np.array(["0", "1"]),
        "ch_names": ["C3", "Cz", "C4"],
        "sfreq": 128.0,
    }
    path = cache.put(key, 1, entry)
    assert cache.get(key, 1)["X"].sum() == 24
    path.write_bytes(path.read_bytes()[:-50])  # truncated file
    assert cache.get(key, 1) is None
    cache.put(key, 1, entry)
    with np.load(path) as stored:  # arrays changed behind the header's back
        arrays = {k: stored[k] for k in stored.files}
    arrays["X"] = arrays["X"] * 2
    np.savez(path, **arrays)
    assert cache.get(key, 1) is None


def test_session_names_are_ordered_whatever_moabb_calls_them():
    assert session_order(["session_E", "session_T"]) == ["session_T", "session_E"]
    assert session_order(["1test", "0train"]) == ["0train", "1test"]
    assert session_order(["2", "10", "1"]) == ["1", "2", "10"]


def test_dataset_names_in_any_spelling():
    assert type(resolve_dataset("BNCI2014001")).__name__ == "BNCI2014_001"
    assert type(resolve_dataset("bnci2014_001")).__name__ == "BNCI2014_001"
    with pytest.raises(ValueError, match="motor-imagery datasets: synthetic, .*PhysionetMI"):
        resolve_dataset("NoSuchDataset")


def test_missing_files_fail_at_once_naming_them(tmp_path):
    with pytest.raises(MissingDataError, match=r"BNCI2014_001: file not found: .*A01T\.mat"):
        load_trials(
            resolve_dataset("BNCI2014001"),
            [1],
            Preprocessing(),
            data_dir=tmp_path,
            cache_dir=None,
            offline=True,
        )


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
    with pytest.raises(ValueError, match="no class feet"):
        load_trials(
            fake(),
            [1],
            Preprocessing(classes=("feet", "left_hand")),
            data_dir=tmp_path,
            cache_dir=None,
        )
