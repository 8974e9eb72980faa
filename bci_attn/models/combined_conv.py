"""ShallowFBCSPNet's merged temporal-spatial convolution, computed as a 1-D convolution.

braindecode's :class:`~braindecode.modules.CombinedConv` (Schirrmeister et al., 2017,
https://doi.org/10.1002/hbm.23730) merges the temporal and the spatial filters into one
``(filter_time_length, n_chans)`` kernel over a one-channel ``(B, 1, T, E)`` map. On CPU,
oneDNN computes that one-input-channel 2-D convolution's weight gradient slowly; the same
product read as a 1-D convolution with the electrodes as input channels is several times
faster (``benchmarks/shallow_conv.py``). braindecode offers no such option, hence this
module: it adopts the original's parameters (same names, same values: saved models load
either way) and gives the same outputs up to floating-point rounding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from braindecode.modules import CombinedConv
from torch import nn


class CombinedConv1d(nn.Module):
    """A :class:`~braindecode.modules.CombinedConv` computed with ``conv1d``.

    Parameters
    ----------
    combined : braindecode.modules.CombinedConv
        The layer to compute; its ``conv_time`` and ``conv_spat`` become this module's.

    Notes
    -----
    Input ``(B, 1, T, E)``, output ``(B, n_filters_spat, T - filter_time_length + 1, 1)``,
    as the original's.
    """

    def __init__(self, combined: CombinedConv) -> None:
        super().__init__()
        self.conv_time = combined.conv_time
        self.conv_spat = combined.conv_spat

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (Ft, 1, K, 1) * (Ft, Fs, 1, E), summed over Ft: the merged (Fs, K, E) kernel.
        weight = (self.conv_time.weight * self.conv_spat.weight.permute(1, 0, 2, 3)).sum(0)
        bias = self.conv_spat.bias
        if self.conv_time.bias is not None:
            time_bias = self.conv_spat.weight.sum((2, 3)) @ self.conv_time.bias
            bias = time_bias if bias is None else bias + time_bias
        out = F.conv1d(x[:, 0].transpose(1, 2), weight.transpose(1, 2), bias)
        return out.unsqueeze(-1)


def use_conv1d(model: nn.Module) -> nn.Module:
    """``model`` with its ``conv_time_spat`` :class:`CombinedConv`, if it has one, replaced
    by a :class:`CombinedConv1d` (in place; the post-build hook of ShallowFBCSPNet)."""
    if isinstance(getattr(model, "conv_time_spat", None), CombinedConv):
        model.conv_time_spat = CombinedConv1d(model.conv_time_spat)
    return model
