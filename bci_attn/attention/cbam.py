"""``cbam``: Convolutional Block Attention Module (Woo et al., ECCV 2018)."""

from __future__ import annotations

import torch
from torch import nn

from .base import (
    AttentionModule,
    FeatureMap,
    choice,
    flag,
    hidden_width,
    positive_int,
    spatial_kernel,
)
from .registry import register


class ConvBlockAttention(AttentionModule):
    """Convolutional Block Attention Module [Woo2018]_, channel gate then spatial gate.

    Channel: ``M_c = σ(MLP(GAP x) + MLP(GMP x))`` with one shared MLP ``C → hidden → C``;
    ``x' = M_c·x``. Spatial: ``M_s = σ(N(f([mean_c x'; max_c x'])))``, ``y = M_s·x'``, where
    ``N`` is a BatchNorm over the single map (the official code's ``BasicConv``: ``f``
    without bias, BN with momentum 0.01) or nothing (the paper's Eq. 3: ``f`` with bias).

    EEG adaptation: the paper's 7×7 ``f`` becomes a ``(k_e, k_t)`` kernel with "same"
    padding, ``k_e = min(electrode_kernel, H)`` along electrodes (made odd, see
    :func:`~bci_attn.attention.base.fit_odd`) and ``k_t`` samples (≈ ``kernel_ms``) along
    time; on maps whose electrodes were merged (``H = 1``) it is a purely temporal
    ``(1, k_t)`` kernel, which equals a 7×7 kernel whose rows off the middle only ever see
    zero padding.

    Parameters
    ----------
    channels : int
        Feature channels ``C``.
    hidden : int
        Width of the channel MLP (at least 1).
    kernel : tuple of int
        ``(k_e, k_t)`` of the spatial convolution.
    bias : bool
        Biases in the channel MLP.
    spatial_norm : bool
        BatchNorm after the spatial convolution (which then has no bias).

    Notes
    -----
    Input and output ``(B, C, H, W)``; records ``"channel"``: ``(B, C)`` and
    ``"spatial"``: ``(B, H, W)``. The pooled maps are stacked ``[mean; max]`` as in the
    paper and timm (the official code stacks ``[max; mean]``: the same module with the
    kernel's two input planes swapped).

    References
    ----------
    .. [Woo2018] Woo, S., Park, J., Lee, J.-Y., Kweon, I. S., 2018. CBAM: Convolutional
       Block Attention Module. ECCV 2018, 3-19.
    """

    def __init__(
        self,
        channels: int,
        hidden: int,
        kernel: tuple[int, int],
        bias: bool,
        spatial_norm: bool,
    ) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, kernel_size=1, bias=bias),
            nn.ReLU(),
            nn.Conv2d(hidden, channels, kernel_size=1, bias=bias),
        )
        self.spatial = nn.Conv2d(2, 1, kernel_size=kernel, padding="same", bias=not spatial_norm)
        self.spatial_bn = nn.BatchNorm2d(1, momentum=0.01) if spatial_norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the channel then the spatial gate to ``(B, C, H, W)``; same shape out."""
        avg = x.mean(dim=(2, 3), keepdim=True)
        mx = x.amax(dim=(2, 3), keepdim=True)
        channel = torch.sigmoid(self.mlp(avg) + self.mlp(mx))  # (B, C, 1, 1)
        self.record("channel", channel.flatten(1))
        x = x * channel
        pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        spatial = torch.sigmoid(self.spatial_bn(self.spatial(pooled)))  # (B, 1, H, W)
        self.record("spatial", spatial.squeeze(1))
        return x * spatial


#: ``(MLP biases, BatchNorm after the spatial conv)`` per variant (see :func:`build_cbam`).
CBAM_VARIANTS = {"official": (True, True), "paper": (False, False)}


@register(
    "cbam",
    summary="CBAM: channel MLP gate then (electrode x time) conv gate (Woo et al., ECCV 2018)",
    reference="Jongchan/attention-module MODELS/cbam.py @ 459efad; "
    "timm 1.0.31 timm/layers/cbam.py CbamModule(mlp_bias=True)",
    differs="variant paper: no MLP biases, spatial conv with bias and no BatchNorm "
    "(Eq. 2-3); EEG kernel (min(7, H), k_t ≈ 100 ms); default official",
    version=2,
    legacy={"variant": "paper"},
)
def build_cbam(
    fmap: FeatureMap,
    *,
    reduction: int = 4,
    kernel_ms: float = 100.0,
    kernel_size: int | None = None,
    electrode_kernel: int = 7,
    variant: str = "official",
    bias: bool | None = None,
) -> nn.Module:
    """Build CBAM for ``fmap``.

    ``reduction`` sets the MLP width ``C // reduction`` (>= 1); the spatial kernel is
    ``(min(electrode_kernel, H), k_t)`` with ``k_t`` from ``kernel_size`` (samples) or
    ``kernel_ms`` (milliseconds at this layer's rate).

    ``variant``: ``"official"`` is the authors' code (MLP with biases; spatial conv without
    bias → BatchNorm → σ), which timm also has; ``"paper"`` follows Eq. 2-3 (no MLP biases,
    spatial conv with bias → σ), bci-attn 0.1's CBAM. ``bias`` overrides the variant's MLP
    biases (``None``: as the variant).
    """
    reduction = positive_int("cbam", "reduction", reduction)
    mlp_bias, spatial_norm = CBAM_VARIANTS[choice("cbam", "variant", variant, list(CBAM_VARIANTS))]
    if bias is not None:
        mlp_bias = flag("cbam", "bias", bias)
    kernel = spatial_kernel(
        fmap,
        "cbam",
        kernel_ms=kernel_ms,
        kernel_size=kernel_size,
        electrode_kernel=electrode_kernel,
    )
    hidden = hidden_width(fmap.channels, reduction)
    return ConvBlockAttention(fmap.channels, hidden, kernel, mlp_bias, spatial_norm)
