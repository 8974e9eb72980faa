"""The attention zoo: modules from the vision literature adapted to EEG feature maps.

Every module maps ``(B, C, H, W)`` to the same shape with time on the last axis (see
:class:`FeatureMap`) and is built by name:

>>> from bci_attn import attention
>>> module = attention.create("se", 16, reduction=4)
>>> "none" in attention.available()
True

Each file of this package holds one module and registers it with :func:`register`; all
files are imported here, so a new file is all a new module needs. A registration names the
code the module is checked against and how it differs from it (:func:`reference_table`);
where the reference, the paper and EEG maps call for different computations the module's
``variant`` option chooses one, and its version says whether the default still computes
what bci-attn 0.1 did (:meth:`AttentionSpec.resolve`).
"""

import importlib
import pkgutil

from .base import AttentionModule, FeatureMap, hidden_width
from .registry import AttentionSpec, available, create, get_spec, reference_table, register

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
    "reference_table",
    "register",
]
