"""The five sections and RunConfig: options placed by name, rules between options, and the
views that decide which runs compute alike."""

import dataclasses

import pytest

from bci_attn.config import (
    SECTIONS,
    ConfigError,
    DataConfig,
    RunConfig,
    TrainingConfig,
    all_options,
    section_of,
)

OPERATIONAL = [o for o in all_options() if not o.spec.affects_results]


def test_option_names_are_unique_across_sections_so_names_place_them():
    names = [o.name for o in all_options()]
    assert len(names) == len(set(names))
    for item in all_options():
        assert section_of(item.name) == item.section
    assert list(SECTIONS) == ["data", "model", "training", "evaluation", "execution"]


def test_create_places_options_by_name():
    config = RunConfig.create(
        dataset="BNCI2014001", attention="cbam", max_epochs=10, protocol="within-session",
        accelerator="cpu", recipe="cross-subject",
    )  # fmt: skip
    assert config.data.dataset == "BNCI2014001"
    assert config.model.attention == "cbam"
    assert config.training.max_epochs == 10
    assert config.evaluation.protocol == "within-session"
    assert config.execution.accelerator == "cpu"
    assert config.recipe == "cross-subject"
    assert RunConfig.create() == RunConfig()


def test_an_unknown_option_name_lists_the_options():
    with pytest.raises(ValueError, match="unknown option 'max_epoch'; options: dataset, subjects"):
        RunConfig.create(max_epoch=3)
    with pytest.raises(ValueError, match="unknown option 'epochs'"):
        RunConfig().replace(epochs=3)


def test_replace_changes_only_what_it_names_and_the_original_stays():
    first = RunConfig.create(dataset="synthetic", lr=0.01, seeds=[0, 1])
    second = first.replace(lr=0.02, attention="se")
    assert (second.training.lr, second.model.attention) == (0.02, "se")
    assert second.data == first.data and second.evaluation == first.evaluation
    assert first.training.lr == 0.01 and first.model.attention == "none"
    assert first.replace(recipe="cross-subject").recipe == "cross-subject"
    assert first.replace().recipe == first.recipe
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.training.lr = 1.0


def test_replace_checks_the_new_values():
    with pytest.raises(ConfigError) as info:
        RunConfig().replace(max_epochs=0)
    assert info.value.key == "training.max_epochs"


def test_a_section_of_another_type_is_refused():
    with pytest.raises(ConfigError, match="data must be a DataConfig") as info:
        RunConfig(data=TrainingConfig())
    assert info.value.key == "data"


@pytest.mark.parametrize(
    ("values", "key", "message"),
    [
        (dict(fmin=40.0), "data.fmin", "must be below data.fmax (38), got 40"),
        (dict(tmin=2.0, tmax=1.0), "data.tmax", "must be above data.tmin (2), got 1"),
        (dict(resample=64.0), "data.fmax", "Nyquist frequency of data.resample 64 Hz (32 Hz)"),
        (dict(classes=["left_hand"]), "data.classes", "must name at least two classes"),
        (dict(classes=["a", "b"], n_classes=3), "data.n_classes", "disagrees with data.classes"),
        (dict(warmup_epochs=30), "training.warmup_epochs", "below training.max_epochs (30)"),
        (dict(swa_lr=0.01), "training.swa_lr", "goes with training.swa_start"),
        (dict(swa_start=0.5, select="best"), "training.swa_start", "training.select last"),
        (dict(swa_start=0.5, patience=3), "training.swa_start", "no training.patience"),
        (dict(augment=["mixup", "sign_flip"]), "training.augment", "so it must come last"),
        (dict(augment=["sign_flip"] * 2), "training.augment", "lists an augmentation twice"),
        (dict(ensemble=True), "evaluation.ensemble", "give at least two evaluation.seeds"),
        (
            dict(parallel_folds=2, patience=3),
            "execution.parallel_folds",
            "trains a fixed number of epochs: it takes training.select last",
        ),
        (dict(parallel_folds=2, select="best"), "execution.parallel_folds", "fixed number"),
        (
            dict(parallel_folds=2, augment=["sign_flip"]),
            "execution.parallel_folds",
            "trains plainly: it takes no training.augment",
        ),
        (dict(parallel_folds=2, label_smoothing=0.1), "execution.parallel_folds", "plainly"),
        (dict(parallel_folds=2, devices=2), "execution.parallel_folds", "execution.devices 1"),
        (dict(cluster="gpu-box"), "execution.cluster", "must be local, slurm or a Dask sched"),
        (dict(cluster="slurm"), "execution.cluster_config", "slurm needs it"),
        (dict(cluster_config="s.yaml"), "execution.cluster_config", "goes with execution.cl"),
        (
            dict(executor="sequential", cluster="tcp://h:8786"),
            "execution.cluster",
            "which the sequential executor does not use",
        ),
    ],
)
def test_rules_between_options_name_the_option(values, key, message):
    with pytest.raises(ConfigError) as info:
        RunConfig.create(**values)
    assert info.value.key == key
    assert message in info.value.problem


def test_the_parallel_folds_refusal_names_a_recipe_that_sets_what_it_refuses():
    with pytest.raises(ConfigError, match="the cross-subject recipe may set some of them"):
        RunConfig.create(recipe="cross-subject", parallel_folds=2, swa_start=0.5)
    with pytest.raises(ConfigError) as info:
        RunConfig.create(parallel_folds=2, swa_start=0.5)
    assert "recipe" not in info.value.problem


def test_attention_names_are_read_in_any_case():
    assert RunConfig.create(attention=" CBAM ").model.attention == "cbam"


def test_plain_training_has_no_augmentation_smoothing_or_averaging():
    assert TrainingConfig().plain
    for changed in (dict(augment=["sign_flip"]), dict(label_smoothing=0.1), dict(swa_start=0.5)):
        assert not TrainingConfig(**changed).plain


def test_create_applies_the_recipe_it_names_for_the_dataset():
    physionet = RunConfig.create(recipe="cross-subject", dataset="PhysionetMI")
    assert (physionet.training.batch_size, physionet.data.executed) == (16, True)
    assert not RunConfig.create(recipe="cross-subject").data.executed  # synthetic: none
    assert RunConfig.create(recipe="cross-subject", batch_size=32).training.batch_size == 32
    assert RunConfig.create().training.batch_size == RunConfig().training.batch_size
    assert RunConfig.create(recipe="auto", protocol="loso").recipe == "cross-subject"
    with pytest.raises(ValueError, match="unknown recipe 'fast'; recipes: auto, "):
        RunConfig.create(recipe="fast")


def test_to_dict_holds_every_option_by_section_and_the_recipe():
    document = RunConfig.create(subjects=[1, 2], recipe="cross-subject").to_dict()
    assert document["recipe"] == "cross-subject"
    assert document["data"]["subjects"] == [1, 2]  # plain data: lists, not tuples
    for name, cls in SECTIONS.items():
        assert set(document[name]) == {f.name for f in dataclasses.fields(cls)}
    assert set(RunConfig().flat()) == {o.name for o in all_options()}


def test_computed_holds_exactly_the_options_that_change_results():
    computed = RunConfig().computed()
    assert list(computed) == list(SECTIONS)
    for name in SECTIONS:
        expected = {o.name for o in all_options() if o.section == name and o.spec.affects_results}
        assert set(computed[name]) == expected
    assert "lr" in computed["training"] and "seeds" not in computed["evaluation"]


#: Another valid value of every option that does not change results (with what it needs).
OTHER_VALUES = {
    "data.data_dir": dict(data_dir="/data/mne"),
    "data.cache_dir": dict(cache_dir="/tmp/elsewhere"),
    "data.offline": dict(offline=True),
    "evaluation.seeds": dict(seeds=[3, 4]),
    "evaluation.ensemble": dict(seeds=[0, 1], ensemble=True),
    "execution.accelerator": dict(accelerator="cpu"),
    "execution.devices": dict(devices=2),
    "execution.channels_last": dict(channels_last=False),
    "execution.compile": dict(compile=True),
    "execution.parallel_folds": dict(parallel_folds=4),
    "execution.logger": dict(logger="tensorboard"),
    "execution.out": dict(out="runs/other"),
    "execution.quiet": dict(quiet=True),
    "execution.executor": dict(executor="sequential"),
    "execution.cluster": dict(cluster="tcp://127.0.0.1:8786"),
    "execution.cluster_config": dict(cluster="slurm", cluster_config="slurm.yaml"),
    "execution.workers": dict(workers=2),
    "execution.threads_per_unit": dict(threads_per_unit=2),
    "execution.units_per_gpu": dict(units_per_gpu=2),
    "execution.retries": dict(retries=0),
}


def test_every_operational_option_has_another_value_here():
    assert set(OTHER_VALUES) == {o.key for o in OPERATIONAL}


@pytest.mark.parametrize("key", sorted(OTHER_VALUES))
def test_options_that_do_not_change_results_leave_the_fingerprint_alone(key):
    base = RunConfig.create(dataset="synthetic", seeds=[0, 1])
    other = base.replace(**OTHER_VALUES[key])
    assert other != base
    assert other.fingerprint() == base.fingerprint()
    assert other.computed() == base.computed()


@pytest.mark.parametrize(
    "values",
    [
        dict(lr=0.01),
        dict(attention="se"),
        dict(split_seed=1),
        dict(precision="bf16-mixed"),
        dict(subjects=[1, 2]),
        dict(recipe="plain", batch_size=16),
    ],
    ids=lambda values: ",".join(values),
)
def test_options_that_change_results_change_the_fingerprint(values):
    assert RunConfig().replace(**values).fingerprint() != RunConfig().fingerprint()


def test_equal_configurations_have_equal_fingerprints():
    first = RunConfig.create(subjects="1-3", lr=0.01)
    second = RunConfig(data=DataConfig(subjects=(1, 2, 3)), training=TrainingConfig(lr=0.01))
    assert first == second and first.fingerprint() == second.fingerprint()
