"""``eca``: Efficient Channel Attention (Wang et al., CVPR 2020)."""

from __future__ import annotations

import math

import torch
from torch import nn

from .base import AttentionModule, FeatureMap
from .registry import register


def eca_kernel_size(channels: int, gamma: int = 2, b: int = 1) -> int:
    """ECA's adaptive kernel ``k = |log₂(C)/γ + b/γ|_odd``.

    Computed as the official code does (``t = int(|(log₂ C + b)/γ|)``, ``k = t`` if odd
    else ``t + 1``), which is what the paper's numbers use: ``C = 8 → 3``,
    ``C = 16 → 3``, ``C = 64 → 3``, ``C = 128 → 5``; ``C <= 7 → 1``.
    """
    t = int(abs((math.log2(channels) + b) / gamma))
    return t if t % 2 else t + 1


def check_channel_kernel(
    module: str, kernel_size: object, channels: int, option: str = "kernel_size"
) -> int:
    """Validate an explicit kernel along the channel axis: odd, ``1 <= k <= C``."""
    if (
        isinstance(kernel_size, bool)
        or not isinstance(kernel_size, int)
        or kernel_size < 1
        or kernel_size % 2 == 0
        or kernel_size > channels
    ):
        raise ValueError(
            f"attention '{module}': option {option} must be an odd integer between 1 and "
            f"the {channels} feature channel(s) of the map, got {kernel_size!r}"
        )
    return kernel_size


class EfficientChannelAttention(AttentionModule):
    """Efficient Channel Attention [Wang2020]_.

    ``y = x·σ(Conv1d_k(GAP(x)))``: a 1-D convolution without bias slides along the channel
    axis of the pooled descriptor, so each channel's weight depends on its ``k`` neighbours
    and there is no dimensionality reduction.

    Parameters
    ----------
    kernel_size : int
        Odd kernel ``k`` along the channel axis.

    Notes
    -----
    Input and output ``(B, C, H, W)``; records ``"channel"``: ``(B, C)``. Parameters: ``k``.
    Neighbouring channel indices are adjacent filters of the previous layer; their order
    carries no meaning in EEGNet, which the learned ``k``-wide filter has to live with.

    References
    ----------
    .. [Wang2020] Wang, Q., Wu, B., Zhu, P., Li, P., Zuo, W., Hu, Q., 2020. ECA-Net:
       Efficient Channel Attention for Deep Convolutional Neural Networks. CVPR 2020.
    """

    def __init__(self, kernel_size: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.conv = nn.Conv1d(1, 1, kernel_size, padding=kernel_size // 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Gate ``x`` of shape ``(B, C, H, W)`` channel-wise; returns the same shape."""
        descriptor = self.pool(x).flatten(1).unsqueeze(1)  # (B, 1, C)
        scale = torch.sigmoid(self.conv(descriptor)).squeeze(1)  # (B, C)
        self.record("channel", scale)
        return x * scale[:, :, None, None]


@register(
    "eca",
    summary="ECA: adaptive 1-D conv over pooled channels (Wang et al., CVPR 2020)",
    reference="BangguWu/ECANet models/eca_module.py eca_layer @ b332f6b; "
    "timm 1.0.31 timm/layers/eca.py EcaModule",
    differs="nothing (adaptive k by the paper's formula, 1 for C < 8 where timm raises it to 3)",
)
def build_eca(fmap: FeatureMap, *, kernel_size: int | None = None) -> nn.Module:
    """Build ECA; ``kernel_size=None`` takes the adaptive ``k`` of :func:`eca_kernel_size`."""
    if kernel_size is None:
        k = eca_kernel_size(fmap.channels)
    else:
        k = check_channel_kernel("eca", kernel_size, fmap.channels)
    return EfficientChannelAttention(k)
