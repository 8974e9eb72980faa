"""Few-shot calibration of a trained network, and its predictions."""

from __future__ import annotations

import copy
import typing

import numpy as np
import torch
from torch import nn

from ..attention import AttentionModule
from ..config import ConfigError, EvaluationConfig, TrainingConfig
from .batches import TrialBatches
from .module import attention_penalty

#: What few-shot fine-tuning may change: every layer, the classifier head only (the
#: ``final_layer`` of braindecode's models), or the attention modules only; the values
#: ``evaluation.finetune`` allows.
_EVALUATION, _TRAINING = EvaluationConfig(), TrainingConfig()  # their defaults are ours
FINETUNE_PARTS: tuple[str, ...] = typing.get_args(
    typing.get_type_hints(EvaluationConfig)["finetune"]
)


def tuned_modules(model: nn.Module, part: str) -> list[nn.Module]:
    """The sub-modules of ``model`` that fine-tuning ``part`` trains.

    Raises
    ------
    ConfigError
        Key ``evaluation.finetune``: an unknown ``part``, or a part the model lacks or
        that has no parameters.
    """
    if part not in FINETUNE_PARTS:
        raise ConfigError(
            "evaluation.finetune", f"must be one of {', '.join(FINETUNE_PARTS)}, got {part!r}"
        )
    if part == "all":
        modules = [model]
    elif part == "head":
        modules = [m for name, m in model.named_children() if name == "final_layer"]
    else:
        modules = [m for m in model.modules() if isinstance(m, AttentionModule)]
    if not any(p.numel() for m in modules for p in m.parameters()):
        hint = " (choose a model.attention module with parameters)" if part == "attention" else ""
        raise ConfigError(
            "evaluation.finetune", f"{part}: the model has no {part} parameters to fine-tune{hint}"
        )
    return modules


def finetune(
    model: nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    *,
    part: str = _EVALUATION.finetune,
    steps: int = _EVALUATION.calibration_steps,
    lr: float = _TRAINING.lr,
    weight_decay: float = _TRAINING.weight_decay,
    batch_size: int = _TRAINING.batch_size,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> nn.Module:
    """Few-shot calibration: a fine-tuned *copy* of a trained model; ``model`` is untouched.

    Fine-tuning a subject-independent network on a few labelled trials of the new
    subject is the deep-learning form of calibration-time reduction (Fahimi et al. 2019,
    "Inter-subject transfer learning with an end-to-end deep convolutional neural
    network for EEG-based BCI", J. Neural Eng. 16(2); Zhang et al. 2021, "Adaptive
    transfer learning for EEG motor imagery classification with deep convolutional
    neural network", Neural Networks 136). AdamW runs a fixed number of ``steps`` (no
    validation data exist to stop on). The frozen layers are kept in evaluation mode, so
    fine-tuning the head or the attention modules leaves BatchNorm statistics and the
    rest of the network exactly as trained; ``part="all"`` trains every layer, BatchNorm
    statistics included.

    Parameters
    ----------
    model : nn.Module
        The trained network; copied, never modified.
    X : np.ndarray, shape (n_trials, n_electrodes, n_times)
        Calibration trials, standardised as the training trials were.
    y : np.ndarray, shape (n_trials,)
    part : {"all", "head", "attention"}
        What is trained (:func:`tuned_modules`; :data:`FINETUNE_PARTS`).
    steps : int
        Optimiser steps (mini-batches); a calibration set smaller than ``batch_size`` is
        one batch per step.
    lr, weight_decay : float
    batch_size : int
    seed : int
        Seeds the batch order and dropout: the same inputs give the same model.
    device : torch.device or str

    Returns
    -------
    nn.Module
        The fine-tuned copy, in evaluation mode.
    """
    tuned = copy.deepcopy(model).to(device)
    modules = tuned_modules(tuned, part)
    parameters = list(dict.fromkeys(p for m in modules for p in m.parameters()))
    for p in tuned.parameters():
        p.requires_grad_(False)
    for p in parameters:
        p.requires_grad_(True)
    tuned.eval()
    for module in modules:
        module.train()
    torch.manual_seed(seed)
    batches = TrialBatches(
        torch.as_tensor(X, dtype=torch.float32, device=device),
        torch.as_tensor(y, dtype=torch.long, device=device),
        batch_size,
        shuffle=True,
        seed=seed,
    )
    optimizer = torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    step = 0
    while step < steps:
        for X_batch, y_batch in batches:
            loss = loss_fn(tuned(X_batch), y_batch) + attention_penalty(tuned)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step == steps:
                break
    return tuned.eval()


@torch.no_grad()
def predict(
    model: nn.Module,
    X: np.ndarray,
    batch_size: int = 256,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Logits of ``model``, in evaluation mode, for trials ``X``, returned on the CPU.

    Parameters
    ----------
    model : nn.Module
        Maps ``(B, n_electrodes, n_times)`` to logits ``(B, n_classes)``.
    X : np.ndarray, shape (n_trials, n_electrodes, n_times)
    batch_size : int
        Trials per forward pass.
    device : torch.device | str | None
        Where the model runs (it is moved there); ``None``: where its parameters are.

    Returns
    -------
    torch.Tensor, shape (n_trials, n_classes)
        float32 logits; an empty tensor for no trials.
    """
    device = next(model.parameters()).device if device is None else torch.device(device)
    model = model.to(device).eval()
    X_t = torch.as_tensor(X, dtype=torch.float32)
    chunks = [
        model(X_t[start : start + batch_size].to(device)).float().cpu()
        for start in range(0, len(X_t), batch_size)
    ]
    return torch.cat(chunks) if chunks else torch.empty(0)
