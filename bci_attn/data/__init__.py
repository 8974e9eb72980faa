"""Data: MOABB datasets by name, offline loading, cached trials, synthetic EEG."""

from .datasets import MissingDataError, data_folder, resolve_dataset
from .loading import EEGData, Preprocessing, load_trials, session_order
from .transfer import load_transfer, shared_channels

__all__ = [
    "EEGData",
    "MissingDataError",
    "data_folder",
    "Preprocessing",
    "load_trials",
    "load_transfer",
    "resolve_dataset",
    "session_order",
    "shared_channels",
]
