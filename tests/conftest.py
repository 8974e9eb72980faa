"""Shared fixtures: a private cache, the shared PhysioNet folder, quiet libraries."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mne_data"
PHYSIONET_FILES = SHARED_DATA / "MNE-eegbci-data" / "files" / "eegmmidb" / "1.0.0"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test gets the same private trial cache, never the user's."""
    monkeypatch.setenv("BCI_ATTN_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(autouse=True, scope="session")
def _quiet():
    import mne

    mne.set_log_level("ERROR")
    warnings.filterwarnings("ignore", category=FutureWarning)
    logging.getLogger("lightning.pytorch.utilities.rank_zero").setLevel(logging.ERROR)


@pytest.fixture
def physionet_dir() -> Path:
    """The shared real PhysioNet data folder; the test is skipped, saying why, without it."""
    if not (PHYSIONET_FILES / "S001" / "S001R04.edf").is_file():
        pytest.skip(f"shared PhysioNet data not found in {SHARED_DATA} (../shared/data)")
    return SHARED_DATA
