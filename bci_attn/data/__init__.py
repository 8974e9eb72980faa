"""Data: MOABB datasets by name, offline loading, cached trials, synthetic EEG.

Importing this package imports nothing heavy: MNE, MOABB and pandas load with the first
name that needs them (:mod:`bci_attn.lazy`), so that a configuration is checked at once.
"""

from ..lazy import lazy_exports
from .sessions import session_order

__getattr__, _LAZY = lazy_exports(
    __name__,
    {
        "datasets": ("MissingDataError", "data_folder", "resolve_dataset"),
        "loading": ("EEGData", "Preprocessing", "load_trials"),
        "transfer": ("load_transfer", "shared_channels"),
    },
)

__all__ = ["session_order", *_LAZY]
