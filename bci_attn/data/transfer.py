"""Pooling two datasets for cross-dataset transfer: shared electrodes, rate and classes.

A model trained on one dataset can only be applied to another through the input both
share: the electrodes recorded in both (matched by name), one sampling rate, one trial
length and the classes both contain (Xu et al. 2020, "Cross-dataset variability problem
in EEG decoding with deep learning", Front. Hum. Neurosci. 14:103; Jayaram & Barachant
2018, "MOABB", J. Neural Eng. 15(6)).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from moabb.datasets.base import BaseDataset

from .datasets import dataset_name
from .loading import EEGData, Preprocessing, load_trials

#: Fewest shared electrodes accepted by default: C3, Cz and C4 (BNCI2014004 has no more).
MIN_SHARED_CHANNELS = 3


@lru_cache(maxsize=1)
def _montage_names() -> dict[str, str]:
    """Standard 10-05 electrode names by their case-folded spelling."""
    import mne

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        names = mne.channels.make_standard_montage("colin27_1005").ch_names
    return {name.casefold(): name for name in names}


def canonical_channel(name: str) -> str:
    """The montage's spelling of an electrode name (``FCZ`` -> ``FCz``), else the name."""
    return _montage_names().get(name.strip().casefold(), name.strip())


def shared_channels(first: list[str], second: list[str]) -> list[tuple[int, int, str]]:
    """Electrodes in both lists, matched by name case-insensitively, in ``first``'s order.

    Returns
    -------
    list of (index in first, index in second, name)
        ``name`` is the standard 10-05 montage's spelling where the montage knows it.
    """
    index = {canonical_channel(n).casefold(): i for i, n in enumerate(second)}
    return [
        (i, index[key], canonical_channel(n))
        for i, n in enumerate(first)
        if (key := canonical_channel(n).casefold()) in index
    ]


def _events(dataset: BaseDataset) -> list[str]:
    return [e for e in dataset.event_id if e != "rest"]


def common_classes(train: BaseDataset, test: BaseDataset, classes) -> list[str]:
    """The classes to decode: ``classes`` if given, else those both datasets have.

    Raises
    ------
    ValueError
        Fewer than two common classes.
    """
    if classes:
        return list(dict.fromkeys(classes))  # load_trials checks each dataset has them
    in_test = set(_events(test))
    common = [c for c in _events(train) if c in in_test]
    if len(common) < 2:
        raise ValueError(
            f"datasets {dataset_name(train)} and {dataset_name(test)} share "
            f"{len(common)} class(es) ({', '.join(common) or 'none'}), need at least 2: "
            f"{dataset_name(train)} has {', '.join(_events(train))}; {dataset_name(test)} "
            f"has {', '.join(_events(test))}"
        )
    return common


def _trial_length(dataset: BaseDataset) -> float:
    return float(dataset.interval[1] - dataset.interval[0])


def load_transfer(
    train: BaseDataset,
    test: BaseDataset,
    train_subjects: list[int],
    test_subjects: list[int],
    prep: Preprocessing,
    *,
    data_dir: str | Path | None = None,
    cache_dir: Path | None = None,
    offline: bool = False,
    min_channels: int = MIN_SHARED_CHANNELS,
) -> EEGData:
    """Trials of two datasets on their shared electrodes, sampling rate and classes.

    Each dataset goes through :func:`~bci_attn.data.load_trials` with ``prep`` (its
    trials cached as usual), restricted to the common classes and, when ``prep.tmax`` is
    None, to the window both datasets' imagery intervals cover. The electrodes kept are
    those both recorded, matched by name case-insensitively (and by the standard
    montage's spelling), in the training dataset's order.

    Parameters
    ----------
    train, test : BaseDataset
        The dataset trained on and the dataset tested on.
    train_subjects, test_subjects : list of int
        Subjects of each dataset.
    prep : Preprocessing
        Shared preprocessing; its ``resample`` is the common rate.
    data_dir : str | Path | None
        One MNE data folder holding both datasets (None: MNE's default).
    cache_dir : Path | None
    offline : bool
        Refuse downloads: a missing file fails at once.
    min_channels : int
        Fewest shared electrodes accepted.

    Returns
    -------
    EEGData
        Both datasets' trials, training dataset first; ``meta["dataset"]`` names each
        trial's dataset and subjects keep their own numbers. ``notes`` says what was kept.

    Raises
    ------
    ValueError
        Fewer than two common classes, fewer than ``min_channels`` shared electrodes,
        different sampling rates without ``resample``.
    """
    names = dataset_name(train), dataset_name(test)
    classes = common_classes(train, test, prep.classes)
    tmax = prep.tmax
    if tmax is None:
        tmax = min(_trial_length(train), _trial_length(test))
    shared_prep = replace(prep, classes=tuple(classes), n_classes=None, tmax=tmax)
    parts = [
        load_trials(
            dataset,
            subjects,
            shared_prep,
            data_dir=data_dir,
            cache_dir=cache_dir,
            offline=offline,
        )
        for dataset, subjects in ((train, train_subjects), (test, test_subjects))
    ]
    first, second = parts
    pairs = shared_channels(first.ch_names, second.ch_names)
    if len(pairs) < min_channels:
        raise ValueError(
            f"datasets {names[0]} and {names[1]} share {len(pairs)} electrode(s)"
            f"{' (' + ', '.join(p[2] for p in pairs) + ')' if pairs else ''}, fewer than "
            f"the minimum {min_channels} (--min-channels)"
        )
    if first.sfreq != second.sfreq:
        raise ValueError(
            f"datasets {names[0]} ({first.sfreq:g} Hz) and {names[1]} ({second.sfreq:g} Hz) "
            "have different sampling rates; give a common one with --resample"
        )
    n_times = min(first.n_times, second.n_times)  # rounding may differ by a sample
    X = np.concatenate(
        [
            first.X[:, [p[0] for p in pairs], :n_times],
            second.X[:, [p[1] for p in pairs], :n_times],
        ]
    )
    return EEGData(
        X=X,
        y=np.concatenate([first.y, second.y]),
        meta=pd.concat([first.meta, second.meta], ignore_index=True),
        classes=classes,
        ch_names=[p[2] for p in pairs],
        sfreq=first.sfreq,
        dataset=f"{names[0]}-to-{names[1]}",
        load_seconds={**first.load_seconds, **second.load_seconds},
        notes=[
            f"electrodes: kept {len(pairs)} shared by name ({names[0]} has "
            f"{first.n_chans}, {names[1]} {second.n_chans}): " + ", ".join(p[2] for p in pairs),
            f"classes: kept {', '.join(classes)} (common to both); window "
            f"{prep.tmin:g}-{tmax:g} s at {first.sfreq:g} Hz",
        ],
    )
