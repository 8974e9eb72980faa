"""A run's folder: whole files with the user's permissions, stale temporaries removed,
damaged unit files named and trained again, a folder of other settings refused."""

import json
import logging
import os
import stat

import pandas as pd
import pytest
import torch

from bci_attn.evaluation.folder import RunFolder, split_fold_file


@pytest.fixture
def umask():
    """Set the process's umask for the test; restored after it."""
    saved = os.umask(0o022)
    yield os.umask
    os.umask(saved)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o007, 0o660)])
def test_files_get_the_users_umask_not_private_temporary_permissions(
    tmp_path, result, umask, mask, expected
):
    umask(mask)
    folder = RunFolder(tmp_path / "run")
    folder.claim({"lr": 0.1}, identity=dict)
    first = result()
    folder.save(type(first)(**{**first.__dict__, "weights": {"w": torch.ones(2)}}))
    written = [tmp_path / "run" / "config.json", *(tmp_path / "run" / "folds").iterdir()]
    assert sorted(p.name for p in written) == [
        "config.json", "subject1-seed0.json", "subject1-seed0.pt",
    ]  # fmt: skip
    assert [mode(p) for p in written] == [expected] * 3


def test_a_write_that_fails_leaves_no_file_and_no_temporary(tmp_path, result):
    folder = RunFolder(tmp_path)
    first = result()
    unpicklable = type(first)(**{**first.__dict__, "weights": {"w": lambda: 0}})
    with pytest.raises(Exception, match="pickle|lambda"):
        folder.save(unpicklable)
    assert list((tmp_path / "folds").iterdir()) == []
    assert folder.finished("subject1", 0) is None


def test_claiming_removes_the_temporaries_of_a_killed_run(tmp_path, caplog):
    (tmp_path / "folds").mkdir()
    stale = [tmp_path / ".config.json.x1.tmp", tmp_path / "folds" / ".subject1-seed0.pt.y.tmp"]
    for path in stale:
        path.write_text("half")
    kept = tmp_path / "folds" / "subject2-seed0.json"
    kept.write_text("{}")
    with caplog.at_level(logging.WARNING, logger="bci_attn"):
        RunFolder(tmp_path).claim({"lr": 0.1}, identity=dict)
    assert not any(path.exists() for path in stale) and kept.exists()
    assert caplog.messages == [f"{tmp_path}: removed 2 temporary file(s) of a killed run"]


def test_a_record_with_tuples_resumes_its_own_folder(tmp_path):
    """config.json stores tuples (EPSA's kernels, say) as lists: the same run resumes."""
    record = {"attention_options": {"kernels": (3, 5, 7, 9)}, "lr": 0.1}
    RunFolder(tmp_path).claim(record, identity=dict)
    RunFolder(tmp_path).claim(record, identity=dict)
    with pytest.raises(ValueError, match=r"other settings \(attention_options\)"):
        RunFolder(tmp_path).claim({**record, "attention_options": {"kernels": (3,)}}, dict)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "Expecting property name"),
        ("[]", "expected a JSON object, got list"),
        ('{"fold": "subject1"}', "lacks field(s) subject"),
    ],
)
def test_a_damaged_fold_file_is_named_and_counts_as_unfinished(
    tmp_path, result, content, problem, caplog
):
    folder = RunFolder(tmp_path)
    folder.save(result(fold="subject2"))
    folder.fold_file("subject1", 0).write_text(content)
    with caplog.at_level(logging.WARNING, logger="bci_attn"):
        assert folder.finished("subject1", 0) is None
        assert [r.fold for r in folder.results()] == ["subject2"]
    notices, path = caplog.messages, folder.fold_file("subject1", 0)
    assert len(notices) == 1  # read twice, named once
    assert notices[0].startswith(f"{path}: damaged (")
    assert problem in notices[0] and notices[0].endswith("it will be trained again")


def test_a_result_without_rows_is_damaged(tmp_path, result, caplog):
    folder = RunFolder(tmp_path)
    values = result().to_dict()
    del values["rows"]
    folder.fold_file("subject1", 0).parent.mkdir()
    folder.fold_file("subject1", 0).write_text(json.dumps(values))
    with caplog.at_level(logging.WARNING, logger="bci_attn"):
        assert folder.finished("subject1", 0) is None
    assert "lacks field(s) rows" in caplog.messages[0]


def test_a_saved_result_reads_back_with_its_model(tmp_path, result):
    folder = RunFolder(tmp_path)
    first = result(fold="subject3-inner-subject5", seed=2)
    folder.save(type(first)(**{**first.__dict__, "weights": {"w": torch.ones(2)}}))
    assert folder.finished("subject3-inner-subject5", 2) == first
    assert folder.results() == [first]
    assert folder.saved_models() == [("subject3-inner-subject5", 2)]
    weights = torch.load(folder.model_file("subject3-inner-subject5", 2), weights_only=True)
    assert torch.equal(weights["w"], torch.ones(2))
    assert split_fold_file(folder.fold_file("subject3-inner-subject5", 2)) == (
        "subject3-inner-subject5",
        2,
    )


def test_a_folder_of_other_settings_is_refused_naming_them(tmp_path):
    folder = RunFolder(tmp_path)
    folder.claim({"lr": 0.1, "attention": "se", "seeds": [0]}, identity=dict)
    folder.claim({"lr": 0.1, "attention": "se", "seeds": [0]}, identity=dict)  # the same: resumed
    with pytest.raises(ValueError) as info:
        folder.claim({"lr": 0.2, "attention": "cbam", "seeds": [0]}, identity=dict)
    assert str(info.value) == (
        f"--out {tmp_path} holds a run with other settings (attention, lr); choose another "
        "--out to start a new run, or repeat the original command to resume it"
    )
    assert json.loads((tmp_path / "config.json").read_text())["lr"] == 0.1  # untouched
    same = {"lr": 0.1, "attention": "se", "seeds": [0, 1]}  # identity leaves seeds out
    folder.claim(same, identity=lambda record: {k: v for k, v in record.items() if k != "seeds"})
    assert folder.config() == same  # the last run's record


def test_a_folder_that_holds_no_run_is_named(tmp_path):
    with pytest.raises(ValueError, match="holds no run: no config.json"):
        RunFolder(tmp_path).config()
    (tmp_path / "config.json").write_text("{oops")
    with pytest.raises(ValueError, match="config.json is not valid JSON"):
        RunFolder(tmp_path).stored()
    (tmp_path / "config.json").write_text("[1]")
    with pytest.raises(ValueError, match="does not hold a configuration; move it away"):
        RunFolder(tmp_path).stored()
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="exists and is not a folder"):
        RunFolder(tmp_path / "file").claim({}, identity=dict)


def test_the_tables_average_seeds_per_subject(tmp_path, result):
    results = [
        result("subject1", 0, {1: 0.5}, [[0.9, 0.1]] * 4),
        result("subject1", 1, {1: 1.0}, [[0.2, 0.8]] * 4),
        result("subject2", 0, {2: 0.25}, [[0.9, 0.1]] * 4),
        result("subject2", 1, {2: 0.75}, [[0.6, 0.4]] * 4),
    ]
    table, curve, combined = RunFolder(tmp_path).write_tables(results, ensemble=True)
    assert table["accuracy"].to_dict() == {1: 0.75, 2: 0.5}
    assert curve is None and list(combined.index) == [1, 2]
    rows = pd.read_csv(tmp_path / "results.csv")
    assert len(rows) == 4 and "labels" not in rows and "probabilities" not in rows
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["accuracy_mean"] == pytest.approx(0.625)
    assert summary["accuracy_std"] == pytest.approx(0.125)  # over subjects, ddof 0
    assert (summary["n_subjects"], summary["seeds"]) == (2, [0, 1])
    assert summary["ensemble"]["per_subject"][0]["subject"] == 1
    assert (tmp_path / "ensemble.csv").is_file()
    text = (tmp_path / "summary.md").read_text()
    assert "| mean ± std | 62.5 ± 12.5 |" in text and "Ensemble of the seeds' models" in text


def test_calibration_tables_hold_every_size(tmp_path, result):
    results = [
        result("holdout", 0, {3: 0.5, 4: 0.25}, calibration={(3, 5): 0.75, (4, 5): 0.5}),
    ]
    table, curve, _ = RunFolder(tmp_path).write_tables(results)
    assert table["accuracy"].to_dict() == {3: 0.5, 4: 0.25}  # zero-shot
    assert curve["accuracy"][5].to_dict() == {3: 0.75, 4: 0.5}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["calibration"]) == {"0", "5"}
    assert summary["calibration"]["5"]["accuracy_mean"] == pytest.approx(0.625)
    assert "N=5 acc. (%)" in (tmp_path / "summary.md").read_text()
