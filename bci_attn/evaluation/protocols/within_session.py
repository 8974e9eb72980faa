"""Within-session evaluation: stratified k-fold inside each subject's session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .base import Fold, Protocol, register, stratified_holdout

if TYPE_CHECKING:
    import pandas as pd


@register
@dataclass(frozen=True)
class WithinSession(Protocol):
    """Stratified k-fold inside each subject's session; validation from the training folds.

    Parameters
    ----------
    n_folds : int
        Folds per session.
    valid_fraction : float
        Share of the training trials held out for validation.
    split_seed : int
        Seed of the fold assignment.
    """

    name = "within-session"
    n_folds: int = 5
    valid_fraction: float = 0.2

    def split(self, meta: pd.DataFrame, y: np.ndarray) -> list[Fold]:
        from sklearn.model_selection import StratifiedKFold

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
            cv = StratifiedKFold(self.n_folds, shuffle=True, random_state=self.split_seed)
            for k, (train_pos, test_pos) in enumerate(cv.split(rows, y[rows])):
                train, valid = stratified_holdout(
                    rows[train_pos], y, self.valid_fraction, self.split_seed + k
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
