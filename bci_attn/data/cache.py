"""On-disk cache of preprocessed trials, one file per subject and preprocessing."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

# Bumped whenever what is stored changes, so old entries are rebuilt rather than misread.
CACHE_FORMAT = 1


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        h.update(name.encode())
        h.update(np.ascontiguousarray(arrays[name]).tobytes())
    return h.hexdigest()


class TrialCache:
    """Preprocessed trials keyed by dataset, subject and every preprocessing parameter.

    An entry stores its full key and a SHA-256 of its arrays; an entry whose key or digest
    does not match (a stale format, a truncated or corrupted file) is ignored and rebuilt.
    Files are written atomically (temporary file, then rename).
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)

    def path(self, key: dict, subject: int) -> Path:
        """File of ``subject`` under ``key``."""
        full = self._full_key(key, subject)
        digest = hashlib.sha256(json.dumps(full, sort_keys=True).encode()).hexdigest()[:16]
        return self.folder / key["dataset"]["class"] / f"subject{subject}-{digest}.npz"

    @staticmethod
    def _full_key(key: dict, subject: int) -> dict:
        import moabb

        return {**key, "subject": subject, "format": CACHE_FORMAT, "moabb": moabb.__version__}

    def get(self, key: dict, subject: int) -> dict | None:
        """The cached entry, or None when absent, stale or corrupted."""
        path = self.path(key, subject)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as stored:
                header = json.loads(str(stored["header"]))
                arrays = {k: stored[k] for k in ("X", "y", "session", "run")}
        except Exception:  # noqa: BLE001  any unreadable file is rebuilt
            return None
        expected = json.loads(json.dumps(self._full_key(key, subject), sort_keys=True))
        if header.get("key") != expected or header.get("digest") != _digest(arrays):
            return None
        return {**arrays, "ch_names": header["ch_names"], "sfreq": header["sfreq"]}

    def put(self, key: dict, subject: int, entry: dict) -> Path:
        """Store ``entry`` (``X, y, session, run, ch_names, sfreq``) atomically."""
        path = self.path(key, subject)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {k: np.asarray(entry[k]) for k in ("X", "y")}
        arrays |= {k: np.asarray(entry[k], dtype=str) for k in ("session", "run")}
        header = {
            "key": self._full_key(key, subject),
            "digest": _digest(arrays),
            "ch_names": list(entry["ch_names"]),
            "sfreq": float(entry["sfreq"]),
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp.npz")
        os.close(fd)
        try:
            np.savez(tmp, header=np.array(json.dumps(header, sort_keys=True)), **arrays)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return path
