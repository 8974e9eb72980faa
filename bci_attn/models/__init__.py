"""Backbones with attention: the registry of backbones, building and costing a model.

Each backbone file of this package (``eegnet.py``, ``shallow.py``) registers one
:class:`Backbone` record with :func:`register`; all of them are imported here, so a new
file is all a new backbone needs. The registry is importable without torch; the names
that build or run models (:func:`build_model`, :func:`insert_attention`,
:func:`resolve_points`, :func:`feature_maps`, :class:`TimeLastLayout`) import torch on
first use (:mod:`bci_attn.lazy`):

>>> from bci_attn import models
>>> models.available()
['eegnet', 'shallow']
>>> models.get_backbone("eegnet").display_name
'EEGNet'
"""

import importlib
import pkgutil

from ..lazy import lazy_exports
from .registry import Backbone, available, get_backbone, register

#: Modules of this package that are not backbone files.
_INFRASTRUCTURE = {"registry", "insertion", "combined_conv", "cost"}
for _info in pkgutil.iter_modules(__path__):
    if _info.name not in _INFRASTRUCTURE:
        importlib.import_module(f"{__name__}.{_info.name}")

__getattr__, _LAZY = lazy_exports(
    __name__,
    {
        "insertion": (
            "TimeLastLayout",
            "build_model",
            "feature_maps",
            "insert_attention",
            "resolve_points",
        )
    },
)

__all__ = ["Backbone", "available", "get_backbone", "register", *_LAZY]
