"""Cross-session evaluation: train on each subject's first session, test on the later ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ...data.sessions import session_order
from .base import Fold, Protocol, register, stratified_holdout

if TYPE_CHECKING:
    import pandas as pd


@register
@dataclass(frozen=True)
class CrossSession(Protocol):
    """Train on each subject's first session, test on each later one (BNCI2014001: T -> E).

    Validation is a stratified share of the training session. Sessions are ordered by
    :func:`~bci_attn.data.sessions.session_order`, whatever MOABB calls them.
    """

    name = "cross-session"
    valid_fraction: float = 0.2

    def is_valid(self, dataset: Any) -> str | None:
        sessions = getattr(dataset, "n_sessions", 2)
        if sessions < 2:
            return (
                f"{type(dataset).__name__} has {sessions} session per subject; cross-session "
                "needs at least two (use within-session or loso)"
            )
        return None

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
            train, valid = stratified_holdout(train_all, y, self.valid_fraction, self.split_seed)
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
