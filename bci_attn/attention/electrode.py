"""``electrode``: EEG-native electrode attention, a squeeze-and-excitation gate over electrodes.

Not from the vision literature: the SE recipe (Hu et al., CVPR 2018) applied to the
electrode axis instead of the feature channels, placed before the spatial filter, where the
map still has one row per electrode. Its weights belong to the montage and can be drawn as a
scalp topography.
"""

from __future__ import annotations

import torch
from torch import nn

from .base import AttentionModule, FeatureMap, hidden_width, positive_int
from .registry import register


class ElectrodeAttention(AttentionModule):
    """Squeeze-and-excitation over electrodes.

    ::

        s = mean over feature channels and time of x     (B, E)
        w = σ(W₂ ReLU(W₁ s))                             W₁: E → E/r, W₂: E/r → E
        y = x · w[:, None, :, None]

    Parameters
    ----------
    electrodes : int
        Electrodes ``E`` (the map's height).
    hidden : int
        Bottleneck width ``max(1, E // r)``.

    Notes
    -----
    Records ``"electrode"`` ``(B, E)``: the gate ``w``, in the order of the data's channels.
    Input and output are ``(B, C, E, T)``.

    References
    ----------
    .. [Hu2018] Hu, J., Shen, L., Sun, G., 2018. Squeeze-and-Excitation Networks.
        CVPR 2018.
    """

    def __init__(self, electrodes: int, hidden: int) -> None:
        super().__init__()
        self.electrodes = electrodes
        self.fc = nn.Sequential(
            nn.Linear(electrodes, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, electrodes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, E, T)`` → ``(B, C, E, T)``."""
        if x.shape[2] != self.electrodes:
            raise ValueError(
                f"attention 'electrode' was built for {self.electrodes} electrodes, "
                f"got a map with {x.shape[2]} rows"
            )
        w = self.record("electrode", torch.sigmoid(self.fc(x.mean(dim=(1, 3)))))
        return x * w[:, None, :, None]


@register(
    "electrode",
    summary="Electrode attention: SE gate over electrodes before the spatial filter "
    "(EEG-native; SE recipe of Hu et al., CVPR 2018)",
    reference="none: EEG-native, the SE recipe (Hu et al., CVPR 2018) over electrodes",
    differs="nothing (not from the vision literature)",
    default_at="input",
)
def build_electrode(fmap: FeatureMap, *, reduction: int = 4) -> nn.Module:
    """SE over the ``E = H`` electrodes with ``max(1, E // reduction)`` hidden units.

    Raises
    ------
    ValueError
        On a map with one row: the spatial filter has merged the electrodes already.
    """
    if fmap.height == 1:
        raise ValueError(
            "attention 'electrode' gates electrodes, but this map has a single row (H = 1): "
            "the spatial filter has merged the electrodes already; place it before the "
            "spatial filter: at='input' or 'temporal' for eegnet, at='input' for shallow"
        )
    hidden = hidden_width(fmap.height, positive_int("electrode", "reduction", reduction))
    return ElectrodeAttention(fmap.height, hidden)
