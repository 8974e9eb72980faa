"""EPSA: parameter count, small channel counts, EPSANet's ``PSAModule``, and the residual
variant."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from zoo_helpers import EEG_MAPS, assert_same_function, load_into, middle_row, n_params, perturb

from bci_attn import attention


def test_epsa_parameter_count():
    c = 16
    module = attention.create("epsa", c, height=1, width=64, variant="official")
    width = c // 4
    groups = (1, 4, 4, 4)  # 8 and 16 clamped to divide the 16 -> 4 convolutions
    convs = sum((c // g) * width * k for g, k in zip(groups, (3, 5, 7, 9), strict=True))
    se = width * 1 + 1 + 1 * width + width  # hidden max(1, 4 // 16) = 1
    assert n_params(module) == convs + se
    assert [b.groups for b in module.branches] == list(groups)
    eeg = attention.create("epsa", c, height=1, width=64)
    assert n_params(eeg) == convs + se + 2 * c  # the BatchNorm of the residual path


@pytest.mark.parametrize("channels", [1, 6, 10])
def test_epsa_channels_not_divisible_by_four(channels):
    module = attention.create("epsa", channels, height=3, width=40)
    x = torch.randn(2, channels, 3, 40)
    assert module(x).shape == x.shape
    assert module.attention_weights["branch"].sum(1).allclose(torch.ones(2, module.width))


class PSAModule(nn.Module):
    """``PSAModule`` of murufeng/EPSANet (models/epsanet.py @ 9955041), written from that
    file: four bias-free convs ``C → C/4`` with kernels 3, 5, 7, 9 (padding ``k//2``) and
    their groups; one ``SEWeightModule`` (``Conv2d`` fc1/fc2 with biases, ReLU, sigmoid on
    the average-pooled branch) applied to each branch; softmax over the four branches; the
    weighted branches concatenated last first. The groups and the SE width are those our
    builder chose (the file's 8 and 16 groups and ``C/4 // 16`` SE units do not fit EEG's
    channel counts)."""

    def __init__(self, channels: int, groups: list[int], hidden: int) -> None:
        super().__init__()
        self.split = channels // 4
        self.convs = nn.ModuleList(
            nn.Conv2d(channels, self.split, k, padding=k // 2, groups=g, bias=False)
            for k, g in zip((3, 5, 7, 9), groups, strict=True)
        )
        self.fc1 = nn.Conv2d(self.split, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, self.split, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [conv(x) for conv in self.convs]
        se = [
            torch.sigmoid(self.fc2(torch.relu(self.fc1(f.mean(dim=(2, 3), keepdim=True)))))
            for f in feats
        ]
        weights = torch.softmax(torch.stack(se, dim=1), dim=1)
        weighted = torch.stack(feats, dim=1) * weights
        return torch.cat([weighted[:, i] for i in (3, 2, 1, 0)], dim=1)


@pytest.mark.parametrize("shape", EEG_MAPS)
def test_epsa_official_is_epsanets_psa_module(shape: tuple[int, int, int, int]) -> None:
    """Our temporal ``(1, k)`` kernels are the official ``k×k`` ones with zero rows off the
    middle: the module the stated EEG adaptation makes of it."""
    _, c, h, w = shape
    ours = perturb(attention.create("epsa", c, height=h, width=w, variant="official"))
    reference = PSAModule(c, [b.groups for b in ours.branches], ours.se.fc1.out_channels)
    names = {f"fc{i}.{k}": f"se.fc{i}.{k}" for i in (1, 2) for k in ("weight", "bias")}
    for i, k in enumerate((3, 5, 7, 9)):
        names[f"convs.{i}.weight"] = lambda s, i=i, k=k: middle_row(s[f"branches.{i}.weight"], k)
    assert_same_function(ours, load_into(reference, ours, names), torch.randn(shape))


def test_epsa_eeg_adds_the_normalised_module_to_its_input() -> None:
    eeg = perturb(attention.create("epsa", 16, height=1, width=32))
    official = attention.create("epsa", 16, height=1, width=32, variant="official")
    state = {k: v for k, v in copy.deepcopy(eeg.state_dict()).items() if not k.startswith("bn.")}
    official.load_state_dict(state)
    x = torch.randn(4, 16, 1, 32)
    for training in (True, False):
        eeg.train(training)
        official.train(training)
        torch.testing.assert_close(eeg(x), x + eeg.bn(official(x)))
