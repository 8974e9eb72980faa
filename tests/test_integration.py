"""End to end as a user runs it: short LOSO runs, resume after a kill, real data."""

import json

import pandas as pd
import pytest

from bci_attn import experiment
from bci_attn.experiment import RunConfig, run_experiment

SHORT = dict(max_epochs=2, batch_size=32, quiet=True)


def synthetic(tmp_path, name, **overrides):
    options = dict(dataset="synthetic", subjects=[1, 2, 3], protocol="loso", **SHORT)
    options.update(overrides)
    return RunConfig(out=str(tmp_path / name), **options)


def test_short_loso_on_synthetic_writes_the_run_folder(tmp_path):
    summary = run_experiment(synthetic(tmp_path, "run"), echo=lambda *a: None)
    folder = tmp_path / "run"
    config = json.loads((folder / "config.json").read_text())
    assert config["folds"] == ["subject1", "subject2", "subject3"]
    assert config["n_chans"] == 22 and config["sfreq"] == 128.0
    rows = pd.read_csv(folder / "results.csv")
    assert list(rows["subject"]) == [1, 2, 3]
    assert rows["accuracy"].between(0, 1).all()
    assert set(json.loads((folder / "summary.json").read_text())) >= {
        "accuracy_mean",
        "accuracy_std",
        "kappa_mean",
        "per_subject",
    }
    assert list(summary["table"].index) == [1, 2, 3]
    assert any((folder / "logs" / "subject1" / "seed0").rglob("metrics.csv"))


def test_same_seed_gives_the_same_result(tmp_path):
    first = run_experiment(synthetic(tmp_path, "a", subjects=[1, 2, 3]), echo=lambda *a: None)
    second = run_experiment(synthetic(tmp_path, "b", subjects=[1, 2, 3]), echo=lambda *a: None)
    pd.testing.assert_frame_equal(first["table"], second["table"])


def test_a_seed_gives_the_same_folds_and_result_alone_or_with_other_seeds(tmp_path):
    together = synthetic(tmp_path, "together", seeds=[0, 1], max_epochs=1)
    alone = synthetic(tmp_path, "alone", seeds=[1], max_epochs=1)
    for a, b in zip(experiment.prepare(together)[1], experiment.prepare(alone)[1], strict=True):
        assert a.name == b.name and (a.train == b.train).all() and (a.valid == b.valid).all()
    run_experiment(together, echo=lambda *a: None)
    run_experiment(alone, echo=lambda *a: None)
    for fold in ("subject1", "subject2", "subject3"):
        with_others = experiment.RunFolder(together.out).finished(fold, 1)
        by_itself = experiment.RunFolder(alone.out).finished(fold, 1)
        assert with_others["rows"] == by_itself["rows"]  # labels, predictions, probabilities


def test_killed_run_resumes_without_redoing_finished_folds(tmp_path, monkeypatch):
    reference = run_experiment(synthetic(tmp_path, "whole"), echo=lambda *a: None)

    trained = []
    train_fold = experiment.train_fold

    def killed_after_first_fold(config, data, fold, seed, folder):
        if trained:
            raise KeyboardInterrupt  # the run is killed during the second fold
        trained.append(fold.name)
        return train_fold(config, data, fold, seed, folder)

    monkeypatch.setattr(experiment, "train_fold", killed_after_first_fold)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(synthetic(tmp_path, "killed"), echo=lambda *a: None)
    assert trained == ["subject1"]
    assert not (tmp_path / "killed" / "results.csv").exists()

    resumed_folds = []
    monkeypatch.setattr(
        experiment,
        "train_fold",
        lambda config, data, fold, *rest: (
            resumed_folds.append(fold.name) or train_fold(config, data, fold, *rest)
        ),
    )
    lines = []
    resumed = run_experiment(synthetic(tmp_path, "killed"), echo=lines.append)
    assert resumed_folds == ["subject2", "subject3"]
    assert any("subject1 seed 0" in line and "resumed" in line for line in lines)
    pd.testing.assert_frame_equal(resumed["table"], reference["table"])


def test_each_fold_records_how_it_was_trained_when_a_resume_changes_that(tmp_path):
    first = synthetic(tmp_path, "run", max_epochs=1, channels_last=False)
    run_experiment(first, echo=lambda *a: None)
    resumed = synthetic(tmp_path, "run", max_epochs=1, channels_last=True, seeds=[0, 1])
    run_experiment(resumed, echo=lambda *a: None)
    folder = experiment.RunFolder(resumed.out)
    for fold in ("subject1", "subject2", "subject3"):
        first, second = folder.finished(fold, 0), folder.finished(fold, 1)
        assert first["trained_with"]["channels_last"] is False  # config.json now says True
        assert second["trained_with"]["channels_last"] is True
        assert second["trained_with"]["device"] == "cpu" and second["trained_with"]["threads"] >= 1
    assert json.loads((tmp_path / "run" / "config.json").read_text())["channels_last"] is True


def test_resume_refuses_a_folder_of_another_configuration(tmp_path):
    run_experiment(synthetic(tmp_path, "run"), echo=lambda *a: None)
    with pytest.raises(ValueError, match=r"holds a run with other settings \(lr\)"):
        run_experiment(synthetic(tmp_path, "run", lr=0.01), echo=lambda *a: None)


@pytest.mark.realdata
def test_short_loso_on_real_physionet(tmp_path, physionet_dir):
    config = RunConfig(
        dataset="PhysionetMI",
        subjects=[1, 2, 3],
        classes=["left_hand", "right_hand"],
        data_dir=str(physionet_dir),
        out=str(tmp_path / "real"),
        align="euclidean",
        **SHORT,
    )
    summary = run_experiment(config, echo=lambda *a: None)
    rows = pd.read_csv(tmp_path / "real" / "results.csv")
    assert list(rows["n_test"]) == [45, 45, 45]
    assert list(summary["table"].index) == [1, 2, 3]


def test_fold_files_from_before_calibration_are_read_as_one_zero_shot_row(tmp_path):
    from bci_attn.results import RunFolder

    old = {
        "fold": "subject1",
        "subject": 1,
        "seed": 0,
        "accuracy": 0.5,
        "kappa": 0.0,
        "n_train": 8,
        "n_valid": 2,
        "n_test": 4,
        "epochs": 1,
        "seconds": 1.0,
        "labels": [0, 1, 0, 1],
        "predictions": [0, 0, 0, 1],
    }
    folder = RunFolder(tmp_path)
    folder.save_fold(old)
    (row,) = folder.finished("subject1", 0)["rows"]
    assert row == {
        "subject": 1,
        "n_calibration": 0,
        "n_calibration_trials": 0,
        "accuracy": 0.5,
        "kappa": 0.0,
        "labels": [0, 1, 0, 1],
        "predictions": [0, 0, 0, 1],
        "n_test": 4,
    }
