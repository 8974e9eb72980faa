"""GAM, DANet, EPSA, External attention, SCConv, electrode attention, braindecode's modules
through the registry, and the attention-maps API."""

from __future__ import annotations

import warnings

import pytest
import torch
from braindecode.modules import attention as bd

from bci_attn import attention
from bci_attn.attention.maps import attention_maps, clear_attention_maps
from bci_attn.models import build_model

N_CHANS, N_TIMES, SFREQ = 8, 251, 128.0


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def model(backbone: str, name: str, at: str | None, **kwargs) -> torch.nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_model(
            backbone,
            name,
            at,
            n_chans=N_CHANS,
            n_times=N_TIMES,
            n_outputs=2,
            sfreq=SFREQ,
            **kwargs,
        )


# ---------------------------------------------------------------- parameter counts


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


def test_epsa_parameter_count():
    c = 16
    module = attention.create("epsa", c, height=1, width=64)
    width = c // 4
    groups = (1, 4, 4, 4)  # 8 and 16 clamped to divide the 16 -> 4 convolutions
    convs = sum((c // g) * width * k for g, k in zip(groups, (3, 5, 7, 9), strict=True))
    se = width * 1 + 1 + 1 * width + width  # hidden max(1, 4 // 16) = 1
    assert n_params(module) == convs + se
    assert [b.groups for b in module.branches] == list(groups)


@pytest.mark.parametrize("channels", [1, 6, 10])
def test_epsa_channels_not_divisible_by_four(channels):
    module = attention.create("epsa", channels, height=3, width=40)
    x = torch.randn(2, channels, 3, 40)
    assert module(x).shape == x.shape
    assert module.attention_weights["branch"].sum(1).allclose(torch.ones(2, module.width))


def test_electrode_parameter_count():
    module = attention.create("electrode", 1, height=22, width=1000)
    hid = 22 // 4
    assert n_params(module) == 22 * hid + hid + hid * 22 + 22


def test_external_parameter_count_and_init():
    c, s = 16, 64
    module = attention.create("external", c, height=1, width=64)
    assert n_params(module) == (c * c + c) + c * s + s * c + c * c + 2 * c
    m_k = module.memory_key.weight
    m_v = module.memory_value.weight
    assert torch.equal(m_v, m_k.permute(1, 0, 2))
    assert m_v.data_ptr() != m_k.data_ptr()  # a copy, not the official code's tied view


# ---------------------------------------------------------------- DANet


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


# ---------------------------------------------------------------- External attention


def test_external_double_normalisation():
    module = attention.create("external", 16, height=2, width=30)
    x = torch.randn(3, 16, 2, 30)
    assert module(x).shape == x.shape
    memory = module.attention_weights["memory"]
    assert memory.shape == (3, 64, 60)
    assert memory.sum(dim=1).allclose(torch.ones(3, 60), atol=1e-6)  # columns over S


# ---------------------------------------------------------------- SCConv


@pytest.mark.parametrize("channels", [1, 7, 16])
def test_scconv_halves(channels):
    module = attention.create("scconv", channels, height=4, width=9, sfreq=32.0)
    assert module.plain_channels == channels // 2
    x = torch.randn(2, channels, 4, 9)
    assert module(x).shape == x.shape
    conv = module.scconv.k3[0]
    assert conv.kernel_size == (3, 3) and conv.in_channels == channels - channels // 2
    assert module.attention_weights["spatial"].shape == (2, 4, 9)


# ---------------------------------------------------------------- electrode attention


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


# ---------------------------------------------------------------- braindecode's modules

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


@pytest.mark.parametrize("name", sorted(DIRECT))
def test_braindecode_identical_through_registry(name):
    torch.manual_seed(0)
    wrapped = attention.create(name, C, height=1, width=W, sfreq=32.0)
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


@pytest.mark.parametrize("name", ["gsop", "fca", "encnet", "cat", "catlite"])
def test_braindecode_single_row_modules_refuse_electrodes(name):
    with pytest.raises(ValueError, match="single row.*'separable'"):
        attention.create(name, 8, height=22, width=100, sfreq=250.0)


def test_braindecode_reduction_is_clamped_on_one_channel():
    module = attention.create("ge", 1, height=8, width=50, use_mlp=True)
    assert module.module.mlp[0].out_channels == 1
    assert module(torch.randn(2, 1, 8, 50)).shape == (2, 1, 8, 50)


def test_braindecode_options_keep_braindecode_names():
    assert set(attention.get_spec("srm").options()) == {"use_mlp", "reduction_rate", "bias"}
    with pytest.raises(ValueError, match="does not take"):
        attention.create("gct", 16, reduction=4)


# ---------------------------------------------------------------- attention maps


@pytest.mark.parametrize(
    "backbone, points, kinds",
    [
        ("eegnet", ["input", "separable"], {"attention_input": "electrode"}),
        ("shallow", ["input", "pool"], {"attention_input": "electrode"}),
    ],
)
def test_attention_maps_after_forward(backbone, points, kinds):
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


def test_attention_maps_reports_parent_only():
    net = model("eegnet", "danet", "separable")
    net.eval()(torch.randn(2, N_CHANS, N_TIMES))
    maps = attention_maps(net)
    assert list(maps) == ["attention_separable"]
    assert set(maps["attention_separable"]) == {"position", "channel_matrix"}


# ---------------------------------------------------------------- every module, small maps

MINE = ["gam", "danet", "danet-pam", "danet-cam", "epsa", "external", "scconv", "electrode"]
MINE += sorted(DIRECT)
POINTS = [("eegnet", p) for p in ("input", "temporal", "spatial", "separable")]
POINTS += [("shallow", p) for p in ("input", "conv", "pool")]


@pytest.mark.parametrize("name", MINE)
def test_modules_run_or_refuse_at_every_point(name):
    for backbone, point in POINTS:
        try:
            net = model(backbone, name, point)
        except ValueError as err:
            assert name in str(err)
            continue
        net.train()
        net(torch.randn(2, N_CHANS, N_TIMES)).sum().backward()
        layer = dict(net.named_children())[f"attention_{point}"]
        for pname, p in layer.named_parameters():
            assert not p.requires_grad or p.grad is not None, (backbone, point, pname)
        net.eval()
        with torch.no_grad():
            out = net(torch.randn(1, N_CHANS, N_TIMES))
        assert out.shape == (1, 2) and bool(torch.isfinite(out).all()), (backbone, point)
        assert attention_maps(net)[f"attention_{point}"], (backbone, point)
