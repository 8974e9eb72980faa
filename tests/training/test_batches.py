"""Trials as on-device batches, and their standardisation."""

import numpy as np
import torch

from bci_attn.training.batches import TrialBatches, standardise


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


def test_standardisation_uses_the_training_statistics_only():
    rng = np.random.default_rng(0)
    train = rng.normal(3.0, 2.0, size=(20, 2, 50))
    test = rng.normal(3.0, 2.0, size=(5, 2, 50)) + 10.0
    z_train, z_test = standardise(train, test)
    assert z_train.dtype == z_test.dtype == np.float32
    np.testing.assert_allclose(z_train.mean(axis=(0, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(z_train.std(axis=(0, 2)), 1.0, atol=1e-5)
    assert (z_test.mean(axis=(0, 2)) > 4.0).all()  # shifted by the training scale, not its own
