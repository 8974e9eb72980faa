"""``scconv``: Spatial and Channel Reconstruction Convolution (Li, Wen & He, CVPR 2023).

The SCConv that the name means today: a spatial reconstruction unit (SRU) then a channel
reconstruction unit (CRU), a drop-in replacement for a 3×3 convolution. bci-attn 0.1 used
the name for SCNet's self-calibrated convolution (Liu et al., CVPR 2020), now ``scnet``
(:mod:`bci_attn.attention.scnet`); its computation stays reachable here as
``variant="bci-attn-0.1"`` so that runs recorded under that name are rebuilt as they were.
"""

from __future__ import annotations

import torch
from torch import nn

from .base import (
    AttentionModule,
    FeatureMap,
    choice,
    common_groups,
    positive_int,
    spatial_kernel,
    unit_fraction,
)
from .registry import register
from .scnet import SCConvSplit


class SpatialReconstruction(nn.Module):
    """Spatial reconstruction unit (SRU) of SCConv (Li et al., CVPR 2023).

    ::

        z  = GN(x)                          GroupNorm, scale factors γ (C,)
        W  = σ(z · γ / Σγ)                  per element
        W₁ = 1 where W > t, else W          informative weights
        W₂ = 0 where W > t, else W          non-informative weights
        y  = W₁·x + roll_C(W₂·x, ⌊C/2⌋)     cross reconstruction

    For even ``C`` the roll is the paper's cross reconstruction ``[X₁₁ + X₂₂; X₁₂ + X₂₁]``
    of the two channel halves; for odd ``C`` it pairs each channel with the one ``⌊C/2⌋``
    further, cyclically.

    Parameters
    ----------
    channels : int
        Feature channels ``C``.
    groups : int
        GroupNorm groups (dividing ``C``).
    threshold : float
        Gate threshold ``t`` (0.5 in the paper).
    """

    def __init__(self, channels: int, groups: int, threshold: float) -> None:
        super().__init__()
        self.threshold = threshold
        self.gn = nn.GroupNorm(groups, channels)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, C, H, W)`` → the reconstructed map and the gates ``W``, both ``(B, C, H, W)``."""
        w_gamma = self.gn.weight / self.gn.weight.sum()
        gates = torch.sigmoid(self.gn(x) * w_gamma[None, :, None, None])
        informative = gates > self.threshold
        x1 = torch.where(informative, 1.0, gates) * x
        x2 = torch.where(informative, 0.0, gates) * x
        return x1 + torch.roll(x2, shifts=x.shape[1] // 2, dims=1), gates


class ChannelReconstruction(nn.Module):
    """Channel reconstruction unit (CRU) of SCConv (Li et al., CVPR 2023).

    ::

        split     x → X_up (C_up channels), X_low (C − C_up)       C_up = αC
        squeeze   1×1 convs: X_up → s_up, X_low → s_low channels   s = channels / r
        transform Y₁ = GWC(X_up) + PWC₁(X_up)                      GWC: k×k, g groups → C
                  Y₂ = [PWC₂(X_low); X_low]                        PWC₂ → C − s_low
        fuse      β = softmax over {1, 2} of (GAP Y₁, GAP Y₂)      per channel, β₁ + β₂ = 1
                  y = β₁·Y₁ + β₂·Y₂

    All convolutions are bias-free, as the paper counts them.

    Parameters
    ----------
    channels : int
        Feature channels ``C``.
    upper : int
        ``C_up`` (1 to ``C − 1``).
    squeezed : tuple of int
        ``(s_up, s_low)``, each at least 1.
    kernel : tuple of int
        ``(k_e, k_t)`` of the group-wise convolution.
    groups : int
        Groups ``g`` of the group-wise convolution (dividing ``s_up`` and ``C``).
    """

    def __init__(
        self,
        channels: int,
        upper: int,
        squeezed: tuple[int, int],
        kernel: tuple[int, int],
        groups: int,
    ) -> None:
        super().__init__()
        s_up, s_low = squeezed
        self.upper = upper
        self.squeeze_up = nn.Conv2d(upper, s_up, 1, bias=False)
        self.squeeze_low = nn.Conv2d(channels - upper, s_low, 1, bias=False)
        self.gwc = nn.Conv2d(s_up, channels, kernel, padding="same", groups=groups, bias=False)
        self.pwc_up = nn.Conv2d(s_up, channels, 1, bias=False)
        self.pwc_low = nn.Conv2d(s_low, channels - s_low, 1, bias=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, C, H, W)`` → the fused map ``(B, C, H, W)`` and ``β₁`` ``(B, C)``."""
        up, low = x.split([self.upper, x.shape[1] - self.upper], dim=1)
        up, low = self.squeeze_up(up), self.squeeze_low(low)
        y1 = self.gwc(up) + self.pwc_up(up)
        y2 = torch.cat([self.pwc_low(low), low], dim=1)
        beta = torch.softmax(torch.stack([y1.mean(dim=(2, 3)), y2.mean(dim=(2, 3))]), dim=0)
        return beta[0, :, :, None, None] * y1 + beta[1, :, :, None, None] * y2, beta[0]


class SpatialChannelReconstruction(AttentionModule):
    """SCConv [Li2023]_: ``CRU(SRU(x))``, or ``x + CRU(SRU(x))`` with ``residual=True``.

    The paper replaces the 3×3 convolution of a ResNet bottleneck with it, inside the
    block's identity path; inserted into an EEG network on its own, ``CRU(SRU(x))`` would
    replace the map with a fresh convolution of it, so the EEG variant adds the identity.

    Parameters
    ----------
    sru : SpatialReconstruction
        The spatial unit.
    cru : ChannelReconstruction
        The channel unit.
    residual : bool
        Add the input to the output.

    Notes
    -----
    Input and output ``(B, C, H, W)``. Records ``"gates"``: the SRU's ``W``
    ``(B, C, H, W)``, ``"spatial"``: ``W`` averaged over channels ``(B, H, W)``, and
    ``"channel"``: the CRU's weight ``β₁`` of the rich (upper) path ``(B, C)``.

    References
    ----------
    .. [Li2023] Li, J., Wen, Y., He, L., 2023. SCConv: Spatial and Channel Reconstruction
        Convolution for Feature Redundancy. CVPR 2023, 6153-6162.
    """

    def __init__(
        self, sru: SpatialReconstruction, cru: ChannelReconstruction, residual: bool
    ) -> None:
        super().__init__()
        self.residual = residual
        self.sru = sru
        self.cru = cru

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, H, W)``."""
        y, gates = self.sru(x)
        y, beta = self.cru(y)
        self.record("gates", gates)
        self.record("spatial", gates.mean(dim=1))
        self.record("channel", beta)
        return x + y if self.residual else y


def reconstruction_convolution(
    fmap: FeatureMap,
    kernel: tuple[int, int],
    *,
    reduction: int,
    split_ratio: float,
    groups: int,
    gn_groups: int,
    threshold: float,
    residual: bool,
) -> SpatialChannelReconstruction:
    """SCConv sized for ``fmap``, with the clamps EEG's few channels need.

    ``C_up = αC`` (rounded down) is kept in ``[1, C − 1]``, the squeezed widths at least 1,
    and the group counts are the largest that divide their convolutions (at most
    ``groups`` and ``gn_groups``).

    Raises
    ------
    ValueError
        On a single-channel map (nothing to split) or options out of range.
    """
    c = fmap.channels
    if c < 2:
        raise ValueError(
            "attention 'scconv' splits the feature channels in two and needs at least 2; "
            "this map has 1 (the input): place it after the temporal convolution, e.g. "
            "at='temporal' for eegnet or at='conv' for shallow"
        )
    reduction = positive_int("scconv", "reduction", reduction)
    upper = min(max(int(unit_fraction("scconv", "split_ratio", split_ratio) * c), 1), c - 1)
    squeezed = (max(1, upper // reduction), max(1, (c - upper) // reduction))
    g = common_groups(c, squeezed[0], positive_int("scconv", "groups", groups))
    sru = SpatialReconstruction(
        c,
        common_groups(c, c, positive_int("scconv", "gn_groups", gn_groups)),
        unit_fraction("scconv", "threshold", threshold),
    )
    cru = ChannelReconstruction(c, upper, squeezed, kernel, g)
    return SpatialChannelReconstruction(sru, cru, residual)


@register(
    "scconv",
    summary="SCConv: spatial (SRU) and channel (CRU) reconstruction convolution "
    "(Li, Wen & He, CVPR 2023)",
    reference="no official code; the paper (CVPR 2023, Sec. 3), parameter count in the test",
    differs="variant eeg: x + SCConv(x), the ResBlock identity the paper places it in (alone "
    "it replaces the map); bci-attn-0.1: SCNet's split without identity (a different module, "
    "kept to rebuild old runs; now `scnet`); EEG kernel (min(3, H), k_t ≈ 100 ms); group "
    "counts dividing C; widths >= 1; odd C paired cyclically in the SRU; default eeg",
    version=2,
    legacy={"variant": "bci-attn-0.1"},
)
def build_scconv(
    fmap: FeatureMap,
    *,
    reduction: int = 2,
    split_ratio: float = 0.5,
    groups: int = 2,
    gn_groups: int = 16,
    threshold: float = 0.5,
    kernel_ms: float = 100.0,
    kernel_size: int | None = None,
    electrode_kernel: int = 3,
    pooling: int = 4,
    variant: str = "eeg",
) -> nn.Module:
    """SCConv with the paper's ``r = reduction``, ``α = split_ratio``, ``g = groups``, SRU
    GroupNorm groups ``gn_groups`` and gate ``threshold``; the group-wise kernel is
    ``(min(electrode_kernel, H), k_t)`` with ``k_t`` from ``kernel_size`` or ``kernel_ms``.

    ``variant``: ``"paper"`` returns ``CRU(SRU(x))``, a convolution replacing the map, as
    the paper's unit; ``"eeg"`` returns ``x + CRU(SRU(x))``, the identity path of the
    ResBlock the paper puts it in, so the signal passes; ``"bci-attn-0.1"`` is SCNet's split
    without identity that bci-attn 0.1 registered under this name (only ``pooling``, the
    temporal down-sampling of its context, and the kernel options apply to it).
    """
    variant = choice("scconv", "variant", variant, ["paper", "eeg", "bci-attn-0.1"])
    kernel = spatial_kernel(
        fmap,
        "scconv",
        kernel_ms=kernel_ms,
        kernel_size=kernel_size,
        electrode_kernel=electrode_kernel,
    )
    if variant == "bci-attn-0.1":
        return SCConvSplit(fmap.channels, kernel, positive_int("scconv", "pooling", pooling))
    return reconstruction_convolution(
        fmap,
        kernel,
        reduction=reduction,
        split_ratio=split_ratio,
        groups=groups,
        gn_groups=gn_groups,
        threshold=threshold,
        residual=variant == "eeg",
    )
