import numpy as np
import pandas as pd

from bci_attn.data.alignment import align_groups, euclidean_alignment, reference_covariance


def mean_covariance(X):
    X = X.astype(np.float64)
    return np.einsum("nct,ndt->ncd", X, X).mean(0) / X.shape[2]


def test_aligned_mean_covariance_is_identity():
    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(6, 6))
    X = np.einsum("cd,ndt->nct", mixing, rng.normal(size=(30, 6, 200))).astype(np.float32)
    np.testing.assert_allclose(mean_covariance(euclidean_alignment(X)), np.eye(6), atol=1e-4)


def test_each_group_is_aligned_with_its_own_trials():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 4, 100)).astype(np.float32)
    X[20:] *= 10.0  # the second subject has ten times the amplitude
    meta = pd.DataFrame({"subject": [1] * 20 + [2] * 20, "session": "0"})
    aligned = align_groups(X, meta, ("subject", "session"))
    for rows in (slice(0, 20), slice(20, 40)):
        np.testing.assert_allclose(mean_covariance(aligned[rows]), np.eye(4), atol=1e-4)


def test_shrinkage_is_none_for_trials_that_agree_and_tames_a_poor_reference():
    rng = np.random.default_rng(2)
    mixing = rng.normal(size=(8, 8))
    same = np.einsum("cd,ndt->nct", mixing, np.repeat(rng.normal(size=(1, 8, 50)), 20, axis=0))
    np.testing.assert_allclose(
        reference_covariance(same, "ledoit-wolf"), reference_covariance(same), rtol=1e-8
    )
    # few short trials of many electrodes: the plain mean is poorly conditioned
    few = rng.normal(size=(5, 32, 20))
    plain, shrunk = reference_covariance(few), reference_covariance(few, "ledoit-wolf")
    assert np.linalg.cond(shrunk) < np.linalg.cond(plain) / 5
    np.testing.assert_allclose(np.trace(shrunk), np.trace(plain), rtol=1e-6)  # same power


def test_shrunk_alignment_whitens_the_shrunk_reference():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(6, 16, 30)).astype(np.float32)
    aligned = euclidean_alignment(X, "ledoit-wolf")
    reference = reference_covariance(X, "ledoit-wolf")
    root = np.linalg.cholesky(np.linalg.inv(reference))
    assert aligned.shape == X.shape and aligned.dtype == X.dtype
    whitened = reference_covariance(aligned)  # the plain mean: shrunk towards I, not I
    assert np.linalg.cond(whitened) < np.linalg.cond(reference_covariance(X))
    assert root.shape == (16, 16)
