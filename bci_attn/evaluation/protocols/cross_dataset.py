"""Cross-dataset transfer: train on subjects of one dataset, test on those of another."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ...config.schema import ConfigError
from .base import DataRequest, register
from .holdout import Holdout

if TYPE_CHECKING:
    import pandas as pd

    from ...config import RunConfig


def same_name(first: str, second: str) -> bool:
    """Whether two spellings name one dataset (``BNCI2014001`` and ``BNCI2014_001``)."""

    def normal(name: str) -> str:
        return name.replace("_", "").replace("-", "").lower()

    return normal(first) == normal(second)


@register
@dataclass(frozen=True)
class CrossDataset(Holdout):
    """:class:`Holdout` with the training subjects from one dataset, the test from another.

    The trials of both datasets are pooled beforehand on their shared electrodes, a
    common sampling rate and their common classes (:func:`bci_attn.data.load_transfer`,
    at least ``min_channels`` shared electrodes). Subject numbers are those of each
    dataset; ``meta["dataset"]`` tells them apart. ``train_subjects`` and
    ``test_subjects`` default to every subject of each dataset.
    """

    name = "cross-dataset"
    train_dataset: str | None = None
    test_dataset: str | None = None
    min_channels: int = 3

    def check(self, config: RunConfig) -> None:
        for side in ("train_dataset", "test_dataset"):
            if not getattr(self, side):
                raise ConfigError(
                    f"evaluation.{side}",
                    f"must be given with protocol {self.name} (evaluation.train_dataset and "
                    "evaluation.test_dataset)",
                )
        if same_name(self.train_dataset, self.test_dataset):
            raise ConfigError(
                "evaluation.test_dataset",
                f"is evaluation.train_dataset again ({self.train_dataset}); use protocol "
                "holdout to hold out subjects of one dataset",
            )
        if config.data.subjects is not None:
            raise ConfigError(
                "data.subjects",
                f"goes with the other protocols; {self.name} takes evaluation.train_subjects "
                "and evaluation.test_subjects",
            )

    def requests(self, config: RunConfig) -> list[DataRequest]:
        return [
            DataRequest(
                self.train_dataset,
                self.train_subjects,
                "evaluation.train_dataset",
                "evaluation.train_subjects",
            ),
            DataRequest(
                self.test_dataset,
                self.test_subjects,
                "evaluation.test_dataset",
                "evaluation.test_subjects",
            ),
        ]

    def data_name(self, config: RunConfig) -> str:
        return f"{self.train_dataset}-to-{self.test_dataset}"

    def sides(self, meta: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        datasets = meta["dataset"].to_numpy().astype(str)
        train = np.array([same_name(d, self.train_dataset) for d in datasets])
        test = np.array([same_name(d, self.test_dataset) for d in datasets])
        subject_of = meta["subject"].to_numpy()
        if self.train_subjects:
            train &= np.isin(subject_of, list(self.train_subjects))
        if self.test_subjects:
            test &= np.isin(subject_of, list(self.test_subjects))
        return train, test

    def split(self, meta: pd.DataFrame, y: np.ndarray) -> list:
        if not self.test_subjects:  # every subject of the test dataset
            _, test = self.sides(meta)
            subjects = tuple(int(s) for s in np.unique(meta["subject"].to_numpy()[test]))
            return Holdout.split(_with_tests(self, subjects), meta, y)
        return super().split(meta, y)

    def fold_name(self) -> str:
        return f"{self.train_dataset}-to-{self.test_dataset}"


def _with_tests(protocol: CrossDataset, subjects: tuple[int, ...]) -> CrossDataset:
    from dataclasses import replace

    return replace(protocol, test_subjects=subjects)
