"""Electrode attention: parameters, weights, refusal of single-row maps, default point."""

from __future__ import annotations

import warnings

import pytest
import torch
from zoo_helpers import n_params

from bci_attn import attention
from bci_attn.attention.maps import attention_maps
from bci_attn.models import build_model

N_CHANS, N_TIMES, SFREQ = 8, 251, 128.0


def model(backbone: str, name: str, at: str | None) -> torch.nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_model(
            backbone, name, at, n_chans=N_CHANS, n_times=N_TIMES, n_outputs=2, sfreq=SFREQ
        )


def test_electrode_parameter_count():
    module = attention.create("electrode", 1, height=22, width=1000)
    hid = 22 // 4
    assert n_params(module) == 22 * hid + hid + hid * 22 + 22


def test_electrode_weights_shape():
    module = attention.create("electrode", 8, height=22, width=100)
    x = torch.randn(5, 8, 22, 100)
    y = module(x)
    w = module.attention_weights["electrode"]
    assert w.shape == (5, 22)
    assert torch.allclose(y, x * w[:, None, :, None])


def test_electrode_refuses_single_row():
    with pytest.raises(ValueError, match="'input' or 'temporal' for eegnet"):
        attention.create("electrode", 16, height=1, width=64)
    with pytest.raises(ValueError, match="single row"):
        model("eegnet", "electrode", "separable")


def test_electrode_default_point_is_input():
    net = model("eegnet", "electrode", None)
    assert "attention_input" in dict(net.named_children())
    net.eval()(torch.randn(2, N_CHANS, N_TIMES))
    assert attention_maps(net)["attention_input"]["electrode"].shape == (2, N_CHANS)
