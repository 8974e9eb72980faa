"""Version 1 of every module is what bci-attn 0.1 computed.

``data/bci_attn_0.1_outputs.pt`` was recorded with bci-attn 0.1 (commit d9ed06c) for every
module it registered: the state dict after perturbing the initial weights (seed 0), a
training pass on a fixed ``(2, 8, H, 16)`` map (``H = 4``, or 1 for modules that need a
single row; 64 Hz), the gradients of ``mean(y²)``, then an evaluation pass. Outputs are
stored as 16 fixed projections. A module still at version 1 must compute this by default;
a module at a higher version must compute it with its ``legacy`` options (``resolve(...,
version=1)``), from the same state dict (old checkpoints load).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from bci_attn import attention

GOLDEN = torch.load(Path(__file__).parent / "data" / "bci_attn_0.1_outputs.pt")
C, W, SFREQ = 8, 16, 64.0


def project(y: torch.Tensor) -> torch.Tensor:
    """The 16 fixed projections the recording used (no random numbers involved)."""
    flat = y.detach().double().flatten()
    i = torch.arange(flat.numel(), dtype=torch.float64)
    k = torch.arange(16, dtype=torch.float64)[:, None]
    return torch.cos(0.37 * (k + 1) * i + k) @ flat


def rerun(name: str, version: int | None) -> dict[str, object]:
    recorded = GOLDEN["modules"][name]
    h = recorded["height"]
    module = attention.create(name, C, height=h, width=W, sfreq=SFREQ, version=version)
    module.load_state_dict(recorded["state"], strict=True)
    x = GOLDEN["inputs"][h]
    module.train()
    y_train = module(x)
    if y_train.requires_grad:
        y_train.square().mean().backward()
    grads = {n: p.grad for n, p in module.named_parameters() if p.grad is not None}
    module.eval()
    with torch.no_grad():
        y_eval = module(x)
    return {"train": project(y_train), "eval": project(y_eval), "grads": grads}


@pytest.mark.parametrize("name", sorted(GOLDEN["modules"]))
def test_version_1_computes_what_bci_attn_0_1_computed(name: str) -> None:
    recorded = GOLDEN["modules"][name]
    again = rerun(name, version=1)
    for key in ("train", "eval"):
        torch.testing.assert_close(again[key], recorded[key], rtol=1e-5, atol=1e-6)
    assert again["grads"].keys() == recorded["grads"].keys()
    for param, grad in recorded["grads"].items():
        torch.testing.assert_close(again["grads"][param], grad, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("name", sorted(GOLDEN["modules"]))
def test_a_changed_default_has_a_new_version(name: str) -> None:
    """The current default computes version 1 exactly when the module is still version 1."""
    recorded = GOLDEN["modules"][name]
    spec = attention.get_spec(name)
    try:
        now = rerun(name, version=None)
    except RuntimeError:  # the default's state dict differs from bci-attn 0.1's
        assert spec.version > 1
        return
    same = all(
        torch.allclose(now[k], recorded[k], rtol=1e-5, atol=1e-6) for k in ("train", "eval")
    )
    same = same and now["grads"].keys() == recorded["grads"].keys()
    same = same and all(
        torch.allclose(now["grads"][k], g, rtol=1e-4, atol=1e-7)
        for k, g in recorded["grads"].items()
    )
    assert same == (spec.version == 1), (name, spec.version)


def test_every_module_of_bci_attn_0_1_is_still_registered() -> None:
    assert set(GOLDEN["modules"]) <= set(attention.available())
