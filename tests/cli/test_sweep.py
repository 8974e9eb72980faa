"""``bci-attn sweep``: every cell checked before anything trains, a tiny sweep end to end,
resuming, tables of what is finished, and a bad sweep file named with its key."""

import json
import shutil

import pandas as pd
import pytest
import yaml

from .conftest import tiny_sweep_spec, write_yaml


def test_check_lists_the_cells_and_the_folders_they_share(cli, tmp_path, no_training):
    attention = [
        {"name": "electrode", "attention": "electrode", "attention_at": ["input"]},
        {"name": "same", "attention": "electrode", "model": {"attention_at": ["input"]}},
    ]
    spec = tiny_sweep_spec(tmp_path)
    spec["grid"]["attention"] = attention
    path = write_yaml(tmp_path / "sweep.yaml", spec)
    result = cli("sweep", path, "--check")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"{path}: 3 configurations -> {tmp_path / 'sweep'}",
        "  dataset=synthetic backbone=eegnet protocol=loso attention=none",
        "  dataset=synthetic backbone=eegnet protocol=loso attention=electrode",
        "  dataset=synthetic backbone=eegnet protocol=loso attention=same "
        "(models of synthetic-eegnet-loso-electrode)",
    ]
    assert not (tmp_path / "sweep").exists()


def test_check_lists_every_invalid_cell_at_once(cli, tmp_path, no_training):
    spec = tiny_sweep_spec(tmp_path)
    late = {"name": "late", "attention": "electrode", "attention_at": ["separable"]}
    spec["grid"].update(
        dataset=["synthetic", "PhysionetMI"], protocol=["cross-session"], attention=["none", late]
    )
    spec["settings"] = {**spec["settings"], "data": {"n_classes": 2, "tmax": 1.0}}
    path = write_yaml(tmp_path / "sweep.yaml", spec)
    for args in ([path, "--check"], [path]):
        result = cli("sweep", *args)
        assert result.code == 2 and "Traceback" not in result.err
        first, *cells = result.err.strip().splitlines()
        assert first == ("bci-attn sweep: error: 3 invalid configuration(s); nothing was trained:")
        assert [cell.split(":")[0].strip() for cell in cells] == [
            "synthetic-eegnet-cross-session-late",
            "PhysionetMI-eegnet-cross-session-none",
            "PhysionetMI-eegnet-cross-session-late",
        ]
        assert "single row" in cells[0] and "cross-session needs at least two" in cells[1]
        assert not (tmp_path / "sweep").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"grdi": {}}, "unknown key 'grdi'; it takes: out, base, settings"),
        ({"grid": {"attentions": ["se"]}}, "unknown key 'grid.attentions'; the grid takes:"),
        ({"statistics": {"test": "t-test"}}, "statistics.test must be one of"),
        ({"statistics": {"tests": "auto"}}, "unknown key 'statistics.tests'"),
        ({"settings": {"training": {"lr": "x"}}}, "training.lr must be a number > 0"),
        ({"settings": {"model": {"lr": "x"}}}, "model.lr must be a number > 0"),
        ({"settings": {"data": {"colour": 1}}}, "unknown key 'data.colour'"),
        ({"base": "missing.yaml"}, "config file missing.yaml not found"),
    ],
)
def test_a_bad_sweep_file_is_named_with_its_key(cli, tmp_path, change, message):
    path = write_yaml(tmp_path / "sweep.yaml", tiny_sweep_spec(tmp_path, **change))
    line = cli("sweep", path, "--check").error
    assert message in line
    if "missing.yaml" not in message:
        assert str(path) in line
    assert not (tmp_path / "sweep").exists()


def test_a_sweep_writes_its_tables_and_a_run_folder_per_cell(tiny_sweep):
    rows = pd.read_csv(tiny_sweep / "results.csv")
    assert len(rows) == 2 * 3  # (none, electrode) x 3 folds x 1 seed
    assert list(rows.columns[:4]) == ["dataset", "backbone", "protocol", "attention"]
    assert set(rows["attention"]) == {"none", "electrode"}  # the baseline was added
    summary = pd.read_csv(tiny_sweep / "summary.csv").set_index("attention")
    assert {"accuracy_mean", "accuracy_std", "p", "p_corrected", "effect"} <= set(summary.columns)
    assert summary.loc["electrode", "n_subjects"] == 3
    assert summary.loc["electrode", "test"] == "permutation"
    assert "| sig. |" in (tiny_sweep / "summary.md").read_text()
    record = json.loads((tiny_sweep / "sweep.json").read_text())
    folders = [cell["folder"] for cell in record["cells"]]
    assert [p.rpartition("/")[2] for p in folders] == [
        "synthetic-eegnet-loso-none",
        "synthetic-eegnet-loso-electrode",
    ]
    for folder in folders:  # ordinary run folders
        stored = json.loads(
            (tiny_sweep / "runs" / folder.rpartition("/")[2] / "config.json").read_text()
        )
        assert stored["evaluation"]["protocol"] == "loso"


def test_a_finished_sweep_resumes_without_training(cli, tiny_sweep, no_training):
    tables = (tiny_sweep / "results.csv").read_text()
    result = cli("sweep", tiny_sweep.parent / "sweep.yaml")
    assert result.code == 0, result.err
    assert result.out.count("(done before, resumed)") == 6
    assert (tiny_sweep / "results.csv").read_text() == tables


def test_tables_only_summarises_finished_units_and_trains_nothing(
    cli, tiny_sweep, tmp_path, no_training
):
    shutil.copytree(tiny_sweep, tmp_path / "sweep")
    spec = yaml.safe_load((tiny_sweep.parent / "sweep.yaml").read_text())
    spec["out"] = str(tmp_path / "sweep")
    spec["grid"]["attention"].append("se")  # not trained yet
    path = write_yaml(tmp_path / "more.yaml", spec)
    result = cli("sweep", path, "--tables-only")
    assert result.code == 0, result.err
    rows = pd.read_csv(tmp_path / "sweep" / "results.csv")
    assert len(rows) == 2 * 3 and set(rows["attention"]) == {"none", "electrode"}
    assert not (tmp_path / "sweep" / "runs" / "synthetic-eegnet-loso-se").exists()


def test_tables_only_without_a_finished_unit_is_refused(cli, tmp_path, no_training):
    path = write_yaml(tmp_path / "sweep.yaml", tiny_sweep_spec(tmp_path))
    line = cli("sweep", path, "--tables-only").error
    assert f"{path}: no cell has a finished fold yet" in line
