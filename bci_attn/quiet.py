"""Quieting the libraries: our own lines say what happens.

MNE, MOABB, Lightning and braindecode report much that a user of this toolkit does not
need (montage deprecations, "GPU available" lines, tips); the commands call
:func:`quiet_libraries` once, and so does every Dask worker before its first unit, whose
output would otherwise reach the same terminal. The toolkit's own notices (``bci_attn``
loggers: a damaged cache entry rebuilt, a cache that cannot be written) go to stderr as
plain lines.
"""

from __future__ import annotations

import logging
import sys
import warnings


class _Stderr(logging.StreamHandler):
    """A handler writing to whatever ``sys.stderr`` is when a record comes (the stream a
    plain StreamHandler keeps may since have been replaced, by a test's capture say)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler sets it; the property ignores it
        pass


def quiet_libraries() -> None:
    """Silence MNE/MOABB/Lightning chatter; our own lines say what happens, and the
    library's notices (``bci_attn`` loggers) go to stderr as plain lines."""
    import mne

    notices = logging.getLogger("bci_attn")
    if not any(isinstance(h, _Stderr) for h in notices.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(message)s"))
        notices.addHandler(handler)
        notices.setLevel(logging.INFO)

    mne.set_log_level("ERROR")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=RuntimeWarning, module="moabb")
    warnings.filterwarnings("ignore", category=UserWarning, module="braindecode")
    for name in (
        "moabb",
        "lightning.pytorch.utilities.rank_zero",
        "lightning.fabric.utilities.rank_zero",
        "lightning.pytorch.accelerators.cuda",
    ):
        logging.getLogger(name).setLevel(logging.ERROR)
