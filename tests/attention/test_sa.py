"""Shuffle Attention: group split and shuffle order, and SA-Net's ``sa_layer``."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from zoo_helpers import EEG_MAPS, assert_same_function, n_params, perturb

from bci_attn import attention
from bci_attn.attention.sa import channel_shuffle, default_groups


@pytest.mark.parametrize(
    ("channels", "groups"), [(2, 1), (6, 3), (8, 4), (12, 6), (16, 8), (40, 5)]
)
def test_sa_default_groups(channels: int, groups: int) -> None:
    assert default_groups(channels) == groups
    module = attention.create("sa", channels)
    assert module.groups == groups
    assert n_params(module) == 6 * channels // (2 * groups)


def test_sa_group_split_and_shuffle_order() -> None:
    module = attention.create("sa", 8, groups=2)  # 2 groups of 4 channels, halves of 2
    with torch.no_grad():
        for p in (module.cweight, module.cbias, module.sweight, module.sbias):
            p.normal_()
        module.gn.weight.normal_()
        module.gn.bias.normal_()
    x = torch.randn(3, 8, 2, 11)
    pre = torch.empty_like(x)
    for g in range(2):
        for i in range(2):
            c0, c1 = 4 * g + i, 4 * g + 2 + i  # channel half, spatial half
            v = x[:, c0]
            gap = v.mean(dim=(1, 2), keepdim=True)
            gate = torch.sigmoid(module.cweight[0, i, 0, 0] * gap + module.cbias[0, i, 0, 0])
            pre[:, c0] = v * gate
            v = x[:, c1]
            mean = v.mean(dim=(1, 2), keepdim=True)
            var = v.var(dim=(1, 2), unbiased=False, keepdim=True)
            gn = (v - mean) / torch.sqrt(var + module.gn.eps)
            gn = gn * module.gn.weight[i] + module.gn.bias[i]
            pre[:, c1] = v * torch.sigmoid(
                module.sweight[0, i, 0, 0] * gn + module.sbias[0, i, 0, 0]
            )
    # channel shuffle with 2 groups: output channel 2i + j is pre-shuffle channel 4j + i
    order = [0, 4, 1, 5, 2, 6, 3, 7]
    torch.testing.assert_close(module(x), pre[:, order])
    torch.testing.assert_close(
        channel_shuffle(torch.arange(8.0).view(1, 8, 1, 1), 2).flatten(),
        torch.tensor(order, dtype=torch.float),
    )


def test_sa_init_and_refusals() -> None:
    module = attention.create("sa", 16)
    assert torch.all(module.cweight == 0) and torch.all(module.cbias == 1)
    assert torch.all(module.sweight == 0) and torch.all(module.sbias == 1)
    x = torch.randn(2, 16, 1, 20)
    # at init every gate is sigma(1): the output is the shuffled, scaled input
    torch.testing.assert_close(module(x), channel_shuffle(x, 2) * torch.sigmoid(torch.tensor(1.0)))
    with pytest.raises(ValueError, match=r"'sa'.*groups.*allowed: 1, 2, 4"):
        attention.create("sa", 8, groups=3)
    with pytest.raises(ValueError, match="'sa'.*even"):
        attention.create("sa", 1, height=8, width=64)


def sa_layer(x: torch.Tensor, groups: int, state: dict[str, torch.Tensor]) -> torch.Tensor:
    """``sa_layer.forward`` of wofmanaf/SA-Net (models/sa_resnet.py @ 00a6760), written from
    that file, with the layer's parameters in ``state``: reshape to ``(B·G, C/G, H, W)``,
    halve; channel half ``x₀·σ(cweight·GAP(x₀) + cbias)``, spatial half
    ``x₁·σ(sweight·GN(x₁) + sbias)`` with ``GroupNorm(n, n)``; concatenate, reshape back,
    ``reshape(b, 2, -1, h, w).permute(0, 2, 1, 3, 4)`` shuffle."""
    b, c, h, w = x.shape
    x0, x1 = x.reshape(b * groups, -1, h, w).chunk(2, dim=1)
    gap = x0.mean(dim=(2, 3), keepdim=True)
    xn = x0 * torch.sigmoid(state["cweight"] * gap + state["cbias"])
    gn = F.group_norm(x1, x1.shape[1], state["gn.weight"], state["gn.bias"])
    xs = x1 * torch.sigmoid(state["sweight"] * gn + state["sbias"])
    out = torch.cat([xn, xs], dim=1).reshape(b, -1, h, w)
    return out.reshape(b, 2, -1, h, w).permute(0, 2, 1, 3, 4).reshape(b, -1, h, w)


@pytest.mark.parametrize("shape", EEG_MAPS)
def test_sa_is_sa_nets_sa_layer(shape: tuple[int, int, int, int]) -> None:
    ours = perturb(attention.create("sa", shape[1]))
    state = {k: v.clone() for k, v in ours.state_dict().items()}
    assert_same_function(ours, lambda x: sa_layer(x, ours.groups, state), torch.randn(shape))
