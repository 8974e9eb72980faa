"""Build an attention module from its name, as timm's ``create_attn`` does for images.

A module registers a *builder*: a function ``builder(fmap: FeatureMap, *, option=default, ...)``
that returns an ``nn.Module``. The keyword options of the builder are the options a user may
pass (``--attn-opt key=value`` on the command line); anything else is refused with the list
of what the module takes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from .base import FeatureMap

Builder = Callable[..., nn.Module]


@dataclass(frozen=True)
class AttentionSpec:
    """A registered attention module.

    Attributes
    ----------
    name : str
        Registry name (``"ham"``).
    builder : callable
        ``builder(fmap, **options) -> nn.Module``.
    summary : str
        One line: what it is and the paper it comes from.
    default_at : str | None
        Insertion point the module is meant for when the user names none (electrode
        attention belongs before the spatial filter); ``None`` for the backbone's default.
    """

    name: str
    builder: Builder
    summary: str
    default_at: str | None = None

    def options(self) -> dict[str, object]:
        """The options the module takes, with their defaults."""
        params = list(inspect.signature(self.builder).parameters.values())[1:]
        return {p.name: p.default for p in params}


_REGISTRY: dict[str, AttentionSpec] = {}


def register(
    name: str, *, summary: str, default_at: str | None = None
) -> Callable[[Builder], Builder]:
    """Decorator registering ``builder`` under ``name``."""

    def decorate(builder: Builder) -> Builder:
        if name in _REGISTRY:
            raise ValueError(f"attention '{name}' is registered twice")
        _REGISTRY[name] = AttentionSpec(name, builder, summary, default_at)
        return builder

    return decorate


def available() -> list[str]:
    """Names of every registered attention module, ``"none"`` first."""
    return sorted(_REGISTRY, key=lambda n: (n != "none", n))


def get_spec(name: str) -> AttentionSpec:
    """The registered spec for ``name``, or a ValueError listing the available names."""
    key = name.strip().lower()
    if key not in _REGISTRY:
        raise ValueError(f"unknown attention module '{name}'; available: {', '.join(available())}")
    return _REGISTRY[key]


def create(
    name: str,
    channels: int,
    *,
    height: int = 1,
    width: int | None = None,
    sfreq: float | None = None,
    **options: object,
) -> nn.Module:
    """Build attention module ``name`` for a ``(B, channels, height, width)`` feature map.

    Parameters
    ----------
    name : str
        A name from :func:`available`.
    channels : int
        Feature channels of the map.
    height, width : int
        Electrodes (or 1) and time samples of the map; ``width`` is needed by the modules
        bound to the map size (NAM's spatial part, DANet's position attention, FCA).
    sfreq : float | None
        Sampling rate (Hz) along ``width`` at this layer, used to turn temporal kernel
        lengths given in milliseconds into samples.
    **options
        The module's own options (see ``get_spec(name).options()``).

    Returns
    -------
    nn.Module
        Maps ``(B, channels, height, width)`` to the same shape.

    Raises
    ------
    ValueError
        Unknown name, unknown option, or a value the module cannot use.
    """
    spec = get_spec(name)
    allowed = spec.options()
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        takes = ", ".join(f"{k}={v!r}" for k, v in allowed.items()) or "no options"
        raise ValueError(
            f"attention '{spec.name}' does not take option(s) {', '.join(unknown)}; "
            f"it takes: {takes}"
        )
    if channels < 1 or height < 1 or (width is not None and width < 1):
        raise ValueError(
            f"attention '{spec.name}': map sizes must be positive, got channels={channels}, "
            f"height={height}, width={width}"
        )
    fmap = FeatureMap(channels=channels, height=height, width=width, sfreq=sfreq)
    return spec.builder(fmap, **options)
