"""SCNet's self-calibrated convolution in its bottleneck, against the official code."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from zoo_helpers import assert_same_function, load_into, perturb

from bci_attn import attention


def conv3_bn(channels: int, pool: bool = False) -> nn.Sequential:
    layers = [nn.AvgPool2d(4, 4)] if pool else []
    return nn.Sequential(
        *layers, nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)
    )


class SCBottleneck(nn.Module):
    """``SCBottleneck`` with its ``SCConv`` as MCG-NKU/SCNet (scnet.py @ c0b5bd6) computes
    them, written from that file, for ``inplanes = 4·planes`` (no stride, no down-sampling,
    cardinality 1): two 1×1 convs ``C → w`` (+ BN, ReLU); the plain path ``k1`` (3×3 conv +
    BN) and ReLU; the self-calibrated path ``k4(k3(x)·σ(x + interpolate(k2(x))))`` with
    ``k2 = AvgPool2d(4, 4) → conv → BN`` and ReLU; ``conv3`` 1×1 + BN on the concatenation;
    ``ReLU(· + x)``."""

    def __init__(self, channels: int, width: int) -> None:
        super().__init__()
        self.conv1_a = nn.Conv2d(channels, width, 1, bias=False)
        self.bn1_a = nn.BatchNorm2d(width)
        self.conv1_b = nn.Conv2d(channels, width, 1, bias=False)
        self.bn1_b = nn.BatchNorm2d(width)
        self.k1 = conv3_bn(width)
        self.k2 = conv3_bn(width, pool=True)
        self.k3 = conv3_bn(width)
        self.k4 = conv3_bn(width)
        self.conv3 = nn.Conv2d(2 * width, channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = torch.relu(self.bn1_a(self.conv1_a(x)))
        b = torch.relu(self.bn1_b(self.conv1_b(x)))
        a = torch.relu(self.k1(a))
        gate = torch.sigmoid(b + F.interpolate(self.k2(b), b.shape[2:]))
        b = torch.relu(self.k4(self.k3(b) * gate))
        return torch.relu(self.bn3(self.conv3(torch.cat([a, b], dim=1))) + x)


BN_KEYS = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def conv_bn_names(theirs: str, ours: str, first: int = 0) -> dict[str, str]:
    names = {f"{theirs}.{first}.weight": f"{ours}.0.weight"}
    names.update({f"{theirs}.{first + 1}.{k}": f"{ours}.1.{k}" for k in BN_KEYS})
    return names


@pytest.mark.parametrize("shape", [(4, 8, 22, 128), (4, 16, 22, 32)])
def test_scnet_official_is_scnets_bottleneck(shape: tuple[int, int, int, int]) -> None:
    """On maps with electrodes: the official ``AvgPool2d(4)`` pools 4 electrodes too, and
    cannot run on a single row (the EEG default pools time only, see the docstring)."""
    _, c, h, w = shape
    ours = perturb(
        attention.create(
            "scnet", c, height=h, width=w, kernel_size=3, electrode_pooling=4, variant="official"
        )
    )
    width = c // 8
    names = {"conv1_a.weight": "reduce_a.0.weight", "conv1_b.weight": "reduce_b.0.weight"}
    for side in ("a", "b"):
        names.update({f"bn1_{side}.{k}": f"reduce_{side}.1.{k}" for k in BN_KEYS})
    names.update(conv_bn_names("k1", "k1"))
    names.update(conv_bn_names("k2", "scconv.k2", first=1))
    names.update(conv_bn_names("k3", "scconv.k3"))
    names.update(conv_bn_names("k4", "scconv.k4"))
    names["conv3.weight"] = "expand.0.weight"
    names.update({f"bn3.{k}": f"expand.1.{k}" for k in BN_KEYS})
    reference = load_into(SCBottleneck(c, width), ours, names)
    assert_same_function(ours, reference, torch.randn(shape))


def test_scnet_eeg_keeps_the_identity_without_the_relu() -> None:
    eeg = perturb(attention.create("scnet", 16, height=1, width=32, sfreq=64.0))
    official = attention.create("scnet", 16, height=1, width=32, sfreq=64.0, variant="official")
    official.load_state_dict(eeg.state_dict())
    x = torch.randn(4, 16, 1, 32)
    y = eeg.eval()(x)
    torch.testing.assert_close(official.eval()(x), torch.relu(y))
    assert torch.corrcoef(torch.stack([y.flatten(), x.flatten()]))[0, 1] > 0.5
    assert eeg.attention_weights["spatial"].shape == (4, 1, 32)


@pytest.mark.parametrize(("channels", "width"), [(1, 1), (8, 1), (16, 2), (40, 5)])
def test_scnet_widths_and_pooling_fit_eeg_maps(channels: int, width: int) -> None:
    module = attention.create("scnet", channels, height=1, width=9, sfreq=32.0)
    assert module.reduce_a[0].out_channels == width
    assert module.k1[0].kernel_size == (1, 3)  # 100 ms at 32 Hz, one row
    x = torch.randn(2, channels, 1, 9)
    assert module(x).shape == x.shape
    assert module.scconv.pool(torch.randn(2, width, 1, 9)).shape == (2, width, 1, 2)
