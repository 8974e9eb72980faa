"""``bam``: Bottleneck Attention Module (Park et al., BMVC 2018), as the paper writes it."""

from __future__ import annotations

import torch
from torch import nn

from .base import AttentionModule, FeatureMap, hidden_width
from .cbam import fit_odd, positive_int
from .registry import register


def dilated_kernel(length: int | None, kernel: int, dilation: int) -> tuple[int, int]:
    """``(kernel, dilation)`` along one axis of ``length`` samples.

    The kernel is cut to the axis and kept odd (:func:`~bci_attn.attention.cbam.fit_odd`:
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


class BottleneckAttention(AttentionModule):
    """Bottleneck Attention Module [Park2018]_ with the paper's sum of branches.

    Channel branch ``M_c = BN(MLP(GAP x))`` with an MLP ``C → hidden → C`` (ReLU inside);
    spatial branch ``M_s = BN(f₃¹ˣ¹(f₂(f₁(f₀¹ˣ¹(x)))))`` with ``f₀: C → hidden``, two
    dilated convolutions ``hidden → hidden`` (each with BN and ReLU) and ``f₃: hidden → 1``.
    The attention map is ``M = σ(M_c + M_s)`` (broadcast to ``(B, C, H, W)``) and the
    output ``y = x + x·M``.

    The official code multiplies the branches, ``σ(M_c·M_s)`` (Jongchan/attention-module
    issues #39, #52), and pools with ``x.size(2)`` as a square kernel, which breaks on
    ``H ≠ W``; here the paper's sum and adaptive pooling are used.

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

    Notes
    -----
    Input and output ``(B, C, H, W)``. Records ``"map"``: ``M`` as ``(B, C, H, W)``, and its
    summaries ``"channel"``: ``M`` averaged over the map, ``(B, C)``, and ``"spatial"``:
    ``M`` averaged over channels, ``(B, H, W)``. The BatchNorm after the channel MLP needs
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
        kernel: tuple[int, int] = (3, 3),
        dilation: tuple[int, int] = (4, 4),
    ) -> None:
        super().__init__()
        self.channel_gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(channels, hidden),
            nn.ReLU(),
            nn.Linear(hidden, channels),
            nn.BatchNorm1d(channels),
        )
        layers: list[nn.Module] = [
            nn.Conv2d(channels, hidden, kernel_size=1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU(),
        ]
        for _ in range(2):
            layers += [
                nn.Conv2d(hidden, hidden, kernel, padding="same", dilation=dilation, bias=False),
                nn.BatchNorm2d(hidden),
                nn.ReLU(),
            ]
        layers += [nn.Conv2d(hidden, 1, kernel_size=1, bias=False), nn.BatchNorm2d(1)]
        self.spatial_gate = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x + x·σ(M_c + M_s)`` for ``x`` of shape ``(B, C, H, W)``; same shape out."""
        m_c = self.channel_gate(x)[:, :, None, None]  # (B, C, 1, 1)
        m_s = self.spatial_gate(x)  # (B, 1, H, W)
        att = torch.sigmoid(m_c + m_s)  # (B, C, H, W)
        self.record("map", att)
        self.record("channel", att.mean(dim=(2, 3)))
        self.record("spatial", att.mean(dim=1))
        return x + x * att


@register(
    "bam",
    summary="BAM: sigmoid(channel + dilated-conv spatial), residual (Park et al., BMVC 2018)",
)
def build_bam(fmap: FeatureMap, *, reduction: int = 4, dilation: int = 4) -> nn.Module:
    """Build BAM; ``reduction`` sets the bottleneck ``C // reduction`` (>= 1), ``dilation``
    the dilation of the two 3-tap convolutions (cut to fit the electrode axis)."""
    reduction = positive_int("bam", "reduction", reduction)
    dilation = positive_int("bam", "dilation", dilation)
    k_e, d_e = dilated_kernel(fmap.height, 3, dilation)
    k_t, d_t = dilated_kernel(fmap.width, 3, dilation)
    return BottleneckAttention(
        fmap.channels, hidden_width(fmap.channels, reduction), (k_e, k_t), (d_e, d_t)
    )
