"""DANet: identity at initialisation, the weights it records, the size guard, and the
official ``PAM_Module`` / ``CAM_Module``."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn
from zoo_helpers import assert_same_function, load_into, n_params, perturb

from bci_attn import attention
from bci_attn.models import build_model


@pytest.mark.parametrize("name", ["danet", "danet-pam", "danet-cam"])
@pytest.mark.parametrize("shape", [(3, 16, 1, 64), (2, 8, 8, 50), (1, 1, 8, 30)])
def test_danet_is_identity_at_init(name, shape):
    module = attention.create(name, shape[1], height=shape[2], width=shape[3])
    x = torch.randn(shape)
    for train in (True, False):
        module.train(train)
        assert torch.equal(module(x), x)


def test_danet_weights():
    module = attention.create("danet", 16, height=1, width=64)
    module(torch.randn(2, 16, 1, 64))
    pos = module.attention_weights["position"]
    cha = module.attention_weights["channel_matrix"]
    assert pos.shape == (2, 64, 64) and pos.sum(-1).allclose(torch.ones(2, 64))
    assert cha.shape == (2, 16, 16) and cha.sum(-1).allclose(torch.ones(2, 16))
    assert n_params(module) == 2 * (16 * 2 + 2) + 16 * 16 + 16 + 2


@pytest.mark.parametrize("name", ["danet", "danet-pam"])
def test_danet_refuses_large_maps(name):
    with pytest.raises(ValueError, match="max_positions=4096.*separable"):
        attention.create(name, 8, height=22, width=1001)
    attention.create(name, 8, height=22, width=1001, max_positions=22 * 1001)
    attention.create("danet-cam", 8, height=22, width=1001)  # C×C only: fits anywhere
    with pytest.raises(ValueError, match="max_positions"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build_model(
                "eegnet", name, "temporal", n_chans=22, n_times=1000, n_outputs=4, sfreq=250.0
            )


class PAMModule(nn.Module):
    """``PAM_Module`` of junfu1115/DANet (encoding/nn/da_att.py @ b0a0fa0), written from that
    file: 1×1 convs ``query``/``key`` ``C → C/8`` and ``value`` ``C → C`` (with biases),
    ``A = softmax(qᵀk)`` over the last axis, ``γ·(v Aᵀ) + x``."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.query_conv = nn.Conv2d(channels, channels // 8, 1)
        self.key_conv = nn.Conv2d(channels, channels // 8, 1)
        self.value_conv = nn.Conv2d(channels, channels, 1)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q = self.query_conv(x).reshape(b, -1, h * w).permute(0, 2, 1)
        attn = torch.softmax(q @ self.key_conv(x).reshape(b, -1, h * w), dim=-1)
        out = self.value_conv(x).reshape(b, -1, h * w) @ attn.permute(0, 2, 1)
        return self.gamma * out.reshape(b, c, h, w) + x


class CAMModule(nn.Module):
    """``CAM_Module`` of the same file: ``E = X Xᵀ``, ``softmax(max_row(E) − E)``,
    ``γ·(A X) + x``."""

    def __init__(self) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(*x.shape[:2], -1)
        energy = flat @ flat.permute(0, 2, 1)
        attn = torch.softmax(energy.amax(dim=-1, keepdim=True) - energy, dim=-1)
        return self.gamma * (attn @ flat).reshape(x.shape) + x


@pytest.mark.parametrize("shape", [(4, 8, 22, 32), (4, 16, 1, 32)])
def test_danet_branches_are_the_official_modules(shape: tuple[int, int, int, int]) -> None:
    _, c, h, w = shape
    x = torch.randn(shape)
    pam = perturb(attention.create("danet-pam", c, height=h, width=w))
    names = {"gamma": "gamma"}
    for theirs, ours in (("query_conv", "query"), ("key_conv", "key"), ("value_conv", "value")):
        names.update({f"{theirs}.{k}": f"{ours}.{k}" for k in ("weight", "bias")})
    assert_same_function(pam, load_into(PAMModule(c), pam, names), x)
    cam = perturb(attention.create("danet-cam", c, height=h, width=w))
    assert_same_function(cam, load_into(CAMModule(), cam, {"gamma": "gamma"}), x)
    both = perturb(attention.create("danet", c, height=h, width=w))
    pam.load_state_dict(both.pam.state_dict())
    cam.load_state_dict(both.cam.state_dict())
    torch.testing.assert_close(both(x), pam(x) + cam(x) - x)  # one identity path
