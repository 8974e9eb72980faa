"""SE: the paper's formula, and timm's SEModule with the same weights."""

from __future__ import annotations

import pytest
import torch
from timm.layers import SEModule, create_attn
from zoo_helpers import EEG_MAPS, assert_same_function, load_into, n_params, perturb

from bci_attn import attention
from bci_attn.attention import hidden_width


@pytest.mark.parametrize("channels", [1, 8, 16, 40])
@pytest.mark.parametrize("reduction", [1, 4, 16])
def test_se_parameter_count(channels: int, reduction: int) -> None:
    hidden = hidden_width(channels, reduction)
    assert hidden == max(1, channels // reduction)
    module = attention.create("se", channels, reduction=reduction, variant="paper")
    assert n_params(module) == 2 * channels * hidden
    module = attention.create("se", channels, reduction=reduction, bias=True, variant="paper")
    assert n_params(module) == 2 * channels * hidden + hidden + channels
    module = attention.create("se", channels, reduction=reduction)  # official: biases
    assert n_params(module) == 2 * channels * hidden + hidden + channels
    module = attention.create("se", channels, reduction=reduction, bias=False)
    assert n_params(module) == 2 * channels * hidden


def test_se_formula() -> None:
    module = attention.create("se", 8, reduction=4, variant="paper")
    x = torch.randn(3, 8, 4, 20)
    w1 = module.fc1.weight.flatten(1)  # (2, 8)
    w2 = module.fc2.weight.flatten(1)  # (8, 2)
    s = torch.sigmoid(torch.relu(x.mean(dim=(2, 3)) @ w1.T) @ w2.T)
    torch.testing.assert_close(module(x), x * s[:, :, None, None])
    torch.testing.assert_close(module.attention_weights["channel"], s)


@pytest.mark.parametrize("shape", EEG_MAPS)
def test_se_official_is_timms_se_module(shape: tuple[int, int, int, int]) -> None:
    """timm 1.0.31 ``timm.layers.SEModule`` (``create_attn("se", ...)``), biases on."""
    c = shape[1]
    ours = perturb(attention.create("se", c, height=shape[2], width=shape[3], reduction=4))
    timm_se = SEModule(c, rd_channels=hidden_width(c, 4), bias=True)
    assert type(create_attn("se", c)) is SEModule
    names = {k: k for k in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")}
    assert_same_function(ours, load_into(timm_se, ours, names), torch.randn(shape))


def test_se_paper_is_timms_se_module_without_biases() -> None:
    ours = perturb(attention.create("se", 16, reduction=4, variant="paper"))
    timm_se = SEModule(16, rd_channels=4, bias=False)
    names = {"fc1.weight": "fc1.weight", "fc2.weight": "fc2.weight"}
    assert_same_function(ours, load_into(timm_se, ours, names), torch.randn(4, 16, 1, 32))
