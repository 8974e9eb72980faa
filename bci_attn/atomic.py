"""Writing files so that a killed process never leaves a half-written one.

A file is written to a temporary file beside it and renamed over it: readers see the old
file or the new one, never a part. The file gets the permissions a plain ``open`` would
give (0666 less the umask), not ``mkstemp``'s 0600. Temporary files a killed process left
behind are found by :func:`remove_stale_temporaries`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: What every temporary file's name ends with (before a suffix a writer needs).
TEMPORARY = ".tmp"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_target(path: Path, suffix: str = "") -> Iterator[str]:
    """A temporary file beside ``path``, renamed to ``path`` if the block succeeds.

    ``suffix`` ends the temporary file's name (``.npz`` for ``numpy.savez``, which adds it
    otherwise).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY + suffix)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    with atomic_target(path) as tmp:
        Path(tmp).write_text(text)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files a killed process left under ``folder``; return them."""
    if not folder.is_dir():
        return []
    stale = [p for p in folder.rglob(f".*{TEMPORARY}*") if p.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
