"""SCConv (Li, Wen & He, CVPR 2023): its parameter count, its computation from the paper's
equations, the EEG variant, the clamps for few channels, and bci-attn 0.1's module that
carried the name (SCNet's split)."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from zoo_helpers import EEG_MAPS, n_params, perturb

from bci_attn import attention


def test_scconv_has_the_papers_parameter_count() -> None:
    """The paper's configuration (α = 1/2, r = 2, g = 2, k = 3) in place of a 3×3 conv of a
    256-channel ResNet stage: squeezes ``C/2 → C/4`` twice (``C²/8`` each), GWC ``C/4 → C``
    in 2 groups (``9C²/8``), PWC₁ ``C/4 → C`` (``C²/4``), PWC₂ ``C/4 → 3C/4`` (``3C²/16``),
    and the SRU's GroupNorm (``2C``): ``29C²/16 + 2C``, about a fifth of the conv's ``9C²``
    (the paper's claim that SCConv has far fewer parameters than the convolution it
    replaces)."""
    c = 256
    module = attention.create(
        "scconv", c, height=14, width=14, kernel_size=3, electrode_kernel=3, variant="paper"
    )
    cru = module.cru
    assert (cru.squeeze_up.out_channels, cru.squeeze_low.out_channels) == (c // 4, c // 4)
    assert cru.gwc.kernel_size == (3, 3) and cru.gwc.groups == 2
    assert cru.pwc_low.out_channels == 3 * c // 4
    assert module.sru.gn.num_groups == 16
    assert n_params(module) == 29 * c * c // 16 + 2 * c
    conv = nn.Conv2d(c, c, 3, bias=False)
    assert n_params(module) / n_params(conv) == pytest.approx(29 / 144, abs=1e-3)


def reference_scconv(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """SCConv from the paper's Sec. 3 (there is no official code), with ``module``'s
    weights, for an even number of channels.

    SRU: ``W_γ = γ/Σγ`` from the GroupNorm's scales, ``W = σ(W_γ·GN(X))``, weights above
    0.5 set to 1 (``W₁``) or to 0 (``W₂``), ``X₁ = W₁·X``, ``X₂ = W₂·X``, cross
    reconstruction ``[X₁₁ + X₂₂; X₂₁ + X₁₂]`` of the channel halves. CRU: split ``αC``,
    squeeze, ``Y₁ = GWC + PWC₁``, ``Y₂ = [PWC₂; X_low]``, ``S = GAP(Y)``,
    ``β₁ = e^{S₁}/(e^{S₁} + e^{S₂})``, ``β₂ = 1 − β₁``, ``Y = β₁Y₁ + β₂Y₂``.
    """
    sru, cru = module.sru, module.cru
    c = x.shape[1]
    gn = sru.gn
    z = F.group_norm(x, gn.num_groups, gn.weight, gn.bias, gn.eps)
    w = torch.sigmoid(z * (gn.weight / gn.weight.sum())[None, :, None, None])
    w1 = torch.where(w > 0.5, torch.ones_like(w), w)
    w2 = torch.where(w > 0.5, torch.zeros_like(w), w)
    x11, x12 = (w1 * x).chunk(2, dim=1)
    x21, x22 = (w2 * x).chunk(2, dim=1)
    xs = torch.cat([x11 + x22, x21 + x12], dim=1)
    up, low = xs[:, : cru.upper], xs[:, cru.upper :]
    up, low = cru.squeeze_up(up), cru.squeeze_low(low)
    y1 = cru.gwc(up) + cru.pwc_up(up)
    y2 = torch.cat([cru.pwc_low(low), low], dim=1)
    e1, e2 = y1.mean(dim=(2, 3)).exp(), y2.mean(dim=(2, 3)).exp()
    beta1 = (e1 / (e1 + e2))[:, :, None, None]
    assert c % 2 == 0
    return beta1 * y1 + (1 - beta1) * y2


@pytest.mark.parametrize("shape", EEG_MAPS)
def test_scconv_paper_follows_the_papers_equations(shape: tuple[int, int, int, int]) -> None:
    _, c, h, w = shape
    module = perturb(
        attention.create("scconv", c, height=h, width=w, sfreq=128.0, variant="paper")
    )
    x = torch.randn(shape)
    for training in (True, False):  # GroupNorm: no batch statistics, the same in both modes
        module.train(training)
        torch.testing.assert_close(module(x), reference_scconv(module, x), rtol=1e-4, atol=1e-5)
    weights = module.attention_weights
    assert weights["gates"].shape == shape and weights["spatial"].shape == (shape[0], h, w)
    assert weights["channel"].shape == (shape[0], c)


def test_scconv_eeg_adds_the_identity() -> None:
    eeg = perturb(attention.create("scconv", 16, height=1, width=32, sfreq=128.0))
    paper = attention.create("scconv", 16, height=1, width=32, sfreq=128.0, variant="paper")
    paper.load_state_dict(copy.deepcopy(eeg.state_dict()))
    x = torch.randn(4, 16, 1, 32)
    torch.testing.assert_close(eeg(x), x + paper(x))


@pytest.mark.parametrize(
    ("channels", "upper", "squeezed", "groups", "gn_groups"),
    [
        (2, 1, (1, 1), 1, 2),
        (7, 3, (1, 2), 1, 7),
        (8, 4, (2, 2), 2, 8),  # EEGNet's temporal filters
        (16, 8, (4, 4), 2, 16),  # EEGNet's spatial and separable maps
        (40, 20, (10, 10), 2, 10),  # ShallowConvNet's filters
    ],
)
def test_scconv_clamps_for_few_channels(channels, upper, squeezed, groups, gn_groups) -> None:
    module = attention.create("scconv", channels, height=1, width=16, sfreq=64.0)
    cru = module.cru
    assert cru.upper == upper
    assert (cru.squeeze_up.out_channels, cru.squeeze_low.out_channels) == squeezed
    assert cru.gwc.groups == groups and module.sru.gn.num_groups == gn_groups
    assert cru.gwc.kernel_size == (1, 7)  # 100 ms at 64 Hz, one row
    x = torch.randn(3, channels, 1, 16)
    assert module(x).shape == x.shape


def test_scconv_cross_reconstruction_pairs_channels_half_a_map_apart() -> None:
    """On odd ``C`` the non-informative part of channel ``i`` joins channel ``i + ⌊C/2⌋``
    (cyclically), as the two halves are crossed on even ``C``."""
    module = attention.create("scconv", 7, height=1, width=4, sfreq=64.0, gn_groups=1)
    with torch.no_grad():
        module.sru.gn.bias.fill_(-10.0)  # every gate below the threshold: W₁ = W₂ = W
    x = torch.zeros(1, 7, 1, 4)
    x[0, 5, 0] = torch.tensor([1.0, 2.0, 3.0, 4.0])
    y, gates = module.sru(x)
    assert bool((gates < 0.5).all())
    kept = gates[0, 5] * x[0, 5]
    torch.testing.assert_close(y[0, 5], kept)  # W₁·x in place
    torch.testing.assert_close(y[0, 1], kept)  # W₂·x moved by 3: (5 + 3) mod 7 = 1
    assert y[0, [0, 2, 3, 4, 6]].abs().max() == 0


def test_scconv_refuses_a_single_channel() -> None:
    with pytest.raises(ValueError, match="'scconv'.*at least 2.*at='temporal'"):
        attention.create("scconv", 1, height=8, width=64, sfreq=128.0)


@pytest.mark.parametrize("channels", [1, 7, 16])
def test_scconv_bci_attn_0_1_is_scnets_split(channels):
    module = attention.create(
        "scconv", channels, height=4, width=9, sfreq=32.0, variant="bci-attn-0.1"
    )
    assert module.plain_channels == channels // 2
    x = torch.randn(2, channels, 4, 9)
    assert module(x).shape == x.shape
    conv = module.scconv.k3[0]
    assert conv.kernel_size == (3, 3) and conv.in_channels == channels - channels // 2
    assert module.attention_weights["spatial"].shape == (2, 4, 9)
