"""Common ground of every attention module: the feature map it sees and the weights it exposes."""

from __future__ import annotations

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
