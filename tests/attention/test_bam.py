"""BAM: EEG dilated kernels, the paper's equations, and the official code's computation."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from zoo_helpers import EEG_MAPS, assert_same_function, load_into, middle_row, perturb

from bci_attn import attention
from bci_attn.attention import hidden_width
from bci_attn.attention.bam import dilated_kernel


def test_bam_dilated_kernels() -> None:
    assert dilated_kernel(8, 3, 4) == (3, 3)  # 3 taps, dilation cut to fit 8 electrodes
    assert dilated_kernel(22, 3, 4) == (3, 4)
    assert dilated_kernel(2, 3, 4) == (3, 1)  # odd: symmetric 'same' padding
    assert dilated_kernel(1, 3, 4) == (1, 1)
    module = attention.create("bam", 16, height=1, width=33)
    conv = module.spatial_gate[3]
    assert conv.kernel_size == (1, 3) and conv.dilation == (1, 4)
    module = attention.create("bam", 8, height=8, width=129)
    conv = module.spatial_gate[3]
    assert conv.kernel_size == (3, 3) and conv.dilation == (3, 4)


def bn_eval(v: torch.Tensor, layer: nn.modules.batchnorm._BatchNorm) -> torch.Tensor:
    shape = (1, -1) + (1,) * (v.dim() - 2)
    mean, var = layer.running_mean.view(shape), layer.running_var.view(shape)
    scale, shift = layer.weight.view(shape), layer.bias.view(shape)
    return (v - mean) / torch.sqrt(var + layer.eps) * scale + shift


def test_bam_paper_follows_the_papers_sum() -> None:
    module = perturb(attention.create("bam", 8, height=4, width=30, reduction=2, variant="paper"))
    module.eval()
    x = torch.randn(3, 8, 4, 30)
    cg = module.channel_gate
    m_c = bn_eval(cg[4](torch.relu(cg[2](x.mean(dim=(2, 3))))), cg[5])  # BN(MLP(GAP x))
    sg = module.spatial_gate
    h = torch.relu(bn_eval(F.conv2d(x, sg[0].weight), sg[1]))
    for conv, norm in ((sg[3], sg[4]), (sg[6], sg[7])):
        # "same" padding for a (3, 3) kernel with dilation (d_e, d_t)
        pad = (conv.dilation[1], conv.dilation[1], conv.dilation[0], conv.dilation[0])
        h = torch.relu(bn_eval(F.conv2d(F.pad(h, pad), conv.weight, dilation=conv.dilation), norm))
    m_s = bn_eval(F.conv2d(h, sg[9].weight), sg[10])
    att = torch.sigmoid(m_c[:, :, None, None] + m_s)
    y = module(x)
    torch.testing.assert_close(y, x + x * att)
    torch.testing.assert_close(module.attention_weights["map"], att)
    # not the official code's product of the branches
    product = x * (1 + torch.sigmoid(m_c[:, :, None, None] * m_s))
    assert not torch.allclose(y, product)


class JongchanBAM(nn.Module):
    """BAM as Jongchan/attention-module MODELS/bam.py (@ 459efad) computes it, written from
    that file. Channel gate: ``Linear(C, C/r) → BatchNorm1d → ReLU → Linear(C/r, C)`` (all
    ``nn.Linear`` with biases) on the average-pooled map; spatial gate: ``Conv2d(C, C/r, 1)
    → BN → ReLU``, twice ``Conv2d(C/r, C/r, 3, padding=4, dilation=4) → BN → ReLU``,
    ``Conv2d(C/r, 1, 1)``, every conv with its default bias and no BN after the last;
    output ``(1 + σ(M_c·M_s))·x``.

    Two things of the file cannot run and are left out: the undefined ``gate_activation``
    (issue #27), and the average pooling with the square kernel ``x.size(2)``, which pools
    the whole map only when ``H = W``; here the pooling is global. The 3×3 kernels are
    built as ``(k_e, 3)`` with the electrode dilation of the map (as ours), since on EEG
    maps the kernel cannot dilate by 4 along 1 or 8 electrodes.
    """

    def __init__(self, channels: int, hidden: int, k_e: int, d_e: int) -> None:
        super().__init__()
        self.fc0 = nn.Linear(channels, hidden)
        self.bn_c = nn.BatchNorm1d(hidden)
        self.fc_final = nn.Linear(hidden, channels)
        self.reduce0 = nn.Conv2d(channels, hidden, 1)
        self.bn_reduce0 = nn.BatchNorm2d(hidden)
        self.di = nn.ModuleList(
            nn.Conv2d(hidden, hidden, (k_e, 3), padding=(d_e * (k_e // 2), 4), dilation=(d_e, 4))
            for _ in range(2)
        )
        self.bn_di = nn.ModuleList(nn.BatchNorm2d(hidden) for _ in range(2))
        self.final = nn.Conv2d(hidden, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m_c = self.fc_final(torch.relu(self.bn_c(self.fc0(x.mean(dim=(2, 3))))))
        h = torch.relu(self.bn_reduce0(self.reduce0(x)))
        for conv, norm in zip(self.di, self.bn_di, strict=True):
            h = torch.relu(norm(conv(h)))
        m_s = self.final(h)
        return (1 + torch.sigmoid(m_c[:, :, None, None] * m_s)) * x


BN_KEYS = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


def bn_names(theirs: str, ours: str) -> dict[str, str]:
    return {f"{theirs}.{k}": f"{ours}.{k}" for k in BN_KEYS}


@pytest.mark.parametrize("shape", EEG_MAPS)
def test_bam_official_is_the_authors_bam(shape: tuple[int, int, int, int]) -> None:
    _, c, h, w = shape
    ours = perturb(attention.create("bam", c, height=h, width=w, reduction=4))
    conv = ours.spatial_gate[3]
    assert conv.kernel_size[1] == 3 and conv.dilation[1] == 4  # the official temporal taps
    k_e, d_e = conv.kernel_size[0], conv.dilation[0]
    if h == 1:  # the official 3×3 kernel on a single row: only its middle row sees data
        reference = JongchanBAM(c, hidden_width(c, 4), 3, 4)
        row = {
            f"di.{i}.weight": (lambda s, i=i: middle_row(s[f"spatial_gate.{3 * i + 3}.weight"], 3))
            for i in range(2)
        }
    else:
        reference = JongchanBAM(c, hidden_width(c, 4), k_e, d_e)
        row = {f"di.{i}.weight": f"spatial_gate.{3 * i + 3}.weight" for i in range(2)}
    names = {
        "fc0.weight": "channel_gate.2.weight",
        "fc0.bias": "channel_gate.2.bias",
        **bn_names("bn_c", "channel_gate.3"),
        "fc_final.weight": "channel_gate.5.weight",
        "fc_final.bias": "channel_gate.5.bias",
        "reduce0.weight": "spatial_gate.0.weight",
        "reduce0.bias": "spatial_gate.0.bias",
        **bn_names("bn_reduce0", "spatial_gate.1"),
        **row,
        "final.weight": "spatial_gate.9.weight",
        "final.bias": "spatial_gate.9.bias",
    }
    for i in range(2):
        names[f"di.{i}.bias"] = f"spatial_gate.{3 * i + 3}.bias"
        names.update(bn_names(f"bn_di.{i}", f"spatial_gate.{3 * i + 4}"))
    assert_same_function(ours, load_into(reference, ours, names), torch.randn(shape))
