"""``none``: the backbone without attention."""

from __future__ import annotations

from torch import nn

from .base import FeatureMap
from .registry import register


@register(
    "none",
    summary="no attention (identity): the backbone alone",
    reference="torch.nn.Identity",
    differs="nothing",
)
def build_none(fmap: FeatureMap) -> nn.Module:
    """Identity; keeps the registry uniform so ``--attn none`` is the baseline."""
    return nn.Identity()
