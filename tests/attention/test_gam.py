"""GAM: parameter count, EEG kernels, and the widely copied ``GAM_Attention``."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from zoo_helpers import EEG_MAPS, assert_same_function, load_into, middle_row, n_params, perturb

from bci_attn import attention


def test_gam_parameter_count():
    c, h, w = 16, 1, 64
    module = attention.create("gam", c, height=h, width=w, sfreq=32.0)
    hid, (k_e, k_t) = c // 4, (1, 3)  # 100 ms at 32 Hz -> 3 samples
    mlp = c * hid + hid + hid * c + c
    convs = c * hid * k_e * k_t + hid + hid * c * k_e * k_t + c
    bns = 2 * hid + 2 * c
    assert n_params(module) == mlp + convs + bns


def test_gam_kernel_is_not_square_and_hidden_is_clamped():
    module = attention.create("gam", 2, height=8, width=252, sfreq=128.0)
    conv = module.spatial[0]
    assert conv.kernel_size == (7, 13)  # min(7, H) electrodes, 100 ms at 128 Hz
    assert conv.out_channels == 1  # 2 // 4 clamped to 1


def test_gam_channel_gate_has_sigmoid():
    module = attention.create("gam", 16, height=1, width=64, sfreq=32.0)
    module(torch.randn(2, 16, 1, 64) * 10)
    gate = module.attention_weights["channel"]
    assert gate.shape == (2, 16) and bool(((gate > 0) & (gate < 1)).all())


class GAMAttention(nn.Module):
    """``GAM_Attention`` as widely copied (there is no official code), written from those
    copies, in the form with the channel sigmoid and ungrouped convs: a per-position MLP
    ``Linear(C, C/4) → ReLU → Linear(C/4, C)`` on the ``(B, H·W, C)`` map, sigmoid, times the
    map; then ``Conv2d(C, C/4, 7, padding=3) → BN → ReLU → Conv2d(C/4, C, 7, padding=3) →
    BN``, sigmoid, times the map."""

    def __init__(self, channels: int, rate: int = 4) -> None:
        super().__init__()
        hidden = channels // rate
        self.channel_attention = nn.Sequential(
            nn.Linear(channels, hidden), nn.ReLU(), nn.Linear(hidden, channels)
        )
        self.spatial_attention = nn.Sequential(
            nn.Conv2d(channels, hidden, 7, padding=3),
            nn.BatchNorm2d(hidden),
            nn.ReLU(),
            nn.Conv2d(hidden, channels, 7, padding=3),
            nn.BatchNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        att = self.channel_attention(x.permute(0, 2, 3, 1).reshape(b, -1, c))
        x = x * att.reshape(b, h, w, c).permute(0, 3, 1, 2).sigmoid()
        return x * self.spatial_attention(x).sigmoid()


@pytest.mark.parametrize("shape", EEG_MAPS)
def test_gam_is_the_widely_copied_gam_attention(shape: tuple[int, int, int, int]) -> None:
    _, c, h, w = shape
    ours = perturb(attention.create("gam", c, height=h, width=w, kernel_size=7))

    names = {}
    for i in (0, 2):
        names[f"channel_attention.{i}.weight"] = f"channel_mlp.{i}.weight"
        names[f"channel_attention.{i}.bias"] = f"channel_mlp.{i}.bias"
    for i in range(5):
        for key in ours.spatial[i].state_dict():
            names[f"spatial_attention.{i}.{key}"] = f"spatial.{i}.{key}"
    for i in (0, 3):  # the 7x7 kernels
        names[f"spatial_attention.{i}.weight"] = lambda s, i=i: (
            s[f"spatial.{i}.weight"]
            if s[f"spatial.{i}.weight"].shape[-2] == 7
            else middle_row(s[f"spatial.{i}.weight"], 7)
        )
    assert_same_function(ours, load_into(GAMAttention(c), ours, names), torch.randn(shape))
