"""Trials held in memory (or on the GPU) as mini-batches, and their standardisation."""

from __future__ import annotations

from collections.abc import Iterator

import lightning as L
import numpy as np
import torch


class TrialBatches:
    """Mini-batches indexed straight out of tensors that already sit on the device.

    EEG training sets are small (a few hundred MB at most): holding the whole set on the
    accelerator and indexing batches there avoids a DataLoader, its workers and a
    host-to-device copy per batch. Shuffling draws from a seeded CPU generator, so the
    batch order depends on the seed alone, whatever the device.

    Parameters
    ----------
    X : torch.Tensor, shape (n_trials, n_electrodes, n_times)
    y : torch.Tensor, shape (n_trials,)
    batch_size : int
    shuffle : bool
        Draw a new permutation every epoch.
    seed : int
        Seed of the permutations.
    """

    def __init__(
        self, X: torch.Tensor, y: torch.Tensor, batch_size: int, shuffle: bool, seed: int = 0
    ) -> None:
        self.X, self.y = X, y
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(seed)

    def _starts(self) -> range:
        n = len(self.y)
        # A last batch of one trial breaks BatchNorm in training mode: fold it away.
        stop = n - 1 if self.shuffle and n % self.batch_size == 1 and n > 1 else n
        return range(0, stop, self.batch_size)

    def __len__(self) -> int:
        return len(self._starts())

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.y)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        order = order.to(self.X.device)
        for start in self._starts():
            idx = order[start : start + self.batch_size]
            yield self.X[idx], self.y[idx]


class TrialsDataModule(L.LightningDataModule):
    """Train/validation/test trials as tensors, moved once to the trainer's device.

    Parameters
    ----------
    train, valid, test : tuple of np.ndarray
        ``(X, y)`` per split, ``X`` of shape ``(n, n_electrodes, n_times)``; ``valid`` and
        ``test`` may be empty.
    batch_size : int
    seed : int
        Seed of the training batch order.
    """

    def __init__(self, train, valid, test, batch_size: int, seed: int = 0) -> None:
        super().__init__()
        self.splits = {"train": train, "valid": valid, "test": test}
        self.batch_size = batch_size
        self.seed = seed
        self.tensors: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def setup(self, stage: str | None = None) -> None:
        device = self.trainer.strategy.root_device if self.trainer else torch.device("cpu")
        for name, (X, y) in self.splits.items():
            if name not in self.tensors:
                self.tensors[name] = (
                    torch.as_tensor(X, dtype=torch.float32).to(device),
                    torch.as_tensor(y, dtype=torch.long).to(device),
                )

    def _batches(self, name: str, shuffle: bool) -> TrialBatches:
        X, y = self.tensors[name]
        return TrialBatches(X, y, self.batch_size, shuffle=shuffle, seed=self.seed)

    def train_dataloader(self) -> TrialBatches:
        return self._batches("train", shuffle=True)

    def val_dataloader(self) -> TrialBatches | list:
        return self._batches("valid", shuffle=False) if len(self.splits["valid"][1]) else []

    def test_dataloader(self) -> TrialBatches:
        return self._batches("test", shuffle=False)

    def predict_dataloader(self) -> TrialBatches:
        return self._batches("test", shuffle=False)


def standardise(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Per-electrode z-scoring with statistics of the training trials only.

    Written by hand: braindecode's standardisation works on continuous raw recordings,
    here the statistics must come from the training split of already-epoched trials.

    Parameters
    ----------
    train : np.ndarray, shape (n_trials, n_electrodes, n_times)
        Trials whose per-electrode mean and standard deviation are used.
    *others : np.ndarray, shape (n, n_electrodes, n_times)
        Further trials, scaled with the same statistics.

    Returns
    -------
    list of np.ndarray
        ``train`` and ``others``, standardised, float32.
    """
    mean = train.mean(axis=(0, 2), keepdims=True)
    std = train.std(axis=(0, 2), keepdims=True) + 1e-8
    return [((a - mean) / std).astype(np.float32) for a in (train, *others)]
