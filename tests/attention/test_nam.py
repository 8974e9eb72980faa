"""NAM: weighting by BatchNorm scale factors, the pixel part, and the official code."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from zoo_helpers import EEG_MAPS, assert_same_function, load_into, perturb

from bci_attn import attention


def test_nam_channel_weighting_and_penalty() -> None:
    module = attention.create("nam", 4, sparsity=1e-3)
    bn = module.channel_bn
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.0, -2.0, 3.0, -4.0]))
        bn.bias.copy_(torch.tensor([0.1, 0.0, -0.2, 0.3]))
        bn.running_mean.copy_(torch.tensor([0.5, -0.5, 0.0, 1.0]))
        bn.running_var.copy_(torch.tensor([1.0, 2.0, 0.5, 4.0]))
    module.eval()
    x = torch.randn(2, 4, 3, 7)
    shape = (1, 4, 1, 1)
    z = (x - bn.running_mean.view(shape)) / torch.sqrt(bn.running_var.view(shape) + bn.eps)
    z = z * bn.weight.view(shape) + bn.bias.view(shape)
    w = torch.tensor([1.0, 2.0, 3.0, 4.0]) / 10.0  # |gamma| / sum |gamma|
    torch.testing.assert_close(module(x), x * torch.sigmoid(w.view(shape) * z))
    torch.testing.assert_close(module.attention_weights["channel_importance"], w)
    torch.testing.assert_close(module.penalty(), torch.tensor(1e-3 * 10.0))
    assert attention.create("nam", 4).penalty().item() == pytest.approx(1e-4 * 4)


def test_nam_spatial_part() -> None:
    with pytest.raises(ValueError, match="'nam'.*width"):
        attention.create("nam", 4, spatial=True)
    module = attention.create("nam", 4, height=2, width=5, spatial=True)
    assert module.pixel_bn.num_features == 10
    assert module.penalty().item() == pytest.approx(1e-4 * (4 + 10))
    x = torch.randn(3, 4, 2, 5)
    y = module(x)  # training mode: pixel statistics over trials and channels
    assert y.shape == x.shape and module.attention_weights["spatial"].shape == (3, 2, 5)
    module.eval()
    xc = x * torch.sigmoid(0.25 * module.channel_bn(x))  # equal gammas: w = 1/C
    pixels = xc.reshape(3, 4, 10).transpose(1, 2)
    bn = module.pixel_bn
    zp = (pixels - bn.running_mean[None, :, None]) / torch.sqrt(
        bn.running_var[None, :, None] + bn.eps
    )
    gate = torch.sigmoid(0.1 * zp).transpose(1, 2).reshape(3, 4, 2, 5)
    torch.testing.assert_close(module(x), xc * gate)
    with pytest.raises(ValueError, match="'nam'"):
        module(torch.randn(3, 4, 2, 6))


def test_nam_through_the_model_factory() -> None:
    from bci_attn.models import build_model

    model = build_model(
        "eegnet",
        "nam",
        "temporal",
        n_chans=8,
        n_times=128,
        n_outputs=4,
        sfreq=128.0,
        attention_options={"spatial": True},
    )
    module = model.attention_temporal
    assert module.penalty() is not None
    assert model(torch.randn(3, 8, 128)).shape == (3, 4)


class ChristianNAM(nn.Module):
    """NAM as Christian-lyc/NAM MODELS/attention.py computes it, written from that file:
    ``Channel_Att`` (@ 6e8d3e3): ``z = bn2(x)``, ``w = |bn2.weight.data| / Σ|…|`` (a
    constant), ``σ(w·z)·x``; ``Spatial_Att`` (@ d135ad4): the same with a ``BatchNorm1d``
    over the ``H·W`` positions of the ``(B, H·W, C)`` map."""

    def __init__(self, channels: int, positions: int) -> None:
        super().__init__()
        self.bn2 = nn.BatchNorm2d(channels)
        self.bn = nn.BatchNorm1d(positions)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        g = self.bn2.weight.data.abs()
        x = torch.sigmoid(self.bn2(x) * (g / g.sum())[:, None, None]) * x
        pixels = self.bn(x.reshape(b, c, h * w).permute(0, 2, 1)).permute(0, 2, 1)
        g = self.bn.weight.data.abs()
        return torch.sigmoid((g / g.sum()) * pixels).reshape(b, c, h, w) * x


BN_KEYS = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")


@pytest.mark.parametrize("shape", EEG_MAPS)
def test_nam_official_is_the_authors_nam(shape: tuple[int, int, int, int]) -> None:
    b, c, h, w = shape
    ours = perturb(attention.create("nam", c, height=h, width=w, spatial=True))
    names = {f"bn2.{k}": f"channel_bn.{k}" for k in BN_KEYS}
    names.update({f"bn.{k}": f"pixel_bn.{k}" for k in BN_KEYS})
    reference = load_into(ChristianNAM(c, h * w), ours, names)
    x = torch.randn(shape)
    assert_same_function(ours, reference, x)
    # the gradient as well: none through w, as the official .data
    ours.train()
    reference.train()
    ours(x).square().mean().backward()
    reference(x).square().mean().backward()
    torch.testing.assert_close(ours.channel_bn.weight.grad, reference.bn2.weight.grad)
    torch.testing.assert_close(ours.pixel_bn.weight.grad, reference.bn.weight.grad)


def test_nam_paper_differs_in_the_gradient_only() -> None:
    official = perturb(attention.create("nam", 8))
    paper = attention.create("nam", 8, variant="paper")
    paper.load_state_dict(copy.deepcopy(official.state_dict()))
    x = torch.randn(4, 8, 22, 16)
    y_official, y_paper = official(x), paper(x)
    torch.testing.assert_close(y_official, y_paper)
    y_official.square().mean().backward()
    y_paper.square().mean().backward()
    torch.testing.assert_close(official.channel_bn.bias.grad, paper.channel_bn.bias.grad)
    assert not torch.allclose(official.channel_bn.weight.grad, paper.channel_bn.weight.grad)
