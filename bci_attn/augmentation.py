"""Data augmentation by name: braindecode's transforms, set up for trials of a given rate.

Training applies the chosen transforms on the device, batch by batch, inside the training
step (:class:`~bci_attn.training.DecodingModule`); validation, test and prediction never
see them. Every transform except ``mixup`` is applied to each trial with probability
``probability``; ``mixup`` mixes every batch and turns the target into braindecode's
``(y_a, y_b, lam)`` triple, which :func:`~bci_attn.training.mixed_cross_entropy` reads.

Magnitudes are given in seconds and Hz where they have a unit, so that one setting fits
any sampling rate; they default to values in the range Rommel et al. (2022) found useful
for motor imagery.

References
----------
.. [1] Rommel, C., Paillard, J., Moreau, T., & Gramfort, A. (2022). Data augmentation for
   learning predictive models on EEG: a systematic comparison. Journal of Neural
   Engineering, 19(6), 066020.
.. [2] Zhang, H., Cisse, M., Dauphin, Y. N., & Lopez-Paz, D. (2018). mixup: Beyond
   empirical risk minimization. ICLR.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from braindecode.augmentation import (
    ChannelsDropout,
    Compose,
    FrequencyShift,
    FTSurrogate,
    GaussianNoise,
    Mixup,
    SignFlip,
    SmoothTimeMask,
    Transform,
)


def time_shift(X: torch.Tensor, y: torch.Tensor, shifts: torch.Tensor):
    """Delay (positive) or advance (negative) each trial by ``shifts`` samples, zero-filled.

    Parameters
    ----------
    X : torch.Tensor, shape (batch, n_electrodes, n_times)
    y : torch.Tensor, shape (batch,)
    shifts : torch.Tensor of int, shape (batch,)
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
    composes and draws its randomness like the others.

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


@dataclass(frozen=True)
class Augmentation:
    """How one named augmentation is built.

    Attributes
    ----------
    build : callable
        ``build(probability, sfreq, random_state, **options)`` -> a braindecode transform.
    options : dict
        Its options and their defaults (seconds and Hz where they have a unit).
    summary : str
        What it does, for ``--list-augmentations``.
    at_most : dict
        Upper bounds of the options that have one (all must be positive).
    """

    build: Callable[..., Transform]
    options: dict = field(default_factory=dict)
    summary: str = ""
    at_most: dict = field(default_factory=dict)


def _samples(seconds: float, sfreq: float) -> int:
    return max(1, round(seconds * sfreq))


AUGMENTATIONS: dict[str, Augmentation] = {
    "time_shift": Augmentation(
        lambda p, sfreq, rs, max_shift: TimeShift(p, _samples(max_shift, sfreq), rs),
        {"max_shift": 0.1},
        "shift by up to max_shift s, zero-filled",
    ),
    "smooth_time_mask": Augmentation(
        lambda p, sfreq, rs, length: SmoothTimeMask(p, _samples(length, sfreq), rs),
        {"length": 0.2},
        "zero a random stretch of length s on every electrode, with smooth edges",
    ),
    "channels_dropout": Augmentation(
        lambda p, sfreq, rs, p_drop: ChannelsDropout(p, p_drop=p_drop, random_state=rs),
        {"p_drop": 0.2},
        "zero each electrode with probability p_drop",
        {"p_drop": 1.0},
    ),
    "frequency_shift": Augmentation(
        lambda p, sfreq, rs, max_shift: FrequencyShift(p, sfreq, max_shift, rs),
        {"max_shift": 2.0},
        "shift the spectrum by up to max_shift Hz",
    ),
    "ft_surrogate": Augmentation(
        lambda p, sfreq, rs, phase_noise: FTSurrogate(
            p, phase_noise_magnitude=phase_noise, channel_indep=False, random_state=rs
        ),
        {"phase_noise": 0.5},
        "randomise the Fourier phases (a fraction phase_noise of 2 pi)",
        {"phase_noise": 1.0},
    ),
    "gaussian_noise": Augmentation(
        lambda p, sfreq, rs, std: GaussianNoise(p, std=std, random_state=rs),
        {"std": 0.1},
        "add white noise of std (trials are z-scored, so relative to the signal)",
    ),
    "sign_flip": Augmentation(
        lambda p, sfreq, rs: SignFlip(p, random_state=rs), {}, "multiply the trial by -1"
    ),
    "mixup": Augmentation(
        lambda p, sfreq, rs, alpha: Mixup(alpha, random_state=rs),
        {"alpha": 0.2},
        "mix every batch with a shuffled copy (Beta(alpha, alpha) weights, labels mixed)",
    ),
}


def available() -> list[str]:
    """Names of the augmentations."""
    return list(AUGMENTATIONS)


def check_augmentation(
    names: list[str], probability: float = 0.5, options: dict | None = None
) -> None:
    """Check names, probability and options (ValueError naming what is wrong and allowed).

    Parameters
    ----------
    names : list of str
        Augmentations, applied in this order.
    probability : float
        Probability of applying each transform to a trial, in [0, 1].
    options : dict of str to dict
        Per augmentation name, options overriding its defaults.
    """
    options = options or {}
    unknown = [n for n in [*names, *options] if n not in AUGMENTATIONS]
    if unknown:
        raise ValueError(
            f"unknown augmentation '{unknown[0]}'; available: {', '.join(AUGMENTATIONS)}"
        )
    unused = sorted(set(options) - set(names))
    if unused:
        raise ValueError(
            f"options given for augmentation '{unused[0]}', which is not in --augment "
            f"({', '.join(names) or 'none'})"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"--augment lists an augmentation twice: {', '.join(names)}")
    if not 0.0 <= probability <= 1.0:
        raise ValueError(f"--augment-probability must be in [0, 1], got {probability}")
    for name, given in options.items():
        allowed = AUGMENTATIONS[name].options
        wrong = sorted(set(given) - set(allowed))
        if wrong:
            raise ValueError(
                f"augmentation '{name}' has no option '{wrong[0]}'; it takes: "
                f"{', '.join(allowed) or 'no options'}"
            )
        for key, value in given.items():
            top = AUGMENTATIONS[name].at_most.get(key, float("inf"))
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if not number or not 0 < value <= top:
                allowed = "a positive number" + (f" at most {top:g}" if top < float("inf") else "")
                raise ValueError(
                    f"augmentation '{name}' option '{key}' must be {allowed}, got {value!r}"
                )


def make_augmentation(
    names: list[str],
    sfreq: float,
    probability: float = 0.5,
    options: dict | None = None,
    random_state: int | None = None,
) -> Compose | None:
    """The named augmentations, in order, as one braindecode ``Compose`` (None if none).

    Parameters
    ----------
    names : list of str
        See :func:`available`.
    sfreq : float
        Sampling rate of the trials (Hz), for options given in seconds and Hz.
    probability : float
        Probability of applying each transform to a trial (``mixup`` mixes every batch).
    options : dict of str to dict
        Per augmentation name, options overriding its defaults.
    random_state : int | None
        Seed of the transforms' draws (None: NumPy's global state, which
        ``seed_everything`` seeds).
    """
    check_augmentation(names, probability, options)
    if not names:
        return None
    transforms = []
    for name in names:
        spec = AUGMENTATIONS[name]
        kwargs = {**spec.options, **(options or {}).get(name, {})}
        transforms.append(spec.build(probability, sfreq, random_state, **kwargs))
    return Compose(transforms)
