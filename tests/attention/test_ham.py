"""HAM: channel separation, the circulating implementations' computation, and the variants."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from zoo_helpers import EEG_MAPS, assert_same_function, load_into, middle_row, perturb

from bci_attn import attention
from bci_attn.attention.ham import important_channels


@pytest.mark.parametrize(
    ("channels", "c_im"), [(1, 1), (2, 1), (3, 2), (4, 2), (8, 4), (16, 10), (40, 24)]
)
def test_ham_important_group_size(channels: int, c_im: int) -> None:
    assert important_channels(channels, 0.6) == c_im


def _ham_small() -> tuple[nn.Module, torch.Tensor]:
    module = attention.create("ham", 4, height=3, width=9, kernel_size=3, residual=False)
    with torch.no_grad():
        module.channel_conv.weight.fill_(1.0)  # k = 1: A_C monotone in F_add
        module.spatial_conv.weight.normal_()
        module.spatial_bn.running_mean.fill_(0.1)
        module.spatial_bn.running_var.fill_(0.8)
        module.spatial_bn.weight.fill_(1.3)
        module.spatial_bn.bias.fill_(0.2)
    module.eval()
    # channel c is mostly the constant level[c] -> ranking of A_C known per trial
    levels = torch.tensor([[0.1, 2.0, -1.0, 1.0], [3.0, -2.0, 0.5, 0.0]])
    x = levels[:, :, None, None] + 0.05 * torch.randn(2, 4, 3, 9)
    return module, x


def test_ham_channel_separation_and_shared_conv() -> None:
    module, x = _ham_small()
    assert module.n_important == 2
    convs = [m for m in module.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in module.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(convs) == 1 and len(norms) == 1  # one conv + BN for both groups

    alpha, beta = module.alpha, module.beta
    f_avg, f_max = x.mean(dim=(2, 3)), x.amax(dim=(2, 3))
    f_add = 0.5 * (f_avg + f_max) + alpha * f_avg + beta * f_max
    a_c = torch.sigmoid(module.channel_conv.weight.flatten() * f_add)
    f1 = x * a_c[:, :, None, None]
    mask = torch.tensor([[0.0, 1, 0, 1], [1, 0, 1, 0]])  # top-2 levels per trial
    bn = module.spatial_bn

    def a_s(group: torch.Tensor, scale: float) -> torch.Tensor:
        d = torch.cat(
            [group.mean(dim=1, keepdim=True) * scale, group.amax(dim=1, keepdim=True)], 1
        )
        assert module.spatial_conv.kernel_size == (3, 3)  # (min(7, H), kernel_size)
        z = F.conv2d(d, module.spatial_conv.weight, padding=(1, 1))  # "same"
        z = (z - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps) * bn.weight + bn.bias
        return torch.sigmoid(torch.relu(z))

    g1 = f1 * mask[:, :, None, None]
    g2 = f1 * (1 - mask[:, :, None, None])
    expected = a_s(g1, 4 / 2) * g1 + a_s(g2, 4 / 2) * g2
    y = module(x)
    torch.testing.assert_close(module.attention_weights["important"], mask)
    torch.testing.assert_close(module.attention_weights["channel"], a_c)
    torch.testing.assert_close(y, expected)
    # the group average is the mean over the group's own channels
    own_mean = torch.stack([f1[i, mask[i].bool()].mean(dim=0) for i in range(2)])
    torch.testing.assert_close(g1.mean(dim=1) * 2, own_mean)
    # residual form: ReLU(F'' + x), or F'' + x, which keeps a signed EEG map's negative part
    module.residual = True
    module.residual_relu = True
    torch.testing.assert_close(module(x), torch.relu(expected + x))
    module.residual_relu = False
    torch.testing.assert_close(module(x), expected + x)


def test_ham_alpha_beta_and_shared_conv_get_gradients_from_both_groups() -> None:
    module, x = _ham_small()
    assert module.alpha.item() == module.beta.item() == 0.5
    module(x).sum().backward()
    assert module.alpha.grad is not None and module.beta.grad is not None
    g_both = module.spatial_conv.weight.grad.clone()
    # zeroing the sub-important group's output changes the conv's gradient: it is used twice
    module.zero_grad()
    module.n_important = 4  # single group
    module(x).sum().backward()
    assert not torch.allclose(g_both, module.spatial_conv.weight.grad)


def test_ham_single_channel_and_bad_options() -> None:
    module = attention.create("ham", 1, height=8, width=64, sfreq=128.0)
    x = torch.randn(2, 1, 8, 64)
    assert module(x).shape == x.shape
    assert "spatial_subimportant" not in module.attention_weights
    with pytest.raises(ValueError, match="'ham'.*separation_rate"):
        attention.create("ham", 8, height=1, width=64, sfreq=128.0, separation_rate=1.5)
    with pytest.raises(ValueError, match="'ham'.*separation_rate"):
        attention.create("ham", 8, height=1, width=64, sfreq=128.0, ratio=1.5)  # old name
    with pytest.raises(ValueError, match="'ham'.*channel_kernel"):
        attention.create("ham", 8, height=1, width=64, sfreq=128.0, channel_kernel=4)


class CirculatingHAM(nn.Module):
    """HAM as the circulating 2-D implementation computes it (``CASA_HAM`` with
    ``ChannelAttention_HAM`` and ``SpatialAttention_HAM``; no official code exists), written
    from that code. Channel: ``0.5·(max + avg) + α·avg + β·max`` pooled over the map, a
    ``Conv1d(1, 1, k, padding=k//2)`` with ECA's ``k``, sigmoid. Spatial: ``C_im = ⌊λC⌋``
    raised to even, top-``C_im`` of the channel map; per group ``[mean·C/C_g; max]`` over
    channels, **the same** ``Conv2d(2, 1, 7, padding=3)`` and **the same** ``BatchNorm2d(1)``
    called once per group, ReLU, sigmoid; output ``ReLU(F₁·A₁ + F₂·A₂ + x)``.

    Its two convolutions carry PyTorch's default bias; ours have none (the paper's formulas,
    and the spatial one is followed by a BatchNorm), so the reference's biases are zero.
    """

    def __init__(self, channels: int, k: int, rate: float = 0.6) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.tensor([0.5]))
        self.beta = nn.Parameter(torch.tensor([0.5]))
        self.conv1d = nn.Conv1d(1, 1, k, padding=k // 2)
        c_im = int(rate * channels)
        self.c_im = c_im if c_im % 2 == 0 else c_im + 1
        self.channels = channels
        self.conv = nn.Conv2d(2, 1, 7, padding=3)
        self.bn = nn.BatchNorm2d(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        avg, mx = x.mean(dim=(2, 3), keepdim=True), x.amax(dim=(2, 3), keepdim=True)
        fc = 0.5 * (mx + avg) + self.alpha * avg + self.beta * mx  # (B, C, 1, 1)
        m = torch.sigmoid(self.conv1d(fc.flatten(1)[:, None, :]))[:, 0, :, None, None]
        refined = m * x
        top = torch.topk(m, dim=1, k=self.c_im).indices
        im_mask = torch.zeros_like(m).scatter(1, top, 1)
        out = 0
        for mask, size in ((im_mask, self.c_im), (1 - im_mask, self.channels - self.c_im)):
            f = mask * refined
            d = torch.cat(
                [f.mean(dim=1, keepdim=True) * (self.channels / size), f.amax(1, keepdim=True)],
                dim=1,
            )
            out = out + torch.sigmoid(torch.relu(self.bn(self.conv(d)))) * f
        return torch.relu(out + x)


def circulating_names(ours: nn.Module) -> dict[str, object]:
    def square(state: dict[str, torch.Tensor]) -> torch.Tensor:
        kernel = state["spatial_conv.weight"]
        return kernel if kernel.shape[-2] == 7 else middle_row(kernel, 7)

    names: dict[str, object] = {
        "alpha": lambda s: s["alpha"].reshape(1),
        "beta": lambda s: s["beta"].reshape(1),
        "conv1d.weight": "channel_conv.weight",
        "conv1d.bias": lambda s: torch.zeros(1),
        "conv.weight": square,
        "conv.bias": lambda s: torch.zeros(1),
    }
    for key in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
        names[f"bn.{key}"] = f"spatial_bn.{key}"
    return names


@pytest.mark.parametrize("shape", EEG_MAPS)
def test_ham_circulating_is_the_circulating_implementation(shape) -> None:
    _, c, h, w = shape
    ours = perturb(
        attention.create("ham", c, height=h, width=w, kernel_size=7, variant="circulating")
    )
    reference = CirculatingHAM(c, ours.channel_conv.kernel_size[0])
    assert reference.c_im == ours.n_important
    load_into(reference, ours, circulating_names(ours))
    assert_same_function(ours, reference, torch.randn(shape))
    # two BatchNorm passes per training step, as the reference
    assert ours.spatial_bn.num_batches_tracked.item() == 2


def test_ham_variants() -> None:
    """eeg: the circulating computation without the ReLU; bci-attn-0.1: one BatchNorm pass
    over both groups (shared statistics), which differs in training mode only."""
    x = torch.randn(4, 16, 1, 32)
    built = {
        v: attention.create("ham", 16, height=1, width=32, kernel_size=7, variant=v)
        for v in ("circulating", "eeg", "bci-attn-0.1")
    }
    state = copy.deepcopy(perturb(built["circulating"]).state_dict())
    for module in built.values():
        module.load_state_dict(state)
    y = {v: m.train()(x) for v, m in built.items()}
    torch.testing.assert_close(y["circulating"], torch.relu(y["eeg"]))
    assert (y["eeg"] < 0).float().mean() > 0.3  # the signed map keeps its negative half
    assert not torch.allclose(y["bci-attn-0.1"], y["circulating"])
    passes = {v: m.spatial_bn.num_batches_tracked.item() for v, m in built.items()}
    assert passes == {"circulating": 2, "eeg": 2, "bci-attn-0.1": 1}
    for module in built.values():
        module.load_state_dict(state)
    y = {v: m.eval()(x) for v, m in built.items()}
    torch.testing.assert_close(y["bci-attn-0.1"], y["circulating"])
    override = attention.create("ham", 16, height=1, width=32, kernel_size=7, residual_relu=True)
    assert override.residual_relu and override.separate_norm
