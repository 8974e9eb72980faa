"""The Lightning module and the on-device batches."""

import torch

from bci_attn.models import build_model
from bci_attn.training import DecodingModule, TrialBatches, warmup_cosine


def test_batches_cover_every_trial_once_in_a_seeded_order():
    X, y = torch.randn(10, 2, 5), torch.arange(10)
    first = [b[1].tolist() for b in TrialBatches(X, y, 4, shuffle=True, seed=3)]
    again = [b[1].tolist() for b in TrialBatches(X, y, 4, shuffle=True, seed=3)]
    assert first == again
    assert sorted(sum(first, [])) == list(range(10))
    plain = [b[1].tolist() for b in TrialBatches(X, y, 4, shuffle=False)]
    assert plain == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_a_last_training_batch_of_one_trial_is_left_out():
    X, y = torch.randn(9, 2, 5), torch.arange(9)
    batches = list(TrialBatches(X, y, 4, shuffle=True))
    assert len(batches) == 2 and all(len(b[1]) == 4 for b in batches)


def test_nam_sparsity_penalty_is_added_to_the_training_loss():
    torch.manual_seed(0)
    model = build_model("eegnet", "nam", n_chans=4, n_times=128, n_outputs=2, sfreq=128)
    module = DecodingModule(model, n_classes=2)
    module.log = lambda *args, **kwargs: None  # no trainer attached
    X, y = torch.randn(6, 4, 128), torch.tensor([0, 1] * 3)
    module.eval()  # no dropout: two forward passes give the same logits
    loss = module.training_step((X, y), 0)
    cross_entropy = torch.nn.functional.cross_entropy(model(X), y)
    nam = model.get_submodule("attention_separable")
    assert nam.penalty() > 0
    torch.testing.assert_close(loss, cross_entropy + nam.penalty())
    plain = DecodingModule(
        build_model("eegnet", n_chans=4, n_times=128, n_outputs=2, sfreq=128), 2
    )
    assert plain.attention_penalty() == 0.0


def test_warmup_then_cosine_schedule():
    factors = [warmup_cosine(e, 2, 10) for e in range(10)]
    assert factors[0] < factors[1] < factors[2] == 1.0
    assert all(a >= b for a, b in zip(factors[2:], factors[3:], strict=False))
    assert warmup_cosine(10, 2, 10) == 0.0
