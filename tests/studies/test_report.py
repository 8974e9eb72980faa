"""Reports on a sweep and on a run: Markdown and HTML with tables and figures."""

import json
import shutil

import pytest

from bci_attn.studies.report import gather, write_report


@pytest.fixture
def sweep_copy(trained_sweep, tmp_path):
    """A copy of the tiny sweep's folder (its cells stay the trained ones)."""
    return shutil.copytree(trained_sweep, tmp_path / "sweep")


def test_a_sweep_report_has_the_summary_and_figures(sweep_copy):
    lines = []
    path = write_report(sweep_copy, echo=lines.append)
    text = path.read_text()
    assert path == sweep_copy / "report.md" and text.startswith("# Report: sweep")
    assert "## Summary" in text and "| synthetic | eegnet | loso | +ensemble |" in text
    for figure in ("per_subject", "distribution", "confusion_synthetic-eegnet-loso"):
        assert f"figures/{figure}.png" in text
        assert (sweep_copy / "figures" / f"{figure}.png").stat().st_size > 0
    assert "learning_curves_synthetic-eegnet-loso.png" in text
    assert "<table>" in (sweep_copy / "report.html").read_text()
    assert lines and lines[-1].startswith("report: ")


def test_a_run_report_has_its_per_subject_table_and_interpretation(trained_sweep, tmp_path):
    run = shutil.copytree(
        trained_sweep / "runs" / "synthetic-eegnet-loso-electrode", tmp_path / "r"
    )
    text = write_report(run, interpret=True, echo=lambda *a: None).read_text()
    assert "attention `electrode`, protocol loso" in text and "| mean ± std |" in text
    figures = {p.name for p in (run / "figures").glob("*.png")}
    assert {"electrode_attention_attention_input.png", "eegnet_spatial_filters.png"} <= figures
    assert "## Interpretation: electrode attention attention input" in text


def test_the_rows_a_report_reads_are_those_the_sweep_scored(trained_sweep):
    rows, folders, classes, is_sweep = gather(trained_sweep)
    assert is_sweep and set(rows["attention"]) == {"none", "electrode", "+ensemble"}
    assert set(rows[rows["attention"] == "+ensemble"]["seed"]) == {"ensemble"}
    assert {"labels", "predictions"} <= set(rows)  # for the confusion matrices
    assert all(len(names) == 2 for names in classes.values())
    stored = json.loads((trained_sweep / "sweep.json").read_text())
    assert {str(path) for path in folders.values()} == {c["folder"] for c in stored["cells"]}


def test_a_folder_without_results_is_named(trained_sweep, tmp_path):
    empty = tmp_path / "run"
    (empty / "folds").mkdir(parents=True)
    shutil.copy(trained_sweep / "runs" / "synthetic-eegnet-loso-none" / "config.json", empty)
    with pytest.raises(ValueError, match="no results to report: no finished fold"):
        write_report(empty, echo=lambda *a: None)
    with pytest.raises(ValueError, match="neither a run folder .config.json. nor a sweep folder"):
        write_report(tmp_path / "nothing", echo=lambda *a: None)
