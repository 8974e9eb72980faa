"""A tiny run's configuration and fold results of known scores, shared by the evaluation
tests."""

import pytest

from bci_attn.config import RunConfig
from bci_attn.evaluation.results import FoldResult, Score

#: Synthetic EEG, 3 subjects, 2 classes, 1 s trials, 1 epoch, plain training, in this process.
TINY = dict(
    dataset="synthetic", subjects=[1, 2, 3], n_classes=2, tmax=1.0, max_epochs=1,
    recipe="plain", quiet=True, executor="sequential",
)  # fmt: skip


@pytest.fixture
def tiny(tmp_path):
    """``tiny(**options)``: the tiny configuration with ``options`` (by name) on top; its run
    folder is ``tmp_path / "run"``."""

    def make(**values) -> RunConfig:
        return RunConfig.create(**{**TINY, "out": str(tmp_path / "run"), **values})

    return make


def make_result(
    fold: str = "subject1",
    seed: int = 0,
    accuracies: dict | None = None,
    probabilities: list | None = None,
    calibration: dict | None = None,
) -> FoldResult:
    """A fold result with ``accuracies`` (test subject -> zero-shot accuracy) and
    ``calibration`` ((subject, n) -> accuracy)."""
    accuracies = accuracies or {1: 0.5}

    def score(subject, accuracy, n=0) -> Score:
        return Score(
            subject, n, 2 * n, accuracy, 2 * accuracy - 1, 4, [0, 1, 0, 1], [0, 1, 1, 1],
            probabilities,
        )  # fmt: skip

    rows = [score(s, a) for s, a in accuracies.items()]
    rows += [score(s, a, n) for (s, n), a in (calibration or {}).items()]
    subject = next(iter(accuracies)) if len(accuracies) == 1 else None
    return FoldResult(fold, subject, seed, 10, 2, 4 * len(accuracies), 1, 0.5, rows)


@pytest.fixture
def result():
    """:func:`make_result`."""
    return make_result
