"""The attention-maps API: the weights every attention layer of a model computed last.

>>> from bci_attn.models import build_model
>>> model = build_model("eegnet", "se", "separable", n_chans=8, n_times=251,
...                     n_outputs=2, sfreq=128.0)
>>> _ = model.eval()(torch.randn(2, 8, 251))
>>> sorted(attention_maps(model))
['attention_separable']

Layout. Every zoo module sees its map with **time on the last axis** — ShallowFBCSPNet's
``(B, C, T, E)`` maps reach it transposed by :class:`bci_attn.models.TimeLastLayout` — so
the weights it records already follow the zoo's conventions for both backbones:
``"electrode"`` ``(B, E)``, ``"temporal"`` ``(B, T)``, ``"spatial"`` ``(B, H, W)`` with ``H``
the electrodes (or 1) and ``W`` time, positions flattened electrode-major. No remapping is
needed, and none is done: a shallow model's ``"spatial"`` map is ``(B, 1, T)``, like an
EEGNet one, not the backbone's own ``(B, T, 1)``.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn

from .base import AttentionModule


def attention_layers(model: nn.Module) -> Iterator[tuple[str, AttentionModule]]:
    """``(name, module)`` of each outermost attention module in ``model``.

    The name is the layer's name in the model (``"attention_separable"``): a module wrapped
    by ``TimeLastLayout`` is named after the wrapper, and attention modules nested inside
    another one (DANet's branches) belong to their parent, which reports their weights.
    """
    from ..models import TimeLastLayout  # bci_attn.models imports this package

    def walk(module: nn.Module, prefix: str) -> Iterator[tuple[str, AttentionModule]]:
        for name, child in module.named_children():
            full = f"{prefix}{name}"
            if isinstance(child, AttentionModule):
                yield full, child
            elif isinstance(child, TimeLastLayout) and isinstance(child.module, AttentionModule):
                yield full, child.module
            else:
                yield from walk(child, f"{full}.")

    if isinstance(model, AttentionModule):
        yield "", model
        return
    yield from walk(model, "")


def attention_maps(model: nn.Module) -> dict[str, dict[str, torch.Tensor]]:
    """Last recorded attention weights of every attention layer of ``model``.

    Parameters
    ----------
    model : nn.Module
        A model from :func:`bci_attn.models.build_model` (or any module containing zoo
        attention modules).

    Returns
    -------
    dict
        Layer name → ``{kind: weights}`` as recorded during the last forward pass (detached,
        on the model's device); an empty dict for a layer that has not run yet. Modules that
        record nothing (``none``) do not appear.
    """
    return {name: dict(module.attention_weights) for name, module in attention_layers(model)}


def clear_attention_maps(model: nn.Module) -> None:
    """Forget the recorded weights of every attention module in ``model`` (frees memory)."""
    for module in model.modules():
        if isinstance(module, AttentionModule):
            module.attention_weights = {}
