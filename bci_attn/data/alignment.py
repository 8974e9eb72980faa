"""Euclidean alignment of EEG trials (He & Wu, IEEE TBME 2019)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyriemann.geometry.base import invsqrtm


def reference_covariance(X: np.ndarray, shrinkage: str = "none") -> np.ndarray:
    """The mean spatial covariance of trials ``X``, shrunk towards a multiple of the
    identity with ``shrinkage="ledoit-wolf"``.

    The shrinkage is Ledoit & Wolf's (2004, "A well-conditioned estimator for
    large-dimensional covariance matrices", J. Multivar. Anal. 88) with the trials'
    covariances as the observations: the mean ``R`` of ``n`` trial covariances ``C_i`` is
    replaced by ``(1 - δ) R + δ μ I``, ``μ = tr(R) / p``, ``δ = min(b², d²) / d²`` with
    ``d² = ‖R - μ I‖²`` and ``b² = Σ ‖C_i - R‖² / n²``. Written here because
    scikit-learn's estimators take the time samples as observations, and the samples of
    band-passed EEG are too correlated in time for their shrinkage to be estimated so;
    the trials are independent. A 64-electrode reference from 45 trials is poorly
    conditioned, and its inverse square root amplifies its weakest directions.

    Parameters
    ----------
    X : np.ndarray, shape (n_trials, n_electrodes, n_times)
    shrinkage : {"none", "ledoit-wolf"}

    Returns
    -------
    np.ndarray, shape (n_electrodes, n_electrodes)
    """
    X64 = X.astype(np.float64, copy=False)
    covariances = np.einsum("nct,ndt->ncd", X64, X64) / X.shape[2]
    reference = covariances.mean(axis=0)
    if shrinkage == "ledoit-wolf":
        p = len(reference)
        target = np.trace(reference) / p * np.eye(p)
        d2 = np.sum((reference - target) ** 2)
        b2 = np.sum((covariances - reference) ** 2) / len(covariances) ** 2
        delta = min(b2, d2) / d2 if d2 > 0 else 1.0
        reference = (1 - delta) * reference + delta * target
    # A tiny ridge keeps rank-deficient recordings (average reference) invertible.
    return reference + 1e-10 * np.trace(reference) / len(reference) * np.eye(len(reference))


def euclidean_alignment(X: np.ndarray, shrinkage: str = "none") -> np.ndarray:
    """Re-centre trials so that their reference spatial covariance is the identity.

    ``X̃ᵢ = R^{-1/2} Xᵢ`` with ``R = mean_i Xᵢ Xᵢᵀ / T`` (He & Wu, "Transfer learning for
    brain-computer interfaces: a Euclidean space data alignment approach", IEEE TBME 2019,
    doi 10.1109/TBME.2019.2913914), ``R`` the :func:`reference_covariance` of ``X`` with
    ``shrinkage``. Uses no labels. Returns the aligned trials, with the shape and dtype of
    ``X``, ``(n_trials, n_electrodes, n_times)``.
    """
    reference = reference_covariance(X, shrinkage)
    return np.einsum("cd,ndt->nct", invsqrtm(reference), X.astype(np.float64)).astype(X.dtype)


def align_groups(
    X: np.ndarray, meta: pd.DataFrame, by: tuple[str, ...], shrinkage: str = "none"
) -> np.ndarray:
    """Euclidean alignment computed and applied separately within each group.

    Parameters
    ----------
    X : np.ndarray, shape (n_trials, n_electrodes, n_times)
    meta : pd.DataFrame
        One row per trial with the columns named in ``by``.
    by : tuple of str
        Columns defining a group, e.g. ``("subject", "session")``: each subject's session
        is re-centred with its own unlabelled trials.
    shrinkage : {"none", "ledoit-wolf"}
        Of each group's reference covariance (:func:`reference_covariance`).

    Returns
    -------
    np.ndarray
        Aligned copy of ``X``.
    """
    aligned = np.empty_like(X)
    for _, rows in meta.groupby(list(by), sort=False).indices.items():
        aligned[rows] = euclidean_alignment(X[rows], shrinkage)
    return aligned
