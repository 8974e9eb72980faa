"""``danet``, ``danet-pam``, ``danet-cam``: Dual Attention Network (Fu et al., CVPR 2019).

Position attention (PAM) relates every position of the map to every other one; channel
attention (CAM) every feature channel to every other one. Both are residual with a learned
scale ``γ`` initialised to 0, so each module is the identity at initialisation.

On EEG maps the positions are ``N = H·W`` (electrodes × time samples): PAM's ``N × N``
attention on a 22-electrode, 1000-sample map would be a 22 000² matrix per trial, so PAM
refuses maps with more than ``max_positions`` positions and names the insertion points after
the spatial filter / pooling, where ``N`` is the number of time samples left.
"""

from __future__ import annotations

import torch
from torch import nn

from .base import AttentionModule, FeatureMap, hidden_width, positive_int
from .registry import register

#: The official code the modules of this file are checked against, ``{}`` naming its classes.
DA_ATT = "junfu1115/DANet encoding/nn/da_att.py {} @ b0a0fa0"

FITTING_POINTS = (
    "after the spatial filter and pooling: at='spatial' or 'separable' for eegnet, "
    "at='conv' or 'pool' for shallow"
)


def check_positions(module: str, height: int, width: int, max_positions: int) -> None:
    """Refuse a map whose ``N = H·W`` positions exceed ``max_positions``.

    Raises
    ------
    ValueError
        Naming the module, the map, the option and the insertion points where PAM fits.
    """
    n = height * width
    if n > max_positions:
        gib = n * n * 4 / 2**30
        raise ValueError(
            f"attention '{module}': position attention on a {height}×{width} map has "
            f"N = {n} positions and an N×N attention matrix ({gib:.1f} GiB per trial in "
            f"float32), more than option max_positions={max_positions}; place it where the "
            f"map is smaller, {FITTING_POINTS}, or raise max_positions"
        )


class PositionAttention(AttentionModule):
    """Position attention module (PAM) of DANet [Fu2019]_.

    ``Q, K = conv1×1(x)`` with ``C → C/8`` channels, ``V = conv1×1(x)`` with ``C → C``;
    ``A = softmax(Qᵀ K)`` (row-wise over the ``N = H·W`` positions),
    ``y = γ·(V Aᵀ) + x`` with ``γ`` initialised to 0.

    Parameters
    ----------
    channels : int
        Feature channels ``C``.
    key_channels : int
        Width of queries and keys (``C // 8`` in the paper, at least 1 here).
    max_positions : int
        Largest ``N = H·W`` accepted; larger maps raise a ValueError at forward time too.
    name : str
        Registry name used in error messages.

    Notes
    -----
    Records ``"position"`` ``(B, N, N)``: row ``i`` holds the weights with which position
    ``i`` gathers the others, positions flattened electrode-major (``n = h·W + w``).
    Keeping it costs one more ``B·N²`` tensor until the next forward.

    References
    ----------
    .. [Fu2019] Fu, J., Liu, J., Tian, H., Li, Y., Bao, Y., Fang, Z., Lu, H., 2019.
        Dual Attention Network for Scene Segmentation. CVPR 2019.
    """

    def __init__(
        self, channels: int, key_channels: int, max_positions: int, name: str = "danet-pam"
    ) -> None:
        super().__init__()
        self.name = name
        self.max_positions = max_positions
        self.query = nn.Conv2d(channels, key_channels, 1)
        self.key = nn.Conv2d(channels, key_channels, 1)
        self.value = nn.Conv2d(channels, channels, 1)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, H, W)``."""
        b, c, h, w = x.shape
        check_positions(self.name, h, w, self.max_positions)
        q = self.query(x).flatten(2).transpose(1, 2)  # (B, N, C')
        k = self.key(x).flatten(2)  # (B, C', N)
        attn = self.record("position", torch.softmax(torch.bmm(q, k), dim=-1))  # (B, N, N)
        v = self.value(x).flatten(2)  # (B, C, N)
        out = torch.bmm(v, attn.transpose(1, 2)).view(b, c, h, w)
        return self.gamma * out + x


class ChannelAttention(AttentionModule):
    """Channel attention module (CAM) of DANet (Fu et al., CVPR 2019).

    With ``X`` the map as ``(B, C, N)``: ``E = X Xᵀ`` ``(B, C, C)``,
    ``A = softmax(max(E) − E)`` (row-wise; ``max`` over each row, as in the official code),
    ``y = γ·(A X) + x`` with ``γ`` initialised to 0. No parameters besides ``γ``.

    Notes
    -----
    Records ``"channel_matrix"`` ``(B, C, C)``: the channel-to-channel attention ``A``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, H, W)``."""
        flat = x.flatten(2)  # (B, C, N)
        energy = torch.bmm(flat, flat.transpose(1, 2))  # (B, C, C)
        energy = energy.amax(dim=-1, keepdim=True) - energy
        attn = self.record("channel_matrix", torch.softmax(energy, dim=-1))
        out = torch.bmm(attn, flat).view_as(x)
        return self.gamma * out + x


class DualAttention(AttentionModule):
    """DANet's two branches in parallel (Fu et al., CVPR 2019): ``y = PAM(x) + CAM(x) − x``.

    The paper's head sums the outputs of the two branches. Each branch already adds the
    input (``PAM(x) = x + γ_p·…``, ``CAM(x) = x + γ_c·…``), so the plain sum would be
    ``2x`` at initialisation; subtracting one ``x`` keeps a single residual path,
    ``y = x + γ_p·(V Aᵀ) + γ_c·(A X)``, which is exactly ``x`` while both ``γ`` are 0.
    (In the paper each branch sits between its own 3×3 convs inside the segmentation head;
    here the module is inserted into a backbone and has no extra convs.)

    Notes
    -----
    Records the branches' ``"position"`` ``(B, N, N)`` and ``"channel_matrix"``
    ``(B, C, C)``.
    """

    def __init__(self, channels: int, key_channels: int, max_positions: int) -> None:
        super().__init__()
        self.pam = PositionAttention(channels, key_channels, max_positions, name="danet")
        self.cam = ChannelAttention()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, H, W)``."""
        y = self.pam(x) + self.cam(x) - x
        self.attention_weights = {**self.pam.attention_weights, **self.cam.attention_weights}
        return y


def _pam_options(
    fmap: FeatureMap, module: str, reduction: int, max_positions: int
) -> tuple[int, int]:
    """``(key_channels, max_positions)`` after checking the options and the map size."""
    key_channels = hidden_width(fmap.channels, positive_int(module, "reduction", reduction))
    max_positions = positive_int(module, "max_positions", max_positions)
    if fmap.width is not None:
        check_positions(module, fmap.height, fmap.width, max_positions)
    return key_channels, max_positions


@register(
    "danet",
    summary="Dual Attention Network: position + channel self-attention, γ=0 at init "
    "(Fu et al., CVPR 2019)",
    reference=DA_ATT.format("PAM_Module, CAM_Module"),
    differs="PAM(x) + CAM(x) - x: the two branches on the map itself, without the "
    "segmentation head's 3x3 conv + BN + ReLU around each; key width >= 1; maps over "
    "max_positions positions refused",
)
def build_danet(fmap: FeatureMap, *, reduction: int = 8, max_positions: int = 4096) -> nn.Module:
    """``PAM(x) + CAM(x) − x``; queries/keys ``max(1, C // reduction)`` wide; maps with more
    than ``max_positions`` positions ``H·W`` are refused."""
    key_channels, max_positions = _pam_options(fmap, "danet", reduction, max_positions)
    return DualAttention(fmap.channels, key_channels, max_positions)


@register(
    "danet-pam",
    summary="DANet's position attention module alone, γ=0 at init (Fu et al., CVPR 2019)",
    reference=DA_ATT.format("PAM_Module"),
    differs="nothing besides key width >= 1 and the max_positions guard",
)
def build_danet_pam(
    fmap: FeatureMap, *, reduction: int = 8, max_positions: int = 4096
) -> nn.Module:
    """PAM with queries/keys ``max(1, C // reduction)`` wide; maps with more than
    ``max_positions`` positions ``H·W`` are refused."""
    key_channels, max_positions = _pam_options(fmap, "danet-pam", reduction, max_positions)
    return PositionAttention(fmap.channels, key_channels, max_positions)


@register(
    "danet-cam",
    summary="DANet's channel attention module alone, γ=0 at init (Fu et al., CVPR 2019)",
    reference=DA_ATT.format("CAM_Module"),
    differs="nothing",
)
def build_danet_cam(fmap: FeatureMap) -> nn.Module:
    """CAM: ``C × C`` attention, parameter-free besides ``γ``; fits any map size."""
    return ChannelAttention()
