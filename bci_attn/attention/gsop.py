"""``gsop``: global second-order pooling channel attention (Gao et al., CVPR 2019)."""

from __future__ import annotations

import torch
from torch import nn

from .base import AttentionModule, FeatureMap, choice, flag, hidden_width, positive_int
from .braindecode_zoo import (
    BRAINDECODE,
    REDUCTION_ALIAS,
    BraindecodeAttention,
    braindecode_attention,
    clamped_rate,
    require_single_row,
)
from .registry import register


def covariance(z: torch.Tensor) -> torch.Tensor:
    """Covariance of the ``d`` channels over the ``M = H·W`` positions, normalised by ``M``
    (the official ``CovpoolLayer``): ``(B, d, H, W)`` → ``(B, d, d)``."""
    flat = z.flatten(2)
    centred = flat - flat.mean(dim=-1, keepdim=True)
    return centred @ centred.transpose(1, 2) / flat.shape[-1]


class SecondOrderPooling(AttentionModule):
    """GSoP channel attention [Gao2019]_, as in the official GSoP-Net code (mode ``'1'``).

    ::

        z = ReLU(BN(conv1×1(ReLU(x))))            C → d channels
        Σ = cov(z) over the H·W positions          (B, d, d), normalised by H·W
        s = conv1×1(rowconv(BN(Σ)))                row-wise conv: d → 4d, then 4d → C
        y = x · σ(s)

    The row-wise convolution is a grouped ``(d, 1)`` convolution (``d`` groups, 4 outputs
    each) over the covariance rows. All convolutions have biases. On EEG maps the
    covariance runs over electrodes × time, so the module fits maps with electrodes too.

    The official code sizes ``d`` as a fixed ``att_dim = 128`` (of 256-2048 channels) and
    strides the first conv by 2 in its early stages; here ``d = max(1, C // reduction)``, as
    braindecode's port, and no stride.

    Parameters
    ----------
    channels : int
        Feature channels ``C``.
    hidden : int
        ``d``.
    bias : bool
        Biases in the convolutions.

    Notes
    -----
    Input and output ``(B, C, H, W)``; records ``"channel"`` ``(B, C)``: ``σ(s)``. The
    BatchNorms need more than one trial per batch in training mode.

    References
    ----------
    .. [Gao2019] Gao, Z., Xie, J., Wang, Q., Li, P., 2019. Global Second-order Pooling
        Convolutional Networks. CVPR 2019, 3024-3033.
    """

    def __init__(self, channels: int, hidden: int, bias: bool) -> None:
        super().__init__()
        self.reduce = nn.Sequential(
            nn.ReLU(),
            nn.Conv2d(channels, hidden, 1, bias=bias),
            nn.BatchNorm2d(hidden),
            nn.ReLU(),
        )
        self.row_bn = nn.BatchNorm2d(hidden)
        self.row_conv = nn.Conv2d(hidden, 4 * hidden, (hidden, 1), groups=hidden, bias=bias)
        self.expand = nn.Conv2d(4 * hidden, channels, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, H, W)``."""
        cov = covariance(self.reduce(x)).unsqueeze(-1)  # (B, d, d, 1)
        gate = torch.sigmoid(self.expand(self.row_conv(self.row_bn(cov))))  # (B, C, 1, 1)
        self.record("channel", gate.flatten(1))
        return x * gate


@register(
    "gsop",
    summary="Global second-order pooling: covariance-based channel gate (Gao et al., CVPR 2019)",
    reference="ZilinGao/Global-Second-order-Pooling-Convolutional-Networks "
    "torchvision/models/resnet.py Bottleneck.chan_att @ 662a699; " + BRAINDECODE,
    differs="variant braindecode: braindecode's GSoP, which scales the map by an unbounded, "
    "signed output (no sigmoid, no ReLU/BN around the reduction, covariance over time by "
    "T - 1; needs H = 1); d = C // reduction instead of a fixed 128, no stride; "
    "default official",
    version=2,
    legacy={"variant": "braindecode"},
    aliases=REDUCTION_ALIAS,
)
def build_gsop(
    fmap: FeatureMap, *, reduction: int = 4, bias: bool = True, variant: str = "official"
) -> nn.Module:
    """GSoP with ``d = max(1, C // reduction)`` covariance channels.

    ``variant``: ``"official"`` is the GSoP-Net code's channel attention, a sigmoid gate;
    ``"braindecode"`` is braindecode's ``GSoP(in_channels=C, reduction_rate, bias)``, used as
    is (bci-attn 0.1's ``gsop``; needs ``H = 1``), which multiplies the map by an unbounded
    scale that can flip or erase it. Records the channel gate, or braindecode's scale (the
    output of its ``pw_conv2``).
    """
    bias = flag("gsop", "bias", bias)
    if choice("gsop", "variant", variant, ["official", "braindecode"]) == "braindecode":
        require_single_row(fmap, "gsop")
        rate = clamped_rate(fmap, "gsop", reduction)
        return BraindecodeAttention(
            braindecode_attention().GSoP(fmap.channels, rate, bias=bias), gate="pw_conv2"
        )
    hidden = hidden_width(fmap.channels, positive_int("gsop", "reduction", reduction))
    return SecondOrderPooling(fmap.channels, hidden, bias)
