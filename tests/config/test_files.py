"""Configuration files in the current layout and in bci-attn 0.1's (LightningCLI's), unknown
keys and bad values named as the file names them, and stored records of both layouts."""

from pathlib import Path

import pytest
import yaml

from bci_attn.config import (
    ConfigError,
    Layer,
    RunConfig,
    build,
    from_stored,
    load_config,
    read_document,
    read_yaml,
    to_yaml,
)
from bci_attn.config.files import rename

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))


def write(path: Path, document) -> Path:
    path.write_text(yaml.safe_dump(document) if not isinstance(document, str) else document)
    return path


def test_the_current_layout_sets_options_section_by_section(tmp_path):
    path = write(
        tmp_path / "run.yaml",
        {
            "data": {"dataset": "BNCI2014001", "subjects": "1-3", "classes": ["a", "b"]},
            "model": {"attention": "se", "attention_options": {"reduction": 2}},
            "training": {"max_epochs": 5, "batch_size": 32},
            "evaluation": {"protocol": "within-session", "seeds": [0, 1]},
            "execution": {"out": "runs/x", "quiet": True},
            "recipe": "plain",
        },
    )
    config = load_config(path)
    assert config.data.subjects == (1, 2, 3) and config.data.classes == ("a", "b")
    assert config.model.attention_options == {"reduction": 2}
    assert (config.training.max_epochs, config.training.batch_size) == (5, 32)
    assert config.evaluation.seeds == (0, 1) and config.execution.out == "runs/x"
    assert config.recipe == "plain"


def test_the_layout_of_bci_attn_0_1_is_read_as_it_is(tmp_path):
    path = write(
        tmp_path / "old.yaml",
        {
            "seed_everything": 3,
            "model": {"attention": "se", "lr": 0.01, "augment": ["time_shift", "mixup"],
                      "augment_options": {"time_shift": {"max_shift": 0.2}},
                      "label_smoothing": 0.1},
            "data": {"subjects": "1-3", "protocol": "within-session", "batch_size": 16,
                     "fold": 1, "download": True},
            "trainer": {"max_epochs": 7, "logger": {"class_path": "TensorBoardLogger"}},
            "run": {"recipe": "plain", "swa_start": 0.75, "ensemble": True, "seeds": [0, 1]},
        },
    )  # fmt: skip
    config = load_config(path)
    assert config.evaluation.seeds == (0, 1) and config.evaluation.ensemble
    assert config.training.max_epochs == 7  # trainer.max_epochs -> training
    assert config.training.batch_size == 16  # data.batch_size -> training
    assert (config.training.lr, config.training.augment) == (0.01, ("time_shift", "mixup"))
    assert config.training.augment_options == {"time_shift": {"max_shift": 0.2}}
    assert config.training.label_smoothing == 0.1
    assert config.evaluation.protocol == "within-session"
    assert config.training.swa_start == 0.75 and config.recipe == "plain"  # run.recipe
    assert config.execution.logger == "tensorboard"
    assert config.data.offline is False  # data.download true: downloads allowed
    layer = read_document(read_yaml(path), str(path))
    assert layer.lightning["fold"] == 1  # data.fold: LightningCLI's only
    assert "fold" not in RunConfig().flat()


@pytest.mark.parametrize(("download", "offline"), [(True, False), (False, True)])
def test_data_download_is_offline_inverted(download, offline):
    layer = read_document({"data": {"download": download}}, "old.yaml")
    assert build([layer]).data.offline is offline


def test_seed_everything_is_the_seed_unless_seeds_are_given():
    assert build([read_document({"seed_everything": 3}, "f")]).evaluation.seeds == (3,)
    layer = read_document({"seed_everything": 3, "run": {"seeds": [0, 1]}}, "f")
    assert build([layer]).evaluation.seeds == (0, 1)  # seeds win
    assert layer.lightning["seed_everything"] == 3


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_every_committed_configuration_file_reads(path):
    config = load_config(path)
    model, data = config.model, config.data
    stem = f"{model.backbone}_{model.attention}_{data.dataset.lower()}_"
    assert path.stem == stem + config.evaluation.protocol
    assert config.recipe == "plain" and config.training.max_epochs > 1
    assert config.evaluation.seeds == (0, 1, 2, 3, 4)


def test_a_file_of_bci_attn_0_1_gives_the_configuration_of_its_current_twin():
    old = Path(__file__).parent / "data" / "shallow_none_physionetmi_within-session.v0.1.yaml"
    document = read_yaml(old)
    assert {"seed_everything", "trainer", "run"} <= set(document)  # LightningCLI's sections
    current = ROOT / "configs" / "shallow_none_physionetmi_within-session.yaml"
    assert load_config(old) == load_config(current)
    assert read_document(document, str(old)).lightning["fold"] == 0  # data.fold


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"optim": {}},
            "unknown key 'optim'; allowed sections: data, model, training, evaluation, "
            "execution, recipe (and bci-attn 0.1's trainer, run)",
        ),
        (
            {"model": {"weight_decays": 0.1}},
            "unknown key 'model.weight_decays'; model takes: attention, attention_at, "
            "attention_options, backbone, backbone_options",
        ),
        ({"training": {"epochs": 3}}, "unknown key 'training.epochs'; training takes: augment"),
        ({"run": {"seedz": [1]}}, "unknown key 'run.seedz'; run takes: accelerator, adapt, align"),
        (
            {"trainer": {"gradient_clip_val": 1.0}},
            "(bci-attn fit: any Lightning Trainer option)",
        ),
        ({"data": 3}, "section 'data' must be a mapping of options"),
        ({"seed_everything": "x"}, "seed_everything must be an int, got 'x'"),
        ({"recipe": "fancy"}, "recipe must be one of auto, cross-subject, plain, got 'fancy'"),
        ({"run": {"recipe": "fancy"}}, "run.recipe must be one of auto, cross-subject, plain"),
        ({"trainer": {"logger": "WandbLogger"}}, "use CSVLogger or TensorBoardLogger"),
    ],
)
def test_unknown_keys_and_sections_are_named_with_what_is_allowed(document, message):
    with pytest.raises(ValueError) as info:
        read_document(document, "bad.yaml")
    assert str(info.value).startswith("bad.yaml: ") and message in str(info.value)


def test_the_one_fold_command_keeps_every_trainer_option():
    document = {"trainer": {"gradient_clip_val": 1.0, "max_epochs": 3}, "data": {"fold": 2}}
    layer = read_document(document, "fit.yaml", lightning=True)
    assert layer.lightning == {"trainer": {"gradient_clip_val": 1.0, "max_epochs": 3}, "fold": 2}
    assert build([layer]).training.max_epochs == 3


@pytest.mark.parametrize(
    ("logger", "name"),
    [
        ("CSVLogger", "csv"),
        ({"class_path": "lightning.pytorch.loggers.TensorBoardLogger"}, "tensorboard"),
        (True, "csv"),
    ],
)
def test_trainer_logger_is_read_as_the_logger_option(logger, name):
    assert build([read_document({"trainer": {"logger": logger}}, "f")]).execution.logger == name


@pytest.mark.parametrize(
    ("document", "key", "message"),
    [
        ({"data": {"batch_size": 0}}, "training.batch_size", "data.batch_size must be an int"),
        ({"training": {"batch_size": 0}}, "training.batch_size", "training.batch_size must be"),
        ({"model": {"lr": "fast"}}, "training.lr", "model.lr must be a number > 0"),
        ({"trainer": {"max_epochs": 2.5}}, "training.max_epochs", "trainer.max_epochs must be"),
        ({"data": {"subjects": "1-x"}}, "data.subjects", "data.subjects must be a list of ints"),
        ({"run": {"seeds": [0, "a"]}}, "evaluation.seeds", "run.seeds must be a list of ints"),
        ({"run": {"swa_lr": 0.01}}, "training.swa_lr", "run.swa_lr goes with"),
    ],
)
def test_a_bad_value_is_named_as_the_file_names_it(tmp_path, document, key, message):
    path = write(tmp_path / "bad.yaml", document)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.key == key
    assert str(info.value).startswith(f"{path}: {message}")


def test_every_key_of_a_message_is_renamed_as_its_source_names_it():
    error = ConfigError("data.fmin", "must be below data.fmax (38), got 40")
    names = {"data.fmin": "--fmin", "data.fmax": "--fmax", "data.fmax_x": "--other"}
    renamed = rename(error, names)
    assert str(renamed) == "--fmin must be below --fmax (38), got 40"
    assert (renamed.key, renamed.problem) == (error.key, error.problem)
    assert str(rename(error, {})) == str(error)


def test_naming_a_transfer_dataset_implies_the_cross_dataset_protocol():
    datasets = {"train_dataset": "PhysionetMI", "test_dataset": "BNCI2014001"}
    config = build([read_document({"evaluation": datasets}, "f")])
    assert (config.evaluation.protocol, config.recipe) == ("cross-dataset", "cross-subject")
    chosen = {**datasets, "protocol": "holdout"}  # a protocol named is kept, and refused later
    assert build([read_document({"evaluation": chosen}, "f")]).evaluation.protocol == "holdout"
    assert build([]).evaluation.protocol == "loso"


def test_flags_sit_on_top_of_files_and_files_on_top_of_each_other(tmp_path):
    first = read_document({"training": {"max_epochs": 3, "lr": 0.1}}, "a.yaml")
    second = read_document({"trainer": {"max_epochs": 4}}, "b.yaml")
    flags = Layer()
    flags.set("training.lr", 0.5, "--lr")
    config = build([first, second, flags])
    assert (config.training.max_epochs, config.training.lr) == (4, 0.5)
    path = write(tmp_path / "c.yaml", {"training": {"max_epochs": 3}})
    assert load_config(path, max_epochs=9, recipe="plain").training.max_epochs == 9


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("data: [unclosed", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping of sections, got list"),
    ],
)
def test_a_file_that_is_no_configuration_is_named(tmp_path, content, message):
    path = tmp_path / "c.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValueError, match=message) as info:
        read_yaml(path)
    assert str(path) in str(info.value)
    with pytest.raises(ValueError, match="is a folder, not a YAML file"):
        read_yaml(tmp_path)


def test_an_empty_file_sets_nothing(tmp_path):
    assert read_yaml(write(tmp_path / "empty.yaml", "")) == {}


def test_a_printed_configuration_reads_back_as_the_same(tmp_path):
    config = RunConfig.create(
        recipe="cross-subject", subjects=[1, 2], attention="se", batch_size=16,
        attention_options={"reduction": 2}, augment=["time_shift"],
        augment_options={"time_shift": {"max_shift": 0.2}}, seeds=[0, 1], ensemble=True,
    )  # fmt: skip
    path = write(tmp_path / "printed.yaml", to_yaml(config))
    assert list(read_yaml(path)) == [
        "data",
        "model",
        "training",
        "evaluation",
        "execution",
        "recipe",
    ]
    assert load_config(path) == config


def test_stored_records_of_both_layouts_give_the_configuration():
    config = RunConfig.create(
        subjects=[1, 2, 3], attention="se", lr=0.01, seeds=[0, 1], recipe="cross-subject"
    )
    current = {**config.to_dict(), "resolved": {"subjects": [1, 2, 3]}, "bci_attn_version": "x"}
    assert from_stored(current) == config
    flat = {**config.flat(), "recipe": "cross-subject", "n_chans": 22, "bci_attn_version": "0.1.0"}
    assert from_stored(flat) == config
    older = {"dataset": "synthetic", "lr": 0.01, "download": False, "recipe": "auto"}
    config = from_stored(older)  # options it predates take their defaults
    assert (config.training.lr, config.data.offline, config.recipe) == (0.01, True, "plain")
