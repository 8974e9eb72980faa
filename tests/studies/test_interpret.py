"""What a trained model attends to: figures of a run's saved model, and of untrained ones."""

import json
import shutil

import numpy as np
import pytest
import torch

from bci_attn.evaluation.preparation import prepare
from bci_attn.evaluation.records import config_of, load_model
from bci_attn.models import build_model
from bci_attn.studies import interpret
from bci_attn.studies.interpret import interpret_run
from bci_attn.training.batches import standardise

ELECTRODE = "runs/synthetic-eegnet-loso-electrode"


def test_a_saved_model_reproduces_the_stored_predictions(trained_sweep):
    run = trained_sweep / ELECTRODE
    model = load_model(run, "subject2", 0)
    ready = prepare(config_of(json.loads((run / "config.json").read_text())))
    fold = ready.select("subject2")
    X = standardise(ready.data.X[fold.train], ready.data.X[fold.test])[1]
    with torch.no_grad():
        predictions = model(torch.as_tensor(X)).argmax(1).tolist()
    stored = json.loads((run / "folds" / "subject2-seed0.json").read_text())
    assert predictions == stored["rows"][0]["predictions"]


def test_interpreting_a_run_draws_what_its_model_has(trained_sweep, tmp_path):
    run = shutil.copytree(trained_sweep / ELECTRODE, tmp_path / "run")
    figures = interpret_run(run, fold="subject3", seed=0, out=tmp_path / "figures")
    assert {p.name for p in figures} == {
        "electrode_attention_attention_input.png",
        "eegnet_spatial_filters.png",
    }  # the run's own figures folder by default: tests/studies/test_report.py
    assert all(p.parent == tmp_path / "figures" and p.stat().st_size > 0 for p in figures)


def test_a_run_without_that_model_is_named(trained_sweep, tmp_path):
    run = shutil.copytree(trained_sweep / ELECTRODE, tmp_path / "run")
    with pytest.raises(ValueError, match="no saved model for fold subject9 seed 0; saved: sub"):
        interpret_run(run, fold="subject9", seed=0)
    for model in (run / "folds").glob("*.pt"):
        model.unlink()
    with pytest.raises(
        ValueError, match="no saved model .folds/.\\.pt.; run it with this version"
    ):
        interpret_run(run)


def test_channel_and_temporal_attention_figures(tmp_path):
    """Figures of untrained models: channel weights per temporal filter with spectra."""
    X = np.random.default_rng(0).normal(size=(6, 8, 128)).astype(np.float32)
    y = np.array([0, 1] * 3)
    model = build_model(
        "eegnet", "cbam", "temporal", n_chans=8, n_times=128, n_outputs=2, sfreq=128.0
    )
    maps = interpret.collect_maps(model, X, batch_size=4)
    weights = interpret.channel_weights(maps)["attention_temporal"]
    taps = interpret.temporal_filters(model)
    assert weights.shape == (6, 8) and taps.shape[0] == 8
    freqs, gains = interpret.frequency_responses(taps, 128.0)
    assert gains.shape == (8, len(freqs)) and gains.max() == pytest.approx(0, abs=1e-6)
    interpret.plot_filter_weights(weights, freqs, gains, tmp_path / "channel.png")
    profiles = interpret.temporal_profiles(maps)["attention_temporal"]
    assert profiles.shape[0] == 6 and profiles.shape[1] >= 128  # EEGNet pads to 129
    interpret.plot_temporal_by_class(profiles, y, ["left", "right"], 1.0, tmp_path / "time.png")
    assert (tmp_path / "channel.png").is_file() and (tmp_path / "time.png").is_file()


def test_a_scalp_map_needs_electrodes_with_standard_positions(tmp_path):
    info, kept = interpret.montage_info(["C3", "Cz", "X1", "C4"], 128.0)
    assert list(kept) == [0, 1, 3] and info.ch_names == ["C3", "Cz", "C4"]
    with pytest.raises(ValueError, match="fewer than 3 of the electrodes"):
        interpret.montage_info(["X1", "C3"], 128.0)
    path = interpret.plot_scalp_maps(
        np.ones((2, 4)), ["C3", "Cz", "X1", "C4"], ["a", "b"], tmp_path / "m.png"
    )
    assert path.stat().st_size > 0
