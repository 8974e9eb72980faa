"""``gam``: Global Attention Mechanism (Liu, Shao, Hoffmann, arXiv 2112.05561, 2021)."""

from __future__ import annotations

import torch
from torch import nn

from .base import AttentionModule, FeatureMap, hidden_width, positive_int, spatial_kernel
from .registry import register


class GlobalAttention(AttentionModule):
    """Global Attention Mechanism [Liu2021]_: channel gate then spatial gate, no pooling.

    Channel: the map is permuted to ``(B, H, W, C)`` and every position goes through an MLP
    ``C → hidden → C`` (ReLU between), then ``σ``: ``M_c`` is ``(B, C, H, W)`` and
    ``x' = M_c·x``. (Copies that drop this ``σ`` are a known bug.) Spatial:
    ``M_s = σ(BN(conv(ReLU(BN(conv(x'))))))`` with convs ``C → hidden`` and ``hidden → C``;
    ``y = M_s·x'``.

    EEG adaptation: the paper's 7×7 convs become ``(k_e, k_t)`` kernels with "same" padding
    (``k_e = min(7, H)`` along electrodes, ``k_t`` samples along time; ``(1, k_t)`` on
    ``H = 1``), and the hidden width is clamped to at least 1 for EEG's few channels.

    Parameters
    ----------
    channels : int
        Feature channels ``C``.
    hidden : int
        Bottleneck width ``C // r`` (at least 1).
    kernel : tuple of int
        ``(k_e, k_t)`` of both spatial convolutions.

    Notes
    -----
    Records ``"channel"`` ``(B, C)``: ``M_c`` averaged over the positions (GAM's channel gate
    is per position), and ``"spatial"`` ``(B, H, W)``: ``M_s`` averaged over channels.
    Input and output are ``(B, C, H, W)``.

    References
    ----------
    .. [Liu2021] Liu, Y., Shao, Z., Hoffmann, N., 2021. Global Attention Mechanism:
        Retain Information to Enhance Channel-Spatial Interactions. arXiv 2112.05561.
    """

    def __init__(self, channels: int, hidden: int, kernel: tuple[int, int]) -> None:
        super().__init__()
        self.channel_mlp = nn.Sequential(
            nn.Linear(channels, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, channels)
        )
        self.spatial = nn.Sequential(
            nn.Conv2d(channels, hidden, kernel, padding="same"),
            nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, kernel, padding="same"),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, H, W)``."""
        m_c = torch.sigmoid(self.channel_mlp(x.permute(0, 2, 3, 1))).permute(0, 3, 1, 2)
        self.record("channel", m_c.mean(dim=(2, 3)))
        x = x * m_c
        m_s = torch.sigmoid(self.spatial(x))
        self.record("spatial", m_s.mean(dim=1))
        return x * m_s


@register(
    "gam",
    summary="Global Attention Mechanism: per-position channel MLP + conv spatial gate "
    "(Liu, Shao & Hoffmann, arXiv 2021)",
    reference="no official code; the widely copied GAM_Attention (ungrouped convs, with the "
    "channel sigmoid)",
    differs="nothing besides the EEG kernels (min(7, H), k_t ≈ 100 ms) and hidden width >= 1",
)
def build_gam(
    fmap: FeatureMap,
    *,
    reduction: int = 4,
    kernel_ms: float = 100.0,
    kernel_size: int | None = None,
    electrode_kernel: int = 7,
) -> nn.Module:
    """GAM with ``hidden = max(1, C // reduction)`` and ``(min(electrode_kernel, H), k_t)``
    kernels, ``k_t`` from ``kernel_size`` (samples) or ``kernel_ms`` (ms at this layer)."""
    hidden = hidden_width(fmap.channels, positive_int("gam", "reduction", reduction))
    kernel = spatial_kernel(
        fmap,
        "gam",
        kernel_ms=kernel_ms,
        kernel_size=kernel_size,
        electrode_kernel=electrode_kernel,
    )
    return GlobalAttention(fmap.channels, hidden, kernel)
