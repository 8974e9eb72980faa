"""Helpers shared by the attention tests: parameter counts, perturbed weights, and the check
that a module computes what a reference implementation computes with the same weights."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import torch
from torch import nn

#: EEG-shaped maps the reference tests use: EEGNet's temporal-filter map (8 filters,
#: 22 electrodes, 128 samples) and a map after the spatial filter (16 channels, 1 row).
EEG_MAPS = [(4, 8, 22, 128), (4, 16, 1, 32)]


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def perturb(module: nn.Module, scale: float = 0.3) -> nn.Module:
    """Move every parameter and BatchNorm statistic away from its initial value, so that
    zero-initialised scales, unit BN statistics or missing biases cannot hide a difference."""
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn_like(p))
        for m in module.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    return module


def load_into(
    reference: nn.Module,
    ours: nn.Module,
    names: Mapping[str, str | Callable[[dict[str, torch.Tensor]], torch.Tensor]],
) -> nn.Module:
    """Copy ``ours``' weights into ``reference``; ``names`` maps each key of the reference's
    state dict to our key, or to a function of our state dict (a reshaped kernel)."""
    state = ours.state_dict()
    copied = {k: v(state) if callable(v) else state[v] for k, v in names.items()}
    reference.load_state_dict(copied, strict=True)
    return reference


def assert_same_function(
    ours: nn.Module, reference: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> None:
    """Equal outputs in training mode (batch statistics; the running ones updated by both),
    then in evaluation mode (with the running statistics the training pass left)."""
    for training in (True, False):
        ours.train(training)
        if isinstance(reference, nn.Module):
            reference.train(training)
        torch.testing.assert_close(ours(x), reference(x), rtol=1e-4, atol=1e-5)


def middle_row(kernel: torch.Tensor, size: int) -> torch.Tensor:
    """Our ``(…, 1, k)`` temporal kernel inside a zero ``(…, size, k)`` one: what a square
    image kernel computes on a single-row map, whose other rows only see zero padding."""
    out = kernel.new_zeros(*kernel.shape[:-2], size, kernel.shape[-1])
    out[..., size // 2, :] = kernel[..., 0, :]
    return out
