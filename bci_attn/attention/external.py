"""``external``: External Attention with two learned memories (Guo et al., 2021, EANet)."""

from __future__ import annotations

import math

import torch
from torch import nn

from .base import AttentionModule, FeatureMap, choice, flag, positive_int
from .registry import register


class ExternalAttention(AttentionModule):
    """External attention [Guo2021]_, as in EANet's segmentation head.

    With ``x`` the ``(B, C, H, W)`` map and ``N = H·W``::

        f    = conv1×1(x)                      (B, C, N)
        attn = M_k f                            (B, S, N)   memory of S units, Conv1d C→S
        attn = softmax(attn) over positions N
        attn = attn / Σ_S attn                  double normalisation
        out  = BN(conv1×1(M_v attn))            (B, C, H, W), M_v: Conv1d S→C
        y    = ReLU(out + x)                    (relu=True, the official code), else out + x

    Linear in ``N``, so it fits every insertion point. Nothing in it is EEG-specific: the
    1×1 convolutions and the memories act per position; but the final ReLU zeroes the
    negative half of a signed EEG map (raw EEG, BatchNorm or ELU outputs).

    Parameters
    ----------
    channels : int
        Feature channels ``C``.
    memory : int
        Memory units ``S`` (64 in the paper).
    relu : bool
        Apply the final ReLU of the official code (``False`` leaves ``out + x``).

    Notes
    -----
    Initialisation as in the official code: convolution weights ``N(0, 2/n)`` with ``n``
    the fan-out, BN scale 1 and shift 0, ``M_v = M_kᵀ``. The official code assigns
    ``linear_1.weight.data = linear_0.weight.data.permute(1, 0, 2)``, a *view* that ties the
    two memories' storage (and then re-initialises that storage with ``linear_1``'s fan-out,
    ``C``); here ``M_v`` starts as a copy of ``M_kᵀ`` and trains on its own, as the paper
    describes two independent memories. The forward function is the official one.

    Records ``"memory"`` ``(B, S, N)``: the doubly normalised attention (each column sums to
    1 over the ``S`` units), positions flattened electrode-major.

    References
    ----------
    .. [Guo2021] Guo, M.-H., Liu, Z.-N., Mu, T.-J., Hu, S.-M., 2021. Beyond Self-attention:
        External Attention using Two Linear Layers for Visual Tasks. arXiv 2105.02358
        (IEEE TPAMI 2022).
    """

    def __init__(self, channels: int, memory: int, relu: bool) -> None:
        super().__init__()
        self.relu = relu
        self.conv_in = nn.Conv2d(channels, channels, 1)
        self.memory_key = nn.Conv1d(channels, memory, 1, bias=False)
        self.memory_value = nn.Conv1d(memory, channels, 1, bias=False)
        self.conv_out = nn.Conv2d(channels, channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(channels)
        self._init_weights()

    def _init_weights(self) -> None:
        for conv in (self.conv_in, self.memory_key, self.conv_out):
            fan_out = conv.out_channels * math.prod(conv.kernel_size)
            nn.init.normal_(conv.weight, 0.0, math.sqrt(2.0 / fan_out))
        with torch.no_grad():
            self.memory_value.weight.copy_(self.memory_key.weight.permute(1, 0, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → ``(B, C, H, W)``."""
        f = self.conv_in(x).flatten(2)  # (B, C, N)
        attn = torch.softmax(self.memory_key(f), dim=-1)  # (B, S, N)
        attn = self.record("memory", attn / (1e-9 + attn.sum(dim=1, keepdim=True)))
        out = self.bn(self.conv_out(self.memory_value(attn).view_as(x)))
        out = out + x
        return torch.relu(out) if self.relu else out


#: Final ReLU per variant (see :func:`build_external`).
EXTERNAL_RELU = {"official": True, "eeg": False}


@register(
    "external",
    summary="External Attention: two learned memories, double normalisation, linear in N "
    "(EANet, Guo et al., 2021)",
    reference="MenghaoGuo/EANet model_torch.py External_attention @ 59c03cb",
    differs="variant eeg: out + x without the final ReLU (keeps signed EEG maps); M_v an "
    "untied copy of M_k^T at init (the official code ties their storage); default eeg",
    version=2,
    legacy={"variant": "official"},
)
def build_external(
    fmap: FeatureMap, *, memory: int = 64, variant: str = "eeg", relu: bool | None = None
) -> nn.Module:
    """External attention with ``memory`` units.

    ``variant``: ``"official"`` ends with ``ReLU(out + x)`` as EANet's code (bci-attn 0.1's
    default); ``"eeg"`` returns ``out + x``, since the ReLU clips the negative half of a
    signed EEG map. ``relu`` overrides the variant's ReLU (``None``: as the variant).
    """
    variant = choice("external", "variant", variant, list(EXTERNAL_RELU))
    relu = EXTERNAL_RELU[variant] if relu is None else flag("external", "relu", relu)
    return ExternalAttention(fmap.channels, positive_int("external", "memory", memory), relu)
