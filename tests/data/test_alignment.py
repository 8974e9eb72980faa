import numpy as np
import pandas as pd

from bci_attn.data.alignment import align_groups, euclidean_alignment


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
