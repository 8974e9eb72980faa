"""What the README promises a new user: the main job runs, prints a line per fold and the
table, writes its folder and resumes; the Python API of its example runs."""

import re

import pandas as pd

from .conftest import console

#: The README's main job (``bci-attn run --dataset synthetic``) with a tiny budget.
TINY_BUDGET = ["--subjects", "1-3", "--n-classes", "2", "--tmax", "1", "--max-epochs", "1"]


def test_the_main_job_runs_writes_its_folder_and_resumes(tmp_path):
    done = console("run", "--dataset", "synthetic", *TINY_BUDGET, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    for subject in (1, 2, 3):
        assert re.search(rf"^  subject{subject} seed 0: accuracy \d+\.\d %", done.stdout, re.M)
    assert re.search(r"^\| mean ± std \| \d+\.\d ± \d+\.\d \|", done.stdout, re.M)
    folder = tmp_path / "runs" / "synthetic-eegnet-none-loso"
    assert list(pd.read_csv(folder / "results.csv")["subject"]) == [1, 2, 3]

    again = console("run", "--dataset", "synthetic", *TINY_BUDGET, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("(done before, resumed)") == 3


def test_the_python_example_runs(tmp_path):
    from bci_attn import RunConfig, evaluate

    config = RunConfig.create(
        attention="cbam", max_epochs=1, subjects=[1, 2, 3], n_classes=2, tmax=1.0,
        out=str(tmp_path / "run"), quiet=True, executor="sequential",
    )  # fmt: skip
    summary = evaluate(config)
    assert list(summary.table.index) == [1, 2, 3]
    assert {"accuracy", "kappa"} <= set(summary.table.columns)


def test_quiet_prints_its_line_and_no_library_chatter(tmp_path):
    done = console("run", "--dataset", "synthetic", *TINY_BUDGET, "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(done.stdout.splitlines()) == 1
    assert done.stderr == "", done.stderr[-3000:]
