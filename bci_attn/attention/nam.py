"""``nam``: Normalization-based Attention Module (Liu et al., 2021)."""

from __future__ import annotations

import torch
from torch import nn

from .base import AttentionModule, FeatureMap, choice, flag
from .registry import register


def bn_weights(bn: nn.modules.batchnorm._BatchNorm, constant: bool) -> torch.Tensor:
    """``|γ|/Σ|γ|`` of a BatchNorm's scale factors, ``(features,)``; ``constant``: outside
    the graph (no gradient through ``w``), as the official code's ``bn.weight.data``."""
    g = (bn.weight.detach() if constant else bn.weight).abs()
    return g / g.sum()


class NormalizationAttention(AttentionModule):
    """Normalization-based Attention Module [Liu2021]_.

    Channel: ``z = BN(x)``, ``w = |γ|/Σ|γ|`` from the BN scale factors ``γ``,
    ``y = x·σ(w·z)``. Optional pixel part (in the official repository's history only):
    the same with a BatchNorm whose "channels" are the ``H·W`` positions of the map
    (statistics over trials and feature channels), applied after the channel part. The
    method adds ``sparsity·Σ|γ|`` over these BN scales to the training loss:
    :meth:`penalty`.

    The official code reads ``bn.weight.data``, so that ``w`` is a constant in the graph
    (``constant_weights=True``); the paper's formula differentiates through ``w`` as well.
    On EEG maps nothing else changes: the pixel BN binds the module to the map's
    electrodes × time size.

    Parameters
    ----------
    channels : int
        Feature channels ``C``.
    size : tuple of int | None
        ``(H, W)`` for the pixel part; None for the channel part alone.
    sparsity : float
        Weight ``s`` of the L1 penalty.
    constant_weights : bool
        ``w`` without gradient (official code), else with (paper).

    Notes
    -----
    Input and output ``(B, C, H, W)``. Records ``"channel"``: the gate ``σ(w·z)`` averaged
    over the map ``(B, C)``, ``"channel_importance"``: ``w`` ``(C,)``, and with the pixel
    part ``"spatial"``: its gate averaged over channels ``(B, H, W)``. In training mode the
    pixel BN needs more than one value per position (``B·C > 1``).

    References
    ----------
    .. [Liu2021] Liu, Y., Shao, Z., Teng, Y., Hoffmann, N., 2021. NAM: Normalization-based
       Attention Module. arXiv:2111.12419 (NeurIPS 2021 workshop ImageNet PPF).
    """

    def __init__(
        self,
        channels: int,
        size: tuple[int, int] | None,
        sparsity: float,
        constant_weights: bool,
    ) -> None:
        super().__init__()
        self.sparsity = sparsity
        self.constant_weights = constant_weights
        self.size = size
        self.channel_bn = nn.BatchNorm2d(channels, affine=True)
        self.pixel_bn = nn.BatchNorm1d(size[0] * size[1]) if size is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply NAM to ``(B, C, H, W)``; same shape out."""
        b, c, h, w = x.shape
        weights = bn_weights(self.channel_bn, self.constant_weights)
        self.record("channel_importance", weights)
        gate = torch.sigmoid(weights[None, :, None, None] * self.channel_bn(x))
        self.record("channel", gate.mean(dim=(2, 3)))
        x = x * gate
        if self.pixel_bn is not None:
            if (h, w) != self.size:
                raise ValueError(
                    f"attention 'nam' with spatial=True was built for {self.size[0]}x"
                    f"{self.size[1]} maps and got {h}x{w}"
                )
            pixels = x.reshape(b, c, h * w).transpose(1, 2)  # (B, H·W, C)
            weights = bn_weights(self.pixel_bn, self.constant_weights)
            gate = torch.sigmoid(weights[None, :, None] * self.pixel_bn(pixels))
            gate = gate.transpose(1, 2).reshape(b, c, h, w)
            self.record("spatial", gate.mean(dim=1))
            x = x * gate
        return x

    def penalty(self) -> torch.Tensor:
        """``sparsity · Σ|γ|`` over the scale factors of the module's BatchNorms."""
        total = self.channel_bn.weight.abs().sum()
        if self.pixel_bn is not None:
            total = total + self.pixel_bn.weight.abs().sum()
        return self.sparsity * total


@register(
    "nam",
    summary="NAM: gates from BatchNorm scale factors, L1 penalty (Liu et al., 2021)",
    reference="Christian-lyc/NAM MODELS/attention.py Channel_Att @ 6e8d3e3 "
    "(pixel part Spatial_Att @ d135ad4)",
    differs="variant paper: the gradient also flows through w = |γ|/Σ|γ| (the official code "
    "reads bn.weight.data); default official",
    version=2,
    legacy={"variant": "paper"},
)
def build_nam(
    fmap: FeatureMap,
    *,
    spatial: bool = False,
    sparsity: float = 1e-4,
    variant: str = "official",
) -> nn.Module:
    """Build NAM; ``spatial=True`` adds the pixel part (bound to the map size).

    ``variant``: ``"official"`` takes ``w = |γ|/Σ|γ|`` as a constant (the official code's
    ``bn.weight.data``); ``"paper"`` differentiates through ``w`` too, as the formula reads
    (bci-attn 0.1's NAM). The forward pass is the same.
    """
    spatial = flag("nam", "spatial", spatial)
    if isinstance(sparsity, bool) or not isinstance(sparsity, int | float) or sparsity < 0:
        raise ValueError(
            f"attention 'nam': option sparsity must be a number >= 0, got {sparsity!r}"
        )
    constant = choice("nam", "variant", variant, ["official", "paper"]) == "official"
    size = fmap.require_size("nam") if spatial else None
    return NormalizationAttention(fmap.channels, size, float(sparsity), constant)
