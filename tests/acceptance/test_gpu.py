"""Training on a CUDA GPU: data resident on the device, mixed precision, fold-parallel
training, and deterministic results. Skipped, saying why, on a machine without CUDA; run
them on one with ``python -m pytest -m gpu``."""

import json

import pytest
import torch

from bci_attn.cli.main import main

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not torch.cuda.is_available(),
        reason="no CUDA GPU on this machine: the gpu tests run where one is (pytest -m gpu)",
    ),
]

SMALL = [
    *("--dataset", "synthetic", "--subjects", "1-3", "--n-classes", "2", "--tmax", "1.5"),
    *("--max-epochs", "2", "--quiet", "--accelerator", "gpu", "--recipe", "plain"),
]


def run(tmp_path, name: str, *args: str) -> list[dict]:
    """Run ``SMALL`` with ``args`` into ``tmp_path/name``; its fold results."""
    out = tmp_path / name
    assert main(["run", *SMALL, *args, "--out", str(out)]) == 0
    return [json.loads(p.read_text()) for p in sorted((out / "folds").glob("*.json"))]


def test_a_fold_trains_on_the_gpu_with_its_trials_resident_there():
    import lightning as L

    from bci_attn.models import build_model
    from bci_attn.training import DecodingModule, TrialsDataModule

    X = torch.randn(32, 8, 128).numpy()
    y = (torch.arange(32) % 2).numpy()
    data = TrialsDataModule((X, y), (X[:8], y[:8]), (X[:8], y[:8]), batch_size=8)
    model = build_model("eegnet", "se", n_chans=8, n_times=128, n_outputs=2, sfreq=128.0)
    trainer = L.Trainer(
        accelerator="gpu", devices=1, max_epochs=1, logger=False, enable_progress_bar=False
    )
    trainer.fit(DecodingModule(model, n_classes=2), datamodule=data)
    assert all(X.is_cuda and y.is_cuda for X, y in data.tensors.values())
    assert next(model.parameters()).is_cuda


@pytest.mark.parametrize("precision", ["16-mixed", "bf16-mixed"])
def test_mixed_precision(tmp_path, precision):
    results = run(tmp_path, precision, "--precision", precision)
    assert len(results) == 3
    for result in results:
        assert result["trained_with"]["device"] == torch.cuda.get_device_name()
        assert result["trained_with"]["precision"] == precision
        assert 0.0 <= result["rows"][0]["accuracy"] <= 1.0


def test_fold_parallel_training(tmp_path):
    results = run(tmp_path, "parallel", "--parallel-folds", "3", "--seed", "0", "1")
    assert len(results) == 6
    assert all(r["trained_with"]["parallel_folds"] == 3 for r in results)


def test_the_same_seed_gives_the_same_result_twice(tmp_path):
    first, second = run(tmp_path, "first"), run(tmp_path, "second")
    assert [r["rows"][0]["predictions"] for r in first] == [
        r["rows"][0]["predictions"] for r in second
    ]
    assert [r["rows"][0]["probabilities"] for r in first] == [
        r["rows"][0]["probabilities"] for r in second
    ]
