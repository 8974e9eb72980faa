"""``scconv``: self-calibrated convolutions of SCNet (Liu et al., CVPR 2020)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base import AttentionModule, FeatureMap
from .cbam import positive_int, spatial_kernel
from .registry import register


def conv_bn(channels: int, kernel: tuple[int, int]) -> nn.Sequential:
    """``C → C`` convolution with "same" padding and no bias, then BatchNorm (SCNet's
    ``conv3x3`` + ``norm_layer``)."""
    return nn.Sequential(
        nn.Conv2d(channels, channels, kernel, padding="same", bias=False),
        nn.BatchNorm2d(channels),
    )


class SelfCalibratedConv(AttentionModule):
    """Self-calibrated convolution [Liu2020]_ (``SCConv`` of the official SCNet code).

    ::

        k2(x) = BN(conv(AvgPool_r(x)))            down-sampled context
        g     = σ(x + Up(k2(x)))                   calibration gate
        y     = k4(k3(x) · g)                      k3, k4: conv + BN

    EEG adaptation: pooling runs along time only (``r`` samples; electrodes are not a grid
    to pool over) and is adaptive, to ``max(1, W // r)`` samples, so short maps still work;
    ``Up`` is nearest-neighbour, as the official ``F.interpolate``. The convs are
    ``(k_e, k_t)``, not 3×3.

    Parameters
    ----------
    channels : int
        Width of the self-calibrated path.
    kernel : tuple of int
        ``(k_e, k_t)`` of the four convolutions.
    pooling : int
        Temporal down-sampling ``r`` of ``k2`` (4 in SCNet).

    Notes
    -----
    Records ``"spatial"`` ``(B, H, W)``: the gate ``g`` averaged over channels.

    References
    ----------
    .. [Liu2020] Liu, J.-J., Hou, Q., Cheng, M.-M., Wang, C., Feng, J., 2020. Improving
        Convolutional Networks with Self-Calibrated Convolutions. CVPR 2020.
    """

    def __init__(self, channels: int, kernel: tuple[int, int], pooling: int) -> None:
        super().__init__()
        self.pooling = pooling
        self.k2 = conv_bn(channels, kernel)
        self.k3 = conv_bn(channels, kernel)
        self.k4 = conv_bn(channels, kernel)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, H, W)``."""
        h, w = x.shape[-2:]
        context = self.k2(F.adaptive_avg_pool2d(x, (h, max(1, w // self.pooling))))
        gate = torch.sigmoid(x + F.interpolate(context, size=(h, w), mode="nearest"))
        self.record("spatial", gate.mean(dim=1))
        return self.k4(self.k3(x) * gate)


class SCConvSplit(AttentionModule):
    """SCNet's split [Liu2020]_: half the channels through a plain conv ``k1``, half through
    a self-calibrated conv, outputs concatenated (``SCBottleneck`` without its 1×1 convs,
    ReLUs and residual, which belong to the ResNet block rather than to the convolution).

    With odd ``C`` the self-calibrated half gets the extra channel, ``⌈C/2⌉``; with ``C = 1``
    (the input point) there is no plain half and the module is one self-calibrated conv.

    Notes
    -----
    Records the self-calibrated half's ``"spatial"`` ``(B, H, W)`` gate.
    """

    def __init__(self, channels: int, kernel: tuple[int, int], pooling: int) -> None:
        super().__init__()
        self.plain_channels = channels // 2
        self.k1 = conv_bn(self.plain_channels, kernel) if self.plain_channels else None
        self.scconv = SelfCalibratedConv(channels - self.plain_channels, kernel, pooling)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, H, W)``."""
        x_plain, x_sc = x.split([self.plain_channels, x.shape[1] - self.plain_channels], dim=1)
        y_sc = self.scconv(x_sc)
        self.attention_weights = dict(self.scconv.attention_weights)
        if self.k1 is None:
            return y_sc
        return torch.cat([self.k1(x_plain), y_sc], dim=1)


@register(
    "scconv",
    summary="Self-calibrated convolution: pooled-context gate on half the channels "
    "(SCNet, Liu et al., CVPR 2020)",
)
def build_scconv(
    fmap: FeatureMap,
    *,
    pooling: int = 4,
    kernel_ms: float = 100.0,
    kernel_size: int | None = None,
    electrode_kernel: int = 3,
) -> nn.Module:
    """Half plain / half self-calibrated conv; ``(min(electrode_kernel, H), k_t)`` kernels
    with ``k_t`` from ``kernel_size`` (samples) or ``kernel_ms``; ``pooling`` along time."""
    kernel = spatial_kernel(
        fmap,
        "scconv",
        kernel_ms=kernel_ms,
        kernel_size=kernel_size,
        electrode_kernel=electrode_kernel,
    )
    return SCConvSplit(fmap.channels, kernel, positive_int("scconv", "pooling", pooling))
