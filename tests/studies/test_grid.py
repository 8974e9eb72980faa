"""Grid sweeps: the cells of the axes (entries named, exclusions, the baseline added), one
folder for cells that train the same models, tables with paired statistics, resumed."""

import functools
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from bci_attn.config import Recipe, recipes
from bci_attn.evaluation.folder import RunFolder
from bci_attn.evaluation.scoring import ensemble_results, per_subject, result_rows
from bci_attn.studies.grid import Sweep, SweepSpec, cell_rows, expand, load_cells
from bci_attn.studies.specs import read_spec, statistics_of

from .conftest import SETTINGS, Recording, write_yaml

ROOT = Path(__file__).resolve().parents[2]
SWEEPS = [p for p in sorted((ROOT / "experiments").glob("*.yaml")) if "grid" in p.read_text()]


def cells_of(path: Path) -> list:
    return expand(read_spec(str(path), SweepSpec), str(path))


@functools.cache
def committed_cells(path: Path) -> list:
    """The cells of a committed sweep (expanded once: the zoo has 384)."""
    return cells_of(path)


def test_every_combination_of_the_axes_is_a_cell_but_the_excluded(study_file, tmp_path):
    path = study_file(
        "grid",
        grid={
            "dataset": ["synthetic", "BNCI2014001"],
            "backbone": ["eegnet", "shallow"],
            "protocol": ["loso", "cross-session"],
            "attention": ["se"],
            "seeds": [0, 1],
        },
        exclude=[{"dataset": "BNCI2014001", "protocol": "cross-session"}, {"backbone": "shallow"}],
    )
    cells = cells_of(path)
    assert [c.name for c in cells] == [
        "synthetic-eegnet-loso-none",  # the baseline, added first
        "synthetic-eegnet-loso-se",
        "synthetic-eegnet-cross-session-none",
        "synthetic-eegnet-cross-session-se",
        "BNCI2014001-eegnet-loso-none",
        "BNCI2014001-eegnet-loso-se",
    ]
    cell = cells[5]
    assert cell.labels == {
        "dataset": "BNCI2014001", "backbone": "eegnet", "protocol": "loso", "attention": "se",
    }  # fmt: skip
    config = cell.config
    assert (config.data.dataset, config.model.backbone, config.evaluation.protocol) == (
        "BNCI2014001",
        "eegnet",
        "loso",
    )
    assert config.evaluation.seeds == (0, 1) and config.training.max_epochs == 1  # settings
    assert cell.folder == tmp_path / "grid" / "runs" / "BNCI2014001-eegnet-loso-se"


def test_entries_have_names_and_set_sections_or_options_by_name(study_file):
    attention = [
        "none",
        {"name": "se-r8", "attention": "se", "attention_options": {"reduction": 8}},
        {"name": "aligned", "attention": "none", "data": {"align": "euclidean"}},
        {"attention": "cbam"},
    ]
    cells = cells_of(study_file("grid", grid={"attention": attention}))
    by_name = {c.labels["attention"]: c.config for c in cells}
    assert list(by_name) == ["none", "se-r8", "aligned", "cbam"]
    assert by_name["se-r8"].model.attention_options == {"reduction": 8}
    assert (by_name["aligned"].model.attention, by_name["aligned"].data.align) == (
        "none",
        "euclidean",
    )
    assert by_name["cbam"].model.attention == "cbam"
    assert all(c.config.data.dataset == "synthetic" for c in cells)  # default axes: one value


def test_a_baseline_named_in_statistics_is_a_cell_of_the_grid(study_file):
    previous = {"name": "previous", "attention": "none", "training": {"batch_size": 32}}
    attention = ["se", previous]
    path = study_file("grid", grid={"attention": attention}, statistics={"baseline": "previous"})
    assert [c.labels["attention"] for c in cells_of(path)] == ["previous", "se"]  # no none
    path = study_file("grid", grid={"attention": attention}, statistics={"baseline": "old"})
    with pytest.raises(ValueError, match="statistics.baseline 'old' is not a grid.attention "):
        cells_of(path)


def test_the_grid_seeds_are_every_cells_but_an_entrys_own(study_file):
    entry = {"name": "seeded", "attention": "se", "evaluation": {"seeds": [7]}}
    cells = cells_of(study_file("grid", grid={"attention": ["se", entry], "seeds": [3, 4]}))
    seeds = {c.labels["attention"]: c.config.evaluation.seeds for c in cells}
    assert seeds == {"none": (3, 4), "se": (3, 4), "seeded": (7,)}


@pytest.mark.parametrize(
    ("grid", "exclude", "message"),
    [
        ({"attentions": ["se"]}, [], "unknown key 'grid.attentions'; the grid takes: dataset"),
        ({"attention": ["se", "se"]}, [], "grid.attention names must be unique"),
        ({"attention": [{"reduction": 2}]}, [], "entry {'reduction': 2} must have a name"),
        ({"attention": ["a/b"]}, [], "grid.attention name 'a/b' names a folder"),
        ({"protocol": ["loso"]}, [{"protocol": "loso"}], "the grid is empty"),
        ({"attention": [{"attention": "none", "optim": {}}]}, [], "unknown key 'optim'"),
    ],
)
def test_a_bad_grid_names_the_key_and_the_file(study_file, grid, exclude, message):
    path = study_file("grid", grid=grid, exclude=exclude)
    with pytest.raises(ValueError) as info:
        cells_of(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_cells_start_from_the_recipe_their_protocol_picks(study_file, monkeypatch):
    stand_in = Recipe("cross-subject", "test", {"training": {"batch_size": 16}})
    monkeypatch.setitem(recipes(), "cross-subject", stand_in)
    settings = {k: v for k, v in SETTINGS.items() if k != "recipe"}  # auto
    grid = {
        "protocol": ["loso", "within-session"],
        "attention": ["none", {"name": "plain", "attention": "none", "recipe": "plain"}],
    }
    cells = cells_of(study_file("grid", settings=settings, grid=grid))
    chosen = {
        (c.labels["protocol"], c.labels["attention"]): (
            c.config.recipe,
            c.config.training.batch_size,
        )
        for c in cells
    }
    assert chosen == {
        ("loso", "none"): ("cross-subject", 16),
        ("loso", "plain"): ("plain", 64),
        ("within-session", "none"): ("plain", 64),
        ("within-session", "plain"): ("plain", 64),
    }


def test_cells_that_train_the_same_models_share_a_folder(study_file, tmp_path):
    attention = [
        "none",
        {
            "name": "+ensemble",
            "attention": "none",
            "evaluation": {"seeds": [0, 1], "ensemble": True},
        },
        {"name": "quiet-none", "attention": "none", "execution": {"channels_last": False}},
    ]
    sweep = Sweep(str(study_file("grid", grid={"attention": attention})), echo=lambda *a: None)
    folders = {c.labels["attention"]: c.folder for c in sweep.cells}
    assert len(set(folders.values())) == 1
    assert folders["none"] == tmp_path / "grid" / "runs" / "synthetic-eegnet-loso-none"
    assert sweep.describe()[1].endswith("(models of synthetic-eegnet-loso-none)")
    assert [c.config.evaluation.ensemble for c in sweep.cells] == [False, True, False]


@pytest.mark.parametrize("path", SWEEPS, ids=[p.stem for p in SWEEPS])
def test_the_committed_sweeps_read(path):
    cells = committed_cells(path)
    spec = read_spec(str(path), SweepSpec)
    assert len(cells) == len({c.name for c in cells}) > 1
    assert all(c.folder.parent == spec.folder(str(path)) / "runs" for c in cells)
    axes = spec.grid
    names = {e["name"] if isinstance(e, dict) else e for e in axes["dataset"]}
    assert {c.labels["dataset"] for c in cells} == names
    assert {c.config.evaluation.seeds for c in cells} == {tuple(axes["seeds"])}
    first = cells[0]
    baseline = statistics_of(spec, str(path)).baseline  # first; `none` unless named
    assert first.labels["attention"] == baseline
    assert baseline != "none" or first.config.model.attention == "none"


def test_the_committed_zoo_sweep_uses_the_committed_configuration_files():
    cells = committed_cells(ROOT / "experiments" / "attention_zoo.yaml")
    assert len(cells) == (3 * 3 - 1) * 2 * 24  # PhysionetMI has one session
    ham = next(c for c in cells if c.name == "BNCI2014001-eegnet-loso-ham")
    assert (ham.config.training.max_epochs, ham.config.training.schedule) == (125, "cosine")
    assert ham.config.model.backbone_options == {"drop_prob": 0.25}


@pytest.mark.parametrize("name", ["physionet_loso", "recipe_ablation"])
def test_the_committed_sweep_folders_load(name):
    cells, spec = load_cells(ROOT / "experiments" / name)
    assert spec == json.loads((ROOT / "experiments" / name / "sweep.json").read_text())["spec"]
    assert all(c.folder.is_dir() for c in cells)
    assert {c.labels["dataset"] for c in cells} == {"PhysionetMI"}
    rows = pd.concat([cell_rows(c) for c in cells])
    assert rows["accuracy"].between(0, 1).all() and set(rows["subject"]) == set(range(1, 11))
    if name == "recipe_ablation":
        ensemble = next(c for c in cells if c.labels["attention"] == "+ensemble")
        assert ensemble.config.evaluation.ensemble and set(cell_rows(ensemble)["seed"]) == {
            "ensemble"
        }


# -- the tiny sweep, trained once per session (conftest) -----------------------------------


def test_a_sweep_writes_its_cells_and_tables(trained_sweep):
    record = json.loads((trained_sweep / "sweep.json").read_text())
    assert [(c["attention"], c["seeds"], c["ensemble"]) for c in record["cells"]] == [
        ("none", [0], False),
        ("electrode", [0], False),
        ("+ensemble", [0, 1], True),
    ]
    assert record["cells"][0]["folder"] == record["cells"][2]["folder"]  # trained once
    trained = json.loads((trained_sweep.parent / "trained.json").read_text())
    assert sorted(map(tuple, trained)) == sorted(
        [("synthetic-eegnet-loso-none", f"subject{s}", seed) for s in (1, 2, 3) for seed in (0, 1)]
        + [("synthetic-eegnet-loso-electrode", f"subject{s}", 0) for s in (1, 2, 3)]
    )  # every unit once: +ensemble's seed 0 is none's
    assert sorted(p.name for p in (trained_sweep / "runs").iterdir()) == [
        "synthetic-eegnet-loso-electrode",
        "synthetic-eegnet-loso-none",
    ]
    rows = pd.read_csv(trained_sweep / "results.csv")
    assert list(rows.columns[:4]) == ["dataset", "backbone", "protocol", "attention"]
    assert rows.groupby("attention", sort=False)["seed"].agg(list).to_dict() == {
        "none": ["0", "0", "0"],
        "electrode": ["0", "0", "0"],
        "+ensemble": ["ensemble"] * 3,  # the ensemble of seeds 0 and 1, per fold
    }
    summary = pd.read_csv(trained_sweep / "summary.csv").set_index("attention")
    assert list(summary.index) == ["none", "electrode", "+ensemble"]
    assert {"accuracy_mean", "accuracy_std", "p", "p_corrected", "effect"} <= set(summary)
    electrode, ensemble = summary.loc["electrode"], summary.loc["+ensemble"]
    assert electrode["n_subjects"] == 3 and electrode["test"] == "permutation"
    assert (ensemble["n_seeds"], ensemble["n_pairs"]) == (1, 3)
    seeds = RunFolder(trained_sweep / "runs" / "synthetic-eegnet-loso-none").results()
    assert sorted(r.seed for r in seeds) == [0, 0, 0, 1, 1, 1]
    combined = per_subject(result_rows(ensemble_results(seeds)))
    assert ensemble["accuracy_mean"] == pytest.approx(combined["accuracy"].mean())
    assert "| sig. |" in (trained_sweep / "summary.md").read_text()


def test_a_finished_sweep_started_again_trains_nothing(trained_sweep):
    recording = Recording()
    table = Sweep(str(trained_sweep.parent / "sweep.yaml"), echo=lambda *a: None).run(recording)
    assert recording.trained == [] and len(table) == 3


def test_tables_only_summarises_finished_units_and_trains_nothing(trained_sweep, tmp_path):
    shutil.copytree(trained_sweep, tmp_path / "sweep")
    spec = json.loads((trained_sweep / "sweep.json").read_text())["spec"]
    spec["out"] = str(tmp_path / "sweep")
    spec["grid"]["attention"] = [*spec["grid"]["attention"], "se"]  # not trained
    path = write_yaml(tmp_path / "more.yaml", spec)
    recording = Recording()
    table = Sweep(str(path), echo=lambda *a: None).run(recording, tables_only=True)
    assert recording.trained == []
    assert list(table["attention"]) == ["none", "electrode", "+ensemble"]
    assert len(pd.read_csv(tmp_path / "sweep" / "results.csv")) == 3 * 3
    assert not (tmp_path / "sweep" / "runs" / "synthetic-eegnet-loso-se").exists()


def test_a_sweep_folder_loads_its_cells_as_they_were_scored(trained_sweep):
    cells, spec = load_cells(trained_sweep)
    assert [c.labels["attention"] for c in cells] == ["none", "electrode", "+ensemble"]
    assert [c.config.evaluation.seeds for c in cells] == [(0,), (0,), (0, 1)]
    assert [c.config.evaluation.ensemble for c in cells] == [False, False, True]
    assert spec["statistics"] == {"test": "permutation", "correction": "holm"}
    assert len(cell_rows(cells[0])) == 3 and len(cell_rows(cells[2], lists=True)) == 3
