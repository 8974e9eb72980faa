"""Every option is checked when it is made: type, range, finiteness, emptiness, each refusal
a ConfigError whose key is the option's ``section.name``."""

import math
import typing

import pytest

from bci_attn.config import SECTIONS, ConfigError, Option, RunConfig, all_options, parse_subjects
from bci_attn.config.schema import _optional, check_value, describe, join

OPTIONS = all_options()


def ids(options: list[Option]) -> list[str]:
    return [o.key for o in options]


def base_type(item: Option):
    return _optional(item.annotation)[0]


def wrong_type(item: Option):
    """A value of another type than the option takes."""
    kind = base_type(item)
    if typing.get_origin(kind) is typing.Literal:
        return "no-such-value"
    if typing.get_origin(kind) is tuple:
        return 2.5  # neither a list nor (for subjects) a range
    return {bool: "yes", int: 2.5, float: "fast", str: 3, dict: [1, 2]}[kind]


def make(item: Option, value):
    """The option's section made with ``value`` for it."""
    return SECTIONS[item.section](**{item.name: value})


def refusal(item: Option, value) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        make(item, value)
    return info.value


@pytest.mark.parametrize("item", OPTIONS, ids=ids(OPTIONS))
def test_every_option_refuses_a_value_of_another_type(item):
    error = refusal(item, wrong_type(item))
    assert error.key == item.key
    assert str(error).startswith(f"{item.key} must be {item.describe_type()}, got ")


@pytest.mark.parametrize("item", OPTIONS, ids=ids(OPTIONS))
def test_every_default_passes_its_own_checks(item):
    assert check_value(item, item.default) == item.default
    assert getattr(SECTIONS[item.section](), item.name) == item.default


def past_bounds(item: Option) -> list:
    """Values just past each bound of a numeric option (lists of them for list options)."""
    spec = item.spec
    integral = base_type(item) is int or typing.get_args(base_type(item))[:1] == (int,)
    step = 1 if integral else 0.5
    values = []
    if spec.minimum is not None:
        values.append(spec.minimum - step)
    if spec.maximum is not None:
        values.append(spec.maximum + step)
    values += [bound for bound in (spec.above, spec.below) if bound is not None]
    if integral:
        values = [int(v) for v in values]
    if typing.get_origin(base_type(item)) is tuple:
        values = [[v] for v in values]
    return values


BOUNDED = [o for o in OPTIONS if past_bounds(o)]


@pytest.mark.parametrize("item", BOUNDED, ids=ids(BOUNDED))
def test_every_bounded_option_refuses_values_past_its_bounds(item):
    for value in past_bounds(item):
        error = refusal(item, value)
        assert error.key == item.key, value
        assert f"must be {item.describe_type()}" in error.problem


def test_bounds_are_inclusive_or_exclusive_as_declared():
    assert RunConfig.create(max_epochs=1).training.max_epochs == 1  # minimum 1 allowed
    assert RunConfig.create(label_smoothing=0.0).training.label_smoothing == 0.0
    with pytest.raises(ConfigError, match=r"must be a number >= 0 and < 1, got 1$"):
        RunConfig.create(label_smoothing=1.0)  # below 1: 1 itself refused
    with pytest.raises(ConfigError, match=r"must be a number > 0 and < 1 \(or null\), got 1.5"):
        RunConfig.create(swa_start=1.5)


FLOATS = [o for o in OPTIONS if base_type(o) is float]


@pytest.mark.parametrize("item", FLOATS, ids=ids(FLOATS))
def test_every_number_option_refuses_nan_and_infinity(item):
    for value in (math.nan, math.inf, -math.inf):
        error = refusal(item, value)
        assert error.key == item.key
        assert "not a finite number" in error.problem


NONEMPTY = [o for o in OPTIONS if o.spec.nonempty]


@pytest.mark.parametrize("item", NONEMPTY, ids=ids(NONEMPTY))
def test_every_option_that_must_not_be_empty_refuses_emptiness(item):
    empty = {str: "", dict: {}}.get(base_type(item), [])
    error = refusal(item, empty)
    assert error.key == item.key and error.problem.endswith("(empty)")


def test_values_are_stored_in_their_stored_form():
    config = RunConfig.create(
        subjects="1-3,7", classes=["a", "b"], lr=1, seeds=[2, 0, 2], calibration_trials=[8, 2]
    )
    assert config.data.subjects == (1, 2, 3, 7)
    assert config.data.classes == ("a", "b")
    assert config.training.lr == 1.0 and isinstance(config.training.lr, float)
    assert config.evaluation.seeds == (2, 0)  # duplicates dropped, order kept
    assert config.evaluation.calibration_trials == (2, 8)  # sizes sorted
    assert RunConfig.create(subjects=4).data.subjects == (4,)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "must be an int >= 1, got True"),  # a bool is no int
        (0, "must be an int >= 1, got 0"),
        ("64", "must be an int >= 1, got '64'"),
    ],
)
def test_a_refusal_shows_the_value_and_what_is_allowed(value, message):
    with pytest.raises(ConfigError) as info:
        RunConfig.create(batch_size=value)
    assert (info.value.key, info.value.problem) == ("training.batch_size", message)
    assert str(info.value) == f"training.batch_size {message}"


def test_subject_ranges():
    assert parse_subjects("1-3,7") == (1, 2, 3, 7)
    assert parse_subjects(" 5 , 2-3,3") == (2, 3, 5)
    assert parse_subjects(4) == (4,)
    with pytest.raises(ValueError, match="range 3-1 runs backwards"):
        parse_subjects("3-1")
    with pytest.raises(ConfigError, match=r"data.subjects must be .*\(ranges such as 1-10,12"):
        RunConfig.create(subjects="1-x")


def test_allowed_values_in_words():
    options = {o.key: o for o in OPTIONS}
    assert options["training.batch_size"].describe_type() == "an int >= 1"
    assert options["training.schedule"].describe_type() == "one of constant, cosine"
    assert options["data.tmax"].describe_type() == "a number > 0 (or null)"
    assert options["data.dataset"].describe_type() == "a non-empty string"
    assert describe(bool) == "true or false"


def test_a_problem_that_starts_with_a_colon_follows_the_key():
    assert join("model.attention_options", ": unknown option x") == (
        "model.attention_options: unknown option x"
    )
    error = ConfigError("data.fmin", "must be below data.fmax")
    assert (error.key, error.problem, str(error)) == (
        "data.fmin",
        "must be below data.fmax",
        "data.fmin must be below data.fmax",
    )
    assert isinstance(error, ValueError)
