"""External attention: parameter count, initialisation, double normalisation, and EANet's
``External_attention``."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from zoo_helpers import EEG_MAPS, assert_same_function, load_into, n_params, perturb

from bci_attn import attention


def test_external_parameter_count_and_init():
    c, s = 16, 64
    module = attention.create("external", c, height=1, width=64)
    assert n_params(module) == (c * c + c) + c * s + s * c + c * c + 2 * c
    m_k = module.memory_key.weight
    m_v = module.memory_value.weight
    assert torch.equal(m_v, m_k.permute(1, 0, 2))
    assert m_v.data_ptr() != m_k.data_ptr()  # a copy, not the official code's tied view


def test_external_double_normalisation():
    module = attention.create("external", 16, height=2, width=30)
    x = torch.randn(3, 16, 2, 30)
    assert module(x).shape == x.shape
    memory = module.attention_weights["memory"]
    assert memory.shape == (3, 64, 60)
    assert memory.sum(dim=1).allclose(torch.ones(3, 60), atol=1e-6)  # columns over S


class ExternalAttention(nn.Module):
    """``External_attention`` of MenghaoGuo/EANet (model_torch.py @ 59c03cb), written from
    that file: ``conv1`` 1×1 with bias; ``linear_0`` ``Conv1d(C, 64, 1)`` without bias;
    softmax over the positions; division by ``1e-9 + Σ_S``; ``linear_1`` whose weight *is*
    ``linear_0``'s, permuted (the file ties their storage); ``conv2``: 1×1 conv without bias
    and BatchNorm; ``ReLU(· + x)``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 1)
        self.linear_0 = nn.Conv1d(channels, 64, 1, bias=False)
        self.conv2 = nn.Sequential(
            nn.Conv2d(channels, channels, 1, bias=False), nn.BatchNorm2d(channels)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        attn = torch.softmax(self.linear_0(self.conv1(x).reshape(b, c, h * w)), dim=-1)
        attn = attn / (1e-9 + attn.sum(dim=1, keepdim=True))
        out = F.conv1d(attn, self.linear_0.weight.permute(1, 0, 2)).reshape(b, c, h, w)
        return torch.relu(self.conv2(out) + x)


@pytest.mark.parametrize("shape", EEG_MAPS)
def test_external_official_is_eanets_external_attention(shape) -> None:
    _, c, h, w = shape
    ours = perturb(attention.create("external", c, height=h, width=w, variant="official"))
    with torch.no_grad():  # the official memories are one tensor
        ours.memory_value.weight.copy_(ours.memory_key.weight.permute(1, 0, 2))
    names = {
        "conv1.weight": "conv_in.weight",
        "conv1.bias": "conv_in.bias",
        "linear_0.weight": "memory_key.weight",
        "conv2.0.weight": "conv_out.weight",
    }
    for key in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
        names[f"conv2.1.{key}"] = f"bn.{key}"
    reference = load_into(ExternalAttention(c), ours, names)
    assert_same_function(ours, reference, torch.randn(shape))


def test_external_eeg_drops_the_final_relu() -> None:
    eeg = perturb(attention.create("external", 16, height=1, width=32))
    official = attention.create("external", 16, height=1, width=32, variant="official")
    official.load_state_dict(eeg.state_dict())
    x = torch.randn(4, 16, 1, 32)
    y = eeg.eval()(x)
    torch.testing.assert_close(official.eval()(x), torch.relu(y))
    assert (y < 0).float().mean() > 0.3
    assert attention.create("external", 16, relu=True).relu  # the 0.1 option still applies
