"""``epsa``: Pyramid Split Attention, the PSA module of EPSANet (Zhang et al., 2021)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .base import AttentionModule, FeatureMap, choice, common_groups, hidden_width, positive_int
from .registry import register


def _odd_lengths(module: str, option: str, values: Sequence[object]) -> list[int]:
    lengths = [positive_int(module, option, v) for v in values]
    if any(k % 2 == 0 for k in lengths):
        raise ValueError(
            f"attention '{module}': option {option} must hold odd lengths for 'same' "
            f"padding, got {tuple(lengths)}"
        )
    return lengths


class SEWeight(nn.Module):
    """EPSANet's ``SEWeightModule``: ``σ(fc2(ReLU(fc1(GAP x))))``, returns ``(B, C, 1, 1)``."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, 1, 1)``."""
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(x.mean(dim=(2, 3), keepdim=True)))))


class PyramidSplitAttention(AttentionModule):
    """PSA module of EPSANet [Zhang2021]_.

    ``S = 4`` convolution branches, each from all ``C`` input channels to ``w`` channels
    with its own kernel and group count; one SE module **shared** by the branches gives each
    branch a ``(B, w)`` weight; a softmax across the ``S`` branches (per channel) re-weights
    the branch outputs, which are concatenated. As in the official code the concatenation
    runs from the last branch to the first, and the convolutions have no bias.

    EEG adaptation: the kernels run along time only, ``(1, k)``, the paper's 3, 5, 7, 9
    being samples at this layer (or milliseconds, see :func:`build_epsa`). Group counts are
    clamped to divide ``C`` and ``w`` (:func:`~bci_attn.attention.base.common_groups`).
    When ``C`` is a multiple of ``S`` the branches are ``w = C / S`` wide and the output is
    the concatenation, as in the paper; otherwise they are ``w = ⌈C / S⌉`` wide and a
    bias-free 1×1 convolution maps the ``S·w`` concatenated channels back to ``C`` (this is
    the case at the input point, ``C = 1``).

    The PSA module replaces the map by its branch features; EPSANet uses it inside a
    residual bottleneck (``EPSABlock``: 1×1 conv, PSA, BN, 1×1 conv, + identity, ReLU). With
    ``residual=True`` the output is ``x + BN(PSA(x))``: the identity path and the BN that
    follows PSA there, without the block's 1×1 convolutions and ReLUs (its last ReLU would
    zero the negative half of a signed EEG map).

    Parameters
    ----------
    channels : int
        Feature channels ``C``.
    kernels : sequence of int
        Odd temporal kernel length of each branch.
    groups : sequence of int
        Group count of each branch (already clamped).
    se_hidden : int
        Hidden width of the shared SE module.
    residual : bool
        Return ``x + BN(PSA(x))`` instead of ``PSA(x)``.

    Notes
    -----
    Records ``"branch"`` ``(B, S, w)``: the softmax weights of the branches, and
    ``"channel"`` ``(B, C)`` when ``C = S·w``: the same weights in output channel order.

    References
    ----------
    .. [Zhang2021] Zhang, H., Zu, K., Lu, J., Zou, Y., Meng, D., 2021. EPSANet: An
        Efficient Pyramid Squeeze Attention Block on Convolutional Neural Network.
        arXiv 2105.14447.
    """

    def __init__(
        self,
        channels: int,
        kernels: Sequence[int],
        groups: Sequence[int],
        se_hidden: int,
        residual: bool,
    ) -> None:
        super().__init__()
        n = len(kernels)
        self.width = -(-channels // n)
        self.branches = nn.ModuleList(
            nn.Conv2d(channels, self.width, (1, k), padding=(0, k // 2), groups=g, bias=False)
            for k, g in zip(kernels, groups, strict=True)
        )
        self.se = SEWeight(self.width, se_hidden)
        concat = n * self.width
        self.project = (
            nn.Identity() if concat == channels else nn.Conv2d(concat, channels, 1, bias=False)
        )
        self.residual = residual
        if residual:
            self.bn = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, H, W)``."""
        feats = torch.stack([conv(x) for conv in self.branches], dim=1)  # (B, S, w, H, W)
        se = torch.stack([self.se(f) for f in feats.unbind(dim=1)], dim=1)  # (B, S, w, 1, 1)
        weights = torch.softmax(se, dim=1)
        self.record("branch", weights.flatten(2))
        out = (feats * weights).flip(1).flatten(1, 2)  # last branch first, as the official code
        if isinstance(self.project, nn.Identity):
            self.record("channel", weights.flip(1).flatten(1))
        out = self.project(out)
        return x + self.bn(out) if self.residual else out


@register(
    "epsa",
    summary="Pyramid Split Attention: multi-kernel temporal branches weighted by a shared SE "
    "and a softmax (EPSANet, Zhang et al., 2021)",
    reference="murufeng/EPSANet models/epsanet.py PSAModule @ 9955041",
    differs="variant eeg: x + BN(PSA(x)), the identity path of EPSANet's bottleneck (PSA "
    "alone replaces the map); temporal (1, k) kernels; groups clamped to divide the "
    "branches; a 1x1 projection when 4 does not divide C; default eeg",
    version=2,
    legacy={"variant": "official"},
)
def build_epsa(
    fmap: FeatureMap,
    *,
    kernels: Sequence[int] = (3, 5, 7, 9),
    kernel_ms: Sequence[float] | None = None,
    groups: Sequence[int] = (1, 4, 8, 16),
    reduction: int = 16,
    variant: str = "eeg",
) -> nn.Module:
    """PSA with temporal kernels ``kernels`` (samples) or, when given, ``kernel_ms``
    (milliseconds at this layer's rate, one per branch); ``groups`` are clamped to divide the
    branch convolutions; the shared SE is ``max(1, w // reduction)`` wide.

    ``variant``: ``"official"`` is EPSANet's ``PSAModule``, whose output replaces the map
    (bci-attn 0.1's EPSA); ``"eeg"`` returns ``x + BN(PSA(x))``, the identity path of
    EPSANet's bottleneck, so that the signal passes the module.
    """
    residual = choice("epsa", "variant", variant, ["official", "eeg"]) == "eeg"
    if kernel_ms is not None:
        if len(kernel_ms) != len(groups):
            raise ValueError(
                f"attention 'epsa': option kernel_ms needs one length per branch "
                f"({len(groups)}, as groups), got {tuple(kernel_ms)}"
            )
        lengths = [fmap.kernel_samples(float(ms), module="epsa") for ms in kernel_ms]
    else:
        lengths = _odd_lengths("epsa", "kernels", kernels)
    if len(lengths) != len(groups) or not lengths:
        raise ValueError(
            f"attention 'epsa': options kernels and groups need one value per branch, got "
            f"kernels={tuple(lengths)}, groups={tuple(groups)}"
        )
    width = -(-fmap.channels // len(lengths))
    clamped = [
        common_groups(fmap.channels, width, positive_int("epsa", "groups", g)) for g in groups
    ]
    hidden = hidden_width(width, positive_int("epsa", "reduction", reduction))
    return PyramidSplitAttention(fmap.channels, lengths, clamped, hidden, residual)
