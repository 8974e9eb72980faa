"""Transfer evaluation: held-out subjects, cross-dataset pooling, few-shot calibration."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from data.fake_datasets import fake_pair

from bci_attn import experiment
from bci_attn.experiment import RunConfig, run_experiment
from bci_attn.models import build_model
from bci_attn.protocols import CrossDataset, Holdout, calibration_pool, calibration_set
from bci_attn.run import main
from bci_attn.training import finetune


def metadata(subjects=(1, 2, 3, 4, 5), dataset="A", runs=("0", "1"), per_run=10):
    rows = [
        {"subject": s, "session": "0", "run": r, "dataset": dataset}
        for s in subjects
        for r in runs
        for _ in range(per_run)
    ]
    meta = pd.DataFrame(rows)
    return meta, np.tile(np.arange(2), len(meta) // 2)


def test_holdout_never_trains_or_validates_on_a_test_subject():
    meta, y = metadata(subjects=range(1, 8))
    (fold,) = Holdout(train_subjects=(1, 2, 3, 4), test_subjects=(6, 7), seed=3).split(meta, y)
    subject_of = meta["subject"].to_numpy()
    assert fold.subject is None
    assert set(subject_of[fold.test]) == {6, 7}
    assert set(subject_of[np.r_[fold.train, fold.valid]]) <= {1, 2, 3, 4}
    assert len(set(subject_of[fold.valid])) == 1  # one whole validation subject
    assert not set(subject_of[fold.valid]) & set(subject_of[fold.train])
    assert 5 not in set(subject_of[np.r_[fold.train, fold.valid, fold.test]])
    with pytest.raises(ValueError, match=r"overlap \(subject\(s\) 3\)"):
        Holdout(train_subjects=(1, 2, 3), test_subjects=(3, 4)).split(meta, y)


def test_cross_dataset_sides_come_from_their_datasets_even_with_equal_subject_numbers():
    meta_a, y_a = metadata(subjects=(1, 2, 3), dataset="A")
    meta_b, y_b = metadata(subjects=(1, 2), dataset="B")
    meta, y = pd.concat([meta_a, meta_b], ignore_index=True), np.r_[y_a, y_b]
    (fold,) = CrossDataset(train_dataset="A", test_dataset="B").split(meta, y)
    assert fold.name == "A-to-B"
    assert set(meta["dataset"].iloc[fold.test]) == {"B"}
    assert set(meta["dataset"].iloc[np.r_[fold.train, fold.valid]]) == {"A"}
    assert sorted(meta["subject"].iloc[fold.test].unique()) == [1, 2]
    assert len(fold.train) + len(fold.valid) + len(fold.test) == len(meta)


def test_calibration_trials_come_first_in_time_and_are_never_tested():
    meta, y = metadata(subjects=(1, 2, 3, 4))
    meta.loc[meta["subject"] == 4, "session"] = np.repeat(["1", "0"], 10)  # sessions swapped
    meta.loc[meta["subject"] == 4, "run"] = np.repeat(["0", "1"], 10)
    for subject in (1, 4):
        rows = np.flatnonzero(meta["subject"] == subject)
        pool, test = calibration_pool(meta, y, rows, n_per_class=3)
        assert not set(pool) & set(test) and set(pool) | set(test) == set(rows)
        assert list(pool) == sorted(pool)
        assert (meta["session"].iloc[pool] == "0").all()  # the first session only
        first = rows[(meta["session"].iloc[rows] == "0").to_numpy()][:6]
        assert list(pool) == list(first)  # the first 3 trials of each class
        small = calibration_set(pool, y, 2)
        assert set(small) < set(pool) and np.bincount(y[small]).tolist() == [2, 2]
    with pytest.raises(ValueError, match="--calibration-trials 11 is more than subject 1 has"):
        calibration_pool(meta, y, np.flatnonzero(meta["subject"] == 1), n_per_class=11)


def test_loso_and_holdout_set_the_calibration_pool_apart():
    from bci_attn.protocols import LeaveOneSubjectOut

    meta, y = metadata(subjects=(1, 2, 3, 4))
    folds = LeaveOneSubjectOut(calibration_trials=4).split(meta, y)
    folds += Holdout(train_subjects=(1, 2), test_subjects=(3, 4), calibration_trials=4).split(
        meta, y
    )
    for fold in folds:
        pools = np.concatenate(list(fold.calibration.values()))
        assert len(pools) == 8 * len(fold.calibration)
        assert not set(pools) & set(np.r_[fold.train, fold.valid, fold.test])
        assert set(meta["subject"].iloc[pools]) == set(meta["subject"].iloc[fold.test])


def small_model(attention="se"):
    torch.manual_seed(0)
    return build_model("eegnet", attention, None, n_chans=4, n_times=128, n_outputs=2, sfreq=128)


def state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_finetuning_starts_every_subject_from_the_same_untouched_weights():
    model = small_model()
    before = state(model)
    rng = np.random.default_rng(0)
    X_a, X_b = rng.normal(size=(2, 8, 4, 128)).astype(np.float32)
    y = np.tile([0, 1], 4)
    options = dict(steps=5, lr=1e-2, seed=0)
    b_alone = finetune(model, X_b, y, **options)
    finetune(model, X_a, y, **options)
    b_after_a = finetune(model, X_b, y, **options)
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), f"{name} of the trained model changed"
    for (name, v1), v2 in zip(
        b_alone.state_dict().items(), b_after_a.state_dict().values(), strict=True
    ):
        assert torch.equal(v1, v2), name
    assert any(not torch.equal(v, before[k]) for k, v in b_alone.state_dict().items())


@pytest.mark.parametrize(("part", "prefixes"), [("head", ("final_layer",)), ("attention",
                         ("attention_",))])  # fmt: skip
def test_finetuning_the_head_or_attention_changes_nothing_else(part, prefixes):
    model = small_model()
    before = state(model)
    X = np.random.default_rng(1).normal(size=(8, 4, 128)).astype(np.float32)
    tuned = finetune(model, X, np.tile([0, 1], 4), part=part, steps=5, lr=1e-2)
    changed = {k for k, v in tuned.state_dict().items() if not torch.equal(v, before[k])}
    assert changed and all(k.startswith(prefixes) for k in changed), changed
    with pytest.raises(ValueError, match="no attention parameters"):
        finetune(small_model("none"), X, np.tile([0, 1], 4), part="attention", steps=1)


SHORT = dict(max_epochs=1, batch_size=32, quiet=True, calibration_steps=3)


def test_holdout_with_calibration_reports_every_n_on_the_same_test_trials(tmp_path, monkeypatch):
    config = RunConfig(
        dataset="synthetic",
        protocol="holdout",
        train_subjects=[1, 2],
        test_subjects=[3, 4],
        calibration_trials=[2, 4],
        out=str(tmp_path / "run"),
        **SHORT,
    )
    summary = run_experiment(config, echo=lambda *a: None)
    rows = pd.read_csv(tmp_path / "run" / "results.csv")
    assert list(rows["fold"].unique()) == ["holdout"]
    assert rows[["subject", "n_calibration"]].values.tolist() == [
        [s, n] for s in (3, 4) for n in (0, 2, 4)
    ]
    assert rows.groupby("subject")["n_test"].nunique().eq(1).all()  # same trials for every N
    assert list(rows["n_calibration_trials"].unique()) == [0, 6, 12]  # 3 classes
    assert list(summary["calibration"]["accuracy"].columns) == [0, 2, 4]
    assert list(summary["table"].index) == [3, 4]
    stored = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert set(stored["calibration"]) == {"0", "2", "4"}
    assert "N=4 acc. (%)" in (tmp_path / "run" / "summary.md").read_text()
    # The same command resumes from the fold file instead of training again.
    monkeypatch.setattr(
        experiment, "train_fold", lambda *a: pytest.fail("a finished fold was trained again")
    )
    again = run_experiment(config, echo=lambda *a: None)
    pd.testing.assert_frame_equal(again["calibration"], summary["calibration"])


def use_fake_datasets(monkeypatch):
    pair = dict(zip(("faketrain", "faketest"), fake_pair(), strict=True))
    real = experiment.resolve_dataset
    monkeypatch.setattr(
        experiment, "resolve_dataset", lambda name: pair.get(name.lower()) or real(name)
    )


def run_cli(capsys, *args):
    try:
        code = main(list(args))
    except SystemExit as exit_info:
        code = exit_info.code
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_lists_cross_dataset_folds_and_the_electrodes_kept(capsys, tmp_path, monkeypatch):
    use_fake_datasets(monkeypatch)
    code, out, err = run_cli(
        capsys,
        *("--train-dataset", "FakeTrain", "--test-dataset", "FakeTest", "--list-folds"),
        *("--calibration-trials", "2", "--data-dir", str(tmp_path)),
    )
    assert code == 0, err
    assert "kept 4 shared by name (FakeTrain has 5, FakeTest 5): C3, Cz, C4, FCz" in out
    assert "classes: kept left_hand, right_hand" in out
    assert "FakeTrain-to-FakeTest: train" in out and "calibration pool per subject 1: 4" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--protocol", "holdout", "--train-subjects", "1-3", "--test-subjects", "3,4"),
            "--train-subjects and --test-subjects overlap (subject(s) 3)",
        ),
        (
            ("--protocol", "holdout", "--train-subjects", "1-2", "--test-subjects", "3"),
            "--calibration-trials 50 is more than subject 3 has: 15 trials of class 0",
        ),
        (
            ("--protocol", "within-session", "--subjects", "1"),
            "--calibration-trials goes with --protocol loso, holdout, cross-dataset",
        ),
        (("--protocol", "holdout"), "--protocol holdout needs --test-subjects"),
    ],
)
def test_bad_transfer_input_exits_2_with_one_line(capsys, tmp_path, args, message):
    calibration = () if "overlap" in message else ("--calibration-trials", "50")
    code, _, err = run_cli(
        capsys, *args, *calibration, "--list-folds", "--out", str(tmp_path / "run")
    )
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        (dict(test_events=("feet_x", "tongue")), "share 0 class(es)"),
        (dict(test_channels=("C3", "Pz", "O1")), "share 1 electrode(s) (C3), fewer than"),
    ],
)
def test_cli_refuses_datasets_without_enough_in_common(capsys, tmp_path, monkeypatch, pair,
                                                        message):  # fmt: skip
    datasets = dict(zip(("faketrain", "faketest"), fake_pair(**pair), strict=True))
    monkeypatch.setattr(experiment, "resolve_dataset", lambda name: datasets[name.lower()])
    code, _, err = run_cli(
        capsys,
        *("--train-dataset", "FakeTrain", "--test-dataset", "FakeTest", "--list-folds"),
        *("--data-dir", str(tmp_path)),
    )
    assert code == 2 and message in err and "Traceback" not in err


@pytest.mark.realdata
def test_short_holdout_on_real_physionet(tmp_path, physionet_dir):
    config = RunConfig(
        dataset="PhysionetMI",
        protocol="holdout",
        train_subjects=list(range(1, 8)),
        test_subjects=[8, 9, 10],
        classes=["left_hand", "right_hand"],
        calibration_trials=[5],
        data_dir=str(physionet_dir),
        out=str(tmp_path / "real"),
        **SHORT,
    )
    summary = run_experiment(config, echo=lambda *a: None)
    rows = pd.read_csv(tmp_path / "real" / "results.csv")
    assert list(summary["table"].index) == [8, 9, 10]
    assert (rows["n_test"] == 35).all()  # 45 trials, 10 calibration trials set aside
    assert rows["n_train"].iloc[0] + rows["n_valid"].iloc[0] == 7 * 45
