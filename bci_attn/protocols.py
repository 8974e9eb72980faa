"""Evaluation protocols as split objects: every fold is known before anything trains.

Each protocol turns the trials' metadata (``subject``, ``session``, ``run`` per trial, and
``dataset`` when several are pooled) into :class:`Fold` objects holding trial indices for
training, validation and test. Validation trials always come from the training side
(trials, sessions or subjects the test never sees), so monitoring and early stopping cannot
leak the test data.

Transfer protocols (leave-one-subject-out, fixed held-out subjects, cross-dataset) can also
set aside a few labelled *calibration* trials of each test subject, taken from its first
session in time order, to fine-tune the trained model on (few-shot calibration); those
trials are never tested on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace

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
        Unique, file-name-safe name (``"subject3"``, ``"subject3-0train-to-1test"``,
        ``"holdout"``).
    subject : int | None
        The test subject; None when the fold tests several (held-out subjects), each of
        which is then scored on its own.
    train, valid, test : np.ndarray of int
        Trial indices; pairwise disjoint. ``valid`` may be empty.
    calibration : dict of int to np.ndarray
        Per test subject, its calibration pool: the trials that fine-tuning may use (in
        time order; see :func:`calibration_set`), disjoint from ``test`` and from the
        training side. Empty without calibration.
    """

    name: str
    subject: int | None
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    calibration: dict[int, np.ndarray] = field(default_factory=dict)

    def describe(self, meta: pd.DataFrame) -> str:
        """One line: sizes and the subjects/sessions on each side."""

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


def calibration_pool(
    meta: pd.DataFrame, y: np.ndarray, rows: np.ndarray, n_per_class: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split one test subject's trials into a calibration pool and the trials tested.

    The pool is the first ``n_per_class`` trials of each class of the subject's first
    session, in recording order (runs ordered by :func:`session_order`, trials by their
    order within the run), as a user would record calibration trials before using the
    BCI; it is returned in time order. Every other trial of the subject is tested.

    Parameters
    ----------
    meta : pd.DataFrame
        One row per trial, with ``subject``, ``session`` and ``run``; trials of a run are
        in recording order.
    y : np.ndarray
        Labels of all trials.
    rows : np.ndarray of int
        The subject's trials.
    n_per_class : int
        The largest calibration size requested.

    Returns
    -------
    pool, test : np.ndarray of int

    Raises
    ------
    ValueError
        The first session holds fewer than ``n_per_class`` trials of a class, or nothing
        would be left to test.
    """
    subject = meta["subject"].iloc[rows[0]]
    sessions = meta["session"].to_numpy()[rows]
    first = session_order(sessions.tolist())[0]
    in_first = rows[sessions == first]
    runs = meta["run"].to_numpy()[in_first].astype(str)
    rank = {run: k for k, run in enumerate(session_order(runs.tolist()))}
    ordered = in_first[np.argsort([rank[r] for r in runs], kind="stable")]
    chosen = []
    for label in np.unique(y):
        of_class = ordered[y[ordered] == label]
        if len(of_class) < n_per_class:
            raise ValueError(
                f"--calibration-trials {n_per_class} is more than subject {subject} has: "
                f"{len(of_class)} trials of class {label} in its first session '{first}'"
            )
        chosen.append(of_class[:n_per_class])
    pool = ordered[np.isin(ordered, np.concatenate(chosen))]
    test = np.setdiff1d(rows, pool)
    if len(test) == 0:
        raise ValueError(
            f"--calibration-trials {n_per_class} leaves no trial of subject {subject} to test"
        )
    return pool, test


def calibration_set(pool: np.ndarray, y: np.ndarray, n_per_class: int) -> np.ndarray:
    """The first ``n_per_class`` trials of each class of a calibration pool, in time order.

    Smaller calibration sets are nested in larger ones, and all are drawn from the same
    pool, so every calibration size is tested on the same trials.
    """
    keep = np.zeros(len(pool), dtype=bool)
    for label in np.unique(y[pool]):
        keep[np.flatnonzero(y[pool] == label)[:n_per_class]] = True
    return pool[keep]


def _set_aside_calibration(
    meta: pd.DataFrame, y: np.ndarray, test: np.ndarray, n_per_class: int
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Remove each test subject's calibration pool from ``test``; return (test, pools)."""
    if n_per_class <= 0:
        return test, {}
    subject_of = meta["subject"].to_numpy()
    tested, pools = [], {}
    for subject in pd.unique(subject_of[test]):
        pool, rest = calibration_pool(meta, y, test[subject_of[test] == subject], n_per_class)
        pools[int(subject)] = pool
        tested.append(rest)
    return np.sort(np.concatenate(tested)), pools


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
    calibration_trials : int
        Trials per class of the test subject set aside for few-shot calibration
        (:func:`calibration_pool`); 0 for none.
    """

    n_valid_subjects: int = 1
    seed: int = 0
    calibration_trials: int = 0
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
            test, pools = _set_aside_calibration(
                meta, y, np.flatnonzero(test_mask), self.calibration_trials
            )
            folds.append(
                Fold(
                    f"subject{test_subject}",
                    int(test_subject),
                    np.flatnonzero(~valid_mask & ~test_mask),
                    np.flatnonzero(valid_mask),
                    test,
                    pools,
                )
            )
        return folds


def _subject_list(subjects) -> str:
    return ", ".join(map(str, sorted(subjects)))


@dataclass
class Holdout(Protocol):
    """Train once on fixed subjects, test each held-out subject on its own.

    The usual setting of a BCI that must work for a new user out of the box: one model
    trained on a pool of subjects, evaluated per unseen subject (e.g. Lotte 2015,
    "Signal processing approaches to minimize or suppress calibration time in
    oscillatory activity-based BCIs", Proc. IEEE 103(6)). Validation subjects are drawn
    from the training subjects only. One fold; its ``subject`` is None and results are
    broken down per test subject.

    Parameters
    ----------
    train_subjects, test_subjects : tuple of int
        Disjoint subject sets; ``train_subjects`` empty means every subject of the data
        that is not tested.
    n_valid_subjects : int
        Training subjects held out (whole) for validation; 0 for none.
    seed : int
        Seed of the choice of validation subjects.
    calibration_trials : int
        Trials per class of each test subject set aside for few-shot calibration.
    train_dataset, test_dataset : str | None
        With trials of several datasets pooled (``meta["dataset"]``), the dataset each
        side comes from; None takes every trial (one dataset).
    """

    train_subjects: tuple[int, ...] = ()
    test_subjects: tuple[int, ...] = ()
    n_valid_subjects: int = 1
    seed: int = 0
    calibration_trials: int = 0
    train_dataset: str | None = None
    test_dataset: str | None = None
    name: str = "holdout"

    def _side(self, meta: pd.DataFrame, dataset: str | None, subjects) -> np.ndarray:
        mask = np.ones(len(meta), dtype=bool)
        if dataset is not None:
            mask &= meta["dataset"].to_numpy() == dataset
        if len(subjects):
            mask &= np.isin(meta["subject"].to_numpy(), list(subjects))
        return mask

    def split(self, meta: pd.DataFrame, y: np.ndarray) -> list[Fold]:
        if not self.test_subjects:
            raise ValueError(f"{self.name} needs test subjects (--test-subjects)")
        same_data = self.train_dataset == self.test_dataset
        overlap = set(self.train_subjects) & set(self.test_subjects)
        if same_data and overlap:
            raise ValueError(
                f"--train-subjects and --test-subjects overlap (subject(s) "
                f"{_subject_list(overlap)}): a test subject must be unseen in training"
            )
        test_mask = self._side(meta, self.test_dataset, self.test_subjects)
        train_mask = self._side(meta, self.train_dataset, self.train_subjects)
        if same_data:
            train_mask &= ~np.isin(meta["subject"].to_numpy(), list(self.test_subjects))
        subject_of = meta["subject"].to_numpy()
        for side, mask, wanted in (
            ("test", test_mask, self.test_subjects),
            ("train", train_mask, self.train_subjects),
        ):
            missing = set(wanted) - set(subject_of[mask])
            if missing:
                raise ValueError(f"no trials of {side} subject(s) {_subject_list(missing)}")
        train_subjects = np.unique(subject_of[train_mask])
        if len(train_subjects) < 1 + self.n_valid_subjects:
            raise ValueError(
                f"{self.name} with {self.n_valid_subjects} validation subject(s) needs at least "
                f"{1 + self.n_valid_subjects} training subjects, got {len(train_subjects)}"
            )
        rng = np.random.default_rng([self.seed, len(train_subjects)])
        valid_subjects = rng.choice(train_subjects, self.n_valid_subjects, replace=False)
        valid_mask = train_mask & np.isin(subject_of, valid_subjects)
        test, pools = _set_aside_calibration(
            meta, y, np.flatnonzero(test_mask), self.calibration_trials
        )
        return [
            Fold(
                self.fold_name(),
                None,
                np.flatnonzero(train_mask & ~valid_mask),
                np.flatnonzero(valid_mask),
                test,
                pools,
            )
        ]

    def fold_name(self) -> str:
        return "holdout"

    def alignment_groups(self) -> tuple[str, ...]:
        return ("dataset", "subject", "session")


@dataclass
class CrossDataset(Holdout):
    """:class:`Holdout` with the training subjects from one dataset, the test from another.

    The trials of both datasets are pooled beforehand on their shared electrodes, a
    common sampling rate and their common classes (:func:`bci_attn.data.load_transfer`).
    Subject numbers are those of each dataset; ``meta["dataset"]`` tells them apart.
    """

    name: str = "cross-dataset"

    def split(self, meta: pd.DataFrame, y: np.ndarray) -> list[Fold]:
        if self.train_dataset is None or self.test_dataset is None:
            raise ValueError("cross-dataset needs --train-dataset and --test-dataset")
        if self.train_dataset == self.test_dataset:
            raise ValueError(
                f"--train-dataset and --test-dataset are both {self.train_dataset}; "
                "use --protocol holdout to hold out subjects of one dataset"
            )
        protocol = self
        if not self.test_subjects:  # every subject of the test dataset
            test_rows = meta["dataset"].to_numpy() == self.test_dataset
            subjects = tuple(int(s) for s in np.unique(meta["subject"][test_rows]))
            protocol = replace(self, test_subjects=subjects)
        return Holdout.split(protocol, meta, y)

    def fold_name(self) -> str:
        return f"{self.train_dataset}-to-{self.test_dataset}"


PROTOCOLS = {
    "within-session": WithinSession,
    "cross-session": CrossSession,
    "loso": LeaveOneSubjectOut,
    "holdout": Holdout,
    "cross-dataset": CrossDataset,
}

#: Protocols that test unseen subjects, and so may calibrate on a few of their trials.
TRANSFER_PROTOCOLS = ("loso", "holdout", "cross-dataset")


def make_protocol(name: str, seed: int = 0, **options) -> Protocol:
    """The protocol called ``name`` with ``options``, or a ValueError listing the protocols."""
    if name not in PROTOCOLS:
        raise ValueError(f"unknown protocol '{name}'; available: {', '.join(PROTOCOLS)}")
    return PROTOCOLS[name](seed=seed, **options)
