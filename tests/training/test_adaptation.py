"""Test-time adaptation: BatchNorm statistics re-estimated on a subject's unlabelled trials,
all at once (AdaBN) or trial by trial (online), the trained model left untouched."""

import numpy as np
import pytest
import torch
from torch import nn

from bci_attn.models import build_model
from bci_attn.training.adaptation import adabn, adapted_logits, online_adabn_logits
from bci_attn.training.finetune import predict


@pytest.fixture
def trained():
    """An EEGNet whose BatchNorm statistics are those of other data (a shifted mean)."""
    torch.manual_seed(0)
    model = build_model("eegnet", "bam", n_chans=4, n_times=128, n_outputs=2, sfreq=128.0)
    model.train()
    with torch.no_grad():
        for _ in range(5):
            model(torch.randn(16, 4, 128) * 3 + 1)
    return model.eval()


@pytest.fixture
def trials():
    return np.random.default_rng(0).normal(size=(20, 4, 128)).astype(np.float32)


def norms(model):
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_adabn_takes_the_statistics_of_the_subjects_trials(trained, trials):
    before = state(trained)
    adapted = adabn(trained, trials)
    first = norms(adapted)[0]  # after EEGNet's temporal conv, over its whole map
    layers = list(adapted.children())
    before_first = nn.Sequential(*layers[: layers.index(first)]).eval()
    with torch.no_grad():
        maps = before_first(torch.as_tensor(trials))
    np.testing.assert_allclose(first.running_mean, maps.mean((0, 2, 3)), rtol=1e-4, atol=1e-5)
    assert all(torch.equal(before[k], v) for k, v in trained.state_dict().items())  # untouched
    weights = {k: v for k, v in adapted.state_dict().items() if "running" not in k}
    assert all(torch.equal(before[k], v) for k, v in weights.items() if "num_batches" not in k)
    assert not adapted.training


def test_online_adaptation_predicts_each_trial_before_it_moves_the_statistics(trained, trials):
    before = state(trained)
    online = online_adabn_logits(trained, trials)
    plain = predict(trained, trials)
    torch.testing.assert_close(online[0], plain[0])  # the first trial: the trained statistics
    assert not torch.allclose(online[1:], plain[1:])
    # causal: a trial's prediction depends on the trials before it, not after
    torch.testing.assert_close(online_adabn_logits(trained, trials[:10]), online[:10])
    assert all(torch.equal(before[k], v) for k, v in trained.state_dict().items())


def test_adaptation_modes_and_their_names(trained, trials):
    torch.testing.assert_close(
        adapted_logits(trained, trials, "adabn"), predict(adabn(trained, trials), trials)
    )
    torch.testing.assert_close(
        adapted_logits(trained, trials, "online-adabn"), online_adabn_logits(trained, trials)
    )
    with pytest.raises(ValueError, match="unknown test-time adaptation 'tent'"):
        adapted_logits(trained, trials, "tent")
