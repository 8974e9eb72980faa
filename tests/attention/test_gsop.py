"""GSoP: the official GSoP-Net channel attention, and braindecode's module as a variant."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from zoo_helpers import EEG_MAPS, assert_same_function, load_into, perturb

from bci_attn import attention


class GSoPChannelAttention(nn.Module):
    """Channel attention of ZilinGao/Global-Second-order-Pooling-Convolutional-Networks
    (torchvision/models/resnet.py ``Bottleneck.chan_att`` with ``MPNCOV.CovpoolLayer``,
    @ 662a699), written from those files: ``ReLU → conv_for_DR`` (1×1, bias) ``→
    bn_for_DR → ReLU``; covariance ``X Î Xᵀ`` with ``Î = I/M − 1/M²`` over the ``M = H·W``
    positions; ``row_bn``; ``row_conv_group`` (``(d, 1)`` kernel, ``d`` groups, ``4d``
    outputs, bias); ``fc_adapt_channels`` (1×1, bias); sigmoid; times the map. The stride-2
    reduction of the file's early stages and its fixed ``att_dim = 128`` are not used: ``d``
    is ours."""

    def __init__(self, channels: int, d: int) -> None:
        super().__init__()
        self.conv_for_dr = nn.Conv2d(channels, d, 1)
        self.bn_for_dr = nn.BatchNorm2d(d)
        self.row_bn = nn.BatchNorm2d(d)
        self.row_conv_group = nn.Conv2d(d, 4 * d, (d, 1), groups=d)
        self.fc_adapt_channels = nn.Conv2d(4 * d, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn_for_dr(self.conv_for_dr(torch.relu(x))))
        b, d, h, w = out.shape
        m = h * w
        flat = out.reshape(b, d, m)
        i_hat = -torch.ones(m, m) / m / m + torch.eye(m) / m
        cov = (flat @ i_hat @ flat.transpose(1, 2)).reshape(b, d, d, 1)
        att = self.fc_adapt_channels(self.row_conv_group(self.row_bn(cov)))
        return x * torch.sigmoid(att)


BN_KEYS = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


@pytest.mark.parametrize("shape", [(4, 8, 22, 32), (4, 16, 1, 32)])
def test_gsop_official_is_gsop_nets_channel_attention(shape: tuple[int, int, int, int]) -> None:
    _, c, h, w = shape
    ours = perturb(attention.create("gsop", c, height=h, width=w, reduction=4))
    names = {}
    for theirs, mine in (
        ("conv_for_dr", "reduce.1"),
        ("row_conv_group", "row_conv"),
        ("fc_adapt_channels", "expand"),
    ):
        names.update({f"{theirs}.{k}": f"{mine}.{k}" for k in ("weight", "bias")})
    names.update({f"bn_for_dr.{k}": f"reduce.2.{k}" for k in BN_KEYS})
    names.update({f"row_bn.{k}": f"row_bn.{k}" for k in BN_KEYS})
    reference = load_into(GSoPChannelAttention(c, c // 4), ours, names)
    assert_same_function(ours, reference, torch.randn(shape))


@pytest.mark.parametrize("shape", EEG_MAPS)
def test_gsop_official_is_a_gate_and_braindecodes_is_not(shape) -> None:
    """The official gate lies in (0, 1) and keeps every sign of the map; braindecode's scale
    is unbounded and signed, so it can flip or erase the map."""
    _, c, h, w = shape
    x = torch.randn(shape)
    official = perturb(attention.create("gsop", c, height=h, width=w))
    official(x)
    gate = official.attention_weights["channel"]
    assert bool(((gate > 0) & (gate < 1)).all())
    if h == 1:
        ported = perturb(attention.create("gsop", c, height=h, width=w, variant="braindecode"))
        ported(x)
        assert bool((ported.attention_weights["channel"] < 0).any())


def test_gsop_bias_option_applies_to_both_variants() -> None:
    official = attention.create("gsop", 16, height=1, width=32, bias=False)
    assert all(m.bias is None for m in official.modules() if isinstance(m, nn.Conv2d))
    ported = attention.create("gsop", 16, height=1, width=32, bias=False, variant="braindecode")
    assert ported.module.pw_conv1.bias is None
