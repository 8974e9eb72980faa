"""Every registered attention module at every insertion point of every backbone.

The parametrisation is read from the registry at collection time, so modules added later
are covered without editing this file.
"""

from __future__ import annotations

import pytest
import torch

from bci_attn import attention
from bci_attn.attention import AttentionModule
from bci_attn.models import BACKBONES, build_model

N_CHANS, N_OUTPUTS, SFREQ = 8, 4, 128.0

CASES = [
    (name, backbone, point)
    for name in attention.available()
    for backbone, spec in BACKBONES.items()
    for point in spec.points
]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: torch's thread pool only costs time, badly so on a busy 2-core box."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# Points a module refuses by design (its build must raise a ValueError naming it).
REFUSALS = {
    ("sa", "eegnet", "input"),  # single input channel: nothing to split into halves
    ("sa", "shallow", "input"),
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
    for backbone in BACKBONES:
        model = build_model(
            backbone, name, n_chans=N_CHANS, n_times=128, n_outputs=N_OUTPUTS, sfreq=SFREQ
        )
        assert model(torch.randn(2, N_CHANS, 128)).shape == (2, N_OUTPUTS)


def test_unknown_name_lists_the_available_modules() -> None:
    with pytest.raises(ValueError, match="unknown attention") as err:
        attention.create("no-such-attention", 8)
    for name in attention.available():
        assert name in str(err.value)
    with pytest.raises(ValueError, match="unknown attention"):
        build_model(
            "eegnet", "no-such-attention", n_chans=8, n_times=128, n_outputs=4, sfreq=SFREQ
        )


@pytest.mark.parametrize("name", attention.available())
def test_unknown_option_lists_the_allowed_options(name: str) -> None:
    with pytest.raises(ValueError, match=f"'{name}'.*no_such_option") as err:
        attention.create(name, 8, height=8, width=64, sfreq=SFREQ, no_such_option=1)
    for option in attention.get_spec(name).options():
        assert option in str(err.value)
