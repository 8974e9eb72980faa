"""Epoched motor-imagery trials through MOABB's paradigms, cached on disk."""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
from moabb.datasets.base import BaseDataset

from ..config.schema import ConfigError
from ..config.sections import DataConfig
from .cache import TrialCache
from .datasets import (
    data_folder,
    dataset_name,
    fetching,
    restrict_runs,
    run_tasks,
    use_data_dir,
)

LEFT_RIGHT = ("left_hand", "right_hand")
_DEFAULT = DataConfig()  # the defaults are the data section's (declared once, there)


@dataclass(frozen=True)
class Preprocessing:
    """How raw recordings become trials; every field is part of the cache key.

    Parameters
    ----------
    classes : tuple of str | None
        Class names to keep (MOABB event names); ``None`` for the first ``n_classes`` of the
        dataset's events, or all of them (rest excluded).
    n_classes : int | None
        Number of classes when ``classes`` is not given.
    fmin, fmax : float
        Band-pass edges in Hz (MOABB's IIR filter).
    tmin, tmax : float | None
        Window in seconds from the start of the dataset's imagery interval; ``tmax=None``
        keeps the whole interval.
    resample : float | None
        Sampling rate in Hz after resampling; ``None`` keeps the dataset's.
    """

    classes: tuple[str, ...] | None = _DEFAULT.classes
    n_classes: int | None = _DEFAULT.n_classes
    fmin: float = _DEFAULT.fmin
    fmax: float = _DEFAULT.fmax
    tmin: float = _DEFAULT.tmin
    tmax: float | None = _DEFAULT.tmax
    resample: float | None = _DEFAULT.resample

    @classmethod
    def from_config(cls, data: DataConfig) -> Preprocessing:
        """The preprocessing of a run's ``data`` section: its fields of the same names."""
        return cls(**{item.name: getattr(data, item.name) for item in fields(cls)})

    def validate(self) -> None:
        """Raise ValueError on parameters no dataset could satisfy."""
        if self.fmin < 0 or self.fmin >= self.fmax:
            raise ValueError(f"need 0 <= fmin < fmax, got fmin={self.fmin}, fmax={self.fmax}")
        if self.tmin < 0 or (self.tmax is not None and self.tmax <= self.tmin):
            raise ValueError(f"need 0 <= tmin < tmax, got tmin={self.tmin}, tmax={self.tmax}")
        if self.resample is not None and self.resample <= 0:
            raise ValueError(f"--resample must be positive, got {self.resample}")
        if self.resample is not None and self.fmax >= self.resample / 2:
            raise ValueError(
                f"fmax={self.fmax} Hz is not below the Nyquist frequency of --resample "
                f"{self.resample} Hz"
            )
        if self.n_classes is not None and self.n_classes < 2:
            raise ValueError(f"--n-classes must be at least 2, got {self.n_classes}")


@dataclass
class EEGData:
    """Trials of several subjects, in time order within each subject.

    Attributes
    ----------
    X : np.ndarray, shape (n_trials, n_electrodes, n_times)
        Band-passed trials in microvolts, float32.
    y : np.ndarray, shape (n_trials,)
        Class index into ``classes``.
    meta : pd.DataFrame
        One row per trial: ``subject``, ``session``, ``run``, ``dataset``, ``task``
        (``imagery``, or ``execution`` for the executed movements of PhysionetMI).
    classes : list of str
    ch_names : list of str
    sfreq : float
    dataset : str
    notes : list of str
        What loading decided that the user should know (electrodes and classes kept
        when datasets are pooled).
    """

    X: np.ndarray
    y: np.ndarray
    meta: pd.DataFrame
    classes: list[str]
    ch_names: list[str]
    sfreq: float
    dataset: str
    load_seconds: dict[int, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def n_chans(self) -> int:
        return self.X.shape[1]

    @property
    def n_times(self) -> int:
        return self.X.shape[2]

    def pick(self, channels: list[str]) -> EEGData:
        """The same trials on ``channels`` only, in that order (ConfigError naming the
        electrodes the data lack, and listing those it has)."""
        missing = [c for c in channels if c not in self.ch_names]
        if missing:
            raise ConfigError(
                "data.channels",
                f"names electrode(s) {', '.join(missing)} that {self.dataset} lacks; its "
                f"electrodes: {', '.join(self.ch_names)}",
            )
        if len(set(channels)) != len(channels):
            raise ConfigError("data.channels", f"names an electrode twice: {', '.join(channels)}")
        index = [self.ch_names.index(c) for c in channels]
        return replace(self, X=np.ascontiguousarray(self.X[:, index]), ch_names=list(channels))


def choose_classes(dataset: BaseDataset, prep: Preprocessing) -> list[str]:
    """The classes to decode, validated against the dataset's events."""
    events = [e for e in dataset.event_id if e != "rest"]
    if prep.classes is not None:
        unknown = [c for c in prep.classes if c not in dataset.event_id]
        if unknown:
            raise ConfigError(
                "data.classes",
                f"names {', '.join(unknown)}, which dataset {dataset_name(dataset)} lacks; its "
                f"classes: {', '.join(events)}",
            )
        return list(dict.fromkeys(prep.classes))
    n = prep.n_classes or len(events)
    if n > len(events):
        raise ConfigError(
            "data.n_classes",
            f"must be at most {len(events)}, the classes of dataset {dataset_name(dataset)} "
            f"({', '.join(events)}), got {n}",
        )
    return events[:n]


def check_window(dataset: BaseDataset, tmin: float, tmax: float | None) -> float:
    """The trial length in seconds, or a ConfigError when the window does not fit in it."""
    trial = float(dataset.interval[1] - dataset.interval[0])
    stop = trial if tmax is None else tmax
    if tmin < 0 or stop <= tmin or stop > trial + 1e-9:
        key = "data.tmin" if tmax is None or tmin >= stop else "data.tmax"
        raise ConfigError(
            key,
            f"puts the window at {tmin:g}-{stop:g} s, which does not fit the {trial:g} s "
            f"trials of {dataset_name(dataset)}; allowed: 0 <= tmin < tmax <= {trial:g}",
        )
    return trial


def make_paradigm(dataset: BaseDataset, prep: Preprocessing, classes: list[str]):
    """MOABB's ``LeftRightImagery`` for left/right hand, else ``MotorImagery``."""
    from moabb.paradigms import LeftRightImagery, MotorImagery

    check_window(dataset, prep.tmin, prep.tmax)
    window = dict(
        fmin=prep.fmin, fmax=prep.fmax, tmin=prep.tmin, tmax=prep.tmax, resample=prep.resample
    )
    if sorted(classes) == list(LEFT_RIGHT):
        return LeftRightImagery(**window)
    return MotorImagery(events=classes, n_classes=len(classes), **window)


def dataset_signature(dataset: BaseDataset) -> dict:
    """The dataset's identity for the cache: class, and its simple-valued attributes."""
    simple = (int, float, str, bool, list, tuple, type(None))
    attributes = {k: v for k, v in sorted(vars(dataset).items()) if isinstance(v, simple)}
    return {"class": dataset_name(dataset), "attributes": attributes}


def _read_subject(dataset: BaseDataset, paradigm, subject: int, classes: list[str]) -> dict:
    epochs, labels, meta = paradigm.get_data(dataset, subjects=[subject], return_epochs=True)
    index = {c: i for i, c in enumerate(classes)}
    return {
        "X": (epochs.get_data(copy=False) * 1e6).astype(np.float32),
        "y": np.array([index[label] for label in labels], dtype=np.int64),
        "session": meta["session"].to_numpy(dtype=str),
        "run": meta["run"].to_numpy(dtype=str),
        "ch_names": list(epochs.ch_names),
        "sfreq": float(epochs.info["sfreq"]),
    }


def load_trials(
    dataset: BaseDataset,
    subjects: list[int],
    prep: Preprocessing,
    *,
    data_dir: str | Path | None = None,
    cache_dir: Path | None = None,
    offline: bool = False,
) -> EEGData:
    """Load ``subjects`` of ``dataset`` as trials, from the cache when it holds them.

    Files are read from the MNE data folder (``data_dir``, else MNE's convention:
    :func:`~bci_attn.data.datasets.data_folder`), downloaded there when missing unless
    ``offline``. A dataset generated in memory (``synthetic``) needs no folder.

    Raises
    ------
    ValueError
        Subjects the dataset lacks, classes it lacks, a window longer than its trials.
    MissingDataError
        A file is missing from the data folder and could not be downloaded (or
        ``offline``), naming the file and the folder.
    """
    prep.validate()
    name = dataset_name(dataset)
    lacking = sorted(set(subjects) - set(dataset.subject_list))
    if lacking:
        listed = dataset.subject_list
        raise ValueError(
            f"dataset {name} has no subject(s) {lacking}; its subjects: "
            f"{listed[0]}-{listed[-1]}" + ("" if len(listed) == listed[-1] else f" {listed}")
        )
    classes = choose_classes(dataset, prep)
    restrict_runs(dataset, classes)
    paradigm = make_paradigm(dataset, prep, classes)
    cache = TrialCache(cache_dir) if cache_dir is not None else None
    key = {"dataset": dataset_signature(dataset), "prep": asdict(prep), "classes": classes}
    parts, seconds = [], {}
    for subject in subjects:
        start = time.perf_counter()
        part = cache.get(key, subject) if cache is not None else None
        if part is None:
            with _files_of(dataset, data_dir, offline):
                part = _read_subject(dataset, paradigm, subject, classes)
            if cache is not None:
                cache.put(key, subject, part)
        seconds[subject] = time.perf_counter() - start
        parts.append((subject, part))
    return _assemble(parts, classes, name, seconds, run_tasks(dataset))


def _files_of(dataset: BaseDataset, data_dir: str | Path | None, offline: bool):
    """Where ``dataset``'s files come from while a subject is read: nowhere for a dataset
    generated in memory, else the data folder (:func:`fetching`)."""
    if getattr(dataset, "in_memory", False):
        return contextlib.nullcontext()
    folder = data_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)  # as MNE and MOABB create ~/mne_data
    use_data_dir(folder)
    return fetching(dataset_name(dataset), folder, offline)


def _assemble(parts, classes, name, seconds, tasks: dict[str, str]) -> EEGData:
    first = parts[0][1]
    for subject, part in parts:
        if part["ch_names"] != first["ch_names"] or part["X"].shape[2] != first["X"].shape[2]:
            raise ValueError(
                f"dataset {name}: subject {subject} has other electrodes or trial length than "
                f"subject {parts[0][0]}"
            )
    meta = pd.concat(
        [
            pd.DataFrame(
                {"subject": subject, "session": p["session"], "run": p["run"], "dataset": name}
            )
            for subject, p in parts
        ],
        ignore_index=True,
    )
    meta["task"] = meta["run"].map(tasks).fillna("imagery") if tasks else "imagery"
    return EEGData(
        X=np.concatenate([p["X"] for _, p in parts]),
        y=np.concatenate([p["y"] for _, p in parts]),
        meta=meta,
        classes=classes,
        ch_names=first["ch_names"],
        sfreq=first["sfreq"],
        dataset=name,
        load_seconds=seconds,
    )
