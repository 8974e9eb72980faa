"""The backbones by name: one frozen :class:`Backbone` record each, importable without torch.

A record holds every fact about a backbone: its braindecode class, where attention may go
in it and the layout of its feature maps. The class (and an optional hook applied after
building) are named by dotted paths and imported only when a model is built
(:func:`bci_attn.models.build_model`), so that checking ``model.backbone`` and
``model.attention_at`` needs neither torch nor braindecode. Each backbone file of this
package registers its record with :func:`register`; a new backbone is one new file.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import ConfigError
from ..registry import Registry


@dataclass(frozen=True)
class Backbone:
    """A braindecode network and where attention may go in it.

    Attributes
    ----------
    name : str
        Name in configurations and on the command line (``model.backbone``).
    display_name : str
        Name in titles and tables (``"ShallowConvNet (ShallowFBCSPNet)"``).
    model_class : str
        Dotted path of the network's class (``"braindecode.models.EEGNet"``), built as
        ``cls(n_chans=, n_outputs=, n_times=, sfreq=, **options)``; it must be an
        ``nn.Sequential`` whose children run in order.
    points : Mapping[str, str]
        Insertion point -> name of the child layer the attention module follows.
    default_point : str
        Where attention goes when neither the user nor the module names a point.
    time_last : bool
        True when the network's maps are ``(B, C, electrodes, time)`` (EEGNet); False for
        ``(B, C, time, electrodes)`` (ShallowFBCSPNet), whose maps are transposed for the
        attention modules, which all expect time on the last axis.
    post_build : str | None
        Dotted path of a function ``hook(model) -> model`` applied to the freshly built
        network (ShallowFBCSPNet's faster first layer), or ``None``.

    Raises
    ------
    ValueError
        An empty name or point list, or a default point that is not one of the points.
    """

    name: str
    display_name: str
    model_class: str
    points: Mapping[str, str]
    default_point: str
    time_last: bool
    post_build: str | None = None

    def __post_init__(self) -> None:
        if not self.name or self.name != self.name.strip().lower():
            raise ValueError(f"a backbone name must be lower case, not empty; got {self.name!r}")
        if self.default_point not in self.points:
            raise ValueError(
                f"backbone '{self.name}': default point '{self.default_point}' is not one of its "
                f"points ({', '.join(self.points) or 'none'})"
            )

    def check_points(self, at: str | Sequence[str]) -> list[str]:
        """The insertion points named by ``at`` (comma-separated or a list), checked.

        Raises
        ------
        ConfigError
            Key ``model.attention_at``: a point this backbone lacks (listing its points),
            or a point named twice.
        """
        points = [p.strip() for p in at.split(",")] if isinstance(at, str) else list(at)
        for point in points:
            if point not in self.points:
                raise ConfigError(
                    "model.attention_at",
                    f"must name points of backbone '{self.name}', which has no insertion point "
                    f"'{point}'; its points: {', '.join(self.points)}",
                )
        if len(set(points)) != len(points):
            raise ConfigError(
                "model.attention_at", f"gives an insertion point twice: {', '.join(points)}"
            )
        return points


def locate(path: str) -> Any:
    """The object a dotted path ``package.module.name`` names, importing its module."""
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


_REGISTRY: Registry[Backbone] = Registry("backbone", "model.backbone")


def register(backbone: Backbone) -> Backbone:
    """Make ``backbone`` available by its name (ValueError when the name is taken)."""
    return _REGISTRY.add(backbone.name, backbone)


def available() -> list[str]:
    """Names of every registered backbone, sorted."""
    return sorted(_REGISTRY)


def get_backbone(name: str) -> Backbone:
    """The backbone called ``name`` (ConfigError, key ``model.backbone``, listing those
    there are)."""
    return _REGISTRY.find(name)
