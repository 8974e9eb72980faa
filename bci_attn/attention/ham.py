"""``ham``: Hybrid Attention Module (Li et al., Pattern Recognition 2022)."""

from __future__ import annotations

import torch
from torch import nn

from .base import AttentionModule, FeatureMap, choice, flag, spatial_kernel, unit_fraction
from .eca import check_channel_kernel, eca_kernel_size
from .registry import register


def important_channels(channels: int, rate: float) -> int:
    """``C_im = |λ·C|_even``, the size of HAM's important channel group.

    ``|·|_even`` is the nearest even number (``C = 8 → 4``, ``16 → 10``, ``40 → 24``).
    EEG maps have few channels, so the result is clamped to ``[1, C - 1]`` to keep both
    groups non-empty (``C = 2 → 1``, ``C = 3 → 2``); with a single channel (``C = 1``, the
    raw input) there is nothing to separate and ``C_im = 1``: the whole map is the important
    group and the sub-important branch is skipped.
    """
    if channels == 1:
        return 1
    even = 2 * int(rate * channels / 2 + 0.5)
    return min(max(even, 1), channels - 1)


class HybridAttention(AttentionModule):
    """Hybrid Attention Module [Li2022]_: ECA-like channel gate, then spatial attention on
    two channel groups ("channel separation") with one shared convolution.

    Channel: ``F_add = ½(F_avg + F_max) + α·F_avg + β·F_max`` (GAP/GMP over the map,
    ``α``, ``β`` learnable, init 0.5), ``A_C = σ(Conv1d_k(F_add))`` (no bias, ECA's ``k``),
    ``F' = A_C·x``.

    Spatial: the ``C_im`` channels with the largest ``A_C`` (per trial) form the important
    group, mask ``M``; ``F₁ = F'·M``, ``F₂ = F'·(1 − M)``. For each group the descriptor
    is ``[C/C_im · mean_c F₁; max_c F₁]`` (resp. ``C/(C − C_im)`` for ``F₂``), i.e. the mean
    over the group's own channels; as in the paper the max is taken over the masked map, so
    masked channels count as zeros. One shared convolution + BatchNorm maps both
    descriptors to ``A_Sᵢ = σ(ReLU(BN(conv(·))))`` (in ``[0.5, 1)``); ``F'' = A_S₁·F₁ +
    A_S₂·F₂``. The circulating implementations call the BatchNorm once per group, so each
    group is normalised with its own batch statistics and the running statistics are
    updated twice per step (``separate_norm=True``); bci-attn 0.1 stacked the two
    descriptors along the batch, one BatchNorm pass with shared statistics.

    Output ``ReLU(F'' + x)`` with ``residual=True`` (how the circulating implementations
    place HAM in a ResBlock), ``F'' + x`` with ``residual_relu=False``, else ``F''``.

    EEG adaptation: the paper's square spatial kernel is ``(k_e, k_t)`` with "same" padding,
    ``k_e = min(electrode_kernel, H)``, ``k_t`` ≈ ``kernel_ms`` at the layer's rate; on
    ``H = 1`` a temporal ``(1, k_t)`` kernel. Small ``C`` is handled by
    :func:`important_channels`. The maps at every insertion point of EEGNet and
    ShallowFBCSPNet are signed (raw EEG, BatchNorm outputs, ELU, log-power), so the
    residual's ReLU zeroes their negative part; ``residual_relu=False`` keeps it.

    Parameters
    ----------
    channels : int
        Feature channels ``C``.
    channel_kernel : int
        Odd kernel ``k`` of the channel convolution.
    spatial_kernel : tuple of int
        ``(k_e, k_t)`` of the shared spatial convolution.
    n_important : int
        ``C_im``.
    residual : bool
        Add the input back: return ``ReLU(F'' + x)`` (or ``F'' + x``) instead of ``F''``.
    residual_relu : bool
        Apply the ReLU to the residual sum.
    separate_norm : bool
        One BatchNorm pass per channel group (own batch statistics), else one pass over
        both groups stacked along the batch.

    Notes
    -----
    Input and output ``(B, C, H, W)``. Records ``"channel"``: ``A_C`` ``(B, C)``,
    ``"important"``: the mask ``M`` ``(B, C)``, ``"spatial_important"`` and
    ``"spatial_subimportant"``: ``A_S₁``, ``A_S₂`` ``(B, H, W)``, and ``"spatial"``: the
    channel average of the spatial weight each channel received,
    ``(C_im·A_S₁ + (C − C_im)·A_S₂)/C``, ``(B, H, W)``.

    References
    ----------
    .. [Li2022] Li, G., Fang, Q., Zha, L., Gao, X., Zheng, N., 2022. HAM: Hybrid attention
       module in deep convolutional neural networks for image classification. Pattern
       Recognition 129, 108785. doi:10.1016/j.patcog.2022.108785
    """

    def __init__(
        self,
        channels: int,
        channel_kernel: int,
        spatial_kernel: tuple[int, int],
        n_important: int,
        residual: bool,
        residual_relu: bool,
        separate_norm: bool,
    ) -> None:
        super().__init__()
        self.channels = channels
        self.n_important = n_important
        self.residual = residual
        self.residual_relu = residual_relu
        self.separate_norm = separate_norm
        self.alpha = nn.Parameter(torch.tensor(0.5))
        self.beta = nn.Parameter(torch.tensor(0.5))
        self.channel_conv = nn.Conv1d(
            1, 1, channel_kernel, padding=channel_kernel // 2, bias=False
        )
        self.spatial_conv = nn.Conv2d(2, 1, spatial_kernel, padding="same", bias=False)
        self.spatial_bn = nn.BatchNorm2d(1)

    def channel_attention(self, x: torch.Tensor) -> torch.Tensor:
        """``A_C`` of shape ``(B, C)`` for ``x`` of shape ``(B, C, H, W)``."""
        f_avg = x.mean(dim=(2, 3))
        f_max = x.amax(dim=(2, 3))
        f_add = 0.5 * (f_avg + f_max) + self.alpha * f_avg + self.beta * f_max
        return torch.sigmoid(self.channel_conv(f_add.unsqueeze(1))).squeeze(1)

    def important_mask(self, a_c: torch.Tensor) -> torch.Tensor:
        """``M`` of shape ``(B, C)``: 1 on the ``C_im`` largest entries of ``A_C`` per row."""
        top = torch.topk(a_c, self.n_important, dim=1).indices
        return torch.zeros_like(a_c).scatter_(1, top, 1.0)

    def spatial_attention(self, descriptors: torch.Tensor) -> torch.Tensor:
        """``σ(ReLU(BN(conv(d))))`` for ``(N, 2, H, W)`` descriptors; ``(N, 1, H, W)``."""
        return torch.sigmoid(torch.relu(self.spatial_bn(self.spatial_conv(descriptors))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply HAM to ``(B, C, H, W)``; same shape out."""
        b, c = x.shape[:2]
        a_c = self.record("channel", self.channel_attention(x))
        f1 = x * a_c[:, :, None, None]  # F'
        mask = self.record("important", self.important_mask(a_c))[:, :, None, None]
        split = self.n_important < c
        groups = [(f1 * mask, c / self.n_important)]
        if split:
            groups.append((f1 * (1.0 - mask), c / (c - self.n_important)))
        descriptors = [
            torch.cat([g.mean(dim=1, keepdim=True) * scale, g.amax(dim=1, keepdim=True)], dim=1)
            for g, scale in groups
        ]  # (B, 2, H, W) per group
        if self.separate_norm:
            a_s = [self.spatial_attention(d) for d in descriptors]
        else:
            a_s = self.spatial_attention(torch.cat(descriptors, dim=0)).split(b, dim=0)
        out = a_s[0] * groups[0][0]
        self.record("spatial_important", a_s[0].squeeze(1))
        spatial = a_s[0] * self.n_important
        if split:
            out = out + a_s[1] * groups[1][0]
            self.record("spatial_subimportant", a_s[1].squeeze(1))
            spatial = spatial + a_s[1] * (c - self.n_important)
        self.record("spatial", spatial.squeeze(1) / c)
        if not self.residual:
            return out
        return torch.relu(out + x) if self.residual_relu else out + x


#: ``(separate_norm, residual_relu)`` per variant (see :func:`build_ham`).
HAM_VARIANTS = {"circulating": (True, True), "eeg": (True, False), "bci-attn-0.1": (False, True)}


@register(
    "ham",
    summary="HAM: ECA-like channel gate + channel-separated spatial gate (Li et al., PR 2022)",
    reference="no official code (Li et al., Pattern Recognition 2022); the circulating "
    "implementations (CASA_HAM / SpatialAttention_HAM)",
    differs="variant eeg: F'' + x instead of ReLU(F'' + x) (keeps signed EEG maps); "
    "bci-attn-0.1: the groups share one BatchNorm pass; convs without bias (CASA_HAM has "
    "them); EEG kernel (min(7, H), k_t ≈ 100 ms); C_im clamped to [1, C-1]; default eeg",
    version=2,
    legacy={"variant": "bci-attn-0.1"},
    aliases={"ratio": "separation_rate"},
)
def build_ham(
    fmap: FeatureMap,
    *,
    separation_rate: float = 0.6,
    channel_kernel: int | None = None,
    kernel_ms: float = 100.0,
    kernel_size: int | None = None,
    electrode_kernel: int = 7,
    residual: bool = True,
    variant: str = "eeg",
    residual_relu: bool | None = None,
) -> nn.Module:
    """Build HAM for ``fmap``.

    ``separation_rate`` is λ (``C_im = |λC|_even``, clamped, see
    :func:`important_channels`; old name ``ratio``); ``channel_kernel=None`` takes ECA's
    adaptive ``k``; the shared spatial kernel is ``(min(electrode_kernel, H), k_t)`` with
    ``k_t`` from ``kernel_size`` or ``kernel_ms``.

    ``variant``: ``"circulating"`` computes what the circulating implementations do
    (a BatchNorm pass per channel group, ``ReLU(F'' + x)``); ``"eeg"`` the same with
    ``F'' + x``, since the ReLU zeroes half of a signed EEG map; ``"bci-attn-0.1"`` shares one
    BatchNorm pass between the groups with ``ReLU(F'' + x)``, as bci-attn 0.1 did (kept to
    rebuild its runs). ``residual_relu`` overrides the variant's ReLU (``None``: as the
    variant).
    """
    separate_norm, relu = HAM_VARIANTS[choice("ham", "variant", variant, list(HAM_VARIANTS))]
    if residual_relu is not None:
        relu = flag("ham", "residual_relu", residual_relu)
    if channel_kernel is None:
        k_c = eca_kernel_size(fmap.channels)
    else:
        k_c = check_channel_kernel("ham", channel_kernel, fmap.channels, "channel_kernel")
    kernel = spatial_kernel(
        fmap,
        "ham",
        kernel_ms=kernel_ms,
        kernel_size=kernel_size,
        electrode_kernel=electrode_kernel,
    )
    return HybridAttention(
        fmap.channels,
        k_c,
        kernel,
        important_channels(
            fmap.channels, unit_fraction("ham", "separation_rate", separation_rate)
        ),
        flag("ham", "residual", residual),
        relu,
        separate_norm,
    )
