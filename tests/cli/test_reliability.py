"""The careful user's bad inputs, one by one (each once accepted, or a traceback, or a
message without the option's name), shared and damaged run folders, and how fast a bad
input is refused (before torch is imported)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

from .conftest import ROOT, TINY, fold_files, write_yaml


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--classes", ""], "--classes must be a list of strings (or null), got [] (empty)"),
        (["--lr", "inf"], "--lr must be a number > 0 and <= 10, got inf (not a finite number)"),
        (["--weight-decay", "inf"], "--weight-decay must be a number >= 0 and <= 10, got inf"),
        (["--devices", "3"], "--devices must be 1 on a machine without GPU"),
        (["--out", ""], "--out must be a non-empty string"),
        (["--resample", "1e9"], "--resample must be a number > 0 and <= 4096 (or null)"),
        (["--cache-dir", __file__], f"--cache-dir must be a folder, and {__file__} is a file"),
        (["--backbone-opt", "nope=1"], "--backbone-opt has an option eegnet does not take"),
        (["--devices", "0"], "--devices must be an int >= 1 and <= 64, got 0"),
        (["--devices", "-1"], "--devices must be an int >= 1 and <= 64, got -1"),
        (["--out", __file__], "--out must be a folder, and"),
        (["--fmin", "nan"], "--fmin must be a number >= 0, got nan (not a finite number)"),
        (["--tmax", "nan"], "--tmax must be a number > 0 (or null), got nan"),
        (["--resample", "nan"], "--resample must be a number > 0 and <= 4096 (or null), got nan"),
        (["--seed", "-1"], "--seed must be a list of ints >= 0 and <= 4294967295, got [-1]"),
        (["--split-seed", "-1"], "--split-seed must be an int >= 0 and <= 4294967295, got -1"),
        (["--config", str(ROOT / "configs")], "is a folder, not a YAML file"),
        (["--precision", "7"], "argument --precision: invalid choice: '7'"),
    ],
)
def test_bad_inputs_once_accepted_or_crashing_are_refused(cli, tmp_path, args, message):
    line = (
        cli("run", *TINY, *args, "--out", tmp_path / "run").error
        if "--out" not in args
        else (cli("run", *TINY, *args).error)
    )
    assert message in line
    assert not (tmp_path / "run").exists()


def test_a_refused_command_leaves_the_folder_to_the_corrected_one(cli, tmp_path):
    folder = tmp_path / "run"
    assert cli("run", *TINY, "--precision", "7", "--out", folder).code == 2
    assert cli("run", *TINY, "--precision", "bf16-true", "--out", folder).code == 2
    assert not folder.exists()
    assert cli("run", *TINY, "--out", folder).code == 0


def test_a_folder_another_run_writes_into_is_refused(cli, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    with FileLock(folder / ".lock", timeout=0):  # another process's run, say
        line = cli("run", *TINY, "--out", folder).error
    assert f"--out {folder} is being written by another run" in line
    assert not list(folder.glob("folds/*"))
    assert cli("run", *TINY, "--out", folder).code == 0  # once it has ended


def test_an_empty_sweep_file_is_refused(cli, tmp_path):
    spec = tmp_path / "empty.yaml"
    spec.write_text("")
    assert "is empty; it takes: out, base, settings" in cli("sweep", spec).error


def test_a_sweep_with_bad_seeds_names_the_key_before_writing(cli, tmp_path):
    spec = write_yaml(
        tmp_path / "sweep.yaml",
        {"out": str(tmp_path / "out"), "grid": {"attention": ["none"], "seeds": "abc"}},
    )
    line = cli("sweep", spec).error
    assert "evaluation.seeds must be a list of ints" in line and str(spec) in line
    assert not (tmp_path / "out").exists()


def test_damaged_fold_files_are_named_and_trained_again(cli, tiny_run, tmp_path):
    import shutil

    folder = shutil.copytree(tiny_run, tmp_path / "run")
    (folder / "folds" / "subject1-seed0.json").write_text("[]")
    lacking = json.loads((folder / "folds" / "subject2-seed0.json").read_text())
    del lacking["rows"], lacking["epochs"]
    (folder / "folds" / "subject2-seed0.json").write_text(json.dumps(lacking))
    result = cli("run", *TINY, "--out", folder)  # quiet: the notices still reach stderr
    assert result.code == 0
    assert "subject1-seed0.json: damaged (expected a JSON object, got list)" in result.err
    assert "subject2-seed0.json: damaged (lacks field(s) epochs, rows)" in result.err
    assert set(fold_files(folder)) == {"subject1-seed0", "subject2-seed0", "subject3-seed0"}


def test_a_report_on_damaged_fold_files_names_them(cli, tiny_run, tmp_path):
    import shutil

    folder = shutil.copytree(tiny_run, tmp_path / "run")
    for path in (folder / "folds").glob("*.json"):
        path.write_text(json.dumps({"fold": path.stem}))
    result = cli("report", folder)
    assert result.code == 2 and "Traceback" not in result.err
    assert "no finished fold" in result.err
    assert "damaged (lacks field(s)" in result.err


def test_an_invalid_config_json_is_named(cli, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "config.json").write_text("{not json")
    assert (
        f"{folder / 'config.json'} is not valid JSON" in cli("run", *TINY, "--out", folder).error
    )


def test_a_cache_that_cannot_be_written_is_said_and_skipped(tmp_path, caplog):
    import numpy as np

    from bci_attn.data.cache import TrialCache

    blocked = tmp_path / "file"
    blocked.write_text("")
    entry = {
        "X": np.zeros((1, 2, 3), np.float32),
        "y": np.zeros(1, int),
        "session": ["0"],
        "run": ["0"],
        "ch_names": ["C3", "C4"],
        "sfreq": 100.0,
    }
    with caplog.at_level(logging.WARNING, logger="bci_attn"):
        assert TrialCache(blocked / "cache").put({"dataset": {"class": "D"}}, 1, entry) is None
    assert "cannot write the trial cache in" in caplog.text
    assert "the trials are not cached" in caplog.text


def test_a_bad_input_is_refused_before_torch_is_imported():
    code = (
        "import sys\n"
        "from bci_attn.cli.main import main\n"
        "try:\n"
        "    status = main(['run', '--batch-size', '0'])\n"
        "except SystemExit as stop:\n"
        "    status = stop.code\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'torch', 'lightning', 'mne', 'moabb', 'braindecode', 'sklearn'})\n"
        "print(status, heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "2 []", done.stderr
    assert done.stderr.strip().endswith("--batch-size must be an int >= 1, got 0")


def test_a_folder_path_that_cannot_be_created_is_named(cli, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("")
    line = cli("run", *TINY, "--out", blocked / "run").error
    assert str(blocked) in line and "--out" in line


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="no /proc on this system")
def test_a_folder_in_a_place_nobody_can_write_is_named(cli):
    line = cli("run", *TINY, "--out", "/proc/bci-attn-run").error
    assert "--out" in line and "/proc" in line
