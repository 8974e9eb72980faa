"""Data augmentation by name: braindecode's transforms, set up for trials of a given rate.

Training applies the chosen transforms on the device, batch by batch, inside the training
step (:class:`~bci_attn.training.module.DecodingModule`); validation, test and prediction never
see them. Every transform except ``mixup`` is applied to each trial with probability
``probability``; ``mixup`` [2]_ mixes every batch and turns the target into braindecode's
``(y_a, y_b, lam)`` triple, which :func:`~bci_attn.training.module.mixed_cross_entropy`
reads.

Magnitudes are given in seconds and Hz where they have a unit, so that one setting fits
any sampling rate; they default to values in the range Rommel et al. (2022) [1]_ found
useful for motor imagery.

The names, their options and :func:`check_augmentation` need neither torch nor braindecode:
the transforms are imported when :func:`make_augmentation` builds them.

References
----------
.. [1] Rommel, C., Paillard, J., Moreau, T., & Gramfort, A. (2022). Data augmentation for
   learning predictive models on EEG: a systematic comparison. Journal of Neural
   Engineering, 19(6), 066020.
.. [2] Zhang, H., Cisse, M., Dauphin, Y. N., & Lopez-Paz, D. (2018). mixup: Beyond
   empirical risk minimization. ICLR.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..config import ConfigError, TrainingConfig

if TYPE_CHECKING:
    from braindecode.augmentation import Compose, Transform


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


def _braindecode(name: str) -> type:
    """braindecode's augmentation class ``name``, imported on first use (it imports torch)."""
    from braindecode import augmentation

    return getattr(augmentation, name)


def _samples(seconds: float, sfreq: float) -> int:
    return max(1, round(seconds * sfreq))


def _time_shift(probability: float, sfreq: float, random_state, max_shift: float) -> Transform:
    from .transforms import TimeShift

    return TimeShift(probability, _samples(max_shift, sfreq), random_state)


AUGMENTATIONS: dict[str, Augmentation] = {
    "time_shift": Augmentation(
        _time_shift, {"max_shift": 0.1}, "shift by up to max_shift s, zero-filled"
    ),
    "smooth_time_mask": Augmentation(
        lambda p, sfreq, rs, length: _braindecode("SmoothTimeMask")(
            p, _samples(length, sfreq), rs
        ),
        {"length": 0.2},
        "zero a random stretch of length s on every electrode, with smooth edges",
    ),
    "channels_dropout": Augmentation(
        lambda p, sfreq, rs, p_drop: _braindecode("ChannelsDropout")(
            p, p_drop=p_drop, random_state=rs
        ),
        {"p_drop": 0.2},
        "zero each electrode with probability p_drop",
        {"p_drop": 1.0},
    ),
    "frequency_shift": Augmentation(
        lambda p, sfreq, rs, max_shift: _braindecode("FrequencyShift")(p, sfreq, max_shift, rs),
        {"max_shift": 2.0},
        "shift the spectrum by up to max_shift Hz",
    ),
    "ft_surrogate": Augmentation(
        lambda p, sfreq, rs, phase_noise: _braindecode("FTSurrogate")(
            p, phase_noise_magnitude=phase_noise, channel_indep=False, random_state=rs
        ),
        {"phase_noise": 0.5},
        "randomise the Fourier phases (a fraction phase_noise of 2 pi)",
        {"phase_noise": 1.0},
    ),
    "gaussian_noise": Augmentation(
        lambda p, sfreq, rs, std: _braindecode("GaussianNoise")(p, std=std, random_state=rs),
        {"std": 0.1},
        "add white noise of std (trials are z-scored, so relative to the signal)",
    ),
    "sign_flip": Augmentation(
        lambda p, sfreq, rs: _braindecode("SignFlip")(p, random_state=rs),
        {},
        "multiply the trial by -1",
    ),
    "mixup": Augmentation(
        lambda p, sfreq, rs, alpha: _braindecode("Mixup")(alpha, random_state=rs),
        {"alpha": 0.2},
        "mix every batch with a shuffled copy (Beta(alpha, alpha) weights, labels mixed)",
    ),
}


def available() -> list[str]:
    """Names of the augmentations."""
    return list(AUGMENTATIONS)


def _check_options(name: str, given: object) -> None:
    """Check the options ``given`` for augmentation ``name`` against its table entry."""
    if not isinstance(given, Mapping):
        raise ConfigError(
            "training.augment_options", f"{name} must be a mapping of options, got {given!r}"
        )
    spec = AUGMENTATIONS[name]
    for key, value in given.items():
        if key not in spec.options:
            raise ConfigError(
                "training.augment_options",
                f"{name}.{key}: augmentation '{name}' has no option '{key}'; it takes: "
                f"{', '.join(spec.options) or 'no options'}",
            )
        top = spec.at_most.get(key, float("inf"))
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not 0 < value <= top:
            allowed = "a positive number" + (f" at most {top:g}" if top < float("inf") else "")
            raise ConfigError(
                "training.augment_options", f"{name}.{key} must be {allowed}, got {value!r}"
            )


def check_augmentation(
    names: Sequence[str],
    probability: float = TrainingConfig.augment_probability,
    options: Mapping | None = None,
) -> None:
    """Check names, probability and options against the training section and this table.

    The training section's own rules come first (a probability in [0, 1], no name twice,
    mixup last: :class:`~bci_attn.config.TrainingConfig`), then the names and options this
    table knows.

    Parameters
    ----------
    names : sequence of str
        Augmentations, applied in this order.
    probability : float
        Probability of applying each transform to a trial, in [0, 1].
    options : mapping of str to mapping
        Per augmentation name, options overriding its defaults.

    Raises
    ------
    ConfigError
        Key ``training.augment``, ``training.augment_probability`` or
        ``training.augment_options``, naming what is wrong and what is allowed.
    """
    options = dict(options or {})
    TrainingConfig(augment=list(names), augment_probability=probability, augment_options=options)
    for key, listed in (("training.augment", names), ("training.augment_options", options)):
        unknown = [n for n in listed if n not in AUGMENTATIONS]
        if unknown:
            raise ConfigError(
                key,
                f"lists an unknown augmentation '{unknown[0]}'; available: "
                f"{', '.join(AUGMENTATIONS)}",
            )
    unused = [n for n in options if n not in names]
    if unused:
        raise ConfigError(
            "training.augment_options",
            f"gives options for augmentation '{unused[0]}', which is not in training.augment "
            f"({', '.join(names) or 'none'})",
        )
    for name, given in options.items():
        _check_options(name, given)


def make_augmentation(
    names: Sequence[str],
    sfreq: float,
    probability: float = TrainingConfig.augment_probability,
    options: Mapping | None = None,
    random_state: int | None = None,
) -> Compose | None:
    """The named augmentations, in order, as one braindecode ``Compose`` (None if none).

    Parameters
    ----------
    names : sequence of str
        See :func:`available`.
    sfreq : float
        Sampling rate of the trials (Hz), for options given in seconds and Hz.
    probability : float
        Probability of applying each transform to a trial (``mixup`` mixes every batch).
    options : mapping of str to mapping
        Per augmentation name, options overriding its defaults.
    random_state : int | None
        Seed of the transforms' draws (None: NumPy's global state, which
        ``seed_everything`` seeds).

    Raises
    ------
    ConfigError
        See :func:`check_augmentation`.
    """
    check_augmentation(names, probability, options)
    if not names:
        return None
    transforms = []
    for name in names:
        spec = AUGMENTATIONS[name]
        kwargs = {**spec.options, **(options or {}).get(name, {})}
        transforms.append(spec.build(probability, sfreq, random_state, **kwargs))
    return _braindecode("Compose")(transforms)
