"""Evaluation protocols as split objects: every fold is known before anything trains.

Each protocol turns the trials' metadata (``subject``, ``session``, ``run`` per trial) into
:class:`Fold` objects holding trial indices for training, validation and test. Validation
trials always come from the training side (trials, sessions or subjects the test never
sees), so monitoring and early stopping cannot leak the test data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, train_test_split

from .data.loading import session_order


@dataclass(frozen=True)
class Fold:
    """One train/validation/test split.

    Attributes
    ----------
    name : str
        Unique, file-name-safe name (``"subject3"``, ``"subject3-0train-to-1test"``).
    subject : int
        The test subject.
    train, valid, test : np.ndarray of int
        Trial indices; pairwise disjoint. ``valid`` may be empty.
    """

    name: str
    subject: int
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray

    def describe(self, meta: pd.DataFrame) -> str:
        """One line: sizes and the subjects/sessions on each side."""

        def side(idx: np.ndarray) -> str:
            if len(idx) == 0:
                return "0"
            rows = meta.iloc[idx]
            subjects = ",".join(map(str, sorted(rows["subject"].unique())))
            sessions = ",".join(session_order(rows["session"].unique().tolist()))
            return f"{len(idx)} (subjects {subjects}; sessions {sessions})"

        return (
            f"{self.name}: train {side(self.train)} | valid {side(self.valid)} | "
            f"test {side(self.test)}"
        )


def _stratified_holdout(
    indices: np.ndarray, y: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``indices`` into (train, valid) with ``fraction`` of each class in valid."""
    if fraction <= 0:
        return indices, np.array([], dtype=int)
    labels = y[indices]
    stratify = labels if np.bincount(labels).max() > 1 else None
    train, valid = train_test_split(
        indices, test_size=fraction, random_state=seed, stratify=stratify
    )
    return np.sort(train), np.sort(valid)


class Protocol(ABC):
    """A way to evaluate: a list of folds computed from the trials' metadata."""

    name: str

    @abstractmethod
    def split(self, meta: pd.DataFrame, y: np.ndarray) -> list[Fold]:
        """The folds for trials described by ``meta`` with labels ``y``.

        Raises
        ------
        ValueError
            When the data cannot support the protocol (one session for cross-session,
            one subject for leave-one-subject-out).
        """

    def alignment_groups(self) -> tuple[str, ...]:
        """Columns whose groups are aligned separately (each subject's session)."""
        return ("subject", "session")


@dataclass
class WithinSession(Protocol):
    """Stratified k-fold inside each subject's session; validation from the training folds.

    Parameters
    ----------
    n_folds : int
        Folds per session.
    valid_fraction : float
        Share of the training trials held out for validation.
    seed : int
        Seed of the fold assignment.
    """

    n_folds: int = 5
    valid_fraction: float = 0.2
    seed: int = 0
    name: str = "within-session"

    def split(self, meta: pd.DataFrame, y: np.ndarray) -> list[Fold]:
        folds = []
        for (subject, session), rows in meta.groupby(
            ["subject", "session"], sort=True
        ).indices.items():
            counts = np.bincount(y[rows])
            if counts[counts > 0].min() < self.n_folds:
                raise ValueError(
                    f"within-session {self.n_folds}-fold: subject {subject} session {session} "
                    f"has only {counts[counts > 0].min()} trials of a class"
                )
            cv = StratifiedKFold(self.n_folds, shuffle=True, random_state=self.seed)
            for k, (train_pos, test_pos) in enumerate(cv.split(rows, y[rows])):
                train, valid = _stratified_holdout(
                    rows[train_pos], y, self.valid_fraction, self.seed + k
                )
                folds.append(
                    Fold(
                        f"subject{subject}-{session}-fold{k}",
                        int(subject),
                        train,
                        valid,
                        np.sort(rows[test_pos]),
                    )
                )
        return folds


@dataclass
class CrossSession(Protocol):
    """Train on each subject's first session, test on each later one (BNCI2014001: T → E).

    Validation is a stratified share of the training session. Sessions are ordered by
    :func:`~bci_attn.data.loading.session_order`, whatever MOABB calls them.
    """

    valid_fraction: float = 0.2
    seed: int = 0
    name: str = "cross-session"

    def split(self, meta: pd.DataFrame, y: np.ndarray) -> list[Fold]:
        folds = []
        for subject, rows in meta.groupby("subject", sort=True).indices.items():
            sessions = meta["session"].to_numpy()[rows]
            order = session_order(sessions.tolist())
            if len(order) < 2:
                raise ValueError(
                    f"cross-session needs at least two sessions per subject; subject {subject} "
                    f"has {len(order)} ({', '.join(order)}); use within-session or loso"
                )
            train_all = rows[sessions == order[0]]
            train, valid = _stratified_holdout(train_all, y, self.valid_fraction, self.seed)
            for later in order[1:]:
                folds.append(
                    Fold(
                        f"subject{subject}-{order[0]}-to-{later}",
                        int(subject),
                        train,
                        valid,
                        rows[sessions == later],
                    )
                )
        return folds


@dataclass
class LeaveOneSubjectOut(Protocol):
    """Test on each subject in turn, train on the others; validate on other subjects.

    Parameters
    ----------
    n_valid_subjects : int
        Training subjects held out (whole) for validation, drawn per fold with ``seed``;
        0 trains on every other subject and monitors nothing.
    seed : int
    """

    n_valid_subjects: int = 1
    seed: int = 0
    name: str = "loso"

    def split(self, meta: pd.DataFrame, y: np.ndarray) -> list[Fold]:
        subjects = np.sort(meta["subject"].unique())
        if len(subjects) < 2 + self.n_valid_subjects:
            raise ValueError(
                f"leave-one-subject-out with {self.n_valid_subjects} validation subject(s) "
                f"needs at least {2 + self.n_valid_subjects} subjects, got {len(subjects)}"
            )
        subject_of = meta["subject"].to_numpy()
        folds = []
        for test_subject in subjects:
            others = subjects[subjects != test_subject]
            rng = np.random.default_rng([self.seed, int(test_subject)])
            valid_subjects = rng.choice(others, self.n_valid_subjects, replace=False)
            valid_mask = np.isin(subject_of, valid_subjects)
            test_mask = subject_of == test_subject
            folds.append(
                Fold(
                    f"subject{test_subject}",
                    int(test_subject),
                    np.flatnonzero(~valid_mask & ~test_mask),
                    np.flatnonzero(valid_mask),
                    np.flatnonzero(test_mask),
                )
            )
        return folds


PROTOCOLS = {
    "within-session": WithinSession,
    "cross-session": CrossSession,
    "loso": LeaveOneSubjectOut,
}


def make_protocol(name: str, seed: int = 0) -> Protocol:
    """The protocol called ``name``, or a ValueError listing the protocols."""
    if name not in PROTOCOLS:
        raise ValueError(f"unknown protocol '{name}'; available: {', '.join(PROTOCOLS)}")
    return PROTOCOLS[name](seed=seed)
