"""``bam``: Bottleneck Attention Module (Park et al., BMVC 2018)."""

from __future__ import annotations

import torch
from torch import nn

from .base import AttentionModule, FeatureMap, choice, fit_odd, hidden_width, positive_int
from .registry import register


def dilated_kernel(length: int | None, kernel: int, dilation: int) -> tuple[int, int]:
    """``(kernel, dilation)`` along one axis of ``length`` samples.

    The kernel is cut to the axis and kept odd (:func:`~bci_attn.attention.base.fit_odd`:
    3 taps on 2 samples, 1 on 1) and the dilation lowered until the dilated kernel
    ``(k - 1)·d + 1`` fits in the axis, so that a dilated 3-tap kernel on 8 electrodes does
    not look mostly at zero padding. ``length=None`` keeps both.
    """
    if length is None:
        return kernel, dilation
    k = fit_odd(kernel, length)
    if k == 1:
        return 1, 1
    return k, max(1, min(dilation, (length - 1) // (k - 1)))


def channel_gate(channels: int, hidden: int, official: bool) -> nn.Sequential:
    """``M_c``: GAP → MLP ``C → hidden → C``, ``(B, C, H, W)`` → ``(B, C)``.

    Official code: ``Linear → BN → ReLU → Linear``; paper: ``BN(Linear → ReLU → Linear)``.
    """
    inner: list[nn.Module] = [nn.BatchNorm1d(hidden)] if official else []
    outer: list[nn.Module] = [] if official else [nn.BatchNorm1d(channels)]
    return nn.Sequential(
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(channels, hidden),
        *inner,
        nn.ReLU(),
        nn.Linear(hidden, channels),
        *outer,
    )


def spatial_gate(
    channels: int,
    hidden: int,
    kernel: tuple[int, int],
    dilation: tuple[int, int],
    official: bool,
) -> nn.Sequential:
    """``M_s``: 1×1 conv ``C → hidden``, two dilated convs, 1×1 conv ``hidden → 1``, each of
    the first three followed by BN and ReLU; ``(B, C, H, W)`` → ``(B, 1, H, W)``.

    Official code: every conv with a bias and no BN after the last; paper: convs without
    bias and a BN after the last one as well.
    """
    layers: list[nn.Module] = [
        nn.Conv2d(channels, hidden, kernel_size=1, bias=official),
        nn.BatchNorm2d(hidden),
        nn.ReLU(),
    ]
    for _ in range(2):
        layers += [
            nn.Conv2d(hidden, hidden, kernel, padding="same", dilation=dilation, bias=official),
            nn.BatchNorm2d(hidden),
            nn.ReLU(),
        ]
    layers.append(nn.Conv2d(hidden, 1, kernel_size=1, bias=official))
    if not official:
        layers.append(nn.BatchNorm2d(1))
    return nn.Sequential(*layers)


class BottleneckAttention(AttentionModule):
    """Bottleneck Attention Module [Park2018]_.

    Channel branch ``M_c`` (GAP and an MLP ``C → hidden → C``, :func:`channel_gate`) and
    spatial branch ``M_s`` (1×1 conv, two dilated convs, 1×1 conv to one map,
    :func:`spatial_gate`) are broadcast to ``(B, C, H, W)`` and combined into
    ``M = σ(M_c + M_s)`` (the paper) or ``M = σ(M_c·M_s)`` (the official code,
    Jongchan/attention-module issues #39, #52); the output is ``y = x + x·M``, i.e. the
    official ``(1 + M)·x``.

    The official code pools with ``x.size(2)`` as a square kernel, which breaks on
    ``H ≠ W``, and reads an undefined ``gate_activation`` (issue #27); here the pooling is
    global (adaptive), which is what the square kernel computes on square maps.

    EEG adaptation: the paper's 3×3 dilated convolutions (``d = 4``) have 3 taps along time
    with dilation ``d``, and 3 taps along electrodes (1 on ``H = 1``) with the dilation cut so
    the kernel fits the electrode axis (see :func:`dilated_kernel`); on ``H = 1`` they are
    temporal ``(1, 3)`` kernels. Time is cut the same way on maps shorter than
    ``2·d + 1`` samples. "Same" padding throughout.

    Parameters
    ----------
    channels : int
        Feature channels ``C``.
    hidden : int
        Bottleneck width of both branches (at least 1).
    kernel : tuple of int
        ``(k_e, k_t)`` of the dilated convolutions.
    dilation : tuple of int
        ``(d_e, d_t)`` of the dilated convolutions.
    official : bool
        The official code's layers and product of branches, else the paper's.

    Notes
    -----
    Input and output ``(B, C, H, W)``. Records ``"map"``: ``M`` as ``(B, C, H, W)``, and its
    summaries ``"channel"``: ``M`` averaged over the map, ``(B, C)``, and ``"spatial"``:
    ``M`` averaged over channels, ``(B, H, W)``. The BatchNorm in the channel MLP needs
    more than one trial per batch in training mode.

    References
    ----------
    .. [Park2018] Park, J., Woo, S., Lee, J.-Y., Kweon, I. S., 2018. BAM: Bottleneck
       Attention Module. BMVC 2018.
    """

    def __init__(
        self,
        channels: int,
        hidden: int,
        kernel: tuple[int, int],
        dilation: tuple[int, int],
        official: bool,
    ) -> None:
        super().__init__()
        self.official = official
        self.channel_gate = channel_gate(channels, hidden, official)
        self.spatial_gate = spatial_gate(channels, hidden, kernel, dilation, official)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x + x·M`` for ``x`` of shape ``(B, C, H, W)``; same shape out."""
        m_c = self.channel_gate(x)[:, :, None, None]  # (B, C, 1, 1)
        m_s = self.spatial_gate(x)  # (B, 1, H, W)
        att = torch.sigmoid(m_c * m_s if self.official else m_c + m_s)  # (B, C, H, W)
        self.record("map", att)
        self.record("channel", att.mean(dim=(2, 3)))
        self.record("spatial", att.mean(dim=1))
        return x + x * att


@register(
    "bam",
    summary="BAM: sigmoid(channel, dilated-conv spatial) gate, residual (Park et al., BMVC 2018)",
    reference="Jongchan/attention-module MODELS/bam.py @ 459efad",
    differs="variant paper: BN after the channel MLP, bias-free convs with a final BN, "
    "σ(Mc + Ms) (Eq. 1-4); global pooling for the official square kernel; EEG dilated "
    "kernels fitted to the electrode axis; default official",
    version=2,
    legacy={"variant": "paper"},
)
def build_bam(
    fmap: FeatureMap, *, reduction: int = 4, dilation: int = 4, variant: str = "official"
) -> nn.Module:
    """Build BAM; ``reduction`` sets the bottleneck ``C // reduction`` (>= 1), ``dilation``
    the dilation of the two 3-tap convolutions (cut to fit the electrode axis).

    ``variant``: ``"official"`` is the authors' code (BN inside the channel MLP, biased convs,
    no BN on the spatial output, ``σ(M_c·M_s)``); ``"paper"`` follows Eq. 1-4 (BN after the
    MLP and after the last conv, ``σ(M_c + M_s)``), bci-attn 0.1's BAM. Both return
    ``(1 + M)·x``, a positive scaling that keeps the sign of an EEG map.
    """
    reduction = positive_int("bam", "reduction", reduction)
    dilation = positive_int("bam", "dilation", dilation)
    official = choice("bam", "variant", variant, ["official", "paper"]) == "official"
    k_e, d_e = dilated_kernel(fmap.height, 3, dilation)
    k_t, d_t = dilated_kernel(fmap.width, 3, dilation)
    hidden = hidden_width(fmap.channels, reduction)
    return BottleneckAttention(fmap.channels, hidden, (k_e, k_t), (d_e, d_t), official)
