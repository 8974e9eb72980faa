"""On-disk cache of preprocessed trials, one file per subject and preprocessing."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_target

log = logging.getLogger(__name__)

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
        """The cached entry, or None when absent, stale or corrupted (the last two are
        logged: the entry is rebuilt)."""
        path = self.path(key, subject)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as stored:
                header = json.loads(str(stored["header"]))
                arrays = {k: stored[k] for k in ("X", "y", "session", "run")}
        except Exception:  # noqa: BLE001  any unreadable file is rebuilt
            log.warning("%s: cached trials unreadable; reading them from the data again", path)
            return None
        expected = json.loads(json.dumps(self._full_key(key, subject), sort_keys=True))
        if header.get("key") != expected or header.get("digest") != _digest(arrays):
            log.warning("%s: cached trials stale or damaged; reading them again", path)
            return None
        return {**arrays, "ch_names": header["ch_names"], "sfreq": header["sfreq"]}

    def put(self, key: dict, subject: int, entry: dict) -> Path | None:
        """Store ``entry`` (``X, y, session, run, ch_names, sfreq``) atomically; a cache
        folder that cannot be written is logged and skipped (None)."""
        path = self.path(key, subject)
        arrays = {k: np.asarray(entry[k]) for k in ("X", "y")}
        arrays |= {k: np.asarray(entry[k], dtype=str) for k in ("session", "run")}
        header = {
            "key": self._full_key(key, subject),
            "digest": _digest(arrays),
            "ch_names": list(entry["ch_names"]),
            "sfreq": float(entry["sfreq"]),
        }
        try:
            with atomic_target(path, suffix=".npz") as tmp:
                np.savez(tmp, header=np.array(json.dumps(header, sort_keys=True)), **arrays)
        except OSError as error:
            log.warning(
                "cannot write the trial cache in %s (%s): the trials are not cached",
                self.folder,
                error.strerror or error,
            )
            return None
        return path
