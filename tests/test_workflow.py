"""The research workflow: config files, LightningCLI, sweeps, statistics, reports, maps.

One tiny sweep (synthetic EEG, 3 subjects, 2 classes, 1 s trials, 1 epoch) is trained once
per session and shared by the sweep, report and interpretability tests.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from bci_attn import config as config_file
from bci_attn import experiment, run, stats, sweep
from bci_attn.experiment import RunConfig

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
TINY = {"data": {"subjects": "1-3", "n_classes": 2, "tmax": 1.0, "batch_size": 64}}


def write_yaml(path: Path, document: dict) -> Path:
    path.write_text(yaml.safe_dump(document))
    return path


def tiny_sweep_spec(tmp: Path, **changes) -> Path:
    spec = {
        "out": str(tmp / "sweep"),
        "settings": {**TINY, "trainer": {"max_epochs": 1}},
        "grid": {
            "dataset": ["synthetic"],
            "backbone": ["eegnet"],
            "protocol": ["loso"],
            "attention": [
                {"name": "electrode", "attention": "electrode", "attention_at": "input"}
            ],
            "seeds": [0],
        },
        "statistics": {"test": "permutation", "correction": "holm"},
    }
    spec.update(changes)
    return write_yaml(tmp / "sweep.yaml", spec)


@pytest.fixture(scope="session")
def trained_sweep(tmp_path_factory) -> Path:
    """The tiny sweep, trained once: ``none`` and ``electrode`` x 3 LOSO folds."""
    tmp = tmp_path_factory.mktemp("sweep")
    cache = tmp_path_factory.getbasetemp() / "cache"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BCI_ATTN_CACHE", str(cache))
        sweep.run_sweep(str(tiny_sweep_spec(tmp)), echo=lambda *a: None)
    return tmp / "sweep"


# --- configuration files ----------------------------------------------------------------


def test_every_runconfig_field_has_a_section():
    in_sections = {k for keys in config_file.SECTIONS.values() for k in keys}
    assert {f.name for f in fields(RunConfig)} == in_sections - config_file.FOLD_ONLY


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_shipped_configs_are_valid_for_both_entry_points(path):
    config = config_file.load_config(path)
    config.validate()
    config_file.config_options(config_file.read_yaml(path), str(path), lightning=True)
    stem = f"{config.backbone}_{config.attention}_{config.dataset.lower()}_{config.protocol}"
    assert path.stem == stem


def test_shipped_configs_cover_backbones_protocols_datasets():
    names = {p.stem for p in CONFIGS}
    for backbone in ("eegnet", "shallow"):
        for dataset in ("bnci2014001", "bnci2014004", "physionetmi"):
            for protocol in ("within-session", "cross-session", "loso"):
                if (dataset, protocol) != ("physionetmi", "cross-session"):  # one session
                    assert f"{backbone}_none_{dataset}_{protocol}" in names


def test_run_config_file_with_command_line_overrides(tmp_path, capsys):
    path = write_yaml(
        tmp_path / "c.yaml",
        {
            "seed_everything": 3,
            "model": {"attention": "se", "attention_options": {"reduction": 2}, "lr": 0.01},
            "data": {"subjects": "1-3", "fold": 1, "protocol": "within-session"},
            "trainer": {"max_epochs": 7, "logger": {"class_path": "TensorBoardLogger"}},
        },
    )
    args = run.parse(run.build_parser(), ["--config", str(path), "--max-epochs", "2"])
    config = run.config_from_args(args)
    assert (config.attention, config.attention_options, config.lr) == (
        "se",
        {"reduction": 2},
        0.01,
    )
    assert (config.subjects, config.protocol, config.seeds) == ([1, 2, 3], "within-session", [3])
    assert config.max_epochs == 2  # the flag wins over the file
    assert config.logger == "tensorboard"

    assert run.main(["--config", str(path), "--attn-opt", "reduction=4", "--print_config"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["model"]["attention_options"] == {"reduction": 4}
    assert printed["trainer"]["max_epochs"] == 7
    # what --print_config shows reads back as the same configuration
    again = config_file.config_options(printed, "printed")
    assert RunConfig(**again).attention_options == {"reduction": 4}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"data": {"colour": 1}}, "unknown key 'data.colour'; data takes: dataset"),
        ({"modle": {}}, "unknown key 'modle'; allowed sections"),
        ({"model": {"lr": "fast"}}, "model.lr must be float, got 'fast' (str)"),
        ({"trainer": {"max_epochs": 2.5}}, "trainer.max_epochs must be int"),
        ({"trainer": {"gradient_clip_val": 1.0}}, "unknown key 'trainer.gradient_clip_val'"),
        ({"data": {"subjects": "1-x"}}, "data.subjects: invalid subjects '1-x'"),
        ({"run": {"seeds": [0, "a"]}}, "run.seeds must be list[int]"),
    ],
)
def test_bad_config_file_exits_2_naming_key_and_file(tmp_path, capsys, document, message):
    path = write_yaml(tmp_path / "bad.yaml", document)
    with pytest.raises(SystemExit) as exit_info:
        run.main(["--config", str(path)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert message in err and str(path) in err and "Traceback" not in err


def test_lightning_cli_fits_one_fold_and_checks_files(tmp_path, monkeypatch, capsys):
    from bci_attn import cli

    monkeypatch.chdir(tmp_path)
    path = write_yaml(
        tmp_path / "c.yaml",
        {
            "seed_everything": 0,
            "model": {"attention": "electrode", "backbone_options": {"drop_prob": 0.25}},
            "data": {**TINY["data"], "fold": "subject2"},
            "trainer": {"max_epochs": 1, "enable_progress_bar": False},
        },
    )
    cli.main(["fit", "--config", str(path)])
    metrics = pd.read_csv(next((tmp_path / "lightning_logs").rglob("metrics.csv")))
    assert {"train_loss", "val_loss", "val_acc"} <= set(metrics.columns)

    bad = write_yaml(tmp_path / "bad.yaml", {"trainer": {"max_epochz": 1}})
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["fit", "--config", str(bad)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert "unknown key 'trainer.max_epochz'" in err and str(bad) in err


@pytest.mark.parametrize(
    "data, run_section, arguments, batch_size",
    [
        ({"protocol": "loso"}, {}, [], 16),  # auto: the cross-subject recipe
        ({"protocol": "loso"}, {"recipe": "plain"}, [], 64),
        ({"protocol": "loso"}, {}, ["--run.recipe", "plain"], 64),
        ({"protocol": "loso", "batch_size": 32}, {}, [], 32),  # the file wins over the recipe
        ({"protocol": "within-session"}, {}, [], 64),
        ({"protocol": "within-session"}, {}, ["--data.protocol=loso"], 16),
    ],
)
def test_lightning_cli_starts_from_the_recipe_as_run_does(
    tmp_path, capsys, data, run_section, arguments, batch_size
):
    from bci_attn import cli

    document = {"data": {"dataset": "synthetic", **data}, "run": run_section}
    path = write_yaml(tmp_path / "c.yaml", document)
    with pytest.raises(SystemExit) as stop:
        cli.main(["fit", "--config", str(path), *arguments, "--print_config"])
    assert stop.value.code == 0
    assert yaml.safe_load(capsys.readouterr().out)["data"]["batch_size"] == batch_size
    if not arguments:
        assert config_file.load_config(path).batch_size == batch_size


def test_lightning_cli_refuses_an_unknown_recipe(tmp_path, capsys):
    from bci_attn import cli

    path = write_yaml(tmp_path / "c.yaml", {"data": {"dataset": "synthetic"}})
    with pytest.raises(SystemExit) as stop:
        cli.main(["fit", "--config", str(path), "--run.recipe=fast"])
    assert stop.value.code == 2
    assert "unknown recipe 'fast'; recipes: auto, plain, cross-subject" in capsys.readouterr().err


def test_fold_selection_by_name_or_index():
    folds = [
        experiment.Fold(f"subject{k}", k, np.arange(1), np.arange(0), np.arange(1)) for k in (1, 2)
    ]
    assert experiment.select_fold(folds, "subject2").subject == 2
    assert experiment.select_fold(folds, 1).subject == 2
    assert experiment.select_fold(folds, "0").subject == 1
    with pytest.raises(ValueError, match="no fold 'subject9'; folds: subject1, subject2"):
        experiment.select_fold(folds, "subject9")
    with pytest.raises(ValueError, match="out of range"):
        experiment.select_fold(folds, 5)


def test_tensorboard_logs_when_asked(tmp_path):
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    from bci_attn.results import RunFolder

    folder = RunFolder(tmp_path)
    csv = experiment.make_loggers(RunConfig(), folder, "subject1", 0)
    both = experiment.make_loggers(RunConfig(logger="tensorboard"), folder, "subject1", 0)
    assert [type(x) for x in csv] == [CSVLogger]
    assert [type(x) for x in both] == [CSVLogger, TensorBoardLogger]


# --- statistics ---------------------------------------------------------------------------


def test_paired_tests_and_corrections():
    p, test = stats.paired_test(np.array([0.1, 0.05, -0.02, 0.08, 0.03]))
    assert test == "permutation" and p == pytest.approx(4 / 32)  # exact sign flips
    assert stats.paired_test(np.zeros(5))[0] == 1.0
    p, test = stats.paired_test(np.linspace(0.01, 0.2, 25))
    assert test == "wilcoxon" and p < 1e-4
    np.testing.assert_allclose(stats.correct([0.01, 0.04, 0.03], "holm"), [0.03, 0.06, 0.06])
    np.testing.assert_allclose(stats.correct([0.01, 0.5], "bonferroni"), [0.02, 1.0])
    assert [stats.stars(p) for p in (0.0005, 0.005, 0.04, 0.2)] == ["***", "**", "*", "ns"]


def test_comparison_pairs_the_same_folds_and_seeds():
    rng = np.random.default_rng(0)
    rows = []
    for attention, shift in (("none", 0.0), ("good", 0.05), ("same", 0.0)):
        for subject in range(1, 11):
            for seed in (0, 1):
                base = 0.6 + 0.02 * subject + 0.01 * seed
                rows.append(
                    dict(
                        dataset="d",
                        backbone="b",
                        protocol="loso",
                        attention=attention,
                        fold=f"subject{subject}",
                        subject=subject,
                        seed=seed,
                        accuracy=base + shift + (rng.normal(0, 0.005) if shift else 0),
                        kappa=0.0,
                    )
                )
    rows = pd.DataFrame(rows)
    # a seed only the attention run has is left out of the comparison
    extra = rows[rows["attention"] == "good"].assign(seed=9, accuracy=0.0)
    table = stats.summary_table(pd.concat([rows, extra]))
    good = table.set_index("attention").loc["good"]
    assert good["delta"] == pytest.approx(0.05, abs=0.01)
    assert good["significance"] in ("*", "**") and good["n_pairs"] == 20
    same = table.set_index("attention").loc["same"]
    assert same["p"] == 1.0 and same["significance"] == "ns"
    text = stats.format_summary(table)
    assert "baseline" in text and "holm" in text


# --- sweeps -------------------------------------------------------------------------------


def test_invalid_combinations_are_reported_before_training(tmp_path, monkeypatch):
    monkeypatch.setattr(
        experiment, "run_experiment", lambda *a, **k: pytest.fail("trained despite errors")
    )
    path = tiny_sweep_spec(
        tmp_path,
        grid={
            "dataset": ["synthetic", "PhysionetMI"],
            "backbone": ["eegnet"],
            "protocol": ["cross-session"],
            "attention": [
                "none",
                {"name": "late", "attention": "electrode", "attention_at": "separable"},
            ],
        },
    )
    with pytest.raises(ValueError) as error:
        sweep.run_sweep(str(path), echo=lambda *a: None)
    message = str(error.value)
    assert "nothing was trained" in message
    assert "dataset=PhysionetMI" in message and "cross-session needs at least two" in message
    assert "attention=late" in message and "single row" in message
    assert not (tmp_path / "sweep" / "runs").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"grdi": {}}, "unknown key 'grdi'"),
        ({"grid": {"attentions": ["se"]}}, "unknown key 'grid.attentions'"),
        ({"statistics": {"test": "t-test"}}, "statistics.test must be one of"),
        ({"settings": {"model": {"lr": "x"}}}, "model.lr must be float"),
    ],
)
def test_bad_sweep_file_names_the_key_and_the_file(tmp_path, capsys, change, message):
    path = tiny_sweep_spec(tmp_path, **change)
    with pytest.raises(SystemExit) as exit_info:
        sweep.main([str(path)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and str(path) in err


def test_sweep_writes_a_tidy_table_and_a_summary_with_statistics(trained_sweep):
    rows = pd.read_csv(trained_sweep / "results.csv")
    assert len(rows) == 2 * 3  # (none, electrode) x 3 folds x 1 seed
    assert list(rows.columns[:4]) == ["dataset", "backbone", "protocol", "attention"]
    assert set(rows["attention"]) == {"none", "electrode"}  # the baseline was added
    summary = pd.read_csv(trained_sweep / "summary.csv")
    electrode = summary.set_index("attention").loc["electrode"]
    assert {"accuracy_mean", "accuracy_std", "p", "p_corrected", "effect"} <= set(summary.columns)
    assert electrode["n_subjects"] == 3 and electrode["test"] == "permutation"
    assert "| sig. |" in (trained_sweep / "summary.md").read_text()


def test_sweep_resumes_without_training_again(trained_sweep, monkeypatch):
    monkeypatch.setattr(
        experiment, "train_fold", lambda *a, **k: pytest.fail("a finished fold was trained")
    )
    spec = trained_sweep.parent / "sweep.yaml"
    table = sweep.run_sweep(str(spec), echo=lambda *a: None)
    assert len(table) == 2


def test_tables_only_summarises_finished_folds_and_trains_nothing(
    trained_sweep, tmp_path, monkeypatch
):
    shutil.copytree(trained_sweep, tmp_path / "sweep")
    spec = config_file.read_yaml(trained_sweep.parent / "sweep.yaml")
    spec["out"] = str(tmp_path / "sweep")
    spec["grid"]["attention"] = [*spec["grid"]["attention"], "se"]  # not trained yet
    path = write_yaml(tmp_path / "more.yaml", spec)
    monkeypatch.setattr(
        experiment, "train_fold", lambda *a, **k: pytest.fail("--tables-only trained")
    )
    lines: list[str] = []
    table = sweep.run_sweep(str(path), echo=lines.append, tables_only=True)
    assert set(table["attention"]) == {"none", "electrode"}
    assert any(line.endswith("attention=se: 0 fold results") for line in lines)
    assert any(line.endswith("attention=electrode: 3 fold results") for line in lines)
    assert len(pd.read_csv(tmp_path / "sweep" / "results.csv")) == 2 * 3


def test_a_share_of_a_sweep_trains_only_its_cells_and_seeds(trained_sweep, tmp_path, monkeypatch):
    shutil.copytree(trained_sweep, tmp_path / "sweep")
    spec = config_file.read_yaml(trained_sweep.parent / "sweep.yaml")
    spec["out"] = str(tmp_path / "sweep")
    spec["grid"]["seeds"] = [0, 1]
    path = write_yaml(tmp_path / "seeds.yaml", spec)
    tables = (tmp_path / "sweep" / "results.csv").read_text()
    monkeypatch.setenv("BCI_ATTN_CACHE", str(tmp_path / "cache"))
    lines: list[str] = []
    result = sweep.run_sweep(str(path), echo=lines.append, only=["attention=electrode"], seeds=[1])
    assert result is None and (tmp_path / "sweep" / "results.csv").read_text() == tables
    assert [line for line in lines if line.startswith("[")] == [
        "[1/1] dataset=synthetic backbone=eegnet protocol=loso attention=electrode seeds=1"
    ]
    monkeypatch.setattr(experiment, "train_fold", lambda *a, **k: pytest.fail("trained"))
    table = sweep.run_sweep(str(path), echo=lines.append, tables_only=True)
    rows = pd.read_csv(tmp_path / "sweep" / "results.csv")
    assert rows.groupby("attention")["seed"].agg(sorted).to_dict() == {
        "electrode": [0, 0, 0, 1, 1, 1],
        "none": [0, 0, 0],  # seed 1 of the baseline was not part of the share
    }
    assert set(table["attention"]) == {"none", "electrode"}


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--only", "backbone=shallow"], "no backbone 'shallow'; it has eegnet"),
        (["--only", "subject=1"], "KEY one of dataset, backbone, protocol, attention"),
        (["--seeds", "3"], "have no seed 3; they have 0"),
        (["--seeds", "x"], "invalid seeds 'x'"),
        (["--only", "attention=none", "--tables-only"], "drop --only/--seeds"),
    ],
)
def test_a_bad_share_exits_2_naming_the_problem(tmp_path, capsys, arguments, message):
    with pytest.raises(SystemExit) as stop:
        sweep.main([str(tiny_sweep_spec(tmp_path)), *arguments])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "sweep" / "runs").exists()


# --- saved models, reports, interpretability ----------------------------------------------


def test_saved_model_reproduces_the_stored_predictions(trained_sweep):
    run_dir = trained_sweep / "runs" / "synthetic-eegnet-loso-electrode"
    config, _ = experiment.config_from_folder(run_dir)
    model = experiment.load_model(run_dir, "subject2", 0)
    data, folds = experiment.prepare(config)
    _, _, (X, _) = experiment.fold_arrays(data, experiment.select_fold(folds, "subject2"))
    with torch.no_grad():
        predictions = model(torch.as_tensor(X)).argmax(1).tolist()
    stored = json.loads((run_dir / "folds" / "subject2-seed0.json").read_text())
    assert predictions == stored["rows"][0]["predictions"]
    with pytest.raises(ValueError, match="no saved model for fold subject9 seed 0; saved: "):
        experiment.load_model(run_dir, "subject9", 0)


def test_report_on_a_sweep_and_on_a_run(trained_sweep):
    from bci_attn import report

    report.write_report(trained_sweep, echo=lambda *a: None)
    text = (trained_sweep / "report.md").read_text()
    for figure in ("per_subject", "distribution", "confusion_synthetic-eegnet-loso"):
        assert f"figures/{figure}.png" in text
        assert (trained_sweep / "figures" / f"{figure}.png").stat().st_size > 0
    assert "learning_curves" in text and "<table>" in (trained_sweep / "report.html").read_text()

    run_dir = trained_sweep / "runs" / "synthetic-eegnet-loso-electrode"
    report.write_report(run_dir, interpret=True, echo=lambda *a: None)
    figures = {p.name for p in (run_dir / "figures").glob("*.png")}
    assert {"electrode_attention_attention_input.png", "eegnet_spatial_filters.png"} <= figures
    assert "| mean ± std |" in (run_dir / "report.md").read_text()


def test_report_on_a_folder_without_results(tmp_path, capsys, trained_sweep):
    from bci_attn import report

    empty = tmp_path / "run"
    (empty / "folds").mkdir(parents=True)
    shutil.copy(trained_sweep / "runs" / "synthetic-eegnet-loso-none" / "config.json", empty)
    for folder, message in (
        (empty, "no results to report: no finished fold"),
        (tmp_path / "nothing", "neither a run folder (config.json) nor a sweep folder"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            report.main([str(folder)])
        err = capsys.readouterr().err
        assert exit_info.value.code == 2 and message in err and "Traceback" not in err


def test_channel_and_temporal_attention_figures(tmp_path):
    """Figures of untrained models: channel weights per temporal filter with spectra."""
    from bci_attn import interpret
    from bci_attn.models import build_model

    X = np.random.default_rng(0).normal(size=(6, 8, 128)).astype(np.float32)
    y = np.array([0, 1] * 3)
    model = build_model(
        "eegnet", "cbam", "temporal", n_chans=8, n_times=128, n_outputs=2, sfreq=128.0
    )
    maps = interpret.collect_maps(model, X, batch_size=4)
    weights = interpret.channel_weights(maps)["attention_temporal"]
    taps = interpret.temporal_filters(model)
    assert weights.shape == (6, 8) and taps.shape[0] == 8
    freqs, gains = interpret.frequency_responses(taps, 128.0)
    assert gains.shape == (8, len(freqs)) and gains.max() == pytest.approx(0, abs=1e-6)
    interpret.plot_filter_weights(weights, freqs, gains, tmp_path / "channel.png")
    profiles = interpret.temporal_profiles(maps)["attention_temporal"]
    assert profiles.shape[0] == 6 and profiles.shape[1] >= 128  # EEGNet pads to 129
    interpret.plot_temporal_by_class(profiles, y, ["left", "right"], 1.0, tmp_path / "time.png")
    assert (tmp_path / "channel.png").is_file() and (tmp_path / "time.png").is_file()
