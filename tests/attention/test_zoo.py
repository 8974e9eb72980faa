"""Every registered attention module at every insertion point of every backbone, and what
its default computation does to a signed EEG map.

The parametrisation is read from the registry at collection time, so modules added later
are covered without editing this file.
"""

from __future__ import annotations

import warnings

import pytest
import torch

from bci_attn import attention
from bci_attn.attention import AttentionModule
from bci_attn.attention.maps import attention_maps
from bci_attn.attention.sa import channel_shuffle
from bci_attn.models import available, build_model, get_backbone

N_CHANS, N_OUTPUTS, SFREQ = 8, 4, 128.0

CASES = [
    (name, backbone, point)
    for name in attention.available()
    for backbone, spec in ((name, get_backbone(name)) for name in available())
    for point in spec.points
]


# Points a module refuses by design (its build must raise a ValueError naming it).
REFUSALS = {
    ("sa", "eegnet", "input"),  # single input channel: nothing to split into halves
    ("sa", "shallow", "input"),
    ("scconv", "eegnet", "input"),  # single input channel: nothing to split in two
    ("scconv", "shallow", "input"),
}


def _build(name: str, backbone: str, point: str, n_times: int) -> torch.nn.Module:
    kwargs = dict(n_chans=N_CHANS, n_times=n_times, n_outputs=N_OUTPUTS, sfreq=SFREQ)
    if (name, backbone, point) in REFUSALS:
        with pytest.raises(ValueError, match=f"'{name}'"):
            build_model(backbone, name, point, **kwargs)
        pytest.skip(f"'{name}' refuses point '{point}' of {backbone} by design")
    try:
        return build_model(backbone, name, point, **kwargs)
    except ValueError as err:
        # a refusal must be a clear error naming the module; it is reported as a skip
        assert f"'{name}'" in str(err), f"unclear refusal: {err}"
        pytest.skip(f"'{name}' refuses point '{point}' of {backbone}: {err}")


@pytest.mark.parametrize("n_times", [128, 251])
@pytest.mark.parametrize(("name", "backbone", "point"), CASES)
def test_module_in_backbone(name: str, backbone: str, point: str, n_times: int) -> None:
    torch.manual_seed(0)
    model = _build(name, backbone, point, n_times)
    x = torch.randn(4, N_CHANS, n_times)

    # training pass: shape and gradients reaching every parameter
    model.train()
    out = model(x)
    assert out.shape == (4, N_OUTPUTS)
    assert torch.isfinite(out).all()
    out.square().mean().backward()
    missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"no gradient reached {missing}"

    inserted = [m for n, m in model.named_children() if n.startswith("attention_")]
    assert len(inserted) == (0 if name == "none" else 1)
    for module in inserted:
        module = getattr(module, "module", module)  # TimeLastLayout wrapper
        if isinstance(module, AttentionModule):
            assert module.attention_weights, f"'{name}' recorded no attention weights"

    # eval mode: deterministic, batch size 1 works and matches the batched result
    model.eval()
    with torch.no_grad():
        first, second = model(x), model(x)
        single = model(x[:1])
    torch.testing.assert_close(first, second)
    assert single.shape == (1, N_OUTPUTS)
    torch.testing.assert_close(single, first[:1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", attention.available())
def test_every_module_builds_at_the_default_point(name: str) -> None:
    for backbone in available():
        model = build_model(
            backbone, name, n_chans=N_CHANS, n_times=128, n_outputs=N_OUTPUTS, sfreq=SFREQ
        )
        assert model(torch.randn(2, N_CHANS, 128)).shape == (2, N_OUTPUTS)


def test_unknown_name_is_refused_by_the_model_factory() -> None:
    with pytest.raises(ValueError, match="unknown attention"):
        build_model(
            "eegnet", "no-such-attention", n_chans=8, n_times=128, n_outputs=4, sfreq=SFREQ
        )


# Points where each module of the zoo either runs (with gradients to every parameter of its
# layer and weights recorded) or refuses with a ValueError naming it.
POINTS = [("eegnet", p) for p in ("input", "temporal", "spatial", "separable")]
POINTS += [("shallow", p) for p in ("input", "conv", "pool")]


@pytest.mark.parametrize("name", [n for n in attention.available() if n != "none"])
def test_modules_run_or_refuse_at_every_point(name):
    for backbone, point in POINTS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                net = build_model(
                    backbone, name, point, n_chans=N_CHANS, n_times=251, n_outputs=2, sfreq=SFREQ
                )
        except ValueError as err:
            assert name in str(err)
            continue
        net.train()
        net(torch.randn(2, N_CHANS, 251)).sum().backward()
        layer = dict(net.named_children())[f"attention_{point}"]
        for pname, p in layer.named_parameters():
            assert not p.requires_grad or p.grad is not None, (backbone, point, pname)
        net.eval()
        with torch.no_grad():
            out = net(torch.randn(1, N_CHANS, 251))
        assert out.shape == (1, 2) and bool(torch.isfinite(out).all()), (backbone, point)
        assert attention_maps(net)[f"attention_{point}"], (backbone, point)


#: Modules whose output is a permutation of its channels (the official channel shuffle).
ALIGN = {"sa": lambda x: channel_shuffle(x, 2)}


@pytest.mark.parametrize("name", attention.available())
def test_default_computation_keeps_a_signed_eeg_map(name: str) -> None:
    """Every insertion point sees a signed map (raw EEG, BatchNorm or ELU outputs). By
    default no module may zero its negative half (a residual ReLU) or replace it with a
    fresh convolution (no identity path): the output keeps negative values and follows its
    input, in training and in evaluation mode."""
    for height in (4, 1):
        try:
            module = attention.create(name, 8, height=height, width=32, sfreq=64.0)
        except ValueError:
            continue
        break
    x = torch.randn(8, 8, height, 32)
    aligned = ALIGN.get(name, lambda v: v)(x)
    for training in (True, False):
        with torch.no_grad():
            y = module.train(training)(x)
        assert (y < 0).float().mean() > 0.3, (name, training)
        corr = torch.corrcoef(torch.stack([y.flatten(), aligned.flatten()]))[0, 1]
        assert corr > 0.4, (name, training, corr.item())
