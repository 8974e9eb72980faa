"""The cross-subject recipe: augmentation, label smoothing, SWA, the seeds' ensemble, named
recipes and electrode subsets."""

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from bci_attn import experiment, sweep
from bci_attn.augmentation import available, make_augmentation, time_shift
from bci_attn.config import load_config
from bci_attn.experiment import RunConfig, prepare, run_experiment, train_fold
from bci_attn.models import build_model
from bci_attn.recipes import RECIPES, Recipe, resolve_recipe
from bci_attn.report import write_report
from bci_attn.results import RunFolder, ensemble_results
from bci_attn.run import main
from bci_attn.selection import read_spec
from bci_attn.stats import ENSEMBLE, compare_with_baseline
from bci_attn.training import DecodingModule, mixed_cross_entropy

TINY = dict(dataset="synthetic", subjects=[1, 2, 3], n_classes=2, tmax=1.0, max_epochs=2)


@pytest.mark.parametrize("name", available())
def test_every_augmentation_keeps_shapes_and_labels(name):
    torch.manual_seed(0)
    X, y = torch.randn(8, 4, 250), torch.tensor([0, 1] * 4)
    augment = make_augmentation([name], sfreq=250.0, probability=1.0, random_state=0)
    out, target = augment(X, y)
    assert out.shape == X.shape and out.dtype == X.dtype
    if name == "mixup":
        y_a, y_b, lam = target  # the trial's own labels come first, mixed with others'
        assert torch.equal(y_a, y) and sorted(y_b.tolist()) == sorted(y.tolist())
        assert ((lam >= 0) & (lam <= 1)).all()
    else:
        assert torch.equal(target, y)
    assert not torch.equal(out, X)


def test_time_shift_delays_and_advances_with_zeros():
    X = torch.arange(1.0, 6.0).repeat(2, 1, 1)  # (2 trials, 1 electrode, 5 samples)
    out, _ = time_shift(X, torch.zeros(2), torch.tensor([2, -1]))
    assert out[0, 0].tolist() == [0, 0, 1, 2, 3]
    assert out[1, 0].tolist() == [2, 3, 4, 5, 0]


def test_augmentation_options_are_in_seconds_and_hz():
    shift = make_augmentation(
        ["time_shift"], sfreq=200.0, options={"time_shift": {"max_shift": 0.05}}
    )
    mask = make_augmentation(["smooth_time_mask"], sfreq=100.0)
    assert shift.transforms[0].max_shift == 10
    assert mask.transforms[0].mask_len_samples == 20  # the default 0.2 s at 100 Hz


@pytest.mark.parametrize(
    "names, options, probability, message",
    [
        (["time_warp"], {}, 0.5, "unknown augmentation 'time_warp'; available: time_shift"),
        (["sign_flip", "sign_flip"], {}, 0.5, "lists an augmentation twice"),
        (["sign_flip"], {}, 1.5, "--augment-probability must be in [0, 1]"),
        (["sign_flip"], {"time_shift": {"max_shift": 1}}, 0.5, "which is not in --augment"),
        (["time_shift"], {"time_shift": {"width": 1}}, 0.5, "takes: max_shift"),
        (["channels_dropout"], {"channels_dropout": {"p_drop": 2}}, 0.5, "at most 1"),
        (["gaussian_noise"], {"gaussian_noise": {"std": -1}}, 0.5, "a positive number"),
    ],
)
def test_bad_augmentation_settings_are_named(names, options, probability, message):
    config = RunConfig(augment=names, augment_options=options, augment_probability=probability)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        config.validate()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--augment", "mixup,sign_flip"], "mixup mixes the labels, so it must come last"),
        (["--augment-opt", "max_shift=1"], "use augmentation.key=value"),
        (["--label-smoothing", "1"], "--label-smoothing must be in [0, 1)"),
        (["--swa-start", "0.5", "--select", "best"], "it takes --select last"),
        (["--swa-start", "1.5"], "fraction of --max-epochs in (0, 1)"),
        (["--swa-lr", "0.01"], "--swa-lr goes with --swa-start"),
        (["--ensemble"], "give at least two --seed values"),
        (["--augment", "sign_flip", "--parallel-folds", "2"], "--parallel-folds trains plainly"),
    ],
)
def test_cli_rejects_bad_recipes_with_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--dataset", "synthetic", *argv])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_augmentation_and_label_smoothing_act_in_training_only():
    torch.manual_seed(0)
    model = build_model("eegnet", n_chans=4, n_times=128, n_outputs=2, sfreq=128)
    module = DecodingModule(
        model,
        2,
        augment=["gaussian_noise"],
        augment_probability=1.0,
        sfreq=128.0,
        label_smoothing=0.2,
    )
    logged = {}
    module.log_dict = lambda metrics, **kwargs: logged.update(metrics)
    module.eval()  # no dropout: the model is a fixed function of its input
    X, y = torch.randn(6, 4, 128), torch.tensor([0, 1] * 3)
    seen = []
    model.register_forward_pre_hook(lambda m, args: seen.append(args[0].clone()))
    loss = module.training_step((X, y), 0)
    assert not torch.equal(seen[-1], X)  # the training batch was augmented
    smoothed = torch.nn.functional.cross_entropy(model(seen[-1]), y, label_smoothing=0.2)
    torch.testing.assert_close(loss, smoothed)
    module.validation_step((X, y), 0)
    assert torch.equal(seen[-1], X)
    torch.testing.assert_close(
        logged["val_loss"], torch.nn.functional.cross_entropy(model(X), y)
    )  # plain loss, no smoothing
    assert torch.equal(module.predict_step((X, y), 0), model(X))


def test_mixed_cross_entropy_weighs_the_two_label_sets():
    logits, y_a, y_b = (
        torch.randn(5, 3),
        torch.tensor([0, 1, 2, 0, 1]),
        torch.tensor([2, 2, 1, 1, 0]),
    )
    ce = torch.nn.functional.cross_entropy
    torch.testing.assert_close(mixed_cross_entropy(logits, y_a), ce(logits, y_a))
    lam = torch.tensor([1.0, 0.0, 0.5, 0.25, 1.0])
    expected = (
        lam * ce(logits, y_a, reduction="none") + (1 - lam) * ce(logits, y_b, reduction="none")
    ).mean()
    torch.testing.assert_close(mixed_cross_entropy(logits, (y_a, y_b, lam)), expected)


def test_swa_batchnorm_statistics_come_from_training_trials_only(tmp_path, monkeypatch):
    config = RunConfig(**TINY, swa_start=0.5, seeds=[0], out=str(tmp_path))
    data, folds = prepare(config)
    fold = folds[0]
    # Make the held-out trials unmistakable: any statistic taken on them would be huge.
    data.X[fold.test] += 1e3
    data.X[fold.valid] -= 1e3
    seen_in_training = []
    build = experiment.make_model

    def spied(config, data):
        model = build(config, data)
        model.register_forward_pre_hook(
            lambda m, args: (
                seen_in_training.append(float(args[0].abs().mean())) if m.training else None
            )
        )
        return model

    monkeypatch.setattr(experiment, "make_model", spied)
    result = train_fold(config, data, fold, 0, RunFolder(tmp_path))
    # Two training epochs, then Lightning's extra pass that re-estimates BatchNorm for the
    # averaged weights: every pass in training mode saw z-scored training trials only.
    assert result["epochs"] == 3
    assert seen_in_training and max(seen_in_training) < 10


def test_ensemble_averages_the_seeds_probabilities():
    def result(seed, probabilities):
        row = {"subject": 1, "n_calibration": 0, "labels": [0, 1, 1]}
        row |= {"probabilities": probabilities, "accuracy": 0.0, "kappa": 0.0}
        return {"fold": "subject1", "subject": 1, "seed": seed, "rows": [row]}

    members = [
        result(0, [[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]]),  # 2 of 3 right
        result(1, [[0.4, 0.6], [0.1, 0.9], [0.45, 0.55]]),  # 2 of 3 right
    ]
    (combined,) = ensemble_results(members)
    row = combined["rows"][0]
    assert combined["seed"] == [0, 1]
    assert row["predictions"] == [0, 1, 1] and row["accuracy"] == 1.0
    np.testing.assert_allclose(row["probabilities"][0], [0.65, 0.35])
    del members[1]["rows"][0]["probabilities"]
    with pytest.raises(ValueError, match="no class probabilities"):
        ensemble_results(members)


def test_ensemble_run_reports_the_combined_models(tmp_path):
    config = RunConfig(**TINY, augment=["sign_flip", "mixup"], seeds=[0, 1], ensemble=True)
    summary = run_experiment(replace(config, out=str(tmp_path), quiet=True), echo=lambda *a: None)
    stored = json.loads((tmp_path / "summary.json").read_text())
    assert len(summary["ensemble"]) == 3
    assert stored["ensemble"]["accuracy_mean"] == pytest.approx(
        summary["ensemble"]["accuracy"].mean()
    )
    assert (tmp_path / "ensemble.csv").is_file()
    assert "Ensemble of the seeds' models" in (tmp_path / "summary.md").read_text()


def test_recipe_options_read_from_a_config_file(tmp_path, capsys):
    path = tmp_path / "recipe.yaml"
    path.write_text(
        "model:\n  augment: [time_shift, mixup]\n"
        "  augment_options: {time_shift: {max_shift: 0.2}}\n  label_smoothing: 0.1\n"
        "run:\n  swa_start: 0.75\n  seeds: [0, 1]\n  ensemble: true\n"
    )
    assert main(["--config", str(path), "--print_config"]) == 0
    printed = capsys.readouterr().out
    for text in ("- time_shift", "max_shift: 0.2", "label_smoothing: 0.1", "swa_start: 0.75"):
        assert text in printed
    assert (
        main(
            ["--config", str(path), "--augment-opt", "time_shift.max_shift=0.3", "--print_config"]
        )
        == 0
    )
    assert "max_shift: 0.3" in capsys.readouterr().out


def test_ensemble_is_paired_with_the_baseline_mean_over_seeds():
    rows = []
    for subject in range(1, 7):
        for seed, accuracy in ((0, 0.5), (1, 0.7)):
            rows.append(("none", f"subject{subject}", subject, seed, accuracy))
        rows.append(("+ensemble", f"subject{subject}", subject, ENSEMBLE, 0.6 + 0.01 * subject))
    table = pd.DataFrame(rows, columns=["attention", "fold", "subject", "seed", "accuracy"])
    table = table.assign(dataset="d", backbone="b", protocol="loso", kappa=0.0)
    (row,) = compare_with_baseline(table).itertuples()
    assert row.n_pairs == 6  # one pair per fold: the ensemble against the seeds' mean
    assert row.delta == pytest.approx(np.mean([0.01 * s for s in range(1, 7)]))


def test_sweep_entries_change_the_recipe_and_score_ensembles(tmp_path, monkeypatch):
    spec = {
        "out": str(tmp_path / "ablation"),
        "settings": {"data": {"subjects": "1-3", "n_classes": 2, "tmax": 1.0}},
        "grid": {
            "dataset": ["synthetic"],
            "protocol": ["loso"],
            "attention": [
                "none",
                {"name": "+ensemble", "attention": "none", "run": {"ensemble": True}},
            ],
            "seeds": [0, 1],
        },
        "statistics": {"test": "permutation"},
    }
    path = tmp_path / "ablation.yaml"
    path.write_text(
        yaml.safe_dump({**spec, "settings": {**spec["settings"], "trainer": {"max_epochs": 1}}})
    )
    cells = sweep.expand(sweep.read_spec(str(path)), str(path))
    assert [c.config.ensemble for c in cells] == [False, True]
    # the ensemble cell scores the baseline's models: one folder, trained once
    assert cells[1].config.out == cells[0].config.out
    trained: list = []
    monkeypatch.setattr(
        experiment, "train_fold", lambda *a, **k: trained.append(a[2].name) or train_fold(*a, **k)
    )
    table = sweep.run_sweep(str(path), echo=lambda *a: None).set_index("attention")
    assert len(trained) == 3 * 2  # 3 folds x 2 seeds, once
    assert table.loc["+ensemble", "n_seeds"] == 1 and table.loc["+ensemble", "n_pairs"] == 3
    loaded, _ = sweep.load_cells(tmp_path / "ablation")  # what the report reads
    assert [c.config.ensemble for c in loaded] == [False, True]
    stored = json.loads((Path(cells[1].config.out) / "summary.json").read_text())
    assert table.loc["+ensemble", "accuracy_mean"] == pytest.approx(
        stored["ensemble"]["accuracy_mean"]
    )
    report = write_report(tmp_path / "ablation", echo=lambda *a: None).read_text()
    assert "+ensemble" in report
    bad = {**spec, "grid": {**spec["grid"], "attention": [{"attention": "none", "optim": {}}]}}
    path.write_text(yaml.safe_dump(bad))
    with pytest.raises(ValueError, match="unknown key 'grid.attention.optim'.*model, data"):
        sweep.expand(sweep.read_spec(str(path)), str(path))


# --- named recipes --------------------------------------------------------------------------

#: A stand-in for the cross-subject recipe, so these tests do not depend on its values.
TEST_RECIPE = Recipe("test", {"batch_size": 16, "align": "euclidean", "augment": ["sign_flip"]})


def printed_config(argv: list[str], capsys) -> dict:
    assert main(["--dataset", "synthetic", *argv, "--print_config"]) == 0
    return yaml.safe_load(capsys.readouterr().out)


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
def test_auto_recipe_is_cross_subject_for_unseen_test_subjects(protocol, expected):
    assert resolve_recipe("auto", protocol) == expected
    assert resolve_recipe("plain", protocol) == "plain"


def test_recipe_values_sit_under_config_files_and_flags(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(RECIPES, "cross-subject", TEST_RECIPE)
    loso = printed_config([], capsys)
    assert loso["run"]["recipe"] == "cross-subject"
    assert (loso["data"]["batch_size"], loso["data"]["align"]) == (16, "euclidean")
    assert loso["model"]["augment"] == ["sign_flip"]
    assert printed_config(["--batch-size", "64"], capsys)["data"]["batch_size"] == 64
    path = tmp_path / "run.yaml"
    path.write_text("data: {batch_size: 32}\n")
    from_file = printed_config(["--config", str(path)], capsys)
    assert (from_file["data"]["batch_size"], from_file["data"]["align"]) == (32, "euclidean")
    assert (
        printed_config(["--config", str(path), "--batch-size", "8"], capsys)["data"]["batch_size"]
        == 8
    )
    for argv in (["--recipe", "plain"], ["--protocol", "within-session"]):
        plain = printed_config(argv, capsys)
        assert plain["run"]["recipe"] == "plain"
        assert (plain["data"]["batch_size"], plain["model"]["augment"]) == (64, [])
    path.write_text("run: {recipe: plain}\n")
    assert printed_config(["--config", str(path)], capsys)["data"]["batch_size"] == 64


def test_config_files_sweeps_and_selections_start_from_the_recipe(tmp_path, monkeypatch):
    monkeypatch.setitem(RECIPES, "cross-subject", TEST_RECIPE)
    path = tmp_path / "run.yaml"
    path.write_text("data: {dataset: synthetic, batch_size: 32}\n")
    config = load_config(path)
    assert (config.recipe, config.batch_size, config.align) == ("cross-subject", 32, "euclidean")
    spec = {
        "out": str(tmp_path / "sweep"),
        "grid": {
            "dataset": ["synthetic"],
            "protocol": ["loso", "within-session"],
            "attention": [
                "none",
                {"name": "plain", "attention": "none", "run": {"recipe": "plain"}},
            ],
        },
    }
    path.write_text(yaml.safe_dump(spec))
    cells = sweep.expand(sweep.read_spec(str(path)), str(path))
    recipes = {(c.protocol, c.attention): (c.config.recipe, c.config.batch_size) for c in cells}
    assert recipes == {
        ("loso", "none"): ("cross-subject", 16),
        ("loso", "plain"): ("plain", 64),
        ("within-session", "none"): ("plain", 64),
        ("within-session", "plain"): ("plain", 64),
    }


def test_bad_recipe_names_are_refused_with_the_names_allowed(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--dataset", "synthetic", "--recipe", "fancy"])
    assert exit_.value.code == 2 and "invalid choice: 'fancy'" in capsys.readouterr().err
    path = tmp_path / "run.yaml"
    path.write_text("run: {recipe: fancy}\n")
    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(path)])
    assert exit_.value.code == 2
    assert "run.recipe must be one of auto, plain, cross-subject" in capsys.readouterr().err
    with pytest.raises(ValueError, match="recipes: auto, plain, cross-subject"):
        resolve_recipe("fancy", "loso")


def test_the_cross_subject_recipe_is_what_the_committed_selection_recommends():
    root = Path(__file__).resolve().parents[1] / "experiments"
    text = (root / "recipe_selection" / "selection.md").read_text()
    (name,) = re.findall(r"Recommended default: `([^`]+)`", text)
    spec = read_spec(str(root / "recipe_selection.yaml"))
    (candidate,) = [c for c in spec.candidates if c.name == name]
    assert RECIPES["cross-subject"].settings == candidate.overrides


# --- electrode subsets ----------------------------------------------------------------------


def test_channels_keeps_the_electrodes_named_in_their_order():
    data, _ = prepare(RunConfig(**TINY))
    picked, _ = prepare(RunConfig(**TINY, channels=["C4", "Cz", "C3"]))
    assert picked.ch_names == ["C4", "Cz", "C3"] and picked.n_chans == 3
    index = [data.ch_names.index(c) for c in ("C4", "Cz", "C3")]
    np.testing.assert_array_equal(picked.X, data.X[:, index])


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        ("C3,T7", "has no electrode(s) T7; its electrodes: Fz, FC3"),
        ("C3,C3", "--channels names an electrode twice"),
    ],
)
def test_bad_channels_are_named_with_exit_2(channels, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(
            ["--dataset", "synthetic", "--subjects", "1-2", "--channels", channels, "--list-folds"]
        )
    assert exit_.value.code == 2 and message in capsys.readouterr().err
