"""What every protocol is: a split object that knows its rules, and the registry of them.

A protocol turns the trials' metadata (``subject``, ``session``, ``run`` per trial, and
``dataset`` when several are pooled) into :class:`Fold` objects holding trial indices for
training, validation and test, before anything trains. Validation trials always come from
the training side (trials, sessions or subjects the test never sees), so monitoring and
early stopping cannot leak the test data. Like MOABB's evaluations
(``moabb.evaluations.base.BaseEvaluation``), a protocol says whether a dataset can serve it
(:meth:`Protocol.is_valid`) and which data it needs (:meth:`Protocol.requests`).

A protocol is a dataclass whose fields named like options of the ``evaluation`` section
(``split_seed``, ``train_subjects``, ...) take those options' values
(:meth:`Protocol.from_config`); an option no protocol of the run takes may not be set. A
new protocol is one file in this package: a subclass decorated with :func:`register`.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ...config.schema import ConfigError
from ...registry import Registry

if TYPE_CHECKING:
    import pandas as pd

    from ...config import RunConfig


@dataclass(frozen=True)
class Fold:
    """One train/validation/test split.

    Attributes
    ----------
    name : str
        Unique, file-name-safe name (``"subject3"``, ``"subject3-0train-to-1test"``,
        ``"holdout"``).
    subject : int | None
        The test subject; None when the fold tests several (held-out subjects), each of
        which is then scored on its own.
    train, valid, test : np.ndarray of int
        Trial indices; pairwise disjoint. ``valid`` may be empty.
    calibration : dict of int to np.ndarray
        Per test subject, its calibration pool: the trials that fine-tuning may use (in
        time order; see :func:`~bci_attn.evaluation.protocols.calibration.calibration_set`),
        disjoint from ``test`` and from the training side. Empty without calibration.
    """

    name: str
    subject: int | None
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    calibration: dict[int, np.ndarray] = field(default_factory=dict)

    def calibration_pools(self) -> np.ndarray:
        """Every calibration pool of the fold, concatenated (time order within each)."""
        pools = list(self.calibration.values())
        return np.concatenate(pools) if pools else np.array([], dtype=int)

    def describe(self, meta: pd.DataFrame) -> str:
        """One line: sizes and the subjects/sessions on each side."""
        from ...data.sessions import session_order

        def side(idx: np.ndarray) -> str:
            if len(idx) == 0:
                return "0"
            rows = meta.iloc[idx]
            datasets = ""
            if "dataset" in rows and meta["dataset"].nunique() > 1:
                datasets = ",".join(rows["dataset"].unique()) + " "
            subjects = ",".join(map(str, sorted(rows["subject"].unique())))
            sessions = ",".join(session_order(rows["session"].unique().tolist()))
            return f"{len(idx)} ({datasets}subjects {subjects}; sessions {sessions})"

        line = (
            f"{self.name}: train {side(self.train)} | valid {side(self.valid)} | "
            f"test {side(self.test)}"
        )
        if self.calibration:
            pools = ", ".join(f"{s}: {len(p)}" for s, p in self.calibration.items())
            line += f" | calibration pool per subject {pools}"
        return line


@dataclass(frozen=True)
class DataRequest:
    """Trials a protocol needs: ``subjects`` of ``dataset`` (None: every subject), and
    the options that named them (for messages)."""

    dataset: str
    subjects: tuple[int, ...] | None = None
    dataset_key: str = "data.dataset"
    subjects_key: str = "data.subjects"


@dataclass(frozen=True)
class Protocol(ABC):
    """A way to evaluate: folds computed from the trials' metadata, and its rules.

    Attributes
    ----------
    name : str
        The value of ``evaluation.protocol`` that chooses it.
    cross_subject : bool
        Whether its test subjects are unseen in training: such a protocol may calibrate on
        a few trials of them, and starts from the cross-subject recipe (``recipe: auto``).
    split_seed : int
        Seed of its random splits (the same for every training seed).
    """

    name: ClassVar[str]
    cross_subject: ClassVar[bool] = False
    split_seed: int = 0

    @classmethod
    def from_config(cls, config: RunConfig) -> Protocol:
        """The protocol with the ``evaluation`` options its fields are named after."""
        values = {
            f.name: getattr(config.evaluation, f.name)
            for f in dataclasses.fields(cls)
            if hasattr(config.evaluation, f.name)
        }
        return cls(**values)

    @classmethod
    def summary(cls) -> str:
        """The first line of its docstring, for ``--list-protocols``."""
        return (cls.__doc__ or "").strip().splitlines()[0]

    def check(self, config: RunConfig) -> None:  # noqa: B027  most protocols add none
        """Rules of ``config`` this protocol adds (ConfigError naming the option)."""

    def requests(self, config: RunConfig) -> list[DataRequest]:
        """The trials to load: ``data.subjects`` of ``data.dataset``."""
        return [DataRequest(config.data.dataset, config.data.subjects)]

    def is_valid(self, dataset: Any) -> str | None:
        """Why a MOABB dataset cannot serve this protocol, or None when it can."""
        return None

    def data_name(self, config: RunConfig) -> str:
        """What the run's default folder calls its data (the dataset's name)."""
        return config.data.dataset

    @abstractmethod
    def split(self, meta: pd.DataFrame, y: np.ndarray) -> list[Fold]:
        """The folds for trials described by ``meta`` with labels ``y``.

        Raises
        ------
        ValueError
            When the data cannot support the protocol (one subject for
            leave-one-subject-out, ...).
        """

    def alignment_groups(self) -> tuple[str, ...]:
        """Columns whose groups are aligned separately (each subject's session)."""
        return ("subject", "session")


_REGISTRY: Registry[type[Protocol]] = Registry("protocol", "evaluation.protocol")


def register(cls: type[Protocol]) -> type[Protocol]:
    """Class decorator registering a protocol under its ``name``."""
    return _REGISTRY.add(cls.name, cls)


def available() -> list[str]:
    """The registered protocols' names, in registration order."""
    return list(_REGISTRY)


def get_protocol(name: str) -> type[Protocol]:
    """The protocol class called ``name`` (ConfigError listing the protocols)."""
    return _REGISTRY.find(name)


def protocol_options() -> dict[str, list[str]]:
    """Each ``evaluation`` option some protocol takes -> the protocols that take it."""
    from ...config.sections import EvaluationConfig

    names = {f.name for f in dataclasses.fields(EvaluationConfig)}
    taken: dict[str, list[str]] = {}
    for cls in _REGISTRY.values():
        for item in dataclasses.fields(cls):
            if item.name in names and item.name != "split_seed":
                taken.setdefault(item.name, []).append(cls.name)
    return taken


def check_protocol(config: RunConfig) -> Protocol:
    """The run's protocol, after checking that ``config`` sets no option it does not take
    and its own rules (ConfigError naming the option)."""
    from ...config.sections import EvaluationConfig

    cls = get_protocol(config.evaluation.protocol)
    defaults = EvaluationConfig()
    own = {f.name for f in dataclasses.fields(cls)}
    for name, takers in protocol_options().items():
        if name not in own and getattr(config.evaluation, name) != getattr(defaults, name):
            raise ConfigError(
                f"evaluation.{name}",
                f"goes with protocol {' or '.join(takers)}, not {cls.name}",
            )
    protocol = cls.from_config(config)
    protocol.check(config)
    return protocol


def stratified_holdout(
    indices: np.ndarray, y: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``indices`` into (train, valid) with ``fraction`` of each class in valid."""
    from sklearn.model_selection import train_test_split

    if fraction <= 0:
        return indices, np.array([], dtype=int)
    labels = y[indices]
    stratify = labels if np.bincount(labels).max() > 1 else None
    train, valid = train_test_split(
        indices, test_size=fraction, random_state=seed, stratify=stratify
    )
    return np.sort(train), np.sort(valid)
