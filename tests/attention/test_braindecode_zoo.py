"""braindecode's modules through the registry: identical outputs, recorded gains, refusals,
option names; and Gather-Excite against timm."""

from __future__ import annotations

import pytest
import torch
from braindecode.modules import attention as bd
from timm.layers import get_attn
from timm.layers.gather_excite import GatherExcite
from zoo_helpers import EEG_MAPS, assert_same_function

from bci_attn import attention

C, W = 16, 64
DIRECT = {
    "gsop": lambda: bd.GSoP(C, reduction_rate=4),
    "fca": lambda: bd.FCA(C, seq_len=W, reduction_rate=4, freq_idx=0),
    "encnet": lambda: bd.EncNet(C, n_codewords=4),
    "ge": lambda: bd.GatherExcite(C, seq_len=W, extra_params=False, use_mlp=False),
    "gct": lambda: bd.GCT(C),
    "srm": lambda: bd.SRM(C, use_mlp=False, reduction_rate=4),
    "cat": lambda: bd.CAT(C, reduction_rate=4, kernel_size=3),  # 100 ms at 32 Hz
    "catlite": lambda: bd.CATLite(C, reduction_rate=4),
}
#: Options selecting braindecode's module where the zoo's default is another computation.
AS_BRAINDECODE = {"gsop": {"variant": "braindecode"}}


@pytest.mark.parametrize("name", sorted(DIRECT))
def test_braindecode_identical_through_registry(name):
    torch.manual_seed(0)
    options = AS_BRAINDECODE.get(name, {})
    wrapped = attention.create(name, C, height=1, width=W, sfreq=32.0, **options)
    direct = DIRECT[name]()
    with torch.no_grad():  # move weights away from braindecode's zero inits
        for p in wrapped.parameters():
            p.add_(0.1 * torch.randn_like(p))
    direct.load_state_dict(wrapped.module.state_dict())
    x = torch.randn(4, C, 1, W)
    for train in (True, False):
        wrapped.train(train)
        direct.train(train)
        assert torch.equal(wrapped(x), direct(x))


@pytest.mark.parametrize(
    "name, options",
    [
        ("gsop", {}),
        ("gsop", {"variant": "braindecode"}),
        ("fca", {}),
        ("encnet", {}),
        ("ge", {}),
        ("ge", {"use_mlp": True, "extra_params": True}),
        ("gct", {}),
        ("srm", {"use_mlp": True}),
        ("catlite", {}),
    ],
)
def test_braindecode_recorded_channel_gain(name, options):
    torch.manual_seed(0)
    module = attention.create(name, C, height=1, width=W, sfreq=32.0, **options)
    with torch.no_grad():
        for p in module.parameters():
            if p.requires_grad:
                p.add_(0.1 * torch.randn_like(p))
    x = torch.randn(3, C, 1, W)
    y = module.eval()(x)
    gain = module.attention_weights["channel"]
    assert gain.shape == (3, C)
    assert torch.allclose(y, x * gain[:, :, None, None], atol=1e-5)


def test_braindecode_cat_records_channel_and_spatial():
    module = attention.create("cat", C, height=1, width=W, sfreq=32.0)
    module(torch.randn(2, C, 1, W))
    assert module.attention_weights["channel"].shape == (2, C)
    assert module.attention_weights["spatial"].shape == (2, 1, W)


@pytest.mark.parametrize(
    "name, options",
    [
        ("gsop", {"variant": "braindecode"}),
        ("fca", {}),
        ("encnet", {}),
        ("cat", {}),
        ("catlite", {}),
    ],
)
def test_braindecode_single_row_modules_refuse_electrodes(name, options):
    with pytest.raises(ValueError, match="single row.*'separable'"):
        attention.create(name, 8, height=22, width=100, sfreq=250.0, **options)


def test_braindecode_reduction_is_clamped_on_one_channel():
    module = attention.create("ge", 1, height=8, width=50, use_mlp=True)
    assert module.module.mlp[0].out_channels == 1
    assert module(torch.randn(2, 1, 8, 50)).shape == (2, 1, 8, 50)


def test_braindecode_options_keep_braindecode_names_but_the_reduction():
    assert set(attention.get_spec("srm").options()) == {"use_mlp", "reduction", "bias"}
    assert attention.get_spec("srm").aliases == {"reduction_rate": "reduction"}
    with pytest.raises(ValueError, match="does not take"):
        attention.create("gct", 16, reduction=4)


@pytest.mark.parametrize("shape", EEG_MAPS)
def test_ge_is_timms_gather_excite(shape: tuple[int, int, int, int]) -> None:
    """timm 1.0.31 ``GatherExcite`` with global extent, no parameters in the gather and no
    MLP (GE-θ⁻): ``x·σ(GAP(x))``, as braindecode's default. timm 1.0.31 cannot build its
    MLP or gather parameters (it passes ``device``/``dtype`` positionally), so those parts
    are compared with braindecode above only."""
    _, c, h, w = shape
    ours = attention.create("ge", c, height=h, width=w)
    assert get_attn("ge") is GatherExcite  # what create_attn("ge", ...) builds
    assert_same_function(ours, GatherExcite(c, use_mlp=False), torch.randn(shape))
    with pytest.raises(TypeError):
        GatherExcite(c, use_mlp=True)
