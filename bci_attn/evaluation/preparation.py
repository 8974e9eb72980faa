"""From a configuration to trials split into folds: load, pick electrodes, align, split.

:func:`prepare` is what every unit of a configuration needs before it trains; it is kept
per process (:func:`prepared`), so a worker that runs many units of one dataset loads and
splits its trials once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..config.sections import DEFAULT_CACHE
from .protocols import Fold, Protocol, check_protocol

if TYPE_CHECKING:
    from ..config import RunConfig
    from ..data.loading import EEGData


@dataclass
class Prepared:
    """A configuration's trials (aligned if asked), its protocol and its folds."""

    data: EEGData
    protocol: Protocol
    folds: list[Fold]

    def fold(self, name: str) -> Fold:
        """The fold called ``name`` (ValueError listing the folds)."""
        for fold in self.folds:
            if fold.name == name:
                return fold
        raise ValueError(f"no fold '{name}'; folds: {', '.join(f.name for f in self.folds)}")

    def select(self, fold: int | str) -> Fold:
        """The fold called ``fold``, or the ``fold``-th one (a ValueError listing them)."""
        if isinstance(fold, int) or (isinstance(fold, str) and fold.isdigit()):
            index = int(fold)
            if 0 <= index < len(self.folds):
                return self.folds[index]
            raise ValueError(
                f"fold {index} out of range: the protocol has {len(self.folds)} folds"
            )
        return self.fold(fold)


def cache_folder(config: RunConfig) -> Path:
    """``data.cache_dir``, else ``$BCI_ATTN_CACHE``, else ``~/.cache/bci_attn``."""
    default = os.environ.get("BCI_ATTN_CACHE", DEFAULT_CACHE)
    return Path(config.data.cache_dir or default).expanduser()


def load_data(config: RunConfig, protocol: Protocol) -> EEGData:
    """The trials ``protocol`` asks for: one dataset, or two pooled for cross-dataset
    transfer, on ``data.channels`` when they are given."""
    from ..data import Preprocessing, load_transfer, load_trials, resolve_dataset

    prep = Preprocessing.from_config(config.data)
    where = dict(
        data_dir=config.data.data_dir, cache_dir=cache_folder(config), offline=config.data.offline
    )
    requests = protocol.requests(config)
    datasets = [resolve_dataset(request.dataset, config.data.executed) for request in requests]
    subjects = [
        list(request.subjects or dataset.subject_list)
        for request, dataset in zip(requests, datasets, strict=True)
    ]
    if len(requests) == 1:
        data = load_trials(datasets[0], subjects[0], prep, **where)
    else:
        data = load_transfer(
            *datasets, *subjects, prep, min_channels=protocol.min_channels, **where
        )
    return data.pick(list(config.data.channels)) if config.data.channels else data


def prepare(config: RunConfig) -> Prepared:
    """Load the trials, align them if asked, and split them into folds (nothing trains).

    The splits do not depend on the training seeds: every seed trains on the same folds,
    and a seed gives the same result run alone or with others.
    """
    from ..data.alignment import align_groups

    protocol = check_protocol(config)
    data = load_data(config, protocol)
    folds = protocol.split(data.meta, data.y)
    groups = protocol.alignment_groups()
    executed = (data.meta["task"] == "execution").to_numpy()
    if executed.any():
        # Executed movements train; validation and tests stay on imagery, and each task
        # is aligned with its own trials, so a test subject's imagery never meets them.
        folds = [imagery_only(fold, executed) for fold in folds]
        groups = (*groups, "task")
    if config.data.align == "euclidean":
        # He & Wu 2019: each subject's session is re-centred with its own unlabelled trials,
        # the test subject's included, as the protocol allows (no labels are used).
        data.X = align_groups(data.X, data.meta, groups, config.data.align_shrinkage)
    return Prepared(data, protocol, folds)


def imagery_only(fold: Fold, executed: np.ndarray) -> Fold:
    """``fold`` with its validation, test and calibration trials restricted to imagery
    (``executed`` marks the trials of executed movements); training keeps them all."""

    def kept(index: np.ndarray) -> np.ndarray:
        return index[~executed[index]]

    calibration = {subject: kept(pool) for subject, pool in fold.calibration.items()}
    return replace(fold, valid=kept(fold.valid), test=kept(fold.test), calibration=calibration)


def data_key(config: RunConfig) -> str:
    """What decides a configuration's prepared trials and folds, as text."""
    values = {"data": config.to_dict()["data"], "evaluation": config.to_dict()["evaluation"]}
    values["evaluation"].pop("seeds")
    values["evaluation"].pop("ensemble")
    return json.dumps(values, sort_keys=True)


#: Prepared trials kept by this process, by :func:`data_key` (the last few).
_KEPT: dict[str, Prepared] = {}
_KEEP = 4


def prepared(config: RunConfig) -> Prepared:
    """:func:`prepare`, kept for the process: the units of one configuration (and of any
    other with the same data and protocol) load and split their trials once."""
    key = data_key(config)
    if key not in _KEPT:
        if len(_KEPT) >= _KEEP:
            _KEPT.pop(next(iter(_KEPT)))
        _KEPT[key] = prepare(config)
    return _KEPT[key]
