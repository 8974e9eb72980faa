"""ECA: the adaptive kernel, the formula, and timm's EcaModule with the same weights."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from timm.layers import EcaModule
from zoo_helpers import EEG_MAPS, assert_same_function, load_into, n_params, perturb

from bci_attn import attention
from bci_attn.attention.eca import eca_kernel_size


@pytest.mark.parametrize(
    ("channels", "k"),
    [(1, 1), (4, 1), (7, 1), (8, 3), (16, 3), (40, 3), (64, 3), (128, 5), (256, 5), (512, 5)],
)
def test_eca_adaptive_kernel(channels: int, k: int) -> None:
    t = int(abs(math.log2(channels) / 2 + 1 / 2))
    assert eca_kernel_size(channels) == k == (t if t % 2 else t + 1)
    module = attention.create("eca", channels)
    assert module.conv.kernel_size == (k,)
    assert n_params(module) == k


def test_eca_explicit_kernel_and_formula() -> None:
    module = attention.create("eca", 16, kernel_size=5)
    assert n_params(module) == 5
    x = torch.randn(2, 16, 3, 10)
    w = module.conv.weight.flatten()
    y = F.pad(x.mean(dim=(2, 3)), (2, 2))
    conv = torch.stack([(y[:, i : i + 5] * w).sum(1) for i in range(16)], dim=1)
    torch.testing.assert_close(module(x), x * torch.sigmoid(conv)[:, :, None, None])
    for bad in (2, 0, 17, 3.0):
        with pytest.raises(ValueError, match="'eca'.*kernel_size"):
            attention.create("eca", 16, kernel_size=bad)


@pytest.mark.parametrize("shape", EEG_MAPS)
def test_eca_is_timms_eca_module(shape: tuple[int, int, int, int]) -> None:
    """timm 1.0.31 ``EcaModule(channels=C)``: the same adaptive kernel for C >= 8; BangguWu/
    ECANet's ``eca_layer`` (models/eca_module.py @ b332f6b) is the same computation with the
    kernel given."""
    c = shape[1]
    ours = perturb(attention.create("eca", c))
    reference = load_into(EcaModule(channels=c), ours, {"conv.weight": "conv.weight"})
    assert_same_function(ours, reference, torch.randn(shape))


def test_eca_keeps_the_papers_kernel_below_eight_channels() -> None:
    """The documented difference: the paper's formula gives k = 1 on 4 channels, timm raises
    it to 3; with the kernel given, the two agree."""
    assert attention.create("eca", 4).conv.kernel_size == (1,)
    assert EcaModule(channels=4).conv.kernel_size == (3,)
    ours = perturb(attention.create("eca", 4, kernel_size=3))
    reference = load_into(EcaModule(kernel_size=3), ours, {"conv.weight": "conv.weight"})
    assert_same_function(ours, reference, torch.randn(4, 4, 22, 16))
