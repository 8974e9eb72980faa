"""The backbone registry: records by name, refused names, a new backbone as one record."""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
from heavy_imports import heavy_imports
from torch import nn

from bci_attn import models
from bci_attn.config import ConfigError
from bci_attn.models import Backbone, build_model, get_backbone, register
from bci_attn.models import registry as registry_module


class ToyNet(nn.Sequential):
    """A backbone of two convolutions, built as braindecode builds its models."""

    def __init__(self, n_chans: int, n_outputs: int, n_times: int, sfreq: float) -> None:
        super().__init__(
            OrderedDict(
                add_map=nn.Unflatten(1, (1, n_chans)),  # (B, 1, E, T)
                temporal=nn.Conv2d(1, 4, (1, 5), padding=(0, 2)),  # (B, 4, E, T)
                spatial=nn.Conv2d(4, 8, (n_chans, 1)),  # (B, 8, 1, T)
                flatten=nn.Flatten(),
                final_layer=nn.Linear(8 * n_times, n_outputs),
            )
        )


@pytest.fixture
def toy():
    """A toy backbone registered from here, as a backbone file registers its record; the
    registry is restored afterwards."""
    saved = dict(registry_module._REGISTRY)
    spec = register(
        Backbone(
            name="toy",
            display_name="Toy network",
            model_class=f"{__name__}.ToyNet",
            points={"temporal": "temporal", "spatial": "spatial"},
            default_point="spatial",
            time_last=True,
        )
    )
    yield spec
    registry_module._REGISTRY.clear()
    registry_module._REGISTRY.update(saved)


def test_the_registry_loads_without_torch():
    code = (
        "import bci_attn.models as m; "
        "assert m.available() == ['eegnet', 'shallow'], m.available(); "
        "m.get_backbone('shallow').check_points('conv,pool')"
    )
    assert heavy_imports(code) == []


def test_every_fact_about_a_backbone_is_on_its_record():
    eegnet, shallow = get_backbone("eegnet"), get_backbone("shallow")
    assert (eegnet.display_name, shallow.display_name) == (
        "EEGNet",
        "ShallowConvNet (ShallowFBCSPNet)",
    )
    assert eegnet.model_class == "braindecode.models.EEGNet" and eegnet.time_last
    assert not shallow.time_last and shallow.post_build.endswith("use_conv1d")
    assert list(eegnet.points) == ["input", "temporal", "spatial", "separable"]
    assert (eegnet.default_point, shallow.default_point) == ("separable", "pool")


def test_an_unknown_backbone_is_refused_naming_the_known_ones():
    with pytest.raises(ConfigError, match="must be one of eegnet, shallow, got 'resnet'") as info:
        get_backbone("resnet")
    assert info.value.key == "model.backbone"
    with pytest.raises(ConfigError) as info:
        build_model("resnet", n_chans=4, n_times=64, n_outputs=2, sfreq=64.0)
    assert info.value.key == "model.backbone"


def test_points_are_checked_against_the_record():
    shallow = get_backbone("shallow")
    assert shallow.check_points(" conv, pool") == ["conv", "pool"]
    assert shallow.check_points(["input"]) == ["input"]
    with pytest.raises(ConfigError, match="point 'separable'; its points: input, conv, pool"):
        shallow.check_points("separable")
    with pytest.raises(ConfigError, match="gives an insertion point twice: pool, pool") as info:
        shallow.check_points("pool,pool")
    assert info.value.key == "model.attention_at"


def test_a_record_is_refused_when_inconsistent():
    with pytest.raises(ValueError, match="default point 'late' is not one of its points"):
        Backbone("net", "Net", "torch.nn.Identity", {"early": "x"}, "late", True)
    with pytest.raises(ValueError, match="must be lower case"):
        Backbone("Net", "Net", "torch.nn.Identity", {"early": "x"}, "early", True)
    with pytest.raises(ValueError, match="backbone 'eegnet' is registered twice"):
        register(get_backbone("eegnet"))


def test_adding_a_backbone_is_one_record(toy):
    assert models.available() == ["eegnet", "shallow", "toy"]
    torch.manual_seed(0)
    shape = dict(n_chans=3, n_times=32, n_outputs=2, sfreq=32.0)
    plain = build_model("toy", **shape)
    assert isinstance(plain, ToyNet)
    options = {"reduction": 2}
    model = build_model("toy", "se", "temporal,spatial", **shape, attention_options=options)
    names = [name for name, _ in model.named_children()]
    assert names == [
        "add_map",
        "temporal",
        "attention_temporal",
        "spatial",
        "attention_spatial",
        "flatten",
        "final_layer",
    ]
    assert model(torch.randn(5, 3, 32)).shape == (5, 2)
    default = build_model("toy", "se", **shape)
    assert "attention_spatial" in dict(default.named_children())
    with pytest.raises(ConfigError, match="no insertion point 'separable'; its points: temporal"):
        build_model("toy", "se", "separable", **shape)


def test_every_exported_name_resolves_and_others_are_refused():
    for name in models.__all__:
        assert getattr(models, name).__name__ == name
    with pytest.raises(AttributeError, match="has no attribute 'BACKBONES'"):
        models.BACKBONES  # noqa: B018
