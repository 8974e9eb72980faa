"""The backbones are braindecode's networks: same parameters, same outputs, same gradients."""

from __future__ import annotations

import pytest
import torch
from braindecode.models import ShallowFBCSPNet

from bci_attn.models import build_model
from bci_attn.models.combined_conv import CombinedConv1d

SHAPE = dict(n_chans=8, n_times=200, n_outputs=3, sfreq=100.0)


@pytest.mark.parametrize("options", [{}, {"batch_norm": False}], ids=["bn", "no-bn"])
def test_shallow_is_braindecodes_network_with_a_faster_first_layer(options):
    torch.manual_seed(0)
    model = build_model("shallow", **SHAPE, **options).double()
    torch.manual_seed(0)
    reference = ShallowFBCSPNet(
        n_chans=8, n_outputs=3, n_times=200, sfreq=100.0, **options
    ).double()
    assert isinstance(model.conv_time_spat, CombinedConv1d)
    # same parameter names and values: saved models load into either
    assert model.state_dict().keys() == reference.state_dict().keys()
    for name, value in reference.state_dict().items():
        assert torch.equal(model.state_dict()[name], value), name
    # bias_spat (no batch norm) and bias_time both enter the merged bias
    assert (model.conv_time_spat.conv_spat.bias is None) == (options == {})
    x = torch.randn(4, 8, 200, dtype=torch.float64)
    model.eval(), reference.eval()
    out, expected = model(x), reference(x)
    torch.testing.assert_close(out, expected, rtol=1e-10, atol=1e-10)
    out.square().sum().backward()
    expected.square().sum().backward()
    gradients = dict(reference.named_parameters())
    for name, parameter in model.named_parameters():
        torch.testing.assert_close(
            parameter.grad, gradients[name].grad, rtol=1e-8, atol=1e-10, msg=name
        )
