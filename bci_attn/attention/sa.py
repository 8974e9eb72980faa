"""``sa``: Shuffle Attention (Zhang & Yang, ICASSP 2021)."""

from __future__ import annotations

import torch
from torch import nn

from .base import AttentionModule, FeatureMap
from .registry import register


def valid_groups(channels: int) -> list[int]:
    """Group counts ``G`` Shuffle Attention can use on ``channels``: ``C % 2G == 0``."""
    return [g for g in range(1, channels // 2 + 1) if channels % (2 * g) == 0]


def default_groups(channels: int, largest: int = 8) -> int | None:
    """Largest ``G <= largest`` with ``C % 2G == 0`` (``C = 8 → 4``, ``16 → 8``,
    ``40 → 5``), or None when ``C`` is odd."""
    options = [g for g in valid_groups(channels) if g <= largest]
    return max(options) if options else None


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """ShuffleNet's channel shuffle: ``(B, g·n, H, W)`` → channel ``i·g + j`` takes ``j·n + i``."""
    b, c, h, w = x.shape
    return x.reshape(b, groups, c // groups, h, w).transpose(1, 2).reshape(b, c, h, w)


class ShuffleAttention(AttentionModule):
    """Shuffle Attention [Zhang2021]_.

    The ``C`` channels are split into ``G`` groups of ``C/G`` consecutive channels and each
    group into two halves of ``n = C/2G``. Channel half:
    ``x₀·σ(c_w·GAP(x₀) + c_b)``; spatial half: ``x₁·σ(s_w·GN(x₁) + s_b)`` with a GroupNorm of
    one group per channel (normalising each channel over electrodes × time). ``c_w, c_b,
    s_w, s_b`` have shape ``(1, n, 1, 1)``, shared by the ``G`` groups, initialised to
    ``w = 0``, ``b = 1``. The halves are concatenated back in place and the channels
    shuffled with 2 groups (official SA-Net code).

    On EEG maps nothing changes: all operations are per channel or global over the map. A
    map needs an even ``C``; the single-channel input (``C = 1``) is refused.

    Parameters
    ----------
    channels : int
        Feature channels ``C``.
    groups : int
        ``G``, with ``C % 2G == 0``.

    Notes
    -----
    Input and output ``(B, C, H, W)``. Parameters ``6·C/2G`` (the four gate vectors and the
    GroupNorm affine). Records, in the **input** channel order (before the shuffle),
    ``"gates"``: the gate of every element ``(B, C, H, W)``, ``"channel"``: its average over
    the map ``(B, C)``, and ``"spatial"``: the spatial half's gates averaged over channels
    ``(B, H, W)``.

    References
    ----------
    .. [Zhang2021] Zhang, Q.-L., Yang, Y.-B., 2021. SA-Net: Shuffle Attention for Deep
       Convolutional Neural Networks. ICASSP 2021, 2235-2239.
    """

    def __init__(self, channels: int, groups: int) -> None:
        super().__init__()
        self.groups = groups
        n = channels // (2 * groups)
        self.cweight = nn.Parameter(torch.zeros(1, n, 1, 1))
        self.cbias = nn.Parameter(torch.ones(1, n, 1, 1))
        self.sweight = nn.Parameter(torch.zeros(1, n, 1, 1))
        self.sbias = nn.Parameter(torch.ones(1, n, 1, 1))
        self.gn = nn.GroupNorm(n, n)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply SA to ``(B, C, H, W)``; same shape out (channels shuffled)."""
        b, c, h, w = x.shape
        xg = x.reshape(b * self.groups, c // self.groups, h, w)
        x0, x1 = xg.chunk(2, dim=1)
        gate0 = torch.sigmoid(self.cweight * x0.mean(dim=(2, 3), keepdim=True) + self.cbias)
        gate1 = torch.sigmoid(self.sweight * self.gn(x1) + self.sbias)
        gates = torch.cat([gate0.expand_as(x0), gate1], dim=1).reshape(b, c, h, w)
        self.record("gates", gates)
        self.record("channel", gates.mean(dim=(2, 3)))
        self.record("spatial", gate1.reshape(b, -1, h, w).mean(dim=1))
        return channel_shuffle(x * gates, 2)


@register(
    "sa",
    summary="Shuffle Attention: grouped channel + GroupNorm gates (Zhang & Yang, ICASSP 2021)",
    reference="wofmanaf/SA-Net models/sa_resnet.py sa_layer @ 00a6760",
    differs="nothing besides the default group count (largest G <= 8 with C % 2G == 0; "
    "SA-Net's 64 assumes 256+ channels)",
)
def build_sa(fmap: FeatureMap, *, groups: int | None = None) -> nn.Module:
    """Build SA; ``groups=None`` takes the largest ``G <= 8`` with ``C % 2G == 0``."""
    allowed = valid_groups(fmap.channels)
    if groups is None:
        groups = default_groups(fmap.channels)
        if groups is None:
            raise ValueError(
                f"attention 'sa' splits the channels into halves and needs an even number of "
                f"feature channels; this map has {fmap.channels} (insert it after a layer "
                "with an even channel count)"
            )
    elif isinstance(groups, bool) or not isinstance(groups, int) or groups not in allowed:
        raise ValueError(
            f"attention 'sa': option groups={groups!r} does not split {fmap.channels} "
            f"channels (needs C % 2G == 0); allowed: "
            f"{', '.join(map(str, allowed)) or 'none (odd channel count)'}"
        )
    return ShuffleAttention(fmap.channels, groups)
