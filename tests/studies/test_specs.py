"""Study files: the keys every kind takes, checked once, each problem naming its key and the
file; a cell's configuration from the recipe, the base file, the settings and the cell."""

from pathlib import Path

import pytest

from bci_attn.config import ConfigError
from bci_attn.studies.grid import SweepSpec
from bci_attn.studies.selection import SelectionSpec
from bci_attn.studies.specs import (
    StudySpec,
    base_layers,
    cell_config,
    check_name,
    entry_layer,
    read_spec,
    statistics_of,
)

from .conftest import write_yaml


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"grdi": {}}, "unknown key 'grdi'; it takes: out, base, settings, grid, exclude"),
        ({"out": ""}, "out must be a non-empty string (or null), got '' (empty)"),
        ({"settings": [1]}, "settings must be a mapping, got [1]"),
        ({"grid": {"attention": ["se"]}, "exclude": "x"}, "exclude must be a list of mappings"),
        ({"out": "runs/x"}, "grid must be a mapping, got {} (empty)"),
        ({}, "is empty; it takes: out, base"),
    ],
)
def test_a_bad_study_file_names_the_key_and_the_file(tmp_path, document, message):
    path = write_yaml(tmp_path / "study.yaml", document)
    with pytest.raises(ValueError) as info:
        read_spec(str(path), SweepSpec)
    assert str(path) in str(info.value) and message in str(info.value)


def test_a_selection_file_takes_the_shared_keys_and_its_own(tmp_path):
    path = write_yaml(tmp_path / "select.yaml", {"space": [{"name": "a"}], "seeds": [1]})
    spec = read_spec(str(path), SelectionSpec)
    assert isinstance(spec, StudySpec) and spec.seeds == (1,) and spec.settings == {}
    assert spec.folder(str(path)) == Path("runs/select")  # default: runs/<file name>
    assert read_spec(str(path), SelectionSpec).space == ({"name": "a"},)


@pytest.mark.parametrize(
    ("statistics", "message"),
    [
        ({"tests": "x"}, "unknown key 'statistics.tests'; it takes: baseline, test, correction"),
        ({"test": "t-test"}, "statistics.test must be one of auto, permutation, wilcoxon"),
        ({"perm_cutoff": 1}, "statistics.perm_cutoff must be an int >= 2, got 1"),
    ],
)
def test_bad_statistics_are_named_with_the_file(statistics, message):
    spec = SweepSpec(grid={"attention": ["se"]}, statistics=statistics)
    with pytest.raises(ValueError, match="^sweep.yaml: " + message.replace("(", r"\(")):
        statistics_of(spec, "sweep.yaml")


@pytest.mark.parametrize("name", ["se-r8", "+ensemble", "recipe+ham", "a.b_c"])
def test_a_cell_name_may_name_a_folder(name):
    assert check_name(name, "s.yaml", "grid.attention") == name


@pytest.mark.parametrize("name", ["a/b", "", ".hidden", 3, "-x"])
def test_a_cell_name_that_is_no_folder_name_is_refused(name):
    with pytest.raises(ValueError, match="s.yaml: space name .* names a folder"):
        check_name(name, "s.yaml", "space")


def test_an_entry_sets_sections_and_options_by_name_named_as_it_writes_them():
    entry = {
        "attention": "se",
        "attention_options": {"reduction": 8},
        "data": {"align": "euclidean", "batch_size": 16},  # bci-attn 0.1: batch_size in data
        "recipe": "plain",
    }
    layer = entry_layer(entry, "s.yaml (cell x)")
    config = cell_config([layer], "s.yaml (cell x)")
    assert (config.model.attention, config.model.attention_options) == ("se", {"reduction": 8})
    assert (config.data.align, config.training.batch_size, config.recipe) == (
        "euclidean",
        16,
        "plain",
    )
    assert layer.names["model.attention"] == "s.yaml (cell x): attention"
    assert layer.names["training.batch_size"] == "s.yaml (cell x): data.batch_size"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"optim": {}}, "s.yaml (cell x): unknown key 'optim'; an entry takes a name, sections"),
        ({"lr": "fast"}, "s.yaml (cell x): lr must be a number > 0 and <= 10, got 'fast'"),
        ({"model": {"lrr": 1}}, "s.yaml (cell x): unknown key 'model.lrr'"),
        ({"training": {"lr": -1}}, "s.yaml (cell x): training.lr must be a number > 0"),
    ],
)
def test_a_bad_entry_is_named_as_the_file_writes_it(entry, message):
    with pytest.raises(ValueError) as info:
        cell_config([entry_layer(entry, "s.yaml (cell x)")], "s.yaml (cell x)")
    assert str(info.value).startswith(message)
    assert not isinstance(info.value, ConfigError)  # one line, whatever catches it


def test_the_layers_go_recipe_base_settings_cell(tmp_path):
    base = write_yaml(
        tmp_path / "eegnet_synthetic.yaml", {"training": {"max_epochs": 5, "lr": 0.1}}
    )
    spec = StudySpec(
        base=str(tmp_path / "{backbone}_{dataset}.yaml"),
        settings={"training": {"max_epochs": 7}, "recipe": "cross-subject"},
    )
    layers = base_layers(spec, "s.yaml", {"backbone": "EEGNet", "dataset": "Synthetic"})
    assert base.is_file() and len(layers) == 2  # the base's name is formatted lower-cased
    config = cell_config([*layers, entry_layer({"lr": 0.2}, "cell")], "s.yaml")
    assert (config.training.max_epochs, config.training.lr) == (7, 0.2)
    assert config.recipe == "cross-subject" and config.training.batch_size == 16
    assert cell_config(layers, "s.yaml").training.lr == 0.1
    auto = cell_config([], "s.yaml")  # loso: the cross-subject recipe
    assert (auto.recipe, auto.training.batch_size) == ("cross-subject", 16)
