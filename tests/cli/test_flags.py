"""Flags derived from the configuration's options: every option has one, in the form its
type asks for, and only the flags given are kept (files and the recipe keep the rest)."""

import typing

import pytest

from bci_attn.config import all_options

from .conftest import write_yaml

#: Options whose other value must come with another option (rules between options).
TOGETHER = {
    "data.fmax": (["--fmax", "30"], 30.0),  # below the Nyquist frequency of 128 Hz
    "training.swa_lr": (["--swa-start", "0.5", "--swa-lr", "0.01"], 0.01),
    "data.align_shrinkage": (
        ["--align", "euclidean", "--align-shrinkage", "ledoit-wolf"],
        "ledoit-wolf",
    ),
    "evaluation.ensemble": (["--ensemble", "--seed", "0", "1"], True),
    "execution.cluster": (["--cluster", "tcp://127.0.0.1:8786"], "tcp://127.0.0.1:8786"),
    "execution.cluster_config": (
        ["--cluster", "slurm", "--cluster-config", "slurm.yaml"],
        "slurm.yaml",
    ),
}


def _inner(annotation) -> typing.Any:
    """``X | None`` -> ``X``."""
    args = typing.get_args(annotation)
    if type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        return inner
    return annotation


def _number(option, inner):
    """A number other than the option's default, within its bounds."""
    spec, default = option.spec, option.default
    if inner is int:
        value = (default if default is not None else spec.minimum or 1) + 1
        return value if spec.maximum is None or value <= spec.maximum else default - 1
    value = default * 2 if default else 0.5
    if spec.maximum is not None and value > spec.maximum:
        value = default / 2
    return value


def example(option) -> tuple[list[str], typing.Any]:
    """Flag arguments giving ``option`` a value other than its default, and that value as
    ``--print_config`` shows it."""
    if option.key in TOGETHER:
        return TOGETHER[option.key]
    flag, form = option.flag, option.spec.form
    inner = _inner(option.annotation)
    if inner is bool:
        return ([f"--no-{flag[2:]}"], False) if option.default else ([flag], True)
    if typing.get_origin(inner) is typing.Literal:
        choice = next(c for c in typing.get_args(inner) if c != option.default)
        return [flag, choice], choice
    if form == "pairs":
        return [flag, "size=8", flag, "name=a"], {"size": 8, "name": "a"}
    if form == "nested":
        return [flag, "a.size=8", flag, "a.name=b"], {"a": {"size": 8, "name": "b"}}
    if form == "subjects":
        return [flag, "2-3,5"], [2, 3, 5]
    if typing.get_origin(inner) is tuple and form == "many":
        return [flag, "3", "5"], [3, 5]
    if typing.get_origin(inner) is tuple:
        return [flag, "A, B"], ["A", "B"]
    if inner in (int, float):
        value = _number(option, inner)
        return [flag, str(value)], value
    assert inner is str, f"add an example for {option.key} to TOGETHER"
    return [flag, "example"], "example"


OPTIONS = all_options()


@pytest.mark.parametrize("option", OPTIONS, ids=[o.key for o in OPTIONS])
def test_every_option_has_a_flag_that_sets_it(printed, option):
    args, value = example(option)
    section, name = option.key.split(".")
    default = printed("--recipe", "plain")[section][name]
    assert printed("--recipe", "plain", *args)[section][name] == value != default


def test_help_shows_every_flag_with_its_default_and_key(cli):
    out = " ".join(cli("run", "--help").out.split())
    for option in OPTIONS:
        assert option.flag in out
        assert f"{option.key})" in out
    assert "(default: loso; evaluation.protocol)" in out


def test_subject_ranges(printed):
    document = printed("--subjects", "1-3,7", "--train-subjects", "4-5")
    assert document["data"]["subjects"] == [1, 2, 3, 7]
    assert document["evaluation"]["train_subjects"] == [4, 5]


def test_key_value_pairs_are_read_as_yaml_and_repeatable(printed):
    document = printed(
        *("--attn", "se", "--attn-opt", "reduction=8", "--attn-opt", "variant=official"),
        *("--backbone-opt", "drop_prob=0.25", "--attn-opt", "bias=true"),
    )
    assert document["model"]["attention_options"] == {
        "reduction": 8, "variant": "official", "bias": True,
    }  # fmt: skip
    assert document["model"]["backbone_options"] == {"drop_prob": 0.25}


def test_nested_name_key_value_pairs(printed):
    document = printed(
        *("--augment", "time_shift,frequency_shift", "--augment-opt", "time_shift.max_shift=0.2"),
        *("--augment-opt", "frequency_shift.max_shift=3"),
    )
    assert document["training"]["augment_options"] == {
        "time_shift": {"max_shift": 0.2},
        "frequency_shift": {"max_shift": 3},
    }


def test_several_values_after_one_flag(printed):
    document = printed("--seed", "2", "0", "2", "--calibration-trials", "10", "5")
    assert document["evaluation"]["seeds"] == [2, 0]  # in order, once each
    assert document["evaluation"]["calibration_trials"] == [5, 10]  # sorted


def test_comma_separated_lists(printed):
    document = printed("--classes", "left_hand,right_hand", "--channels", "C3, Cz,C4")
    assert document["data"]["classes"] == ["left_hand", "right_hand"]
    assert document["data"]["channels"] == ["C3", "Cz", "C4"]


def test_booleans_have_a_no_form(printed, tmp_path):
    assert printed("--no-channels-last")["execution"]["channels_last"] is False
    assert printed("--offline")["data"]["offline"] is True
    path = write_yaml(tmp_path / "c.yaml", {"execution": {"channels_last": False}})
    assert printed("--config", path, "--channels-last")["execution"]["channels_last"] is True


def test_none_clears_an_optional_value_a_file_sets(printed, tmp_path):
    path = write_yaml(tmp_path / "c.yaml", {"data": {"tmax": 2.0, "n_classes": 2}})
    document = printed("--config", path, "--tmax", "none", "--n-classes", "null")
    assert document["data"]["tmax"] is None and document["data"]["n_classes"] is None
    assert printed("--resample", "none")["data"]["resample"] is None


def test_only_the_flags_given_are_kept(printed, tmp_path):
    path = write_yaml(
        tmp_path / "c.yaml",
        {"training": {"batch_size": 16, "lr": 0.01, "schedule": "cosine"}, "recipe": "plain"},
    )
    from_file = printed("--config", path)
    with_flag = printed("--config", path, "--max-epochs", "5")
    assert with_flag["training"] == {**from_file["training"], "max_epochs": 5}
    assert {k: v for k, v in with_flag.items() if k != "training"} == {
        k: v for k, v in from_file.items() if k != "training"
    }


def test_flags_sit_on_top_of_the_recipe(printed):
    assert printed("--recipe", "cross-subject")["training"]["batch_size"] == 16
    assert (
        printed("--recipe", "cross-subject", "--batch-size", "64")["training"]["batch_size"] == 64
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--attn-opt", "reduction"], "--attn-opt: invalid option 'reduction': use KEY=VALUE"),
        (["--augment-opt", "max_shift=1"], "use NAME.KEY=VALUE, e.g. time_shift.max_shift=0.2"),
        (["--seed", "x"], "argument --seed: invalid int value: 'x'"),
        (["--align", "sideways"], "argument --align: invalid choice: 'sideways'"),
        (["--epochs", "3"], "unrecognized arguments: --epochs 3"),
        (["--batch-size", "0"], "--batch-size must be an int >= 1, got 0"),
        (["--lr", "nan"], "--lr must be a number > 0 and <= 10, got nan"),
        (["--classes", "left_hand"], "--classes must name at least two classes"),
        (["--swa-lr", "0.1"], "--swa-lr goes with "),
        (["--fmin", "40"], "--fmin must be below "),
    ],
)
def test_a_bad_flag_is_named_in_one_line(cli, tmp_path, args, message):
    line = cli("run", *args, "--out", tmp_path / "run").error
    assert line.startswith("bci-attn run: error: ") and message in line
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--protocol", "kfold"], "--protocol must be one of holdout, "),
        (["--fmin", "40"], "--fmin must be below --fmax (38), got 40"),
        (["--swa-lr", "0.1"], "--swa-lr goes with --swa-start"),
    ],
)
def test_every_option_in_a_message_is_named_by_its_flag(cli, args, message):
    assert message in cli("run", *args).error
