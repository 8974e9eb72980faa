"""The attention zoo: modules from the vision literature adapted to EEG feature maps.

Every module maps ``(B, C, H, W)`` to the same shape with time on the last axis (see
:class:`FeatureMap`) and is built by name:

>>> from bci_attn import attention
>>> module = attention.create("se", 16, reduction=4)
>>> "none" in attention.available()
True

Each file of this package holds one module and registers it with :func:`register`; all
files are imported here, so a new file is all a new module needs.
"""

import importlib
import pkgutil

from .base import AttentionModule, FeatureMap, hidden_width
from .registry import AttentionSpec, available, create, get_spec, register

_INFRASTRUCTURE = {"base", "registry"}
for _info in pkgutil.iter_modules(__path__):
    if _info.name not in _INFRASTRUCTURE:
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = [
    "AttentionModule",
    "AttentionSpec",
    "FeatureMap",
    "available",
    "create",
    "get_spec",
    "hidden_width",
    "register",
]
