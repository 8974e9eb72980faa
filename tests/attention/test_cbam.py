"""CBAM: EEG kernels, the paper's formula, and the official code (timm's CbamModule and
Jongchan/attention-module) with the same weights."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from timm.layers import create_attn
from timm.layers.cbam import CbamModule
from torch import nn
from zoo_helpers import EEG_MAPS, assert_same_function, load_into, middle_row, perturb

from bci_attn import attention
from bci_attn.attention import hidden_width


def test_cbam_kernel_shape() -> None:
    # 100 ms at 128 Hz = 12.8 samples -> 13; electrode kernel min(7, H)
    assert attention.create("cbam", 8, height=8, width=129, sfreq=128.0).spatial.kernel_size == (
        7,
        13,
    )
    assert attention.create("cbam", 16, height=1, width=33, sfreq=32.0).spatial.kernel_size == (
        1,
        3,
    )
    module = attention.create("cbam", 16, height=3, width=33, kernel_size=5)
    assert module.spatial.kernel_size == (3, 5)
    with pytest.raises(ValueError, match="'cbam'.*kernel_size"):
        attention.create("cbam", 16, height=1, width=33, kernel_size=35)
    # an even min(7, H) is raised to odd: symmetric "same" padding
    assert attention.create("cbam", 8, height=4, width=33, kernel_size=5).spatial.kernel_size == (
        5,
        5,
    )
    with pytest.raises(ValueError, match="'cbam'.*kernel_size.*odd"):
        attention.create("cbam", 16, height=1, width=33, kernel_size=4)
    with pytest.raises(ValueError, match="'ham'.*electrode_kernel.*odd"):
        attention.create("ham", 16, height=8, width=33, kernel_size=3, electrode_kernel=4)
    with pytest.raises(ValueError, match="'cbam'.*sfreq"):
        attention.create("cbam", 16, height=1, width=33)
    with pytest.raises(ValueError, match="'cbam'.*kernel_ms"):
        attention.create("cbam", 16, height=1, width=33, sfreq=32.0, kernel_ms=-1)


def test_cbam_paper_formula() -> None:
    module = attention.create(
        "cbam", 8, height=5, width=40, kernel_size=7, reduction=2, variant="paper"
    )
    x = torch.randn(3, 8, 5, 40)
    w1 = module.mlp[0].weight.flatten(1)
    w2 = module.mlp[2].weight.flatten(1)

    def mlp(v: torch.Tensor) -> torch.Tensor:
        return torch.relu(v @ w1.T) @ w2.T

    m_c = torch.sigmoid(mlp(x.mean(dim=(2, 3))) + mlp(x.flatten(2).max(dim=2).values))
    xc = x * m_c[:, :, None, None]
    pooled = torch.stack([xc.mean(dim=1), xc.max(dim=1).values], dim=1)
    conv = F.conv2d(pooled, module.spatial.weight, module.spatial.bias, padding=(2, 3))
    m_s = torch.sigmoid(conv)
    torch.testing.assert_close(module(x), xc * m_s)
    torch.testing.assert_close(module.attention_weights["channel"], m_c)
    torch.testing.assert_close(module.attention_weights["spatial"], m_s[:, 0])


def official_cbam(shape: tuple[int, int, int, int]) -> nn.Module:
    """Our official CBAM on ``shape`` with a 7-tap kernel (7×7 where the map has 7+ rows)."""
    return perturb(
        attention.create("cbam", shape[1], height=shape[2], width=shape[3], kernel_size=7)
    )


def square_kernel(state: dict[str, torch.Tensor]) -> torch.Tensor:
    """Our spatial kernel as the 7×7 one the image code has (see ``middle_row``)."""
    kernel = state["spatial.weight"]
    return kernel if kernel.shape[-2] == 7 else middle_row(kernel, 7)


@pytest.mark.parametrize("shape", EEG_MAPS)
def test_cbam_official_is_timms_cbam_module(shape: tuple[int, int, int, int]) -> None:
    """timm 1.0.31 ``CbamModule`` (``create_attn("cbam", ...)``) with the official MLP biases
    (``mlp_bias=True``) and the official BatchNorm momentum 0.01 (timm's default is 0.1)."""
    c = shape[1]
    ours = official_cbam(shape)
    timm_cbam = CbamModule(c, rd_channels=hidden_width(c, 4), spatial_kernel_size=7, mlp_bias=True)
    assert type(create_attn("cbam", c)) is CbamModule
    timm_cbam.spatial.conv.bn.momentum = 0.01
    names = {
        "channel.fc1.weight": "mlp.0.weight",
        "channel.fc1.bias": "mlp.0.bias",
        "channel.fc2.weight": "mlp.2.weight",
        "channel.fc2.bias": "mlp.2.bias",
        "spatial.conv.conv.weight": square_kernel,
    }
    for key in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
        names[f"spatial.conv.bn.{key}"] = f"spatial_bn.{key}"
    assert_same_function(ours, load_into(timm_cbam, ours, names), torch.randn(shape))


class JongchanCBAM(nn.Module):
    """CBAM as Jongchan/attention-module MODELS/cbam.py (@ 459efad) computes it, written from
    that file: ``nn.Linear`` MLP with biases on the flattened global average and max; the
    channel pool stacks ``[max; mean]``; ``BasicConv``: 7×7 conv (padding 3, no bias) and
    ``BatchNorm2d(eps=1e-5, momentum=0.01)``, no ReLU; sigmoid gates."""

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(channels, hidden)
        self.fc2 = nn.Linear(hidden, channels)
        self.conv = nn.Conv2d(2, 1, 7, padding=3, bias=False)
        self.bn = nn.BatchNorm2d(1, eps=1e-5, momentum=0.01)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        def mlp(v: torch.Tensor) -> torch.Tensor:
            return self.fc2(torch.relu(self.fc1(v)))

        logits = mlp(x.mean(dim=(2, 3))) + mlp(x.amax(dim=(2, 3)))
        x = x * torch.sigmoid(logits)[:, :, None, None]
        pooled = torch.cat([x.amax(dim=1, keepdim=True), x.mean(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.bn(self.conv(pooled)))


@pytest.mark.parametrize("shape", EEG_MAPS)
def test_cbam_official_is_the_authors_cbam(shape: tuple[int, int, int, int]) -> None:
    c = shape[1]
    ours = official_cbam(shape)
    names = {
        "fc1.weight": lambda s: s["mlp.0.weight"].flatten(1),
        "fc1.bias": "mlp.0.bias",
        "fc2.weight": lambda s: s["mlp.2.weight"].flatten(1),
        "fc2.bias": "mlp.2.bias",
        "conv.weight": lambda s: square_kernel(s).flip(1),  # [max; mean] planes
    }
    for key in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
        names[f"bn.{key}"] = f"spatial_bn.{key}"
    reference = load_into(JongchanCBAM(c, hidden_width(c, 4)), ours, names)
    assert_same_function(ours, reference, torch.randn(shape))


def test_cbam_paper_differs_from_the_official_code_as_documented() -> None:
    paper = attention.create("cbam", 16, height=1, width=32, kernel_size=7, variant="paper")
    official = attention.create("cbam", 16, height=1, width=32, kernel_size=7)
    assert paper.mlp[0].bias is None and official.mlp[0].bias is not None
    assert paper.spatial.bias is not None and official.spatial.bias is None
    assert isinstance(paper.spatial_bn, nn.Identity)
    assert isinstance(official.spatial_bn, nn.BatchNorm2d) and official.spatial_bn.momentum == 0.01
