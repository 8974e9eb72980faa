"""``bci-attn report``: Markdown and HTML with figures for a sweep or a run, and a clear line
for a folder without results."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from bci_attn.cli.main import main
from bci_attn.config import DataConfig
from bci_attn.models.cost import data_shape, summarize

from .conftest import tiny_sweep_spec, write_yaml


@pytest.fixture
def copied_sweep(tiny_sweep, tmp_path):
    """A copy of the tiny sweep's folder (the report writes into it)."""
    return shutil.copytree(tiny_sweep, tmp_path / "sweep")


def test_report_on_a_sweep(cli, copied_sweep):
    result = cli("report", copied_sweep)
    assert result.code == 0, result.err
    text = (copied_sweep / "report.md").read_text()
    assert "## Summary" in text and "| sig. |" in text
    for figure in ("per_subject", "distribution", "confusion_synthetic-eegnet-loso"):
        assert f"figures/{figure}.png" in text
        assert (copied_sweep / "figures" / f"{figure}.png").stat().st_size > 0
    assert "learning_curves_synthetic-eegnet-loso" in text
    assert "<table>" in (copied_sweep / "report.html").read_text()


def test_report_on_a_run_with_interpretation(cli, tiny_sweep, tmp_path):
    run = shutil.copytree(
        tiny_sweep / "runs" / "synthetic-eegnet-loso-electrode", tmp_path / "run"
    )
    result = cli("report", run, "--interpret")
    assert result.code == 0, result.err
    figures = {p.name for p in (run / "figures").glob("*.png")}
    assert {"electrode_attention_attention_input.png", "eegnet_spatial_filters.png"} <= figures
    text = (run / "report.md").read_text()
    assert "| mean ± std |" in text and "Interpretation: " in text


def test_report_on_a_folder_without_results(cli, tiny_sweep, tmp_path):
    empty = tmp_path / "run"
    (empty / "folds").mkdir(parents=True)
    shutil.copy(tiny_sweep / "runs" / "synthetic-eegnet-loso-none" / "config.json", empty)
    line = cli("report", empty).error
    assert "no results to report: no finished fold" in line
    line = cli("report", tmp_path / "nothing").error
    assert "neither a run folder (config.json) nor a sweep folder (sweep.json)" in line


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """A tiny zoo: ``none`` and ``electrode`` on two datasets (grid entries with a name
    and a ``data`` section each), trained: the sweep's folder."""
    root = tmp_path_factory.mktemp("zoo")
    datasets = [
        {"name": "two", "data": {"dataset": "synthetic", "n_classes": 2}},
        {"name": "three", "data": {"dataset": "synthetic", "n_classes": 3}},
    ]
    spec = tiny_sweep_spec(root)
    spec["settings"] = {**spec["settings"], "data": {"subjects": "1-3", "tmax": 1.0}}
    spec["grid"]["dataset"] = datasets
    path = write_yaml(root / "zoo.yaml", spec)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BCI_ATTN_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
        assert main(["sweep", str(path)]) == 0
    return root / "sweep"


def _zoo_rows(out: str) -> dict[str, list[str]]:
    """The table's rows by module: their cells."""
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    return {row.split("|")[1].strip(): [c.strip() for c in row.split("|")[2:-1]] for row in rows}


def test_zoo_table_puts_costs_beside_each_datasets_accuracy(cli, zoo):
    result = cli("report", zoo, "--zoo-table")
    assert result.code == 0, result.err
    rows = _zoo_rows(result.out)
    assert rows["module"] == [
        "point", "params", "attn params", "MACs", "attn MACs", "two", "three",
    ]  # fmt: skip
    assert list(rows)[1:] == ["none", "electrode"]
    summary = pd.read_csv(zoo / "summary.csv").set_index(["dataset", "attention"])
    for module in ("none", "electrode"):
        for column, dataset in ((5, "two"), (6, "three")):
            mean = 100 * summary.loc[(dataset, module), "accuracy_mean"]
            assert rows[module][column].startswith(f"{mean:.1f} ± ")
    # costs at the last dataset's input by default (3 classes), as the runs computed them
    shape = data_shape(DataConfig(dataset="synthetic", subjects=(1, 2, 3), tmax=1.0, n_classes=3))
    cost = summarize("eegnet", "electrode", shape, ["input"])
    assert rows["electrode"][:5] == [
        "input", f"{cost.params:,}", f"{cost.attention_params:,}", f"{cost.macs:,}",
        f"{cost.attention_macs:,}",
    ]  # fmt: skip
    assert rows["none"][:2] == ["-", f"{cost.backbone_params:,}"]
    assert "at the three input (SyntheticMotorImagery: 22 electrodes x 129 samples" in result.out
    assert "report.md" not in {p.name for p in zoo.iterdir()}  # the table only


def test_zoo_table_counts_costs_at_the_dataset_asked(cli, zoo):
    two = _zoo_rows(cli("report", zoo, "--zoo-table", "--costs-at", "two").out)
    three = _zoo_rows(cli("report", zoo, "--zoo-table").out)
    shape = data_shape(DataConfig(dataset="synthetic", subjects=(1, 2, 3), tmax=1.0, n_classes=2))
    assert two["none"][1] == f"{summarize('eegnet', 'none', shape).params:,}"
    assert two["none"][1] != three["none"][1]  # one class fewer: a smaller classifier
    assert two["none"][5:] == three["none"][5:]  # the same accuracies


def test_zoo_table_shows_runs_not_finished(cli, zoo, tmp_path):
    copy = shutil.copytree(zoo, tmp_path / "sweep")
    record = json.loads((copy / "sweep.json").read_text())
    for cell in record["cells"]:
        cell["folder"] = str(copy / "runs" / Path(cell["folder"]).name)
    (copy / "sweep.json").write_text(json.dumps(record))
    (copy / "runs" / "two-eegnet-loso-electrode" / "folds" / "subject2-seed0.json").unlink()
    shutil.rmtree(copy / "runs" / "three-eegnet-loso-electrode")
    rows = _zoo_rows(cli("report", copy, "--zoo-table").out)
    assert rows["electrode"][5:] == ["(2 of 3 units done)", "not run"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--zoo-table", "--costs-at", "four"],
            "--costs-at 'four': the sweep's datasets are two, three",
        ),
        (["--zoo-table", "--interpret"], "--zoo-table prints a sweep's table"),
        (["--costs-at", "two"], "--costs-at goes with --zoo-table"),
    ],
)
def test_zoo_table_bad_input(cli, zoo, args, message):
    assert message in cli("report", zoo, *args).error


def test_zoo_table_needs_a_sweep(cli, tiny_run):
    line = cli("report", tiny_run, "--zoo-table").error
    assert f"{tiny_run} is not a sweep folder (no sweep.json): run the sweep first" in line
