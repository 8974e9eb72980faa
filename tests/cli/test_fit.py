"""``bci-attn fit`` (and ``validate``, ``test``): LightningCLI on one fold of a configuration
file of either layout, with LightningCLI's dotted flags on top."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from .conftest import TINY_SECTIONS, write_yaml

#: bci-attn 0.1's committed configuration file (LightningCLI's sections).
OLD_CONFIG = Path(__file__).parent / "data" / "eegnet_ham_bnci2014001_loso.v0.1.yaml"
#: Its data made tiny: synthetic EEG, 3 subjects, 2 classes, 1 epoch without warm-up.
TINY_OVERRIDES = [
    *("--data.dataset", "synthetic", "--data.subjects", "[1, 2, 3]", "--data.n_classes", "2"),
    *("--trainer.max_epochs", "1", "--model.warmup_epochs", "0"),
]
QUIET = ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]


@pytest.fixture
def tiny_file(tmp_path) -> Path:
    """:data:`TINY_SECTIONS` with electrode attention, in the current layout."""
    document = {**TINY_SECTIONS, "model": {"attention": "electrode", "attention_at": ["input"]}}
    return write_yaml(tmp_path / "tiny.yaml", document)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in a fresh folder (LightningCLI logs into ./lightning_logs); returns a function
    that reads the last logged metrics there."""
    monkeypatch.chdir(tmp_path)

    def metrics() -> pd.DataFrame:
        (path,) = (tmp_path / "lightning_logs").rglob("metrics.csv")
        return pd.read_csv(path)

    return metrics


def lightning_config(cli, *args) -> dict:
    """What ``bci-attn fit args --print_config`` prints."""
    result = cli("fit", *args, "--print_config")
    assert result.code == 0, result.err
    return yaml.safe_load(result.out)


def test_fit_trains_one_fold_of_a_file_in_the_current_layout(cli, tiny_file, in_tmp):
    result = cli("fit", "--config", tiny_file, "--data.fold", "subject2", *QUIET)
    assert result.code == 0, result.err
    metrics = in_tmp()
    assert {"train_loss", "train_acc", "val_loss", "val_acc"} <= set(metrics.columns)
    assert metrics["epoch"].max() == 0  # one epoch
    (saved,) = Path().rglob("config.yaml")
    saved = yaml.safe_load(saved.read_text())
    assert saved["data"]["fold"] == "subject2" and saved["model"]["attention"] == "electrode"


def test_fit_trains_one_fold_of_a_committed_file_of_bci_attn_0_1(cli, in_tmp):
    result = cli("fit", "--config", OLD_CONFIG, *TINY_OVERRIDES, *QUIET)
    assert result.code == 0, result.err
    assert {"train_loss", "val_acc"} <= set(in_tmp().columns)
    (saved,) = Path().rglob("hparams.yaml")
    hparams = yaml.safe_load(saved.read_text())
    assert hparams["training"]["schedule"] == "cosine"  # from the file


def test_print_config_shows_the_file_in_lightnings_sections(cli):
    document = lightning_config(cli, "--config", OLD_CONFIG)
    assert {"seed_everything", "trainer", "model", "data"} <= set(document)
    assert document["seed_everything"] == 0
    assert document["trainer"]["max_epochs"] == 125
    assert document["model"]["attention"] == "ham"
    assert document["model"]["backbone_options"] == {"drop_prob": 0.25}
    assert (document["model"]["schedule"], document["model"]["warmup_epochs"]) == ("cosine", 5)
    assert document["data"]["dataset"] == "BNCI2014001" and document["data"]["fold"] == 0
    assert (document["data"]["tmin"], document["data"]["tmax"]) == (0.5, 2.5)


def test_dotted_flags_override_the_file(cli, tiny_file):
    document = lightning_config(
        cli, "--config", tiny_file,
        "--model.lr", "0.01", "--model.attention", "se", "--trainer.max_epochs", "3",
        "--data.fold", "subject3", "--seed_everything", "7",
    )  # fmt: skip
    assert document["model"]["lr"] == 0.01 and document["model"]["attention"] == "se"
    assert document["trainer"]["max_epochs"] == 3 and document["data"]["fold"] == "subject3"
    assert document["seed_everything"] == 7
    assert document["data"]["subjects"] == [1, 2, 3]  # from the file


@pytest.mark.parametrize(
    ("document", "recipe", "batch_size"),
    [
        ({"evaluation": {"protocol": "loso"}}, [], 16),  # auto: the cross-subject recipe
        ({"evaluation": {"protocol": "loso"}, "recipe": "plain"}, [], 64),
        ({"evaluation": {"protocol": "loso"}}, ["--recipe", "plain"], 64),
        ({"evaluation": {"protocol": "loso"}}, ["--run.recipe", "plain"], 64),
        ({"evaluation": {"protocol": "loso"}, "training": {"batch_size": 32}}, [], 32),
        ({"evaluation": {"protocol": "within-session"}}, [], 64),
    ],
)
def test_fit_starts_from_the_recipe_as_run_does(cli, tmp_path, document, recipe, batch_size):
    path = write_yaml(tmp_path / "c.yaml", {"data": {"dataset": "synthetic"}, **document})
    assert lightning_config(cli, "--config", path, *recipe)["model"]["batch_size"] == batch_size
    run = cli(
        "run", "--config", path, *(["--recipe", *recipe[1:]] if recipe else []), "--print_config"
    )
    assert yaml.safe_load(run.out)["training"]["batch_size"] == batch_size


def _test_metrics(cli, in_tmp, tiny_file, fold: str) -> dict:
    result = cli("test", "--config", tiny_file, "--data.fold", fold, *QUIET)
    assert result.code == 0, result.err
    metrics = in_tmp().iloc[-1]
    for path in Path().rglob("metrics.csv"):  # the next call logs afresh
        path.unlink()
    return {"test_acc": metrics["test_acc"], "test_loss": metrics["test_loss"]}


def test_a_fold_is_chosen_by_name_or_by_index(cli, in_tmp, tiny_file):
    by_name = _test_metrics(cli, in_tmp, tiny_file, "subject2")
    by_index = _test_metrics(cli, in_tmp, tiny_file, "1")
    first = _test_metrics(cli, in_tmp, tiny_file, "0")
    assert by_name == by_index  # the same untrained model on the same test trials
    assert first["test_loss"] != by_name["test_loss"]


def test_validate_scores_the_folds_validation_trials(cli, in_tmp, tiny_file):
    result = cli("validate", "--config", tiny_file, "--data.fold", "0", *QUIET)
    assert result.code == 0, result.err
    metrics = in_tmp()
    assert {"val_loss", "val_acc"} <= set(metrics.columns) and "train_loss" not in metrics


@pytest.mark.parametrize(
    ("fold", "message"),
    [
        ("subject9", "no fold 'subject9'; folds: subject1, subject2, subject3"),
        ("7", "fold 7 out of range: the protocol has 3 folds"),
    ],
)
def test_a_fold_the_protocol_lacks_is_named(cli, in_tmp, tiny_file, fold, message):
    result = cli("fit", "--config", tiny_file, "--data.fold", fold, *QUIET)
    assert result.code == 2
    assert result.err.strip().splitlines()[-1] == f"bci-attn fit: error: {message}"


def test_an_override_that_breaks_a_rule_is_named(cli, in_tmp):
    result = cli("fit", "--config", OLD_CONFIG, *TINY_OVERRIDES[:-2], *QUIET)  # warm-up 5
    assert result.code == 2
    assert "warmup_epochs must be below training.max_epochs (1), got 5" in result.err


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"data": {"colour": 1}}, "bad.yaml: unknown key 'data.colour'; data takes: "),
        ({"modle": {}}, "bad.yaml: unknown key 'modle'; allowed sections"),
        ({"model": {"lr": "fast"}}, "bad.yaml: model.lr must be a number > 0"),
        ({"trainer": {"max_epochz": 1}}, "trainer.max_epochz"),
        ({"recipe": "fast"}, "recipe must be one of auto, cross-subject, plain, got 'fast'"),
    ],
)
def test_an_unknown_key_or_bad_value_in_the_file_is_named(cli, tmp_path, document, message):
    path = write_yaml(tmp_path / "bad.yaml", document)
    result = cli("fit", "--config", path)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model.lrr", "3"], "--model.lrr"),
        (["--model.lr", "fast"], "model.lr"),
        (["--recipe", "fast"], "unknown recipe 'fast'; recipes: auto, cross-subject, plain"),
        (["--run.recipe=fast"], "unknown recipe 'fast'; recipes: auto, cross-subject, plain"),
    ],
)
def test_an_unknown_flag_or_bad_value_is_named(cli, tiny_file, args, message):
    result = cli("fit", "--config", tiny_file, *args)
    assert result.code == 2 and message in result.err and "Traceback" not in result.err
