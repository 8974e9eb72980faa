"""Fold-parallel training: each member of the stack trains as it would alone."""

import copy

import lightning as L
import numpy as np
import pytest
import torch

from bci_attn.config import TrainingConfig
from bci_attn.models import build_model
from bci_attn.training.batches import TrialsDataModule
from bci_attn.training.module import DecodingModule
from bci_attn.training.parallel import Member, check_members, n_groups, predict, train_parallel

N_CHANS, N_TIMES, SFREQ = 8, 128, 128.0
TRAINING = TrainingConfig(batch_size=16, max_epochs=3, lr=1e-2)


def model(seed: int, attention: str = "none", backbone: str = "eegnet"):
    # No dropout: dropout masks under vmap come from one shared random stream (see
    # bci_attn.training.parallel), so only a dropout-free network can match its solo run exactly.
    torch.manual_seed(seed)
    return build_model(
        backbone,
        attention,
        n_chans=N_CHANS,
        n_times=N_TIMES,
        n_outputs=2,
        sfreq=SFREQ,
        drop_prob=0.0,
    )


def trials(seed: int, n: int = 48):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, N_CHANS, N_TIMES)).astype(np.float32)
    return X, (np.arange(n) % 2)


def train_alone(member: Member) -> torch.nn.Module:
    """The toolkit's sequential path: DecodingModule under a Lightning Trainer."""
    module = DecodingModule(member.model, n_classes=2, training=TRAINING)
    empty = (member.X[:0], member.y[:0])
    trainer = L.Trainer(
        max_epochs=TRAINING.max_epochs,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    data = TrialsDataModule(
        (member.X, member.y), empty, empty, TRAINING.batch_size, seed=member.seed
    )
    trainer.fit(module, datamodule=data)
    return member.model


def train_mode_logits(model: torch.nn.Module, X: np.ndarray) -> torch.Tensor:
    """Logits with batch statistics: what the weights compute, whatever BN has averaged."""
    with torch.no_grad():
        return copy.deepcopy(model).train()(torch.as_tensor(X))


@pytest.mark.parametrize(("backbone", "attention"), [("eegnet", "cbam"), ("shallow", "se")])
def test_each_member_matches_training_it_alone(backbone, attention):
    # Two folds (different data) with two seeds (different initial weights and batch order):
    # trained as one stack, then each alone with Lightning from the same start. The
    # functions are compared, not every weight: EEGNet's first BatchNorm bias is followed by
    # a spatial filter and another BatchNorm that cancel it, so its gradient is float noise
    # that AdamW scales up to full steps, differently in the two runs, to no effect.
    members = [
        Member(model(seed, attention, backbone), *trials(10 + seed), seed=seed)
        for seed in range(2)
    ]
    alone = [
        train_alone(Member(model(seed, attention, backbone), m.X, m.y, m.seed))
        for seed, m in enumerate(members)
    ]
    held_out, _ = trials(99, n=16)
    untrained = train_mode_logits(model(0, attention, backbone), held_out)
    train_parallel(members, TRAINING)
    stacked = [train_mode_logits(m.model, held_out) for m in members]
    assert not torch.allclose(stacked[0], untrained, atol=1e-3), "training changed nothing"
    for got, reference in zip(stacked, alone, strict=True):
        expected = train_mode_logits(reference, held_out)
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_members_that_cannot_be_stacked_are_refused():
    X, y = trials(0)
    with pytest.raises(ValueError, match="as many training trials"):
        check_members([Member(model(0), X, y), Member(model(1), X[:30], y[:30])])
    with pytest.raises(ValueError, match="one architecture"):
        check_members([Member(model(0), X, y), Member(model(0, "se"), X, y)])


def test_stacks_group_members_of_equal_training_sets():
    assert n_groups([48, 48, 48, 30], k=2) == 3  # two stacks of 48 trials, one of 30
    assert n_groups([], k=4) == 0


def test_predictions_are_float_logits_on_the_cpu_in_batches():
    net = model(0)
    X, _ = trials(1, n=10)
    logits = predict(net, X, batch_size=4)
    assert logits.shape == (10, 2) and logits.dtype == torch.float32
    torch.testing.assert_close(logits, net.eval()(torch.as_tensor(X)))
    assert predict(net, X[:0]).numel() == 0
