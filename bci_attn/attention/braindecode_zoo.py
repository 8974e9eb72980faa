"""braindecode's own attention modules, used as they are, behind the zoo's interface.

``fca``, ``encnet``, ``ge``, ``gct``, ``srm``, ``cat`` and ``catlite`` are the modules of
:mod:`braindecode.modules.attention` (ported from Wimpff et al. 2024's AttentionBaseNet);
so is ``gsop``'s ``variant="braindecode"`` (:mod:`bci_attn.attention.gsop`). They are **not**
rewritten: :class:`BraindecodeAttention` holds the braindecode module, returns its output
unchanged and only records the gains it applied. Options keep braindecode's argument names
except the reduction ratio, ``reduction`` as in the rest of the zoo (braindecode's
``reduction_rate`` is accepted as its old name); the defaults are Wimpff's (reduction 4,
``freq_idx=0``, ``n_codewords=4``, no MLP, no extra GE parameters) except that CAT's temporal
kernel is given in milliseconds (``kernel_ms``) like the rest of the zoo.

Two adaptations at the boundary, neither touching the modules:

- **Reduction clamp.** braindecode sizes bottlenecks as ``C // reduction_rate``, zero on the
  1-channel input map. The rate handed to braindecode is ``min(reduction, C)``, which
  gives exactly ``max(1, C // reduction)`` hidden units.
- **Single-row maps.** GSoP, FCA, EncNet, CAT and CATLite squeeze or transpose the height
  axis and only work with ``H = 1``; on maps that still have electrodes they are refused
  with a ValueError naming the insertion points after the spatial filter.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .base import AttentionModule, FeatureMap, positive_int, spatial_kernel
from .registry import register

SINGLE_ROW_POINTS = (
    "after the spatial filter: at='spatial' or 'separable' for eegnet, "
    "at='conv' or 'pool' for shallow"
)


def braindecode_attention():
    """braindecode's ``modules.attention``, imported when a module is built: importing
    braindecode takes seconds (MNE, scikit-learn), and the registry must list the zoo's
    names and options at once."""
    from braindecode.modules import attention

    return attention


def require_single_row(fmap: FeatureMap, module: str) -> None:
    """Refuse a map that still has an electrode axis (``H > 1``)."""
    if fmap.height != 1:
        raise ValueError(
            f"attention '{module}' (braindecode) needs a map with a single row (H = 1), got "
            f"H = {fmap.height} electrodes; place it {SINGLE_ROW_POINTS}"
        )


#: braindecode's name of the reduction ratio, read as the zoo's ``reduction``.
REDUCTION_ALIAS = {"reduction_rate": "reduction"}

#: What the modules of this file are checked against and how they differ from it.
BRAINDECODE = "braindecode 1.8.1 braindecode/modules/attention.py (used as is)"
AS_IS = "nothing (braindecode's module; reduction clamped to >= 1 hidden unit)"


def clamped_rate(fmap: FeatureMap, module: str, reduction: int) -> int:
    """Reduction rate for braindecode giving ``max(1, C // reduction)`` hidden units."""
    return min(positive_int(module, "reduction", reduction), fmap.channels)


def least_squares_gain(x: torch.Tensor, y: torch.Tensor, dims: tuple[int, ...]) -> torch.Tensor:
    """Gain ``g`` minimising ``‖y − g·x‖²`` over ``dims``: ``Σ x·y / Σ x²``.

    Exactly the gate for a module computing ``y = g·x`` with ``g`` constant over ``dims``;
    for a gate that varies over ``dims`` it is its ``x²``-weighted average.
    """
    return (x * y).sum(dims) / (x * x).sum(dims).clamp_min(1e-12)


def channel_gate(gate: torch.Tensor, kind: str = "channel") -> dict[str, torch.Tensor]:
    """A captured gate ``(B, C)``, ``(B, C, 1)`` or ``(B, C, 1, 1)`` as ``{"channel": (B, C)}``;
    a gate that varies along the height (``(B, C, H, 1)``) as ``{"channel_electrode":
    (B, C, H)}``."""
    flat = gate.reshape(gate.shape[0], gate.shape[1], -1)
    if flat.shape[-1] == 1:
        return {kind: flat[..., 0]}
    return {f"{kind}_electrode": flat}


class BraindecodeAttention(AttentionModule):
    """A braindecode attention module with the zoo's weight recording.

    ``forward`` returns ``module(x)`` untouched. The weights are recorded in one of two ways:

    - ``gate`` names a submodule whose output is the module's gate or its pre-activation
      (``activation`` is then applied, as braindecode does after it): a forward hook, active
      only during this call, captures it and it is recorded as ``"channel"`` ``(B, C)``.
    - ``gate=None``: braindecode computes the gate with functional calls only (GCT, CAT,
      CATLite); the *effective* gain is recorded, ``Σ x·y / Σ x²`` per channel over
      ``(H, W)`` as ``"channel"`` ``(B, C)`` and, with ``spatial=True``, per position over
      the channels as ``"spatial"`` ``(B, H, W)``. It equals the gate wherever the gate is
      per channel (GCT, CATLite) and is the ``x²``-weighted average of CAT's mixed gate.

    Parameters
    ----------
    module : nn.Module
        The braindecode module, kept as ``self.module`` (its ``state_dict`` keys are
        prefixed with ``module.``).
    gate : str | None
        Dotted name of the gate submodule inside ``module``.
    activation : callable | None
        Applied to the captured output to obtain the gain.
    spatial : bool
        Also record the effective per-position gain (``gate=None`` only).
    """

    def __init__(
        self,
        module: nn.Module,
        gate: str | None = None,
        activation: Callable[[torch.Tensor], torch.Tensor] | None = None,
        spatial: bool = False,
    ) -> None:
        super().__init__()
        self.module = module
        self.gate = gate
        self.activation = activation
        self.spatial = spatial

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` → braindecode's output, ``(B, C, H, W)``."""
        if self.gate is None:
            y = self.module(x)
            self._record_effective(x, y)
            return y
        captured: list[torch.Tensor] = []
        hook = self.module.get_submodule(self.gate).register_forward_hook(
            lambda _module, _args, out: captured.append(out)
        )
        try:
            y = self.module(x)
        finally:
            hook.remove()
        gain = captured[-1].detach()
        if self.activation is not None:
            gain = self.activation(gain)
        self.attention_weights = channel_gate(gain)
        return y

    @torch.no_grad()
    def _record_effective(self, x: torch.Tensor, y: torch.Tensor) -> None:
        x, y = x.detach(), y.detach()
        self.record("channel", least_squares_gain(x, y, (2, 3)))
        if self.spatial:
            self.record("spatial", least_squares_gain(x, y, (1,)))


@register(
    "fca",
    summary="Frequency channel attention: DCT-pooled SE (Qin et al., ICCV 2021; "
    "braindecode's FCA)",
    reference=BRAINDECODE,
    differs=AS_IS,
    aliases=REDUCTION_ALIAS,
)
def build_fca(fmap: FeatureMap, *, reduction: int = 4, freq_idx: int = 0) -> nn.Module:
    """braindecode ``FCA(in_channels=C, seq_len=W, reduction_rate, freq_idx)``; needs
    ``H = 1`` and the map's width. Records the output of its final sigmoid."""
    require_single_row(fmap, "fca")
    _, width = fmap.require_size("fca")
    if isinstance(freq_idx, bool) or not isinstance(freq_idx, int) or not 0 <= freq_idx < width:
        raise ValueError(
            f"attention 'fca': option freq_idx must be a DCT index in 0..{width - 1} (the map "
            f"has {width} time samples), got {freq_idx!r}"
        )
    rate = clamped_rate(fmap, "fca", reduction)
    module = braindecode_attention().FCA(
        fmap.channels, seq_len=width, reduction_rate=rate, freq_idx=freq_idx
    )
    return BraindecodeAttention(module, gate="fc")


@register(
    "encnet",
    summary="Context encoding: codeword-based channel scaling (Zhang et al., CVPR 2018; "
    "braindecode's EncNet)",
    reference=BRAINDECODE,
    differs="nothing (braindecode's module)",
)
def build_encnet(fmap: FeatureMap, *, n_codewords: int = 4) -> nn.Module:
    """braindecode ``EncNet(in_channels=C, n_codewords)``; needs ``H = 1``. Records
    ``σ(fc(·))``, the gate braindecode applies."""
    require_single_row(fmap, "encnet")
    module = braindecode_attention().EncNet(
        fmap.channels, positive_int("encnet", "n_codewords", n_codewords)
    )
    return BraindecodeAttention(module, gate="fc", activation=torch.sigmoid)


@register(
    "ge",
    summary="Gather-excite: pooled or depthwise-gathered context gate (Hu et al., "
    "NeurIPS 2018; braindecode's GatherExcite)",
    reference=BRAINDECODE + "; timm 1.0.31 timm/layers/gather_excite.py GatherExcite",
    differs="nothing against braindecode; its parameter-free default equals timm's GE (timm "
    "1.0.31 cannot build its MLP or gather parameters; braindecode's MLP has no biases and "
    "its depthwise gather spans time only); reduction clamped to >= 1 hidden unit",
    aliases=REDUCTION_ALIAS,
)
def build_ge(
    fmap: FeatureMap,
    *,
    extra_params: bool = False,
    use_mlp: bool = False,
    reduction: int = 4,
) -> nn.Module:
    """braindecode ``GatherExcite(in_channels=C, seq_len=W, extra_params, use_mlp,
    reduction_rate)``. Records ``σ(mlp(·))``: ``"channel"`` ``(B, C)``, or with
    ``extra_params`` on a map with electrodes ``"channel_electrode"`` ``(B, C, H)`` (the
    depthwise gather spans time only)."""
    seq_len = fmap.require_size("ge")[1] if extra_params else 62
    module = braindecode_attention().GatherExcite(
        fmap.channels,
        seq_len=seq_len,
        extra_params=bool(extra_params),
        use_mlp=bool(use_mlp),
        reduction_rate=clamped_rate(fmap, "ge", reduction),
    )
    return BraindecodeAttention(module, gate="mlp", activation=torch.sigmoid)


@register(
    "gct",
    summary="Gated channel transformation: normalised channel competition "
    "(Yang et al., CVPR 2020; braindecode's GCT)",
    reference=BRAINDECODE,
    differs="nothing (braindecode's module)",
)
def build_gct(fmap: FeatureMap) -> nn.Module:
    """braindecode ``GCT(in_channels=C)``. Its gate ``1 + tanh(·)`` is computed without
    submodules: the effective per-channel gain is recorded (equal to the gate)."""
    return BraindecodeAttention(braindecode_attention().GCT(fmap.channels))


@register(
    "srm",
    summary="Style-based recalibration: mean/std channel gate (Lee et al., ICCV 2019; "
    "braindecode's SRM)",
    reference=BRAINDECODE,
    differs=AS_IS,
    aliases=REDUCTION_ALIAS,
)
def build_srm(
    fmap: FeatureMap, *, use_mlp: bool = False, reduction: int = 4, bias: bool = False
) -> nn.Module:
    """braindecode ``SRM(in_channels=C, use_mlp, reduction_rate, bias)``. Records
    ``σ(bn(·))``, the gate braindecode applies."""
    module = braindecode_attention().SRM(
        fmap.channels,
        use_mlp=bool(use_mlp),
        reduction_rate=clamped_rate(fmap, "srm", reduction),
        bias=bias,
    )
    return BraindecodeAttention(module, gate="bn", activation=torch.sigmoid)


@register(
    "cat",
    summary="Collaborative channel + temporal attention with entropy pooling "
    "(Wu et al., IET CV 2023; braindecode's CAT)",
    reference=BRAINDECODE,
    differs=AS_IS + "; temporal kernel in milliseconds",
    aliases=REDUCTION_ALIAS,
)
def build_cat(
    fmap: FeatureMap,
    *,
    reduction: int = 4,
    kernel_ms: float = 100.0,
    kernel_size: int | None = None,
    bias: bool = False,
) -> nn.Module:
    """braindecode ``CAT(in_channels=C, reduction_rate, kernel_size, bias)`` with the
    temporal kernel from ``kernel_size`` (samples) or ``kernel_ms``; needs ``H = 1``.
    Records the effective gains: ``"channel"`` ``(B, C)`` and ``"spatial"`` ``(B, 1, W)``."""
    require_single_row(fmap, "cat")
    _, k_t = spatial_kernel(
        fmap, "cat", kernel_ms=kernel_ms, kernel_size=kernel_size, electrode_kernel=1
    )
    if k_t % 2 == 0:
        raise ValueError(f"attention 'cat': option kernel_size must be odd, got {k_t}")
    rate = clamped_rate(fmap, "cat", reduction)
    return BraindecodeAttention(
        braindecode_attention().CAT(fmap.channels, rate, k_t, bias=bias), spatial=True
    )


@register(
    "catlite",
    summary="CAT without its temporal branch: collaborative channel attention "
    "(Wu et al., IET CV 2023; braindecode's CATLite)",
    reference=BRAINDECODE,
    differs=AS_IS,
    aliases=REDUCTION_ALIAS,
)
def build_catlite(fmap: FeatureMap, *, reduction: int = 4, bias: bool = True) -> nn.Module:
    """braindecode ``CATLite(in_channels=C, reduction_rate, bias)``; needs ``H = 1``.
    Records the effective per-channel gain (equal to its channel gate)."""
    require_single_row(fmap, "catlite")
    rate = clamped_rate(fmap, "catlite", reduction)
    return BraindecodeAttention(braindecode_attention().CATLite(fmap.channels, rate, bias=bias))
