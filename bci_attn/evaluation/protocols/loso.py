"""Leave-one-subject-out: test on each subject in turn, train on the others."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .base import Fold, Protocol, register
from .calibration import set_aside_calibration

if TYPE_CHECKING:
    import pandas as pd


@register
@dataclass(frozen=True)
class LeaveOneSubjectOut(Protocol):
    """Test on each subject in turn, train on the others; validate on other subjects.

    Parameters
    ----------
    n_valid_subjects : int
        Training subjects held out (whole) for validation, drawn per fold with
        ``split_seed``; 0 trains on every other subject and monitors nothing.
    split_seed : int
    calibration_trials : tuple of int
        Calibration sizes (trials per class of the test subject set aside for few-shot
        calibration, :func:`~bci_attn.evaluation.protocols.calibration.calibration_pool`);
        empty for none.
    """

    name = "loso"
    cross_subject = True
    n_valid_subjects: int = 1
    calibration_trials: tuple[int, ...] = ()

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
            rng = np.random.default_rng([self.split_seed, int(test_subject)])
            valid_subjects = rng.choice(others, self.n_valid_subjects, replace=False)
            valid_mask = np.isin(subject_of, valid_subjects)
            test_mask = subject_of == test_subject
            test, pools = set_aside_calibration(
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
