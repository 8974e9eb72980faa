"""Euclidean alignment of EEG trials (He & Wu, IEEE TBME 2019)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyriemann.geometry.base import invsqrtm


def euclidean_alignment(X: np.ndarray) -> np.ndarray:
    """Re-centre trials so that their mean spatial covariance is the identity.

    ``X̃ᵢ = R^{-1/2} Xᵢ`` with ``R = mean_i Xᵢ Xᵢᵀ / T`` (He & Wu, "Transfer learning for
    brain-computer interfaces: a Euclidean space data alignment approach", IEEE TBME 2019,
    doi 10.1109/TBME.2019.2913914). Uses no labels.

    Parameters
    ----------
    X : np.ndarray, shape (n_trials, n_electrodes, n_times)

    Returns
    -------
    np.ndarray
        Aligned trials, same shape and dtype.
    """
    X64 = X.astype(np.float64, copy=False)
    covariances = np.einsum("nct,ndt->ncd", X64, X64) / X.shape[2]
    reference = covariances.mean(axis=0)
    # A tiny ridge keeps rank-deficient recordings (average reference) invertible.
    reference += 1e-10 * np.trace(reference) / len(reference) * np.eye(len(reference))
    return np.einsum("cd,ndt->nct", invsqrtm(reference), X64).astype(X.dtype)


def align_groups(X: np.ndarray, meta: pd.DataFrame, by: tuple[str, ...]) -> np.ndarray:
    """Euclidean alignment computed and applied separately within each group.

    Parameters
    ----------
    X : np.ndarray, shape (n_trials, n_electrodes, n_times)
    meta : pd.DataFrame
        One row per trial with the columns named in ``by``.
    by : tuple of str
        Columns defining a group, e.g. ``("subject", "session")``: each subject's session
        is re-centred with its own unlabelled trials.

    Returns
    -------
    np.ndarray
        Aligned copy of ``X``.
    """
    aligned = np.empty_like(X)
    for _, rows in meta.groupby(list(by), sort=False).indices.items():
        aligned[rows] = euclidean_alignment(X[rows])
    return aligned
