"""Attention inserted into the backbones: at the points asked for, on the maps found there."""

from __future__ import annotations

import pytest
import torch

from bci_attn.config import ConfigError
from bci_attn.models import TimeLastLayout, build_model, feature_maps, resolve_points
from bci_attn.models.insertion import insert_attention

SHAPE = dict(n_chans=4, n_times=128, n_outputs=2, sfreq=128.0)


def test_default_points_are_the_modules_own_else_the_backbones():
    assert resolve_points("eegnet", "se", None) == ["separable"]
    assert resolve_points("shallow", "se", []) == ["pool"]
    assert resolve_points("eegnet", "electrode", "") == ["input"]  # before the spatial filter
    assert resolve_points("shallow", "se", "conv, pool") == ["conv", "pool"]


def test_a_point_the_backbone_lacks_is_refused_naming_its_points():
    with pytest.raises(ConfigError, match="no insertion point 'pool'; its points: input,") as info:
        resolve_points("eegnet", "se", "pool")
    assert info.value.key == "model.attention_at"
    with pytest.raises(ValueError, match="unknown attention module 'nope'"):
        build_model("eegnet", "nope", **SHAPE)


def test_attention_follows_its_layer_and_sees_the_map_there():
    torch.manual_seed(0)
    model = build_model("eegnet", "se", "temporal,separable", **SHAPE)
    names = [name for name, _ in model.named_children()]
    for point, layer in (("temporal", "bnorm_temporal"), ("separable", "elu_2")):
        assert names[names.index(layer) + 1] == f"attention_{point}"
    maps = feature_maps(model, SHAPE["n_chans"], SHAPE["n_times"])
    assert maps["attention_temporal"] == maps["bnorm_temporal"]
    assert model(torch.randn(3, 4, 128)).shape == (3, 2)


def test_shallow_maps_are_turned_time_last_for_the_module():
    torch.manual_seed(0)
    model = build_model("shallow", "se", "conv", **SHAPE)
    layer = model.get_submodule("attention_conv")
    assert isinstance(layer, TimeLastLayout)
    x = torch.randn(2, 40, 100, 1)  # ShallowFBCSPNet's (B, C, T, E)
    expected = layer.module(x.transpose(2, 3)).transpose(2, 3)
    torch.testing.assert_close(layer(x), expected)


def test_none_leaves_the_network_as_built():
    torch.manual_seed(0)
    model = build_model("eegnet", **SHAPE)
    children = list(model.named_children())
    same = insert_attention(model, "eegnet", "none", None, 4, 128, 128.0)
    assert same is model and list(same.named_children()) == children
