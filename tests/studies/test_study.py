"""What every study does: nothing written before every cell is valid, cells that train the
same models share a folder, progress lines per unit."""

from pathlib import Path

import pytest

from bci_attn.config import ConfigError, RunConfig
from bci_attn.evaluation.results import FoldResult, Score
from bci_attn.studies.grid import Sweep
from bci_attn.studies.single import SingleRun
from bci_attn.studies.study import (
    Cell,
    Study,
    default_folder,
    quietly,
    result_lines,
    shared_folders,
)


def test_a_runs_default_folder_names_its_data_model_and_protocol():
    assert default_folder(RunConfig.create(attention="cbam")) == Path(
        "runs/synthetic-eegnet-cbam-loso"
    )
    transfer = RunConfig.create(
        protocol="cross-dataset", train_dataset="PhysionetMI", test_dataset="BNCI2014001"
    )
    assert default_folder(transfer) == Path(
        "runs/PhysionetMI-to-BNCI2014001-eegnet-none-cross-dataset"
    )
    assert default_folder(RunConfig.create(out="elsewhere")) == Path("elsewhere")


def test_cells_that_train_the_same_models_share_the_first_ones_folder():
    cells = [
        Cell("a", RunConfig.create(out="runs/a")),
        Cell("b", RunConfig.create(out="runs/b", seeds=[0, 1], ensemble=True, quiet=True)),
        Cell("c", RunConfig.create(out="runs/c", lr=0.01)),
    ]
    shared = shared_folders(cells)
    assert [str(c.folder) for c in shared] == ["runs/a", "runs/a", "runs/c"]
    assert shared[1].config.evaluation.ensemble  # what it scores stays its own
    assert Study(cells, Path("study")).cells == shared
    assert all(c.config.execution.quiet for c in quietly(cells))


def test_one_invalid_cell_stops_the_study_before_anything_is_written(study_file, tmp_path):
    grid = {
        "dataset": ["synthetic", "PhysionetMI"],
        "protocol": ["cross-session"],
        "attention": [
            "none",
            {"name": "late", "attention": "electrode", "attention_at": ["separable"]},
        ],
    }
    sweep = Sweep(str(study_file("sweep", grid=grid)), echo=lambda *a: None)
    with pytest.raises(ValueError) as error:
        sweep.run()
    message = str(error.value)
    assert message.startswith("3 invalid configuration(s); nothing was trained:")
    lines = {line.split(": ")[0].strip(): line for line in message.splitlines()[1:]}
    assert "PhysionetMI has 1 session" in lines["PhysionetMI-eegnet-cross-session-none"]
    assert "PhysionetMI has 1 session" in lines["PhysionetMI-eegnet-cross-session-late"]
    assert "attention 'electrode' gates electrodes" in lines["synthetic-eegnet-cross-session-late"]
    assert not (tmp_path / "sweep").exists()


def test_a_single_invalid_configuration_is_its_own_error(tiny, tmp_path):
    with pytest.raises(ConfigError, match="execution.devices must be 1"):
        SingleRun(tiny(devices=2), echo=lambda *a: None).run()
    assert not (tmp_path / "run").exists()


def score(subject: int, accuracy: float, n: int = 0) -> Score:
    return Score(subject, n, 2 * n, accuracy, 2 * accuracy - 1, 4, [0, 1, 0, 1], [0, 1, 1, 1])


def test_progress_lines_show_each_test_subjects_scores():
    one = FoldResult("subject3", 3, 0, 8, 2, 4, 1, 1.0, [score(3, 0.5)])
    assert result_lines(one, "1.0 s") == [
        "  subject3 seed 0: accuracy 50.0 %, kappa 0.000 (1.0 s)"
    ]
    rows = [score(3, 0.5), score(4, 0.75), score(3, 1.0, 5)]
    several = FoldResult("holdout", None, 0, 8, 2, 8, 1, 1.0, rows)
    assert result_lines(several, "done before, resumed") == [
        "  holdout seed 0: trained once (done before, resumed)",
        "    subject 3: accuracy N=0: 50.0 %, N=5: 100.0 %",
        "    subject 4: accuracy 75.0 %, kappa 0.500",
    ]
