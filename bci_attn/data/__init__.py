"""Data: MOABB datasets by name, offline loading, cached trials, synthetic EEG."""

from .datasets import MissingDataError, resolve_dataset, use_data_dir
from .loading import EEGData, Preprocessing, load_trials, session_order
from .transfer import load_transfer, shared_channels

__all__ = [
    "EEGData",
    "MissingDataError",
    "Preprocessing",
    "load_trials",
    "load_transfer",
    "resolve_dataset",
    "session_order",
    "shared_channels",
    "use_data_dir",
]
