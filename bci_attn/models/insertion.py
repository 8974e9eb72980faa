"""Backbones from braindecode with attention modules inserted at named points.

Every fact about a backbone (its class, points, layout) comes from its
:class:`~bci_attn.models.registry.Backbone` record; the modules come from
:mod:`bci_attn.attention`. An attention module inserted at a point sees the real feature map
there: its channels, electrodes, time samples and the sampling rate at that depth.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import torch
from torch import nn

from .. import attention as attention_zoo
from .registry import Backbone, get_backbone, locate


def _network(
    spec: Backbone, n_chans: int, n_times: int, n_outputs: int, sfreq: float, **options
) -> nn.Sequential:
    """``spec``'s network for the data's shape, its post-build hook applied."""
    cls = locate(spec.model_class)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # braindecode's deprecation notices on defaults
        model = cls(n_chans=n_chans, n_outputs=n_outputs, n_times=n_times, sfreq=sfreq, **options)
    return locate(spec.post_build)(model) if spec.post_build else model


class TimeLastLayout(nn.Module):
    """Runs an attention module on a ``(B, C, T, E)`` map as if it were ``(B, C, E, T)``.

    ShallowFBCSPNet keeps time on dim 2; the zoo's modules put their temporal kernels on the
    last axis, so the map is transposed in and out.
    """

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x.transpose(2, 3)).transpose(2, 3)


def resolve_points(backbone: str, attention: str, at: str | Sequence[str] | None) -> list[str]:
    """Insertion points for ``attention`` in ``backbone``: the user's, else the defaults.

    With no point given, the module's own default point (electrode attention belongs
    before the spatial filter) where the backbone has it, else the backbone's.

    Raises
    ------
    ConfigError
        Key ``model.backbone`` for an unknown backbone; key ``model.attention_at`` for a
        point the backbone lacks (naming its points) or a point given twice.
    ValueError
        An unknown attention module.
    """
    spec = get_backbone(backbone)
    if not at:
        default = attention_zoo.get_spec(attention).default_at
        return [default if default in spec.points else spec.default_point]
    return spec.check_points(at)


def feature_maps(model: nn.Sequential, n_chans: int, n_times: int) -> dict[str, torch.Size]:
    """Output shape ``(1, C, H, W)`` of every top-level layer of ``model`` (one dummy pass
    of a ``(1, n_chans, n_times)`` trial in evaluation mode)."""
    shapes: dict[str, torch.Size] = {}
    x = torch.zeros(1, n_chans, n_times)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for name, layer in model.named_children():
            x = layer(x)
            shapes[name] = x.shape
    model.train(was_training)
    return shapes


def map_size(spec: Backbone, shape: Sequence[int]) -> tuple[int, int, int]:
    """``(C, H, W)``, electrodes (or 1) on ``H`` and time on ``W``, of a map of ``spec``
    whose shape is ``(1, C, d2, d3)`` in the backbone's own layout."""
    _, c, d2, d3 = (int(n) for n in shape)
    return (c, d2, d3) if spec.time_last else (c, d3, d2)


def insert_attention(
    model: nn.Sequential,
    backbone: str,
    attention: str,
    at: str | Sequence[str] | None,
    n_chans: int,
    n_times: int,
    sfreq: float,
    options: Mapping[str, object] | None = None,
) -> nn.Sequential:
    """Insert ``attention`` after the named layers of a ``backbone`` network, in place.

    The new layers are called ``attention_<point>`` and the model keeps its class. Each
    module is built for the real map at its point: channels, electrodes, time samples and
    the sampling rate at that depth (input rate scaled by the pooling so far).

    Parameters
    ----------
    model : nn.Sequential
        A network of ``backbone``, mapping ``(B, n_chans, n_times)`` to logits.
    backbone, attention : str
        Registered names; ``attention="none"`` returns ``model`` unchanged.
    at : str | sequence of str | None
        Insertion point(s); see :func:`resolve_points`.
    n_chans, n_times : int
        Electrodes and time samples of a trial.
    sfreq : float
        Sampling rate of the input in Hz.
    options : mapping | None
        Options of the attention module.
    """
    spec = get_backbone(backbone)
    points = resolve_points(backbone, attention, at)
    if attention == "none":
        return model
    shapes = feature_maps(model, n_chans, n_times)
    after = {spec.points[p]: p for p in points}
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    for name, layer in model.named_children():
        layers[name] = layer
        if name in after:
            channels, height, width = map_size(spec, shapes[name])
            module = attention_zoo.create(
                attention,
                channels,
                height=height,
                width=width,
                sfreq=sfreq * width / n_times,
                **dict(options or {}),
            )
            layers[f"attention_{after[name]}"] = (
                module if spec.time_last else TimeLastLayout(module)
            )
    model._modules = layers  # nn.Sequential runs its children in this order
    return model


def build_model(
    backbone: str,
    attention: str = "none",
    at: str | Sequence[str] | None = None,
    *,
    n_chans: int,
    n_times: int,
    n_outputs: int,
    sfreq: float,
    attention_options: Mapping[str, object] | None = None,
    **backbone_options,
) -> nn.Sequential:
    """Build ``backbone`` for the data's shape with ``attention`` at points ``at``.

    Parameters
    ----------
    backbone : str
        A registered backbone (:func:`bci_attn.models.available`), built from its record.
    attention : str
        Name from :func:`bci_attn.attention.available`; ``"none"`` for the plain backbone.
    at : str | sequence of str | None
        Insertion point(s) (comma-separated or a list); ``None`` for the module's or the
        backbone's default (the backbone record's ``points`` and ``default_point``).
    n_chans, n_times, n_outputs : int
        Electrodes, time samples per trial and classes.
    sfreq : float
        Sampling rate of the input in Hz.
    attention_options : mapping
        Options of the attention module.
    **backbone_options
        Passed to the braindecode model (``drop_prob=0.25``, ``F1=16``, ...).

    Returns
    -------
    nn.Sequential
        Maps ``(B, n_chans, n_times)`` to logits ``(B, n_outputs)``.

    Raises
    ------
    ConfigError
        Unknown backbone, or an insertion point it lacks (before anything is built).
    ValueError
        Unknown attention module, or options or a map the module refuses.
    """
    spec = get_backbone(backbone)
    attention_zoo.get_spec(attention)
    resolve_points(backbone, attention, at)
    model = _network(spec, n_chans, n_times, n_outputs, sfreq, **backbone_options)
    return insert_attention(
        model, backbone, attention, at, n_chans, n_times, sfreq, attention_options
    )
