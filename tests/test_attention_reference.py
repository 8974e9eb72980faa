"""Reference tests of se, eca, cbam, bam, ham, sa and nam against their papers' formulas."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from bci_attn import attention
from bci_attn.attention import hidden_width
from bci_attn.attention.bam import dilated_kernel
from bci_attn.attention.eca import eca_kernel_size
from bci_attn.attention.ham import important_channels
from bci_attn.attention.sa import channel_shuffle, default_groups


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny tensors: torch's thread pool only costs time, badly so on a busy 2-core box."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


# --------------------------------------------------------------------------- SE


@pytest.mark.parametrize("channels", [1, 8, 16, 40])
@pytest.mark.parametrize("reduction", [1, 4, 16])
def test_se_parameter_count(channels: int, reduction: int) -> None:
    hidden = hidden_width(channels, reduction)
    assert hidden == max(1, channels // reduction)
    module = attention.create("se", channels, reduction=reduction)
    assert n_params(module) == 2 * channels * hidden
    module = attention.create("se", channels, reduction=reduction, bias=True)
    assert n_params(module) == 2 * channels * hidden + hidden + channels


def test_se_formula() -> None:
    module = attention.create("se", 8, reduction=4)
    x = torch.randn(3, 8, 4, 20)
    w1 = module.fc1.weight.flatten(1)  # (2, 8)
    w2 = module.fc2.weight.flatten(1)  # (8, 2)
    s = torch.sigmoid(torch.relu(x.mean(dim=(2, 3)) @ w1.T) @ w2.T)
    torch.testing.assert_close(module(x), x * s[:, :, None, None])
    torch.testing.assert_close(module.attention_weights["channel"], s)


# --------------------------------------------------------------------------- ECA


@pytest.mark.parametrize(
    ("channels", "k"),
    [(1, 1), (4, 1), (7, 1), (8, 3), (16, 3), (40, 3), (64, 3), (128, 5), (256, 5), (512, 5)],
)
def test_eca_adaptive_kernel(channels: int, k: int) -> None:
    t = int(abs(math.log2(channels) / 2 + 1 / 2))
    assert eca_kernel_size(channels) == k == (t if t % 2 else t + 1)
    module = attention.create("eca", channels)
    assert module.conv.kernel_size == (k,)
    assert n_params(module) == k


def test_eca_explicit_kernel_and_formula() -> None:
    module = attention.create("eca", 16, kernel_size=5)
    assert n_params(module) == 5
    x = torch.randn(2, 16, 3, 10)
    w = module.conv.weight.flatten()
    y = F.pad(x.mean(dim=(2, 3)), (2, 2))
    conv = torch.stack([(y[:, i : i + 5] * w).sum(1) for i in range(16)], dim=1)
    torch.testing.assert_close(module(x), x * torch.sigmoid(conv)[:, :, None, None])
    for bad in (2, 0, 17, 3.0):
        with pytest.raises(ValueError, match="'eca'.*kernel_size"):
            attention.create("eca", 16, kernel_size=bad)


# --------------------------------------------------------------------------- CBAM


def test_cbam_kernel_shape() -> None:
    # 100 ms at 128 Hz = 12.8 samples -> 13; electrode kernel min(7, H)
    assert attention.create("cbam", 8, height=8, width=129, sfreq=128.0).spatial.kernel_size == (
        7,
        13,
    )
    assert attention.create("cbam", 16, height=1, width=33, sfreq=32.0).spatial.kernel_size == (
        1,
        3,
    )
    module = attention.create("cbam", 16, height=3, width=33, kernel_size=5)
    assert module.spatial.kernel_size == (3, 5)
    with pytest.raises(ValueError, match="'cbam'.*kernel_size"):
        attention.create("cbam", 16, height=1, width=33, kernel_size=35)
    # an even min(7, H) is raised to odd: symmetric "same" padding
    assert attention.create("cbam", 8, height=4, width=33, kernel_size=5).spatial.kernel_size == (
        5,
        5,
    )
    with pytest.raises(ValueError, match="'cbam'.*kernel_size.*odd"):
        attention.create("cbam", 16, height=1, width=33, kernel_size=4)
    with pytest.raises(ValueError, match="'ham'.*electrode_kernel.*odd"):
        attention.create("ham", 16, height=8, width=33, kernel_size=3, electrode_kernel=4)
    with pytest.raises(ValueError, match="'cbam'.*sfreq"):
        attention.create("cbam", 16, height=1, width=33)
    with pytest.raises(ValueError, match="'cbam'.*kernel_ms"):
        attention.create("cbam", 16, height=1, width=33, sfreq=32.0, kernel_ms=-1)


def test_cbam_formula() -> None:
    module = attention.create("cbam", 8, height=5, width=40, kernel_size=7, reduction=2)
    x = torch.randn(3, 8, 5, 40)
    w1 = module.mlp[0].weight.flatten(1)
    w2 = module.mlp[2].weight.flatten(1)

    def mlp(v: torch.Tensor) -> torch.Tensor:
        return torch.relu(v @ w1.T) @ w2.T

    m_c = torch.sigmoid(mlp(x.mean(dim=(2, 3))) + mlp(x.flatten(2).max(dim=2).values))
    xc = x * m_c[:, :, None, None]
    pooled = torch.stack([xc.mean(dim=1), xc.max(dim=1).values], dim=1)
    conv = F.conv2d(pooled, module.spatial.weight, module.spatial.bias, padding=(2, 3))
    m_s = torch.sigmoid(conv)
    torch.testing.assert_close(module(x), xc * m_s)
    torch.testing.assert_close(module.attention_weights["channel"], m_c)
    torch.testing.assert_close(module.attention_weights["spatial"], m_s[:, 0])


# --------------------------------------------------------------------------- BAM


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


def test_bam_follows_the_paper_sum() -> None:
    module = attention.create("bam", 8, height=4, width=30, reduction=2)
    # non-trivial BatchNorm statistics and affine parameters
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    module.eval()
    x = torch.randn(3, 8, 4, 30)

    def bn(v: torch.Tensor, layer: nn.modules.batchnorm._BatchNorm) -> torch.Tensor:
        shape = (1, -1) + (1,) * (v.dim() - 2)
        mean, var = layer.running_mean.view(shape), layer.running_var.view(shape)
        scale, shift = layer.weight.view(shape), layer.bias.view(shape)
        return (v - mean) / torch.sqrt(var + layer.eps) * scale + shift

    cg = module.channel_gate
    m_c = bn(cg[4](torch.relu(cg[2](x.mean(dim=(2, 3))))), cg[5])  # BN(MLP(GAP x))
    sg = module.spatial_gate
    h = torch.relu(bn(F.conv2d(x, sg[0].weight), sg[1]))
    for conv, norm in ((sg[3], sg[4]), (sg[6], sg[7])):
        # "same" padding for a (3, 3) kernel with dilation (d_e, d_t)
        pad = (conv.dilation[1], conv.dilation[1], conv.dilation[0], conv.dilation[0])
        h = torch.relu(bn(F.conv2d(F.pad(h, pad), conv.weight, dilation=conv.dilation), norm))
    m_s = bn(F.conv2d(h, sg[9].weight), sg[10])
    att = torch.sigmoid(m_c[:, :, None, None] + m_s)
    y = module(x)
    torch.testing.assert_close(y, x + x * att)
    torch.testing.assert_close(module.attention_weights["map"], att)
    # not the official code's product of the branches
    product = x * (1 + torch.sigmoid(m_c[:, :, None, None] * m_s))
    assert not torch.allclose(y, product)


# --------------------------------------------------------------------------- HAM


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
    with pytest.raises(ValueError, match="'ham'.*ratio"):
        attention.create("ham", 8, height=1, width=64, sfreq=128.0, ratio=1.5)
    with pytest.raises(ValueError, match="'ham'.*channel_kernel"):
        attention.create("ham", 8, height=1, width=64, sfreq=128.0, channel_kernel=4)


# --------------------------------------------------------------------------- SA


@pytest.mark.parametrize(
    ("channels", "groups"), [(2, 1), (6, 3), (8, 4), (12, 6), (16, 8), (40, 5)]
)
def test_sa_default_groups(channels: int, groups: int) -> None:
    assert default_groups(channels) == groups
    module = attention.create("sa", channels)
    assert module.groups == groups
    assert n_params(module) == 6 * channels // (2 * groups)


def test_sa_group_split_and_shuffle_order() -> None:
    module = attention.create("sa", 8, groups=2)  # 2 groups of 4 channels, halves of 2
    with torch.no_grad():
        for p in (module.cweight, module.cbias, module.sweight, module.sbias):
            p.normal_()
        module.gn.weight.normal_()
        module.gn.bias.normal_()
    x = torch.randn(3, 8, 2, 11)
    pre = torch.empty_like(x)
    for g in range(2):
        for i in range(2):
            c0, c1 = 4 * g + i, 4 * g + 2 + i  # channel half, spatial half
            v = x[:, c0]
            gap = v.mean(dim=(1, 2), keepdim=True)
            gate = torch.sigmoid(module.cweight[0, i, 0, 0] * gap + module.cbias[0, i, 0, 0])
            pre[:, c0] = v * gate
            v = x[:, c1]
            mean = v.mean(dim=(1, 2), keepdim=True)
            var = v.var(dim=(1, 2), unbiased=False, keepdim=True)
            gn = (v - mean) / torch.sqrt(var + module.gn.eps)
            gn = gn * module.gn.weight[i] + module.gn.bias[i]
            pre[:, c1] = v * torch.sigmoid(
                module.sweight[0, i, 0, 0] * gn + module.sbias[0, i, 0, 0]
            )
    # channel shuffle with 2 groups: output channel 2i + j is pre-shuffle channel 4j + i
    order = [0, 4, 1, 5, 2, 6, 3, 7]
    torch.testing.assert_close(module(x), pre[:, order])
    torch.testing.assert_close(
        channel_shuffle(torch.arange(8.0).view(1, 8, 1, 1), 2).flatten(),
        torch.tensor(order, dtype=torch.float),
    )


def test_sa_init_and_refusals() -> None:
    module = attention.create("sa", 16)
    assert torch.all(module.cweight == 0) and torch.all(module.cbias == 1)
    assert torch.all(module.sweight == 0) and torch.all(module.sbias == 1)
    x = torch.randn(2, 16, 1, 20)
    # at init every gate is sigma(1): the output is the shuffled, scaled input
    torch.testing.assert_close(module(x), channel_shuffle(x, 2) * torch.sigmoid(torch.tensor(1.0)))
    with pytest.raises(ValueError, match=r"'sa'.*groups.*allowed: 1, 2, 4"):
        attention.create("sa", 8, groups=3)
    with pytest.raises(ValueError, match="'sa'.*even"):
        attention.create("sa", 1, height=8, width=64)


# --------------------------------------------------------------------------- NAM


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


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("name", "options", "option"),
    [
        ("se", {"reduction": 0}, "reduction"),
        ("se", {"bias": "yes"}, "bias"),
        ("cbam", {"reduction": 2.5}, "reduction"),
        ("cbam", {"electrode_kernel": 0}, "electrode_kernel"),
        ("bam", {"dilation": 0}, "dilation"),
        ("ham", {"residual": 1}, "residual"),
        ("ham", {"residual_relu": "no"}, "residual_relu"),
        ("nam", {"sparsity": -1.0}, "sparsity"),
        ("sa", {"groups": 0}, "groups"),
    ],
)
def test_bad_option_values(name: str, options: dict, option: str) -> None:
    with pytest.raises(ValueError, match=f"'{name}'.*{option}"):
        attention.create(name, 8, height=8, width=64, sfreq=128.0, **options)
