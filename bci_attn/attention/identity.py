"""``none``: the backbone without attention."""

from __future__ import annotations

from torch import nn

from .base import FeatureMap
from .registry import register


@register("none", summary="no attention (identity): the backbone alone")
def build_none(fmap: FeatureMap) -> nn.Module:
    """Identity; keeps the registry uniform so ``--attn none`` is the baseline."""
    return nn.Identity()
