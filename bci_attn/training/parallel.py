"""Fold-parallel training: K copies of one network trained at once as one batched model.

An EEGNet has a few thousand parameters; one of them cannot keep a GPU busy, and on a CPU
the per-step Python cost is paid once per model. Here the K members (folds, seeds, or both)
share one architecture: their weights are stacked along a new leading axis
(:func:`torch.func.stack_module_state`) and one forward/backward runs all of them through
:func:`torch.func.vmap` over :func:`torch.func.functional_call`. Each member keeps its own
data, batch order, BatchNorm statistics and optimiser state, so it follows the trajectory it
would follow alone:

- the loss is the *sum* of the members' losses, whose gradient with respect to member k's
  weights is exactly member k's own gradient;
- AdamW (and the learning-rate schedule) works elementwise, so one AdamW over stacked
  tensors is K independent AdamWs;
- BatchNorm running statistics are stacked buffers, updated in place per member under vmap
  (``functional_call`` with batched buffers, which torch.func supports);
- batch order comes from one :class:`~bci_attn.training.batches.TrialBatches` per member,
  seeded as :func:`bci_attn.training.fit.fit` seeds it.

Dropout is the exception: under ``vmap(randomness="different")`` every member draws its own
mask, but from one shared random stream, not from the stream it would use alone. A member
with dropout therefore trains *as well as* alone, not *bitwise like* alone; without dropout
(``drop_prob=0``) it matches training alone within float tolerance
(``tests/training/test_parallel.py``).

Written by hand because neither Lightning nor braindecode trains a stack of models; the
stacking, batching and per-member calls are torch.func's.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from ..config.sections import TrainingConfig
from .batches import TrialBatches
from .finetune import predict
from .module import attention_penalty, warmup_cosine

__all__ = ["Member", "check_members", "n_groups", "predict", "train_parallel"]

AUTOCAST = {"16-mixed": torch.float16, "bf16-mixed": torch.bfloat16}


@dataclass
class Member:
    """One model of the stack and the training trials it learns from.

    Attributes
    ----------
    model : nn.Module
        Initialised network; every member's must have the same architecture.
    X : np.ndarray, shape (n_trials, n_electrodes, n_times)
    y : np.ndarray, shape (n_trials,)
    seed : int
        Seed of the member's batch order.
    """

    model: nn.Module
    X: np.ndarray
    y: np.ndarray
    seed: int = 0


class _Objective(nn.Module):
    """Training loss of a model: cross-entropy plus its attention modules' penalties.

    A module, so that :func:`functional_call` swaps the member's weights in for the penalty
    as well as for the forward pass.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return nn.functional.cross_entropy(self.model(X), y) + attention_penalty(self.model)


def check_members(members: Sequence[Member]) -> None:
    """Raise ValueError unless the members can be stacked (same architecture, same sizes)."""
    if not members:
        raise ValueError("parallel training needs at least one member")
    shapes = [{k: v.shape for k, v in m.model.state_dict().items()} for m in members]
    if any(s != shapes[0] for s in shapes[1:]):
        raise ValueError("parallel members must share one architecture (same weights' shapes)")
    sizes = sorted({len(m.y) for m in members})
    if len(sizes) > 1:
        raise ValueError(
            f"parallel members must have as many training trials each, got {sizes}; "
            "group them by training-set size"
        )


def _member_batches(members: Sequence[Member], batch_size: int, device: torch.device):
    """Per-member batch iterators over trials moved once to ``device``."""
    return [
        TrialBatches(
            torch.as_tensor(m.X, dtype=torch.float32).to(device),
            torch.as_tensor(m.y, dtype=torch.long).to(device),
            batch_size,
            shuffle=True,
            seed=m.seed,
        )
        for m in members
    ]


def train_parallel(
    members: Sequence[Member],
    training: TrainingConfig,
    *,
    device: str | torch.device = "cpu",
    precision: str = "32-true",
    randomness: str = "different",
) -> list[list[float]]:
    """Train every member's model at once; the trained weights are written back into them.

    Parameters
    ----------
    members : sequence of Member
        Same architecture and as many training trials each (see :func:`check_members`).
    training : TrainingConfig
        Its ``batch_size``, ``max_epochs``, ``lr``, ``weight_decay``, ``schedule`` and
        ``warmup_epochs`` (AdamW, epoch-wise schedule); other options are not used.
    device : str | torch.device
        Where the stack and all the members' trials live during training.
    precision : {"32-true", "16-mixed", "bf16-mixed"}
        Mixed precision runs the forward pass under :func:`torch.autocast`.
    randomness : {"different", "same"}
        vmap's dropout randomness: a mask per member, or one mask shared by all.

    Returns
    -------
    list of list of float
        Per member, its mean training loss of every epoch.
    """
    check_members(members)
    if precision not in ("32-true", *AUTOCAST):
        raise ValueError(f"precision must be 32-true, 16-mixed or bf16-mixed, got {precision}")
    device = torch.device(device)
    objectives = [_Objective(m.model).to(device).train() for m in members]
    params, buffers = stack_module_state(objectives)
    # The template only lends its structure to functional_call; its own tensors go unused.
    template = copy.deepcopy(objectives[0]).to("meta")

    def member_loss(p, b, X, y):
        return functional_call(template, (p, b), (X, y))

    batched_loss = vmap(member_loss, randomness=randomness)
    optimizer = torch.optim.AdamW(
        params.values(), lr=training.lr, weight_decay=training.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda e: (
            1.0
            if training.schedule == "constant"
            else warmup_cosine(e, training.warmup_epochs, training.max_epochs)
        ),
    )
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "16-mixed")
    loaders = _member_batches(members, training.batch_size, device)
    history: list[list[float]] = [[] for _ in members]
    for _ in range(training.max_epochs):
        epoch_losses = []
        for batches in zip(*loaders, strict=True):
            X = torch.stack([b[0] for b in batches])
            y = torch.stack([b[1] for b in batches])
            with torch.autocast(
                device.type, dtype=AUTOCAST.get(precision), enabled=precision in AUTOCAST
            ):
                losses = batched_loss(params, buffers, X, y)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(losses.sum()).backward()
            scaler.step(optimizer)
            scaler.update()
            epoch_losses.append(losses.detach().float())
        scheduler.step()
        for k, value in enumerate(torch.stack(epoch_losses).mean(0).tolist()):
            history[k].append(value)
    _unstack(params, buffers, objectives)
    return history


def _unstack(params: dict, buffers: dict, objectives: Sequence[nn.Module]) -> None:
    """Copy member k's slice of the stacked tensors back into its own module."""
    with torch.no_grad():
        for k, objective in enumerate(objectives):
            state = {name: tensor[k] for name, tensor in {**params, **buffers}.items()}
            objective.load_state_dict(state)


def n_groups(sizes: Sequence[int], k: int) -> int:
    """How many stacks of at most ``k`` members equal-size groups of ``sizes`` make."""
    counts: dict[int, int] = {}
    for size in sizes:
        counts[size] = counts.get(size, 0) + 1
    return sum(math.ceil(c / k) for c in counts.values())
