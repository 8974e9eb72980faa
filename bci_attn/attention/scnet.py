"""``scnet``: self-calibrated convolutions in SCNet's bottleneck (Liu et al., CVPR 2020).

Not to be confused with ``scconv``, the CVPR 2023 "Spatial and Channel Reconstruction
Convolution" of Li et al. (:mod:`bci_attn.attention.scconv`). bci-attn 0.1 registered this
module's split without its 1×1 convolutions and identity path under ``scconv``
(:class:`SCConvSplit`, still reachable as ``scconv``'s ``variant="bci-attn-0.1"``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .base import (
    AttentionModule,
    FeatureMap,
    choice,
    hidden_width,
    positive_int,
    spatial_kernel,
)
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

        k2(x) = BN(conv(AvgPool(x)))              down-sampled context
        g     = σ(x + Up(k2(x)))                   calibration gate
        y     = k4(k3(x) · g)                      k3, k4: conv + BN

    ``Up`` is nearest-neighbour interpolation back to the map's size, as the official
    ``F.interpolate``. The pooling is the official ``AvgPool2d`` with kernel = stride
    ``(r_e, r_t)``, cut to the map, or (``adaptive=True``, bci-attn 0.1) an adaptive pooling
    along time only, to ``max(1, W // r_t)`` samples.

    EEG adaptation: the convs are ``(k_e, k_t)``, not 3×3, and the electrode pooling
    ``r_e`` is an option (1 by default: electrodes are not a grid to pool over).

    Parameters
    ----------
    channels : int
        Width of the self-calibrated path.
    kernel : tuple of int
        ``(k_e, k_t)`` of the three convolutions.
    pooling : tuple of int
        ``(r_e, r_t)``: down-sampling of ``k2`` along electrodes and time (SCNet: 4, 4).
    adaptive : bool
        bci-attn 0.1's adaptive temporal pooling (``r_e`` unused).

    Notes
    -----
    Input and output ``(B, C, H, W)``; records ``"spatial"`` ``(B, H, W)``: the gate ``g``
    averaged over channels.

    References
    ----------
    .. [Liu2020] Liu, J.-J., Hou, Q., Cheng, M.-M., Wang, C., Feng, J., 2020. Improving
        Convolutional Networks with Self-Calibrated Convolutions. CVPR 2020.
    """

    def __init__(
        self, channels: int, kernel: tuple[int, int], pooling: tuple[int, int], adaptive: bool
    ) -> None:
        super().__init__()
        self.pooling = pooling
        self.adaptive = adaptive
        self.k2 = conv_bn(channels, kernel)
        self.k3 = conv_bn(channels, kernel)
        self.k4 = conv_bn(channels, kernel)

    def pool(self, x: torch.Tensor) -> torch.Tensor:
        """The down-sampled map ``k2`` works on, ``(B, C, H', W')``."""
        h, w = x.shape[-2:]
        r_e, r_t = self.pooling
        if self.adaptive:
            return F.adaptive_avg_pool2d(x, (h, max(1, w // r_t)))
        return F.avg_pool2d(x, (min(r_e, h), min(r_t, w)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, H, W)``."""
        context = self.k2(self.pool(x))
        gate = torch.sigmoid(x + F.interpolate(context, size=x.shape[-2:], mode="nearest"))
        self.record("spatial", gate.mean(dim=1))
        return self.k4(self.k3(x) * gate)


class SCConvSplit(AttentionModule):
    """SCNet's split without its 1×1 convolutions, ReLUs and identity path: what bci-attn 0.1
    registered as ``scconv``. Half the channels go through a plain conv ``k1``, half through a
    self-calibrated conv (adaptive temporal pooling), outputs concatenated.

    With odd ``C`` the self-calibrated half gets the extra channel, ``⌈C/2⌉``; with ``C = 1``
    (the input point) there is no plain half and the module is one self-calibrated conv.
    Its output is a fresh convolution of the map, nearly uncorrelated with its input.

    Notes
    -----
    Records the self-calibrated half's ``"spatial"`` ``(B, H, W)`` gate.
    """

    def __init__(self, channels: int, kernel: tuple[int, int], pooling: int) -> None:
        super().__init__()
        self.plain_channels = channels // 2
        self.k1 = conv_bn(self.plain_channels, kernel) if self.plain_channels else None
        self.scconv = SelfCalibratedConv(
            channels - self.plain_channels, kernel, (1, pooling), adaptive=True
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, H, W)``."""
        x_plain, x_sc = x.split([self.plain_channels, x.shape[1] - self.plain_channels], dim=1)
        y_sc = self.scconv(x_sc)
        self.attention_weights = dict(self.scconv.attention_weights)
        if self.k1 is None:
            return y_sc
        return torch.cat([self.k1(x_plain), y_sc], dim=1)


def reduce(channels: int, width: int) -> nn.Sequential:
    """SCNet's ``conv1_a``/``conv1_b`` + BN + ReLU: 1×1 conv ``C → width`` without bias."""
    return nn.Sequential(
        nn.Conv2d(channels, width, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()
    )


class SCBottleneck(AttentionModule):
    """SCNet's bottleneck (Liu et al., CVPR 2020; ``SCBottleneck``) from ``C`` to ``C`` channels.

    ::

        a = ReLU(k1(ReLU(BN(conv1×1_a(x)))))        plain path, width w
        b = ReLU(SCConv(ReLU(BN(conv1×1_b(x)))))    self-calibrated path, width w
        y = BN(conv1×1([a; b])) + x                 back to C channels, identity added
        y = ReLU(y)                                 official code only

    The official block ends with the ReLU of ResNet's bottleneck, which zeroes the negative
    half of a signed EEG map; ``final_relu=False`` returns the sum. There is no stride and
    no down-sampling path (the map keeps its size), and ``w = max(1, C // reduction)``
    (SCNet: ``planes / 2`` with ``C = 4·planes``, i.e. ``reduction = 8``).

    Parameters
    ----------
    channels : int
        Feature channels ``C``.
    width : int
        ``w`` of each path.
    kernel : tuple of int
        ``(k_e, k_t)`` of ``k1`` and the self-calibrated convolutions.
    pooling : tuple of int
        ``(r_e, r_t)`` of the self-calibrated context.
    final_relu : bool
        Apply the official block's last ReLU.

    Notes
    -----
    Input and output ``(B, C, H, W)``; records the self-calibrated gate ``"spatial"``
    ``(B, H, W)``.
    """

    def __init__(
        self,
        channels: int,
        width: int,
        kernel: tuple[int, int],
        pooling: tuple[int, int],
        final_relu: bool,
    ) -> None:
        super().__init__()
        self.final_relu = final_relu
        self.reduce_a = reduce(channels, width)
        self.reduce_b = reduce(channels, width)
        self.k1 = conv_bn(width, kernel)
        self.scconv = SelfCalibratedConv(width, kernel, pooling, adaptive=False)
        self.expand = nn.Sequential(
            nn.Conv2d(2 * width, channels, 1, bias=False), nn.BatchNorm2d(channels)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, H, W)``."""
        a = torch.relu(self.k1(self.reduce_a(x)))
        b = torch.relu(self.scconv(self.reduce_b(x)))
        self.attention_weights = dict(self.scconv.attention_weights)
        out = self.expand(torch.cat([a, b], dim=1)) + x
        return torch.relu(out) if self.final_relu else out


@register(
    "scnet",
    summary="Self-calibrated convolution in SCNet's residual bottleneck (Liu et al., CVPR 2020)",
    reference="MCG-NKU/SCNet scnet.py SCConv, SCBottleneck @ c0b5bd6",
    differs="variant eeg: no ReLU after the identity is added (keeps signed EEG maps); "
    "electrode pooling 1 (SCNet pools 4x4); EEG kernels (min(3, H), k_t ≈ 100 ms); no "
    "stride or down-sampling path; default eeg",
)
def build_scnet(
    fmap: FeatureMap,
    *,
    reduction: int = 8,
    pooling: int = 4,
    electrode_pooling: int = 1,
    kernel_ms: float = 100.0,
    kernel_size: int | None = None,
    electrode_kernel: int = 3,
    variant: str = "eeg",
) -> nn.Module:
    """SCNet's bottleneck on ``fmap``: paths ``max(1, C // reduction)`` wide,
    ``(min(electrode_kernel, H), k_t)`` kernels with ``k_t`` from ``kernel_size`` (samples) or
    ``kernel_ms``, context pooled by ``electrode_pooling`` × ``pooling`` (cut to the map).

    ``variant``: ``"official"`` ends with ``ReLU(out + x)`` as SCNet's ``SCBottleneck``;
    ``"eeg"`` returns ``out + x``, since that ReLU zeroes half of a signed EEG map.
    """
    kernel = spatial_kernel(
        fmap,
        "scnet",
        kernel_ms=kernel_ms,
        kernel_size=kernel_size,
        electrode_kernel=electrode_kernel,
    )
    width = hidden_width(fmap.channels, positive_int("scnet", "reduction", reduction))
    pool = (
        positive_int("scnet", "electrode_pooling", electrode_pooling),
        positive_int("scnet", "pooling", pooling),
    )
    final_relu = choice("scnet", "variant", variant, ["official", "eeg"]) == "official"
    return SCBottleneck(fmap.channels, width, kernel, pool, final_relu)
