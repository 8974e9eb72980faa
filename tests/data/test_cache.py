"""The trial cache: entries checked on reading, rebuilt when damaged."""

import numpy as np

from bci_attn.data.cache import TrialCache


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
