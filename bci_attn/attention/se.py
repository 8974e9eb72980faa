"""``se``: Squeeze-and-Excitation (Hu et al., CVPR 2018)."""

from __future__ import annotations

import torch
from torch import nn

from .base import AttentionModule, FeatureMap, hidden_width
from .registry import register


class SqueezeExcitation(AttentionModule):
    """Squeeze-and-Excitation channel gate [Hu2018]_.

    ``s = σ(W₂ ReLU(W₁ GAP(x)))`` and ``y = x·s``, with ``W₁: C → hidden`` and
    ``W₂: hidden → C`` implemented as 1×1 convolutions. The squeeze is a global average over
    electrodes and time, so on an EEG map each feature channel (a temporal or spatial
    filter) gets one weight per trial.

    Parameters
    ----------
    channels : int
        Feature channels ``C``.
    hidden : int
        Bottleneck width (``hidden_width(C, reduction)``, at least 1).
    bias : bool
        Biases in the two fully connected layers (the paper's formula has none).

    Notes
    -----
    Input and output ``(B, C, H, W)``; records ``"channel"``: ``(B, C)``.
    Parameters: ``2·C·hidden`` without bias, ``+ hidden + C`` with.

    References
    ----------
    .. [Hu2018] Hu, J., Shen, L., Sun, G., 2018. Squeeze-and-Excitation Networks.
       CVPR 2018, 7132-7141.
    """

    def __init__(self, channels: int, hidden: int, bias: bool = False) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, hidden, kernel_size=1, bias=bias)
        self.act = nn.ReLU()
        self.fc2 = nn.Conv2d(hidden, channels, kernel_size=1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Gate ``x`` of shape ``(B, C, H, W)`` channel-wise; returns the same shape."""
        scale = torch.sigmoid(self.fc2(self.act(self.fc1(self.pool(x)))))  # (B, C, 1, 1)
        self.record("channel", scale.flatten(1))
        return x * scale


@register("se", summary="Squeeze-and-Excitation channel gate (Hu et al., CVPR 2018)")
def build_se(fmap: FeatureMap, *, reduction: int = 4, bias: bool = False) -> nn.Module:
    """Build SE for ``fmap``; ``reduction`` sets the bottleneck ``C // reduction`` (>= 1)."""
    if isinstance(reduction, bool) or not isinstance(reduction, int) or reduction < 1:
        raise ValueError(
            f"attention 'se': option reduction must be an integer >= 1, got {reduction!r}"
        )
    if not isinstance(bias, bool):
        raise ValueError(f"attention 'se': option bias must be True or False, got {bias!r}")
    return SqueezeExcitation(fmap.channels, hidden_width(fmap.channels, reduction), bias=bias)
