"""The transform braindecode lacks: a random time shift, on braindecode's ``Transform``."""

from __future__ import annotations

import torch
from braindecode.augmentation import Transform


def time_shift(
    X: torch.Tensor, y: torch.Tensor, shifts: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Delay (positive) or advance (negative) each trial by ``shifts`` samples, zero-filled.

    Parameters
    ----------
    X : torch.Tensor, shape (batch, n_electrodes, n_times)
    y : torch.Tensor, shape (batch,)
    shifts : torch.Tensor of int, shape (batch,)

    Returns
    -------
    X : torch.Tensor, shape (batch, n_electrodes, n_times)
        The shifted trials.
    y : torch.Tensor, shape (batch,)
        The labels, unchanged.
    """
    n_times = X.shape[-1]
    source = torch.arange(n_times, device=X.device) - shifts[:, None]  # (batch, n_times)
    inside = (source >= 0) & (source < n_times)
    index = source.clamp(0, n_times - 1)[:, None, :].expand_as(X)
    return X.gather(-1, index) * inside[:, None, :], y


class TimeShift(Transform):
    """Random time shift of each trial by up to ``max_shift`` samples either way.

    braindecode has no time shift (its crops belong to cropped decoding, a different
    training scheme), hence this transform, written on braindecode's ``Transform`` so it
    composes and draws its randomness like the others (Rommel et al., 2022, "Data
    augmentation for learning predictive models on EEG: a systematic comparison",
    J. Neural Eng. 19(6), 066020).

    Parameters
    ----------
    probability : float
        Probability of shifting a trial.
    max_shift : int
        Largest shift in samples.
    random_state : int | None
    """

    operation = staticmethod(time_shift)

    def __init__(self, probability: float, max_shift: int, random_state=None) -> None:
        super().__init__(probability=probability, random_state=random_state)
        self.max_shift = max_shift

    def get_augmentation_params(self, *batch):
        X = batch[0]
        shifts = self.rng.randint(-self.max_shift, self.max_shift + 1, size=len(X))
        return {"shifts": torch.as_tensor(shifts, device=X.device)}
