"""The attention-maps API: what every attention layer of a model recorded last."""

from __future__ import annotations

import warnings

import pytest
import torch

from bci_attn.attention.maps import attention_maps, clear_attention_maps
from bci_attn.models import build_model

N_CHANS, N_TIMES, SFREQ = 8, 251, 128.0


def model(backbone: str, name: str, at) -> torch.nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_model(
            backbone, name, at, n_chans=N_CHANS, n_times=N_TIMES, n_outputs=2, sfreq=SFREQ
        )


@pytest.mark.parametrize(
    "backbone, points",
    [("eegnet", ["input", "separable"]), ("shallow", ["input", "pool"])],
)
def test_attention_maps_after_forward(backbone, points):
    net = model(backbone, "electrode", points[:1])
    net.eval()(torch.randn(3, N_CHANS, N_TIMES))
    maps = attention_maps(net)
    assert maps["attention_input"]["electrode"].shape == (3, N_CHANS)

    net = model(backbone, "gam", points)
    assert all(v == {} for v in attention_maps(net).values())
    net.eval()(torch.randn(3, N_CHANS, N_TIMES))
    maps = attention_maps(net)
    assert sorted(maps) == sorted(f"attention_{p}" for p in points)
    assert maps["attention_input"]["spatial"].shape == (3, N_CHANS, N_TIMES)  # (B, E, T)
    last = maps[f"attention_{points[-1]}"]
    assert last["channel"].shape[0] == 3 and last["spatial"].shape[:2] == (3, 1)
    assert not any(w.requires_grad for d in maps.values() for w in d.values())
    clear_attention_maps(net)
    assert all(v == {} for v in attention_maps(net).values())


@pytest.mark.parametrize(
    ("name", "kinds"), [("danet", {"position", "channel_matrix"}), ("scnet", {"spatial"})]
)
def test_attention_maps_reports_parent_only(name, kinds):
    net = model("eegnet", name, "separable")
    net.eval()(torch.randn(2, N_CHANS, N_TIMES))
    maps = attention_maps(net)
    assert list(maps) == ["attention_separable"]
    assert set(maps["attention_separable"]) == kinds
