"""``cbam``: Convolutional Block Attention Module (Woo et al., ECCV 2018)."""

from __future__ import annotations

import torch
from torch import nn

from .base import AttentionModule, FeatureMap, hidden_width
from .registry import register


def positive_int(module: str, option: str, value: object) -> int:
    """``value`` if it is an integer >= 1, else a ValueError naming module and option."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"attention '{module}': option {option} must be an integer >= 1, got {value!r}"
        )
    return value


def odd_int(module: str, option: str, value: object) -> int:
    """``value`` if it is an odd integer >= 1 (symmetric "same" padding), else a ValueError."""
    if positive_int(module, option, value) % 2 == 0:
        raise ValueError(
            f"attention '{module}': option {option} must be odd (symmetric 'same' padding), "
            f"got {value!r}"
        )
    return value  # type: ignore[return-value]


def fit_odd(kernel: int, length: int) -> int:
    """``min(kernel, length)``, raised by one when even, so "same" padding stays symmetric.

    On 2, 4 or 6 electrodes a 7-tap kernel becomes 3, 5 or 7 taps (one tap more than the
    axis, reaching padding at the edges) rather than an even kernel padded on one side.
    """
    k = min(kernel, length)
    return k if k % 2 else k + 1


def spatial_kernel(
    fmap: FeatureMap,
    module: str,
    *,
    kernel_ms: float,
    kernel_size: int | None,
    electrode_kernel: int,
) -> tuple[int, int]:
    """EEG version of an image module's k×k "spatial" kernel: ``(k_e, k_t)``, both odd.

    ``k_e`` is ``min(electrode_kernel, H)`` (raised by one when even, see :func:`fit_odd`);
    ``k_t`` is ``kernel_size`` samples when given, else ``kernel_ms`` milliseconds at the
    layer's sampling rate (odd, at most the map's width, see
    :meth:`FeatureMap.kernel_samples`). On ``H = 1`` the kernel is temporal, ``(1, k_t)``.

    Raises
    ------
    ValueError
        Non-positive or even kernel sizes, a ``kernel_size`` longer than the map, or no
        sampling rate when ``kernel_size`` is not given.
    """
    k_e = fit_odd(odd_int(module, "electrode_kernel", electrode_kernel), fmap.height)
    if kernel_size is not None:
        k_t = odd_int(module, "kernel_size", kernel_size)
        if fmap.width is not None and k_t > fmap.width:
            raise ValueError(
                f"attention '{module}': option kernel_size={k_t} is longer than the map's "
                f"{fmap.width} time samples; use an odd size of at most {fmap.width}"
            )
        return k_e, k_t
    if isinstance(kernel_ms, bool) or not isinstance(kernel_ms, int | float) or not kernel_ms > 0:
        raise ValueError(
            f"attention '{module}': option kernel_ms must be a positive number of "
            f"milliseconds, got {kernel_ms!r}"
        )
    return k_e, fmap.kernel_samples(float(kernel_ms), module=module)


class ConvBlockAttention(AttentionModule):
    """Convolutional Block Attention Module [Woo2018]_, channel gate then spatial gate.

    Channel: ``M_c = σ(MLP(GAP x) + MLP(GMP x))`` with one shared MLP ``C → hidden → C``;
    ``x' = M_c·x``. Spatial: ``M_s = σ(f([mean_c x'; max_c x']))``, ``y = M_s·x'``.

    EEG adaptation: the paper's 7×7 ``f`` becomes a ``(k_e, k_t)`` kernel with "same"
    padding, ``k_e = min(electrode_kernel, H)`` along electrodes (made odd, see
    :func:`fit_odd`) and ``k_t`` samples
    (≈ ``kernel_ms``) along time; on maps whose electrodes were merged (``H = 1``) it is a
    purely temporal ``(1, k_t)`` kernel.

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

    Notes
    -----
    Input and output ``(B, C, H, W)``; records ``"channel"``: ``(B, C)`` and
    ``"spatial"``: ``(B, H, W)``.

    References
    ----------
    .. [Woo2018] Woo, S., Park, J., Lee, J.-Y., Kweon, I. S., 2018. CBAM: Convolutional
       Block Attention Module. ECCV 2018, 3-19.
    """

    def __init__(
        self, channels: int, hidden: int, kernel: tuple[int, int], bias: bool = False
    ) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, kernel_size=1, bias=bias),
            nn.ReLU(),
            nn.Conv2d(hidden, channels, kernel_size=1, bias=bias),
        )
        self.spatial = nn.Conv2d(2, 1, kernel_size=kernel, padding="same")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the channel then the spatial gate to ``(B, C, H, W)``; same shape out."""
        avg = x.mean(dim=(2, 3), keepdim=True)
        mx = x.amax(dim=(2, 3), keepdim=True)
        channel = torch.sigmoid(self.mlp(avg) + self.mlp(mx))  # (B, C, 1, 1)
        self.record("channel", channel.flatten(1))
        x = x * channel
        pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        spatial = torch.sigmoid(self.spatial(pooled))  # (B, 1, H, W)
        self.record("spatial", spatial.squeeze(1))
        return x * spatial


@register(
    "cbam",
    summary="CBAM: channel MLP gate then (electrode x time) conv gate (Woo et al., ECCV 2018)",
)
def build_cbam(
    fmap: FeatureMap,
    *,
    reduction: int = 4,
    kernel_ms: float = 100.0,
    kernel_size: int | None = None,
    electrode_kernel: int = 7,
    bias: bool = False,
) -> nn.Module:
    """Build CBAM for ``fmap``.

    ``reduction`` sets the MLP width ``C // reduction`` (>= 1); the spatial kernel is
    ``(min(electrode_kernel, H), k_t)`` with ``k_t`` from ``kernel_size`` (samples) or
    ``kernel_ms`` (milliseconds at this layer's rate).
    """
    reduction = positive_int("cbam", "reduction", reduction)
    if not isinstance(bias, bool):
        raise ValueError(f"attention 'cbam': option bias must be True or False, got {bias!r}")
    kernel = spatial_kernel(
        fmap,
        "cbam",
        kernel_ms=kernel_ms,
        kernel_size=kernel_size,
        electrode_kernel=electrode_kernel,
    )
    return ConvBlockAttention(
        fmap.channels, hidden_width(fmap.channels, reduction), kernel, bias=bias
    )
