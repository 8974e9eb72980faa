"""Trial metadata of known shape, for splitting without loading data."""

import numpy as np
import pandas as pd
import pytest

from bci_attn.config import ConfigError, RunConfig
from bci_attn.evaluation.protocols import check_protocol


def make_trials(
    subjects=(1, 2, 3, 4), sessions=("0",), runs=("0",), per_run=10, dataset=None
) -> tuple[pd.DataFrame, np.ndarray]:
    """``per_run`` trials per subject, session and run, labels alternating 0, 1."""
    rows = [
        {"subject": s, "session": session, "run": run}
        for s in subjects
        for session in sessions
        for run in runs
        for _ in range(per_run)
    ]
    meta = pd.DataFrame(rows)
    if dataset is not None:
        meta["dataset"] = dataset
    return meta, np.tile(np.arange(2), len(meta) // 2)


@pytest.fixture
def trials():
    """:func:`make_trials`: ``trials(subjects=..., sessions=..., runs=..., per_run=...)``."""
    return make_trials


@pytest.fixture
def disjoint():
    """Assert a fold's train, valid and test trials are pairwise disjoint."""

    def check(fold) -> None:
        train, valid, test = set(fold.train), set(fold.valid), set(fold.test)
        assert not train & valid and not train & test and not valid & test, fold.name

    return check


@pytest.fixture
def refusal():
    """``refusal(protocol, **options)``: the ConfigError checking the protocol's rules on a
    configuration of those options raises."""

    def refused(protocol: str, **values) -> ConfigError:
        with pytest.raises(ConfigError) as info:
            check_protocol(RunConfig.create(protocol=protocol, **values))
        return info.value

    return refused
