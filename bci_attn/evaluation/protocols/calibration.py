"""Few-shot calibration pools: a test subject's first labelled trials, set aside for
fine-tuning and never tested on (cross-subject protocols)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...data.sessions import session_order

if TYPE_CHECKING:
    import pandas as pd


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


def set_aside_calibration(
    meta: pd.DataFrame, y: np.ndarray, test: np.ndarray, sizes: tuple[int, ...]
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Remove each test subject's calibration pool (for the largest of ``sizes``) from
    ``test``; return (test, pools)."""
    import pandas as pd

    if not sizes:
        return test, {}
    subject_of = meta["subject"].to_numpy()
    tested, pools = [], {}
    for subject in pd.unique(subject_of[test]):
        pool, rest = calibration_pool(meta, y, test[subject_of[test] == subject], max(sizes))
        pools[int(subject)] = pool
        tested.append(rest)
    return np.sort(np.concatenate(tested)), pools
