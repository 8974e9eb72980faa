"""Common ground of every attention module: the feature map it sees and the weights it exposes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class FeatureMap:
    """Shape of the EEG feature map an attention module is built for.

    Every module sees ``(batch, channels, height, width)`` with **time on the last axis**:
    ``height`` is the electrode axis (or 1 once the spatial filter has merged the electrodes)
    and ``width`` the number of time samples. The model factory hands ShallowFBCSPNet's
    ``(batch, filters, time, electrodes)`` maps to modules transposed into that layout.

    Parameters
    ----------
    channels : int
        Feature channels ``C`` (temporal or spatial filters).
    height : int
        Electrodes ``E`` (or 1).
    width : int | None
        Time samples ``T`` at this layer; ``None`` when the module is built without a map
        size (modules bound to the map size then refuse to build).
    sfreq : float | None
        Sampling rate along ``width`` in Hz at this layer (the input rate divided by the
        pooling so far); ``None`` when unknown.
    """

    channels: int
    height: int = 1
    width: int | None = None
    sfreq: float | None = None

    def kernel_samples(self, ms: float, *, module: str) -> int:
        """Odd temporal kernel length for ``ms`` milliseconds at this layer's rate.

        The result is at least 1 and never longer than the map (largest odd ``<= width``).

        Raises
        ------
        ValueError
            When the sampling rate is unknown, naming ``module``.
        """
        if self.sfreq is None:
            raise ValueError(
                f"attention '{module}' converts its temporal kernel from milliseconds and needs "
                "the sampling rate of its feature map: pass sfreq=... (Hz) or kernel_size=..."
            )
        k = max(1, round(ms * self.sfreq / 1000.0))
        k = k if k % 2 else k + 1
        if self.width is not None:
            k = min(k, self.width if self.width % 2 else self.width - 1)
        return max(k, 1)

    def require_size(self, module: str) -> tuple[int, int]:
        """``(height, width)`` for modules bound to the map size, or a clear error."""
        if self.width is None:
            raise ValueError(
                f"attention '{module}' is bound to the feature-map size: pass height=... and "
                "width=... (the model factory does this for you)"
            )
        return self.height, self.width


def positive_int(module: str, option: str, value: object) -> int:
    """``value`` if it is an integer >= 1, else a ValueError naming module and option."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"attention '{module}': option {option} must be an integer >= 1, got {value!r}"
        )
    return value


def odd_int(module: str, option: str, value: object) -> int:
    """``value`` if it is an odd integer >= 1 (symmetric "same" padding), else a ValueError."""
    if positive_int(module, option, value) % 2 == 0:
        raise ValueError(
            f"attention '{module}': option {option} must be odd (symmetric 'same' padding), "
            f"got {value!r}"
        )
    return value  # type: ignore[return-value]


def flag(module: str, option: str, value: object) -> bool:
    """``value`` if it is True or False, else a ValueError naming module and option."""
    if not isinstance(value, bool):
        raise ValueError(
            f"attention '{module}': option {option} must be True or False, got {value!r}"
        )
    return value


def unit_fraction(module: str, option: str, value: object) -> float:
    """``value`` if it is a number strictly between 0 and 1, else a ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise ValueError(
            f"attention '{module}': option {option} must be a number in (0, 1), got {value!r}"
        )
    return float(value)


def choice(module: str, option: str, value: object, allowed: Sequence[str]) -> str:
    """``value`` if it is one of ``allowed``, else a ValueError listing them."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(
            f"attention '{module}': option {option} must be one of {', '.join(allowed)}, "
            f"got {value!r}"
        )
    return value


def fit_odd(kernel: int, length: int) -> int:
    """``min(kernel, length)``, raised by one when even, so "same" padding stays symmetric.

    On 2, 4 or 6 electrodes a 7-tap kernel becomes 3, 5 or 7 taps (one tap more than the
    axis, reaching padding at the edges) rather than an even kernel padded on one side.
    """
    k = min(kernel, length)
    return k if k % 2 else k + 1


def spatial_kernel(
    fmap: FeatureMap,
    module: str,
    *,
    kernel_ms: float,
    kernel_size: int | None,
    electrode_kernel: int,
) -> tuple[int, int]:
    """EEG version of an image module's k×k "spatial" kernel: ``(k_e, k_t)``, both odd.

    ``k_e`` is ``min(electrode_kernel, H)`` (raised by one when even, see :func:`fit_odd`);
    ``k_t`` is ``kernel_size`` samples when given, else ``kernel_ms`` milliseconds at the
    layer's sampling rate (odd, at most the map's width, see
    :meth:`FeatureMap.kernel_samples`). On ``H = 1`` the kernel is temporal, ``(1, k_t)``.

    Raises
    ------
    ValueError
        Non-positive or even kernel sizes, a ``kernel_size`` longer than the map, or no
        sampling rate when ``kernel_size`` is not given.
    """
    k_e = fit_odd(odd_int(module, "electrode_kernel", electrode_kernel), fmap.height)
    if kernel_size is not None:
        k_t = odd_int(module, "kernel_size", kernel_size)
        if fmap.width is not None and k_t > fmap.width:
            raise ValueError(
                f"attention '{module}': option kernel_size={k_t} is longer than the map's "
                f"{fmap.width} time samples; use an odd size of at most {fmap.width}"
            )
        return k_e, k_t
    if isinstance(kernel_ms, bool) or not isinstance(kernel_ms, int | float) or not kernel_ms > 0:
        raise ValueError(
            f"attention '{module}': option kernel_ms must be a positive number of "
            f"milliseconds, got {kernel_ms!r}"
        )
    return k_e, fmap.kernel_samples(float(kernel_ms), module=module)


def common_groups(channels: int, width: int, groups: int) -> int:
    """Largest group count ``<= groups`` dividing both ``channels`` and ``width``.

    Image modules' group counts (EPSANet's 1, 4, 8, 16, SCConv's 16 GroupNorm groups)
    assume 64+ channels; EEG maps have 1-40, where e.g. 16 groups cannot split a 16 → 4
    convolution.
    """
    common = math.gcd(channels, width)
    return max(g for g in range(1, min(groups, common) + 1) if common % g == 0)


def hidden_width(channels: int, reduction: int) -> int:
    """Width of a bottleneck ``channels // reduction``, clamped to at least 1.

    EEG networks have 8-40 feature channels, where the image default ``r = 16`` would
    leave no hidden unit at all.
    """
    return max(1, channels // reduction)


class AttentionModule(nn.Module):
    """Base class of the attention zoo: remembers the weights of its last forward pass.

    Subclasses call :meth:`record` with each attention tensor they compute. Names used
    across the zoo:

    - ``"channel"``: ``(B, C)`` weights over feature channels,
    - ``"electrode"``: ``(B, E)`` weights over electrodes,
    - ``"temporal"``: ``(B, T)`` weights over time,
    - ``"spatial"``: ``(B, H, W)`` weights over the map,
    - anything module-specific (``"position"``: ``(B, N, N)`` for DANet, ...).
    """

    def __init__(self) -> None:
        super().__init__()
        self.attention_weights: dict[str, torch.Tensor] = {}

    def record(self, kind: str, weights: torch.Tensor) -> torch.Tensor:
        """Store a detached copy of ``weights`` under ``kind`` and return ``weights``."""
        self.attention_weights[kind] = weights.detach()
        return weights

    def penalty(self) -> torch.Tensor | None:
        """Extra training-loss term the method prescribes (NAM's L1 on BN scales), or None."""
        return None
