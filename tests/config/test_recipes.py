"""Recipes: the YAML files of ``bci_attn/config/recipes/``, applied under configuration files
and flags; ``auto`` picks cross-subject for protocols that test unseen subjects."""

import importlib
import re
from pathlib import Path

import pytest

from bci_attn.config import (
    Layer,
    Recipe,
    RunConfig,
    build,
    load_config,
    read_document,
    recipe_names,
    recipes,
    resolve_recipe,
)
from bci_attn.evaluation.protocols import available, get_protocol

ROOT = Path(__file__).resolve().parents[2]
#: The package (``bci_attn.config.recipes`` the attribute is its function ``recipes``).
recipes_package = importlib.import_module("bci_attn.config.recipes")

#: A stand-in for the cross-subject recipe, so these tests do not depend on its values.
TEST_RECIPE = Recipe(
    "cross-subject",
    "test",
    {"training": {"batch_size": 16, "augment": ["sign_flip"]}, "data": {"align": "euclidean"}},
)


@pytest.fixture
def test_recipe(monkeypatch):
    monkeypatch.setitem(recipes(), "cross-subject", TEST_RECIPE)


def test_recipes_are_the_yaml_files_of_their_folder():
    files = sorted(recipes_package.FOLDER.glob("*.yaml"))
    assert list(recipes()) == [path.stem for path in files]
    assert recipe_names() == ("auto", *recipes())
    for recipe in recipes().values():
        assert recipe.summary.strip()
        for dataset in ("synthetic", *recipe.datasets):  # valid sections and values
            for backbone in ("eegnet", *recipe.backbones):
                build([recipes_package.recipe_layer(recipe.name, dataset, backbone)])
    assert recipes()["plain"].settings == {}


def test_a_new_recipe_is_a_new_file(tmp_path, monkeypatch):
    (tmp_path / "short.yaml").write_text(
        "summary: two epochs\nsettings:\n  training: {max_epochs: 2}\n"
    )
    monkeypatch.setattr(recipes_package, "FOLDER", tmp_path)
    recipes.cache_clear()
    try:
        assert recipe_names() == ("auto", "short")
        layer = Layer(recipe="short")
        assert build([layer]).training.max_epochs == 2
        assert build([layer]).recipe == "short"
    finally:
        monkeypatch.undo()
        recipes.cache_clear()
    assert "short" not in recipes()


@pytest.mark.parametrize("protocol", available())
def test_auto_is_cross_subject_for_protocols_that_test_unseen_subjects(protocol):
    unseen = get_protocol(protocol).cross_subject
    assert resolve_recipe("auto", protocol) == ("cross-subject" if unseen else "plain")
    assert resolve_recipe("plain", protocol) == "plain"
    assert resolve_recipe("cross-subject", protocol) == "cross-subject"


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        ("loso", "cross-subject"),
        ("holdout", "cross-subject"),
        ("cross-dataset", "cross-subject"),
        ("within-session", "plain"),
        ("cross-session", "plain"),
    ],
)
def test_the_shipped_protocols_recipes(protocol, expected):
    assert resolve_recipe("auto", protocol) == expected
    layer = read_document({"evaluation": {"protocol": protocol}}, "f")
    assert build([layer]).recipe == expected


def test_an_unknown_recipe_lists_the_recipes():
    listed = ", ".join(recipe_names())
    with pytest.raises(ValueError, match=f"unknown recipe 'fancy'; recipes: {listed}$"):
        resolve_recipe("fancy", "loso")


def test_recipe_values_sit_under_configuration_files_and_flags(test_recipe):
    config = build([])  # loso: auto -> cross-subject
    assert config.recipe == "cross-subject"
    assert (config.training.batch_size, config.data.align) == (16, "euclidean")
    assert config.training.augment == ("sign_flip",)
    flags = Layer()
    flags.set("training.batch_size", 64, "--batch-size")
    assert build([flags]).training.batch_size == 64
    from_file = read_document({"data": {"batch_size": 32}}, "run.yaml")  # bci-attn 0.1 layout
    config = build([from_file])
    assert (config.training.batch_size, config.data.align) == (32, "euclidean")
    flags.set("training.batch_size", 8, "--batch-size")
    assert build([from_file, flags]).training.batch_size == 8


@pytest.mark.parametrize(
    "layer",
    [
        Layer(recipe="plain"),
        read_document({"evaluation": {"protocol": "within-session"}}, "f"),
        read_document({"run": {"recipe": "plain"}}, "f"),
        read_document({"recipe": "plain"}, "f"),
    ],
    ids=["flag", "protocol", "run.recipe", "recipe"],
)
def test_the_plain_recipe_keeps_the_defaults(test_recipe, layer):
    config = build([layer])
    assert config.recipe == "plain"
    assert (config.training.batch_size, config.training.augment) == (64, ())
    assert config.data.align == "none"


def test_a_recipe_adds_its_settings_for_the_run_s_dataset_alone(monkeypatch):
    recipe = Recipe(
        "cross-subject",
        "test",
        {"training": {"batch_size": 16}},
        {"physionet_mi": {"data": {"executed": True}, "training": {"max_epochs": 7}}},
    )
    monkeypatch.setitem(recipes(), "cross-subject", recipe)
    physionet = read_document({"data": {"dataset": "PhysionetMI"}}, "f")
    config = build([physionet])
    assert (config.data.executed, config.training.max_epochs) == (True, 7)
    assert config.training.batch_size == 16  # the recipe's settings for every dataset too
    other = build([physionet, read_document({"data": {"dataset": "BNCI2014001"}}, "g")])
    assert (other.data.executed, other.training.batch_size) == (False, 16)
    assert not build([]).data.executed  # the default dataset (synthetic)
    flags = Layer()
    flags.set("data.executed", False, "--no-executed")
    assert not build([physionet, flags]).data.executed  # switched off like any setting


def test_a_recipe_adds_its_settings_for_the_run_s_backbone_alone(monkeypatch):
    recipe = Recipe(
        "cross-subject",
        "test",
        {"training": {"batch_size": 16, "max_epochs": 30}},
        {"physionet_mi": {"training": {"max_epochs": 40}}},
        {"shallow": {"training": {"max_epochs": 60}}},
    )
    monkeypatch.setitem(recipes(), "cross-subject", recipe)
    shallow = read_document({"model": {"backbone": "shallow"}}, "f")
    config = build([shallow])
    assert (config.training.max_epochs, config.training.batch_size) == (60, 16)
    assert build([]).training.max_epochs == 30  # EEGNet, the default backbone
    physionet = read_document({"data": {"dataset": "PhysionetMI"}}, "g")
    assert build([physionet]).training.max_epochs == 40
    assert build([physionet, shallow]).training.max_epochs == 60  # the backbone's on top
    eegnet = read_document({"model": {"backbone": "eegnet"}}, "h")
    assert build([shallow, eegnet]).training.max_epochs == 30  # the last layer's backbone
    flags = Layer()
    flags.set("training.max_epochs", 5, "--max-epochs")
    assert build([shallow, flags]).training.max_epochs == 5  # changed like any setting


def test_the_shipped_cross_subject_recipe_trains_shallowconvnet_longer():
    loso = read_document({"evaluation": {"protocol": "loso"}}, "f")
    shallow = read_document({"model": {"backbone": "shallow"}}, "g")
    assert build([loso, shallow]).training.max_epochs == 60
    assert build([loso]).training.max_epochs == RunConfig().training.max_epochs == 30
    within = read_document({"evaluation": {"protocol": "within-session"}}, "h")
    assert build([within, shallow]).training.max_epochs == 30  # plain: the defaults


def test_the_last_layer_naming_a_recipe_chooses_it(test_recipe):
    plain, auto = Layer(recipe="plain"), Layer(recipe="auto")
    assert build([plain, auto]).recipe == "cross-subject"
    assert build([auto, plain]).recipe == "plain"
    assert build([plain, Layer()]).recipe == "plain"


def test_configuration_files_start_from_the_recipe(tmp_path, test_recipe):
    path = tmp_path / "run.yaml"
    path.write_text("data: {dataset: synthetic, batch_size: 32}\n")
    config = load_config(path)
    assert (config.recipe, config.training.batch_size) == ("cross-subject", 32)
    assert config.data.align == "euclidean"


def _recommended(selection: str, base: str, settings: dict) -> None:
    """The candidate ``selection`` recommends is its ``base`` candidate with ``settings``."""
    from bci_attn.studies.selection import SelectionSpec, candidates
    from bci_attn.studies.specs import read_spec

    source = str(ROOT / "experiments" / f"{selection}.yaml")
    text = (ROOT / "experiments" / selection / "selection.md").read_text()
    (name,) = re.findall(r"Recommended default: `([^`]+)`", text)
    cells = {cell.name: cell for cell in candidates(read_spec(source, SelectionSpec), source)}
    by_name = {key: value for section in settings.values() for key, value in section.items()}
    assert by_name  # the recipe sets something
    shipped = cells[base].config.replace(**by_name)
    assert cells[name].config.computed() == shipped.computed()


def test_the_cross_subject_recipe_is_what_the_committed_selections_recommend():
    recipe = recipes()["cross-subject"]
    _recommended("recipe_selection", "plain", recipe.settings)  # for every dataset
    (physionet,) = recipe.datasets  # the second selection, on PhysionetMI
    _recommended("recipe_selection_2", "previous", recipe.datasets[physionet])
