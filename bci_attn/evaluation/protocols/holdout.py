"""Holdout subjects: train once on fixed subjects, test each held-out subject on its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ...config.schema import ConfigError
from .base import DataRequest, Fold, Protocol, register
from .calibration import set_aside_calibration

if TYPE_CHECKING:
    import pandas as pd

    from ...config import RunConfig


def _listed(subjects) -> str:
    return ", ".join(map(str, sorted(subjects)))


@register
@dataclass(frozen=True)
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
    train_subjects, test_subjects : tuple of int | None
        Disjoint subject sets; ``train_subjects`` None means every subject of the data
        that is not tested.
    n_valid_subjects : int
        Training subjects held out (whole) for validation; 0 for none.
    calibration_trials : tuple of int
        Calibration sizes (trials per class of each test subject set aside for few-shot
        calibration).
    """

    name = "holdout"
    cross_subject = True
    train_subjects: tuple[int, ...] | None = None
    test_subjects: tuple[int, ...] | None = None
    n_valid_subjects: int = 1
    calibration_trials: tuple[int, ...] = ()

    def check(self, config: RunConfig) -> None:
        if not self.test_subjects:
            raise ConfigError(
                "evaluation.test_subjects",
                f"must be given with protocol {self.name} (and evaluation.train_subjects, "
                "default: every other subject of the dataset)",
            )
        if config.data.subjects is not None:
            raise ConfigError(
                "data.subjects",
                f"goes with the other protocols; {self.name} takes evaluation.train_subjects "
                "and evaluation.test_subjects",
            )
        overlap = set(self.train_subjects or ()) & set(self.test_subjects)
        if overlap:
            raise ConfigError(
                "evaluation.train_subjects",
                f"overlaps evaluation.test_subjects (subject(s) {_listed(overlap)}): a test "
                "subject must be unseen in training",
            )

    def requests(self, config: RunConfig) -> list[DataRequest]:
        subjects = None
        if self.train_subjects is not None:
            subjects = tuple(sorted({*self.train_subjects, *self.test_subjects}))
        return [
            DataRequest(config.data.dataset, subjects, subjects_key="evaluation.train_subjects")
        ]

    def _side(self, meta: pd.DataFrame, dataset: str | None, subjects) -> np.ndarray:
        mask = np.ones(len(meta), dtype=bool)
        if dataset is not None:
            mask &= meta["dataset"].to_numpy() == dataset
        if subjects:
            mask &= np.isin(meta["subject"].to_numpy(), list(subjects))
        return mask

    def sides(self, meta: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Masks of the training and test trials."""
        test_mask = self._side(meta, None, self.test_subjects)
        train_mask = self._side(meta, None, self.train_subjects)
        return train_mask & ~np.isin(meta["subject"].to_numpy(), list(self.test_subjects)), (
            test_mask
        )

    def split(self, meta: pd.DataFrame, y: np.ndarray) -> list[Fold]:
        train_mask, test_mask = self.sides(meta)
        subject_of = meta["subject"].to_numpy()
        for side, mask, wanted in (
            ("test", test_mask, self.test_subjects),
            ("train", train_mask, self.train_subjects or ()),
        ):
            missing = set(wanted) - set(subject_of[mask])
            if missing:
                raise ValueError(f"no trials of {side} subject(s) {_listed(missing)}")
        train_subjects = np.unique(subject_of[train_mask])
        if len(train_subjects) < 1 + self.n_valid_subjects:
            raise ValueError(
                f"{self.name} with {self.n_valid_subjects} validation subject(s) needs at least "
                f"{1 + self.n_valid_subjects} training subjects, got {len(train_subjects)}"
            )
        rng = np.random.default_rng([self.split_seed, len(train_subjects)])
        valid_subjects = rng.choice(train_subjects, self.n_valid_subjects, replace=False)
        valid_mask = train_mask & np.isin(subject_of, valid_subjects)
        test, pools = set_aside_calibration(
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
