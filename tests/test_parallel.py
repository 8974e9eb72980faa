"""Fold-parallel training of a whole run (its library is tested in
``tests/training/test_parallel.py``).

Left for the new study engine: these tests call the old ``bci_attn.experiment``.
"""

import json

import pandas as pd
import pytest

from bci_attn.experiment import RunConfig, run_experiment


def test_run_with_parallel_folds_writes_the_same_folder(tmp_path):
    options = dict(
        dataset="synthetic", subjects=[1, 2, 3], max_epochs=2, batch_size=32, quiet=True
    )
    config = RunConfig(out=str(tmp_path / "par"), parallel_folds=3, seeds=[0, 1], **options)
    summary = run_experiment(config, echo=lambda *a: None)
    rows = pd.read_csv(tmp_path / "par" / "results.csv")
    assert len(rows) == 6 and rows["accuracy"].between(0, 1).all()
    assert list(summary["table"].index) == [1, 2, 3]
    assert json.loads((tmp_path / "par" / "config.json").read_text())["parallel_folds"] == 3


def test_parallel_folds_refuse_early_stopping():
    with pytest.raises(ValueError, match="--parallel-folds trains a fixed number of epochs"):
        RunConfig(parallel_folds=2, patience=3).validate()
