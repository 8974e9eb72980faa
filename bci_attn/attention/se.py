"""``se``: Squeeze-and-Excitation (Hu et al., CVPR 2018)."""

from __future__ import annotations

import torch
from torch import nn

from .base import AttentionModule, FeatureMap, choice, flag, hidden_width, positive_int
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
        Biases in the two fully connected layers (the official models have them, the
        paper's formula has none).

    Notes
    -----
    Input and output ``(B, C, H, W)``; records ``"channel"``: ``(B, C)``.
    Parameters: ``2·C·hidden`` without bias, ``+ hidden + C`` with.

    References
    ----------
    .. [Hu2018] Hu, J., Shen, L., Sun, G., 2018. Squeeze-and-Excitation Networks.
       CVPR 2018, 7132-7141.
    """

    def __init__(self, channels: int, hidden: int, bias: bool) -> None:
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


#: Biases of the two fully connected layers, per variant (see :func:`build_se`).
SE_BIAS = {"official": True, "paper": False}


@register(
    "se",
    summary="Squeeze-and-Excitation channel gate (Hu et al., CVPR 2018)",
    reference="timm 1.0.31 timm/layers/squeeze_excite.py SEModule (SENet's own code is Caffe, "
    "hujie-frank/SENet)",
    differs="variant paper: no biases in the two FC layers (Eq. 3); default official",
    version=2,
    legacy={"variant": "paper"},
)
def build_se(
    fmap: FeatureMap, *, reduction: int = 4, variant: str = "official", bias: bool | None = None
) -> nn.Module:
    """Build SE for ``fmap``; ``reduction`` sets the bottleneck ``C // reduction`` (>= 1).

    ``variant``: ``"official"`` has biases in both FC layers, as timm and the SENet models;
    ``"paper"`` has none, as Eq. 3 writes it (bci-attn 0.1's SE). ``bias`` overrides the
    variant's choice (``None``: as the variant).
    """
    reduction = positive_int("se", "reduction", reduction)
    variant = choice("se", "variant", variant, list(SE_BIAS))
    bias = SE_BIAS[variant] if bias is None else flag("se", "bias", bias)
    return SqueezeExcitation(fmap.channels, hidden_width(fmap.channels, reduction), bias=bias)
