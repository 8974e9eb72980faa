"""Test-time adaptation: a trained network's BatchNorm statistics moved to a new subject
with that subject's unlabelled trials.

A network trained on other subjects normalises each layer with their statistics; a new
subject's feature maps are shifted and scaled differently. Adaptive BatchNorm (AdaBN; Li et
al. 2018, "Adaptive batch normalization for practical domain adaptation", Pattern
Recognition 80) re-estimates every BatchNorm layer's mean and variance on the new
subject's trials and changes nothing else; no label is used. Two forms:

- :func:`adabn`: the statistics of all the subject's test trials at once (the allowance
  Euclidean alignment already takes: the test subject's unlabelled trials);
- :func:`online_adabn_logits`: trial by trial in time order, as a deployed BCI would
  (Wimpff et al. 2023, "Calibration-free online test-time adaptation for
  electroencephalography motor imagery decoding", arXiv 2311.18520): each trial is
  predicted with the statistics of the trials before it, then updates them (an
  exponential average from the training statistics, momentum :data:`ONLINE_MOMENTUM`).

Neither braindecode nor MOABB offers this; both are a few lines over torch's BatchNorm.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

#: The weight of each new trial in the online running statistics.
ONLINE_MOMENTUM = 0.1


def _norms(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


@torch.no_grad()
def adabn(model: nn.Module, X: np.ndarray, batch_size: int = 256, device="cpu") -> nn.Module:
    """A copy of ``model`` whose BatchNorm statistics are those of the trials ``X``.

    Parameters
    ----------
    model : nn.Module
        The trained network; copied, never modified.
    X : np.ndarray, shape (n_trials, n_electrodes, n_times)
        One subject's unlabelled trials, standardised as the training trials were.

    Returns
    -------
    nn.Module
        The adapted copy, in evaluation mode.
    """
    adapted = copy.deepcopy(model).to(device).eval()
    for norm in _norms(adapted):
        norm.reset_running_stats()
        norm.momentum = None  # a cumulative average over all the batches below
        norm.train()
    trials = torch.as_tensor(X, dtype=torch.float32)
    for start in range(0, len(trials), batch_size):
        adapted(trials[start : start + batch_size].to(device))
    return adapted.eval()


@torch.no_grad()
def online_adabn_logits(model: nn.Module, X: np.ndarray, device="cpu") -> torch.Tensor:
    """Logits of trials ``X`` taken in order, each with the statistics of those before it.

    Every trial is predicted (evaluation mode), then moves the running statistics of the
    BatchNorm layers over maps towards its own by :data:`ONLINE_MOMENTUM`; they start from
    the trained network's. ``model`` is not modified.

    Returns
    -------
    torch.Tensor, shape (n_trials, n_classes)
        On the CPU, float32.
    """
    adapted = copy.deepcopy(model).to(device).eval()
    # One trial has statistics over its map's positions: only the norms of maps (2-D and
    # 3-D) can take them; a 1-D norm (of a pooled vector) keeps the training statistics.
    norms = [n for n in _norms(adapted) if not isinstance(n, nn.BatchNorm1d)]
    for norm in norms:
        norm.momentum = ONLINE_MOMENTUM
    logits = []
    for trial in torch.as_tensor(X, dtype=torch.float32):
        batch = trial[None].to(device)
        logits.append(adapted(batch).float().cpu())
        for norm in norms:
            norm.train()
        adapted(batch)
        for norm in norms:
            norm.eval()
    return torch.cat(logits) if logits else torch.empty(0)


def adapted_logits(model: nn.Module, X: np.ndarray, mode: str, device="cpu") -> torch.Tensor:
    """Logits of one subject's test trials ``X`` (in time order) after test-time
    adaptation ``mode`` (``"adabn"`` or ``"online-adabn"``)."""
    from .finetune import predict

    if mode == "adabn":
        return predict(adabn(model, X, device=device), X, device=device)
    if mode == "online-adabn":
        return online_adabn_logits(model, X, device=device)
    raise ValueError(f"unknown test-time adaptation {mode!r}; use adabn or online-adabn")
