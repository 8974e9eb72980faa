"""``bci-attn run``: bad input refused in one line before anything is written, listings,
configuration files in both layouts, the run folder, resuming, failures and interrupts."""

import json
import re
import shutil

import pandas as pd
import pytest
import torch

from .conftest import TINY, TINY_SECTIONS, fold_files, write_yaml


@pytest.fixture
def copied_run(tiny_run, tmp_path):
    """A copy of the tiny run's folder, to change."""
    return shutil.copytree(tiny_run, tmp_path / "run")


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "NoSuch"], "unknown dataset 'NoSuch'; motor-imagery datasets: synthetic"),
        (["--backbone", "resnet"], "--backbone must be one of eegnet, shallow, got 'resnet'"),
        (["--protocol", "kfold"], "must be one of holdout, cross-dataset, cross-session, loso"),
        (["--attn", "nope"], "--attn must be one of none, bam, "),
        (["--attn", "se", "--attn-at", "nowhere"], "no insertion point 'nowhere'; its points"),
        (["--attn", "se", "--attn-opt", "colour=red"], "does not take option(s) colour"),
        (["--attn", "sa", "--attn-opt", "groups=3"], "'sa'"),
        (["--attn", "electrode", "--attn-at", "separable"], "single row (H = 1)"),
        (["--fmin", "30", "--fmax", "8"], "--fmin must be below --fmax (8), got 30"),
        (["--max-epochs", "0"], "--max-epochs must be an int >= 1"),
        (["--data-dir", __file__], f"--data-dir must be a folder, and {__file__} is a file"),
        (["--subjects", "1-x"], "--subjects must be a list of ints >= 1 (ranges such as 1-10"),
        (["--subjects", "42"], "--subjects names subject(s) [42] that synthetic lacks"),
        (["--tmax", "60"], "does not fit the 3 s trials"),
        (["--classes", "left_hand,elbow"], "elbow"),
        (["--train-subjects", "1-2"], "--train-subjects goes with protocol holdout"),
        (
            ["--dataset", "PhysionetMI", "--protocol", "cross-session", "--offline"],
            "PhysionetMI has 1 session per subject; cross-session needs at least two",
        ),
    ],
)
def test_bad_input_exits_2_in_one_line_and_leaves_no_folder(cli, tmp_path, args, message):
    line = cli("run", *args, "--out", tmp_path / "run", "--quiet").error
    assert line.startswith("bci-attn run: error: ") and message in line
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_a_gpu_asked_for_on_a_machine_without_one_is_refused(cli, tmp_path):
    line = cli("run", "--accelerator", "gpu", "--out", tmp_path / "run").error
    assert "--accelerator is gpu but this machine has no CUDA GPU" in line
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"data": {"colour": 1}}, "unknown key 'data.colour'; data takes: "),
        ({"modle": {}}, "unknown key 'modle'; allowed sections: data, model, training"),
        ({"training": {"lr": "fast"}}, "training.lr must be a number > 0"),
        ({"model": {"lr": "fast"}}, "model.lr must be a number > 0"),  # bci-attn 0.1's place
        ({"trainer": {"max_epochs": 2.5}}, "trainer.max_epochs must be an int >= 1"),
        ({"trainer": {"gradient_clip_val": 1.0}}, "unknown key 'trainer.gradient_clip_val'"),
        ({"data": {"subjects": "1-x"}}, "data.subjects must be a list of ints"),
        ({"run": {"seeds": [0, "a"]}}, "run.seeds must be a list of ints"),
        ({"evaluation": {"seeds": []}}, "evaluation.seeds must be a list of ints"),
        ({"recipe": "fast"}, "recipe must be one of auto, "),
    ],
)
def test_a_bad_config_file_is_named_with_its_key(cli, tmp_path, document, message):
    path = write_yaml(tmp_path / "bad.yaml", document)
    line = cli("run", "--config", path, "--out", tmp_path / "run").error
    assert f"{path}: " in line and message in line
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("[1, 2]", "expected a mapping of sections"),
        ("a: [", "not valid YAML"),
    ],
)
def test_a_config_file_that_is_no_configuration_is_named(cli, tmp_path, content, message):
    path = tmp_path / "c.yaml"
    if content is not None:
        path.write_text(content)
    line = cli("run", "--config", path).error
    assert str(path) in line and message in line


# --- listings -------------------------------------------------------------------------------


def test_list_attention_shows_every_module_with_its_options(cli):
    from bci_attn import attention

    result = cli("run", "--list-attention")
    assert result.code == 0
    lines = {line.split()[0]: line for line in result.out.splitlines()}
    assert list(lines) == attention.available()
    assert "reduction=4" in lines["se"] and "options" not in lines["none"]


def test_list_backbones_shows_their_insertion_points(cli):
    result = cli("run", "--list-backbones")
    assert result.code == 0
    lines = {line.split()[0]: line for line in result.out.splitlines()}
    assert list(lines) == ["eegnet", "shallow"]
    assert "separable (default)" in lines["eegnet"] and "pool (default)" in lines["shallow"]


def test_list_protocols_and_recipes(cli):
    from bci_attn.evaluation.protocols import available

    protocols = cli("run", "--list-protocols").out.splitlines()
    assert [line.split()[0] for line in protocols] == available()
    recipes = cli("run", "--list-recipes").out
    assert re.search(r"^cross-subject .*\n +training\.batch_size = 16$", recipes, re.MULTILINE)
    assert re.search(r"^plain ", recipes, re.MULTILINE)


def test_list_augmentations_shows_each_with_its_options(cli):
    from bci_attn.training.augmentation import AUGMENTATIONS

    result = cli("run", "--list-augmentations")
    names = [line.split()[0] for line in result.out.splitlines()]
    assert result.code == 0 and names == list(AUGMENTATIONS)
    assert "max_shift=" in result.out


def test_list_folds_shows_the_folds_and_trains_nothing(cli, tmp_path, no_training):
    result = cli("run", *TINY, "--list-folds", "--out", tmp_path / "run")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["subject1", "subject2", "subject3"]
    assert "test 60 (subjects 1;" in lines[0]
    assert not (tmp_path / "run").exists()


# --- configuration files and --print_config -------------------------------------------------


def test_print_config_shows_the_sections_and_reads_back(cli, printed, tmp_path):
    document = printed(*TINY, "--attn", "se", "--attn-opt", "reduction=2")
    assert list(document) == ["data", "model", "training", "evaluation", "execution", "recipe"]
    assert document["model"]["attention_options"] == {"reduction": 2}
    assert document["data"]["subjects"] == [1, 2, 3] and document["recipe"] == "plain"
    path = write_yaml(tmp_path / "printed.yaml", document)
    assert printed("--config", path) == document


#: The same settings in bci-attn 0.1's layout (LightningCLI's sections) and the current one.
OLD_LAYOUT = {
    "seed_everything": 3,
    "model": {"attention": "se", "attention_options": {"reduction": 2}, "lr": 0.01},
    "data": {"subjects": "1-3", "fold": 1, "protocol": "within-session", "batch_size": 32},
    "trainer": {"max_epochs": 7, "logger": {"class_path": "TensorBoardLogger"}},
    "run": {"recipe": "plain", "select": "best"},
}
NEW_LAYOUT = {
    "data": {"subjects": "1-3"},
    "model": {"attention": "se", "attention_options": {"reduction": 2}},
    "training": {"max_epochs": 7, "lr": 0.01, "batch_size": 32, "select": "best"},
    "evaluation": {"protocol": "within-session", "seeds": [3]},
    "execution": {"logger": "tensorboard"},
    "recipe": "plain",
}


def test_both_layouts_give_the_same_configuration(printed, tmp_path):
    old = printed("--config", write_yaml(tmp_path / "old.yaml", OLD_LAYOUT))
    new = printed("--config", write_yaml(tmp_path / "new.yaml", NEW_LAYOUT))
    assert old == new
    assert new["training"]["lr"] == 0.01 and new["evaluation"]["seeds"] == [3]
    assert new["execution"]["logger"] == "tensorboard"


@pytest.mark.parametrize("layout", [OLD_LAYOUT, NEW_LAYOUT], ids=["0.1", "current"])
def test_flags_override_the_config_file(printed, tmp_path, layout):
    path = write_yaml(tmp_path / "c.yaml", layout)
    document = printed("--config", path, "--max-epochs", "2", "--attn-opt", "reduction=4")
    assert document["training"]["max_epochs"] == 2
    assert document["model"]["attention_options"] == {"reduction": 4}
    assert document["training"]["lr"] == 0.01  # from the file


@pytest.mark.parametrize(
    ("model", "shown"),
    [
        ({"attention_at": "separable"}, {"attention_at": ["separable"]}),
        ({"attention_at": "temporal,separable"}, {"attention_at": ["temporal", "separable"]}),
        ({"attention_options": None}, {"attention_options": {}}),
    ],
)
def test_values_bci_attn_0_1_accepted_in_files_still_read(printed, tmp_path, model, shown):
    path = write_yaml(tmp_path / "old.yaml", {"model": {"attention": "se", **model}})
    document = printed("--config", path)
    assert {key: document["model"][key] for key in shown} == shown


def test_later_config_files_override_earlier_ones(printed, tmp_path):
    first = write_yaml(tmp_path / "a.yaml", NEW_LAYOUT)
    second = write_yaml(tmp_path / "b.yaml", {"training": {"lr": 0.1}})
    document = printed("--config", first, "--config", second)
    assert document["training"]["lr"] == 0.1 and document["training"]["max_epochs"] == 7


def test_the_earlier_download_flag_is_still_accepted(printed):
    assert printed("--download")["data"]["offline"] is False
    assert printed("--offline")["data"]["offline"] is True


# --- a run and its folder -------------------------------------------------------------------


def test_a_run_writes_its_folder(tiny_run):
    stored = json.loads((tiny_run / "config.json").read_text())
    assert stored["data"]["subjects"] == [1, 2, 3] and stored["recipe"] == "plain"
    assert stored["resolved"]["folds"] == ["subject1", "subject2", "subject3"]
    assert stored["resolved"]["n_chans"] == 22 and stored["resolved"]["sfreq"] == 128.0
    assert sorted(fold_files(tiny_run)) == ["subject1-seed0", "subject2-seed0", "subject3-seed0"]
    assert all((tiny_run / "folds" / f"subject{k}-seed0.pt").is_file() for k in (1, 2, 3))
    rows = pd.read_csv(tiny_run / "results.csv")
    assert list(rows["subject"]) == [1, 2, 3] and rows["accuracy"].between(0, 1).all()
    summary = json.loads((tiny_run / "summary.json").read_text())
    assert {"accuracy_mean", "accuracy_std", "kappa_mean", "per_subject"} <= set(summary)
    assert (tiny_run / "logs" / "subject1" / "seed0" / "metrics.csv").is_file()


def test_quiet_prints_one_line(cli, copied_run, no_training):
    result = cli("run", *TINY, "--out", copied_run)
    assert result.code == 0
    (line,) = result.out.splitlines()
    assert re.fullmatch(
        rf"accuracy \d+\.\d ± \d+\.\d % over 3 subjects \({re.escape(str(copied_run))}\)", line
    )


def test_a_finished_run_resumes_without_training(cli, copied_run, no_training):
    tables = (copied_run / "results.csv").read_text()
    result = cli("run", *TINY[:-1], "--out", copied_run)  # not quiet: the fold lines
    assert result.code == 0, result.err
    for fold in ("subject1", "subject2", "subject3"):
        assert f"  {fold} seed 0: " in result.out
    assert result.out.count("(done before, resumed)") == 3
    assert (copied_run / "results.csv").read_text() == tables


def test_an_interrupted_run_keeps_its_units_and_resumes(cli, tiny_run, tmp_path, monkeypatch):
    import bci_attn.training.fit

    fit, trained = bci_attn.training.fit.fit, []

    def interrupted_in_second_unit(*args, **kwargs):
        if trained:
            raise KeyboardInterrupt
        trained.append(kwargs["log_dir"].parent.name)
        return fit(*args, **kwargs)

    monkeypatch.setattr(bci_attn.training.fit, "fit", interrupted_in_second_unit)
    folder = tmp_path / "run"
    result = cli("run", *TINY, "--out", folder)
    assert result.code == 130
    assert result.err.strip().splitlines()[-1] == (
        "bci-attn run: interrupted; 1 unit(s) finished in this run are kept, with every "
        "earlier one; run the same command to resume"
    )
    assert list(fold_files(folder)) == ["subject1-seed0"]
    assert not (folder / "results.csv").exists()

    resumed = []
    monkeypatch.setattr(
        bci_attn.training.fit,
        "fit",
        lambda *args, **kwargs: (
            resumed.append(kwargs["log_dir"].parent.name) or fit(*args, **kwargs)
        ),
    )
    assert cli("run", *TINY, "--out", folder).code == 0
    assert resumed == ["subject2", "subject3"]
    # the same seed gives the same result, interrupted or not
    pd.testing.assert_frame_equal(
        pd.read_csv(folder / "results.csv").drop(columns="seconds"),
        pd.read_csv(tiny_run / "results.csv").drop(columns="seconds"),
    )


def test_a_seed_gives_the_same_result_alone_or_with_others(cli, tiny_run, tmp_path):
    assert cli("run", *TINY, "--seed", "1", "0", "--out", tmp_path / "both").code == 0
    together, alone = fold_files(tmp_path / "both"), fold_files(tiny_run)
    assert len(together) == 6
    for name, result in alone.items():
        assert together[name]["rows"] == result["rows"]  # labels, predictions, probabilities


def test_a_folder_of_another_configuration_is_refused(cli, copied_run, no_training):
    line = cli("run", *TINY, "--lr", "0.01", "--out", copied_run).error
    assert "holds a run with other settings" in line and "lr" in line


@pytest.fixture(scope="module")
def resumed_otherwise(tiny_run, tmp_path_factory):
    """A copy of the tiny run resumed with a second seed, without channels-last and with
    TensorBoard logs: its folder."""
    from bci_attn.cli.main import main

    folder = shutil.copytree(tiny_run, tmp_path_factory.mktemp("resumed") / "run")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BCI_ATTN_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
        args = ["--seed", "0", "1", "--no-channels-last", "--logger", "tensorboard"]
        assert main(["run", *TINY, *args, "--out", str(folder)]) == 0
    return folder


def test_each_unit_records_how_it_was_trained(resumed_otherwise):
    results = fold_files(resumed_otherwise)
    for fold in ("subject1", "subject2", "subject3"):
        first, second = results[f"{fold}-seed0"], results[f"{fold}-seed1"]
        assert first["trained_with"]["channels_last"] is True  # before the resume
        assert second["trained_with"]["channels_last"] is False
        assert second["trained_with"]["device"] == "cpu"
        assert second["trained_with"]["threads"] >= 1
    stored = json.loads((resumed_otherwise / "config.json").read_text())
    assert stored["execution"]["channels_last"] is False


def test_tensorboard_logs_beside_the_csv_logs_when_asked(resumed_otherwise):
    logs = resumed_otherwise / "logs" / "subject1"
    assert (logs / "seed1" / "metrics.csv").is_file()
    assert list((logs / "seed1").glob("events.out.tfevents.*"))
    assert not list((logs / "seed0").glob("events.out.tfevents.*"))  # trained with CSV only


def test_failed_units_exit_1_listing_them_and_keep_the_others(cli, tmp_path, monkeypatch):
    import bci_attn.training.fit

    fit = bci_attn.training.fit.fit

    def diverges_on_subject2(*args, **kwargs):
        if kwargs["log_dir"].parent.name == "subject2":
            raise bci_attn.training.fit.TrainingDiverged("training diverged at epoch 0")
        return fit(*args, **kwargs)

    monkeypatch.setattr(bci_attn.training.fit, "fit", diverges_on_subject2)
    folder = tmp_path / "run"
    result = cli("run", *TINY, "--out", folder)
    assert result.code == 1
    line = result.err.strip().splitlines()[-1]
    assert line.startswith("bci-attn run: error: 1 of 3 unit(s) failed") and "diverged" in line
    failures = json.loads((folder / "failures.json").read_text())
    assert [unit["fold"] for failure in failures for unit in failure["units"]] == ["subject2"]
    assert list(fold_files(folder)) == ["subject1-seed0", "subject3-seed0"]


def test_a_config_file_runs_with_flags_on_top(cli, tmp_path):
    path = write_yaml(tmp_path / "c.yaml", {**TINY_SECTIONS, "training": {"max_epochs": 5}})
    folder = tmp_path / "run"
    assert cli("run", "--config", path, "--max-epochs", "1", "--out", folder).code == 0
    assert {r["epochs"] for r in fold_files(folder).values()} == {1}


@pytest.mark.realdata
def test_a_short_loso_on_real_physionet(cli, tmp_path, physionet_dir):
    args = [
        "--dataset",
        "PhysionetMI",
        "--classes",
        "left_hand,right_hand",
        "--align",
        "euclidean",
    ]
    folder = tmp_path / "real"
    result = cli(
        "run", *TINY[2:], *args, "--data-dir", physionet_dir, "--offline", "--out", folder
    )
    assert result.code == 0, result.err
    rows = pd.read_csv(folder / "results.csv")
    assert list(rows["subject"]) == [1, 2, 3] and list(rows["n_test"]) == [45, 45, 45]
