"""Backbones from braindecode with attention modules inserted at named points."""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from . import attention as attention_zoo


@dataclass(frozen=True)
class Backbone:
    """A braindecode network and where attention may go in it.

    Attributes
    ----------
    name : str
        Name used on the command line.
    points : Mapping[str, str]
        Insertion point -> name of the braindecode layer the attention module follows.
    default_point : str
        Where attention goes when the user names no point.
    time_last : bool
        True when the network's maps are ``(B, C, electrodes, time)`` (EEGNet); False for
        ``(B, C, time, electrodes)`` (ShallowFBCSPNet), whose maps are transposed for the
        attention modules, which all expect time on the last axis.
    """

    name: str
    points: Mapping[str, str]
    default_point: str
    time_last: bool


BACKBONES: dict[str, Backbone] = {
    "eegnet": Backbone(
        "eegnet",
        {
            "input": "dimshuffle",  # (B, 1, E, T): before any filter, electrodes present
            "temporal": "bnorm_temporal",  # (B, F1, E, T): after temporal conv + BN
            "spatial": "drop_1",  # (B, F1*D, 1, T/4): after the depthwise spatial block
            "separable": "elu_2",  # (B, F2, 1, T/4): after the separable conv, before pooling
        },
        default_point="separable",
        time_last=True,
    ),
    "shallow": Backbone(
        "shallow",
        {
            "input": "dimshuffle",  # (B, 1, T, E): before the temporal-spatial conv
            "conv": "bnorm",  # (B, 40, T', 1): after the temporal-spatial conv + BN
            "pool": "pool_nonlin_exp",  # (B, 40, T'', 1): after square, mean-pool and log
        },
        default_point="pool",
        time_last=False,
    ),
}


def _braindecode_model(
    backbone: str, n_chans: int, n_times: int, n_outputs: int, sfreq: float, **kwargs
) -> nn.Sequential:
    from braindecode.models import EEGNet, ShallowFBCSPNet

    from .combined_conv import CombinedConv, CombinedConv1d

    cls = {"eegnet": EEGNet, "shallow": ShallowFBCSPNet}[backbone]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # braindecode's deprecation notices on defaults
        model = cls(n_chans=n_chans, n_outputs=n_outputs, n_times=n_times, sfreq=sfreq, **kwargs)
    if isinstance(getattr(model, "conv_time_spat", None), CombinedConv):
        model.conv_time_spat = CombinedConv1d(model.conv_time_spat)
    return model


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


def get_backbone(name: str) -> Backbone:
    """The backbone called ``name``, or a ValueError listing the known ones."""
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone '{name}'; available: {', '.join(BACKBONES)}")
    return BACKBONES[name]


def resolve_points(backbone: str, attention: str, at: str | Sequence[str] | None) -> list[str]:
    """Insertion points for ``attention`` in ``backbone``: the user's, else the defaults.

    Raises
    ------
    ValueError
        A point the backbone lacks, naming the backbone's points.
    """
    spec = get_backbone(backbone)
    if at is None or at == "" or at == []:
        default = attention_zoo.get_spec(attention).default_at
        return [default if default in spec.points else spec.default_point]
    points = [p.strip() for p in at.split(",")] if isinstance(at, str) else list(at)
    for point in points:
        if point not in spec.points:
            raise ValueError(
                f"backbone '{backbone}' has no insertion point '{point}'; "
                f"its points: {', '.join(spec.points)}"
            )
    if len(set(points)) != len(points):
        raise ValueError(f"insertion point given twice in {points}")
    return points


def feature_maps(model: nn.Sequential, n_chans: int, n_times: int) -> dict[str, torch.Size]:
    """Output shape ``(1, C, H, W)`` of every top-level layer of ``model`` (one dummy pass)."""
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
    """Insert ``attention`` after the named layers of a braindecode ``model``, in place.

    The new layers are called ``attention_<point>`` and the model keeps its braindecode
    class. Each module is built for the real map at its point: channels, electrodes, time
    samples and the sampling rate at that depth (input rate scaled by the pooling so far).
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
            _, c, d2, d3 = shapes[name]
            height, width = (d2, d3) if spec.time_last else (d3, d2)
            module = attention_zoo.create(
                attention,
                int(c),
                height=int(height),
                width=int(width),
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
    backbone : {"eegnet", "shallow"}
        braindecode's ``EEGNet`` or ``ShallowFBCSPNet``.
    attention : str
        Name from :func:`bci_attn.attention.available`; ``"none"`` for the plain backbone.
    at : str | sequence of str | None
        Insertion point(s) (comma-separated or a list); ``None`` for the module's or the
        backbone's default (see :data:`BACKBONES`).
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
    """
    get_backbone(backbone)
    attention_zoo.get_spec(attention)
    resolve_points(backbone, attention, at)
    model = _braindecode_model(backbone, n_chans, n_times, n_outputs, sfreq, **backbone_options)
    return insert_attention(
        model, backbone, attention, at, n_chans, n_times, sfreq, attention_options
    )
