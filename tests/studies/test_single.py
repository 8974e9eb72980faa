"""A single run: every fold and seed of one configuration into its folder, resumed when run
again, with its tables; failed units reported and kept apart from the finished ones."""

import json
import shutil

import pandas as pd
import pytest
from filelock import FileLock

from bci_attn.evaluation import units
from bci_attn.evaluation.folder import RESOLVED, RunFolder
from bci_attn.studies.single import SingleRun, evaluate
from bci_attn.studies.study import StudyFailed

from .conftest import Recording, tiny_config

FOLDS = ["subject1", "subject2", "subject3"]


def quiet(*args) -> None:
    pass


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A tiny leave-one-subject-out run (3 folds, seed 0), trained once for this module."""
    out = tmp_path_factory.mktemp("single") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BCI_ATTN_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
        lines: list[str] = []
        summary = SingleRun(tiny_config(out), lines.append).run()
    return out, summary, lines


@pytest.fixture
def copy_of(tmp_path, finished_run):
    """A copy of the finished run's folder, to change."""
    shutil.copytree(finished_run[0], tmp_path / "copy")
    return tmp_path / "copy"


def test_a_run_writes_its_record_results_and_tables(finished_run):
    out, summary, lines = finished_run
    stored = json.loads((out / "config.json").read_text())
    assert stored["resolved"]["folds"] == FOLDS
    assert (stored["resolved"]["n_chans"], stored["resolved"]["sfreq"]) == (22, 128.0)
    assert stored["execution"]["out"] == str(out)
    rows = pd.read_csv(out / "results.csv")
    assert list(rows["fold"]) == FOLDS and list(rows["subject"]) == [1, 2, 3]
    assert rows["accuracy"].between(0, 1).all() and (rows["seed"] == 0).all()
    assert set(json.loads((out / "summary.json").read_text())) >= {
        "accuracy_mean", "accuracy_std", "kappa_mean", "n_subjects", "seeds", "per_subject",
    }  # fmt: skip
    assert list(summary.table.index) == [1, 2, 3]
    assert summary.line().startswith("accuracy ") and summary.line().endswith(f"({out})")
    assert "| mean ± std |" in (out / "summary.md").read_text()
    assert all((out / "logs" / fold / "seed0" / "metrics.csv").is_file() for fold in FOLDS)
    assert sorted(p.name for p in (out / "folds").glob("*.pt")) == [
        f"{fold}-seed0.pt" for fold in FOLDS
    ]
    assert any(line.endswith(f"loso: 3 folds x 1 seed(s) -> {out}") for line in lines)


def test_a_killed_run_trains_only_its_missing_units_again(copy_of, finished_run, caplog):
    folder = RunFolder(copy_of)
    before = {r.fold: r for r in folder.results()}
    folder.fold_file("subject2", 0).unlink()  # killed before subject2 was written
    folder.model_file("subject2", 0).unlink()
    folder.fold_file("subject3", 0).write_text("{half a fi")  # or while writing it
    recording, lines = Recording(), []
    summary = SingleRun(tiny_config(copy_of), lines.append).run(recording)
    assert recording.trained == [("copy", "subject2", 0), ("copy", "subject3", 0)]
    assert any("subject1 seed 0" in line and "done before, resumed" in line for line in lines)
    assert "subject3-seed0.json: damaged" in caplog.text  # a notice on stderr
    after = {r.fold: r for r in folder.results()}
    for fold in FOLDS:  # the same seed gives the same model and scores
        assert after[fold].rows == before[fold].rows
    pd.testing.assert_frame_equal(summary.table, finished_run[1].table)


def test_a_finished_run_started_again_trains_nothing(copy_of):
    recording = Recording()
    summary = SingleRun(tiny_config(copy_of), quiet).run(recording)
    assert recording.trained == [] and list(summary.table.index) == [1, 2, 3]


def test_a_folder_of_other_settings_is_refused_naming_them(copy_of):
    recording = Recording()
    with pytest.raises(
        ValueError, match=r"holds a run with other settings \(attention, attention_options, lr\)"
    ):
        SingleRun(tiny_config(copy_of, lr=0.01, attention="se"), quiet).run(recording)
    assert recording.trained == []


def test_a_folder_another_run_is_writing_is_refused(copy_of):
    with FileLock(copy_of / ".lock", timeout=0), pytest.raises(ValueError, match="another run"):
        SingleRun(tiny_config(copy_of), quiet).run(Recording())


def test_a_folder_of_bci_attn_0_1_resumes(copy_of):
    stored = json.loads((copy_of / "config.json").read_text())
    resolved = stored["resolved"]
    flat = {  # config.json as bci-attn 0.1 wrote it: options and resolved values by name
        **{k: v for section in ("data", "model", "training", "evaluation", "execution")
           for k, v in stored[section].items()},
        **{k: resolved[k] for k in (*RESOLVED, "notes", "folds")},
        "recipe": stored["recipe"],
        "bci_attn_version": "0.1.0",
    }  # fmt: skip
    (copy_of / "config.json").write_text(json.dumps(flat))
    recording = Recording()
    SingleRun(tiny_config(copy_of), quiet).run(recording)
    assert recording.trained == []
    assert "resolved" in json.loads((copy_of / "config.json").read_text())  # recorded anew


def test_each_unit_records_how_it_was_trained_when_a_resume_changes_that(copy_of):
    config = tiny_config(copy_of, seeds=[0, 1], channels_last=False)
    SingleRun(config, quiet).run(Recording())
    folder = RunFolder(copy_of)
    for fold in FOLDS:
        first, second = folder.finished(fold, 0), folder.finished(fold, 1)
        assert first.trained_with["channels_last"] is True  # as the first run trained it
        assert second.trained_with["channels_last"] is False
        assert second.trained_with["device"] == "cpu" and second.trained_with["threads"] >= 1
    assert folder.config()["execution"]["channels_last"] is False  # the last run's record


@pytest.fixture
def diverging(monkeypatch):
    """Every model built from now on outputs NaN: its training diverges."""
    build = units.make_model

    def nan_model(config, data):
        model = build(config, data)
        model.register_forward_hook(lambda m, args, out: out * float("nan"))
        return model

    monkeypatch.setattr(units, "make_model", nan_model)
    return monkeypatch


def test_a_failed_unit_is_listed_and_the_others_are_kept(copy_of, diverging):
    folder = RunFolder(copy_of)
    folder.fold_file("subject2", 0).unlink()
    (copy_of / "results.csv").unlink()
    with pytest.raises(StudyFailed) as info:
        SingleRun(tiny_config(copy_of), quiet).run(Recording())
    message = str(info.value)
    assert message.startswith("1 of 3 unit(s) failed (first: subject2 seed 0 (")
    assert "training diverged at epoch 0" in message and str(copy_of / "failures.json") in message
    (failure,) = json.loads((copy_of / "failures.json").read_text())
    (unit,) = failure["units"]
    assert (unit["fold"], unit["seed"], unit["folder"]) == ("subject2", 0, str(copy_of))
    assert unit["config"]["training"]["lr"] == 0.001 and "TrainingDiverged" in failure["traceback"]
    assert [r.fold for r in folder.results()] == ["subject1", "subject3"]
    assert not (copy_of / "results.csv").exists()  # no tables of a part of the run
    diverging.undo()
    recording = Recording()
    SingleRun(tiny_config(copy_of), quiet).run(recording)
    assert recording.trained == [("copy", "subject2", 0)]


def test_holdout_with_calibration_reports_every_n_on_the_same_test_trials(tiny, monkeypatch):
    config = tiny(
        protocol="holdout", subjects=None, train_subjects=[1, 2], test_subjects=[3, 4],
        calibration_trials=[2, 4], calibration_steps=3, n_classes=None,
    )  # fmt: skip
    summary = evaluate(config, echo=quiet, executor=Recording())
    out = config.execution.out
    rows = pd.read_csv(f"{out}/results.csv")
    assert list(rows["fold"].unique()) == ["holdout"]
    assert rows[["subject", "n_calibration"]].values.tolist() == [
        [s, n] for s in (3, 4) for n in (0, 2, 4)
    ]
    assert rows.groupby("subject")["n_test"].nunique().eq(1).all()  # same trials for every N
    assert list(rows["n_calibration_trials"].unique()) == [0, 6, 12]  # 3 classes
    assert list(summary.calibration["accuracy"].columns) == [0, 2, 4]
    assert list(summary.table.index) == [3, 4]
    stored = json.loads(open(f"{out}/summary.json").read())
    assert set(stored["calibration"]) == {"0", "2", "4"}
    assert "N=4 acc. (%)" in open(f"{out}/summary.md").read()
    assert "N=2: " in summary.line() and "N=4: " in summary.line()
    recording = Recording()  # the same command resumes from the fold file
    again = evaluate(config, echo=quiet, executor=recording)
    assert recording.trained == []
    pd.testing.assert_frame_equal(again.calibration, summary.calibration)


def test_a_run_with_parallel_folds_writes_the_same_folder(tiny):
    config = tiny(seeds=[0, 1], parallel_folds=3, max_epochs=2, batch_size=32)
    summary = evaluate(config, echo=quiet, executor=Recording())
    out = config.execution.out
    rows = pd.read_csv(f"{out}/results.csv")
    assert len(rows) == 6 and rows["accuracy"].between(0, 1).all()
    assert list(summary.table.index) == [1, 2, 3]
    assert json.loads(open(f"{out}/config.json").read())["execution"]["parallel_folds"] == 3
    for result in RunFolder(out).results():
        assert result.trained_with["parallel_folds"] == 3 and result.epochs == 2
    assert all(
        (RunFolder(out).path / "logs" / f / "seed1" / "metrics.csv").is_file() for f in FOLDS
    )


def test_an_ensemble_run_reports_the_combined_models(tiny):
    config = tiny(augment=["sign_flip", "mixup"], seeds=[0, 1], ensemble=True)
    summary = evaluate(config, echo=quiet, executor=Recording())
    out = config.execution.out
    stored = json.loads(open(f"{out}/summary.json").read())
    assert len(summary.ensemble) == 3
    assert stored["ensemble"]["accuracy_mean"] == pytest.approx(
        summary.ensemble["accuracy"].mean()
    )
    assert len(pd.read_csv(f"{out}/ensemble.csv")) == 3
    assert "Ensemble of the seeds' models" in open(f"{out}/summary.md").read()
    assert "; ensemble " in summary.line()


@pytest.mark.realdata
def test_a_short_holdout_on_real_physionet(tiny, physionet_dir):
    config = tiny(
        dataset="PhysionetMI", protocol="holdout", subjects=None, n_classes=None,
        train_subjects=list(range(1, 8)), test_subjects=[8, 9, 10],
        classes=["left_hand", "right_hand"], calibration_trials=[5], calibration_steps=3,
        data_dir=str(physionet_dir), batch_size=32,
    )  # fmt: skip
    summary = evaluate(config, echo=quiet, executor=Recording())
    rows = pd.read_csv(f"{config.execution.out}/results.csv")
    assert list(summary.table.index) == [8, 9, 10]
    assert (rows["n_test"] == 35).all()  # 45 trials, 10 calibration trials set aside
    assert rows["n_train"].iloc[0] + rows["n_valid"].iloc[0] == 7 * 45
