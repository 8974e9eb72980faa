"""Data: MOABB datasets by name, offline loading, cached trials, synthetic EEG."""

from .datasets import MissingDataError, resolve_dataset, use_data_dir
from .loading import EEGData, Preprocessing, load_trials, session_order

__all__ = [
    "EEGData",
    "MissingDataError",
    "Preprocessing",
    "load_trials",
    "resolve_dataset",
    "session_order",
    "use_data_dir",
]
