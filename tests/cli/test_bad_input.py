"""Every option of the configuration, given bad values on the command line: exit status 2,
one line naming its flag and what is allowed, no traceback, and no file written.

The values are generated from the option's declaration (its type, bounds, emptiness and
form), so an option added to ``bci_attn/config/sections.py`` is tested here at once."""

from __future__ import annotations

import typing
from typing import Literal

import pytest

from bci_attn.config import Option, all_options
from bci_attn.config.schema import _optional

#: Options that name something a registry or a dataset must know: a made-up name.
NAMED = {
    "data.dataset": "NoSuchDataset",
    "model.backbone": "nosuchnet",
    "model.attention": "nosuchattention",
    "evaluation.protocol": "nosuchprotocol",
    "training.augment": "nosuchaugmentation",
    "model.attention_at": "nowhere",
    "data.channels": "NotAnElectrode",
    "data.classes": "nosuchclass,left_hand",
    "evaluation.train_dataset": "NoSuchDataset",
    "execution.cluster": "nosuchcluster",
}


def _bounds(option: Option, number: type) -> list[str]:
    spec, values = option.spec, []
    if spec.minimum is not None:
        values.append(str(number(spec.minimum) - 1))
    if spec.above is not None:
        values.append(str(number(spec.above)))
    if spec.maximum is not None:
        values.append(str(number(spec.maximum) * 10 + 1))
    if spec.below is not None:
        values.append(str(number(spec.below)))
    return values


def invalid_values(option: Option) -> list[str]:
    """Values the option refuses, as the command line would give them."""
    inner, _ = _optional(option.annotation)
    origin = typing.get_origin(inner)
    spec = option.spec
    values = [NAMED[option.key]] if option.key in NAMED else []
    if spec.form == "pairs":
        return [*values, "novalue", "=1"]
    if spec.form == "nested":
        return [*values, "noname=1", "x.=1"]
    if spec.form == "subjects":
        return [*values, "1-x", "0", "3-1"]
    if origin is Literal:
        return [*values, "nope"]
    if origin is tuple:
        item = typing.get_args(inner)[0]
        if item in (int, float):
            return [*values, "abc", *_bounds(option, item)]
        return [*values, ","] if spec.nonempty else values
    if inner is int:
        return [*values, "abc", "1.5", "nan", *_bounds(option, int)]
    if inner is float:
        return [*values, "abc", "nan", "inf", "-inf", *_bounds(option, float)]
    if inner is str:
        return [*values, ""] if spec.nonempty else values
    return values


CASES = [
    pytest.param(option, value, id=f"{option.flag}={value}")
    for option in all_options()
    for value in invalid_values(option)
]


def test_every_option_but_the_switches_has_bad_values():
    tested = {option.key for option, _ in (case.values for case in CASES)}
    switches = {o.key for o in all_options() if _optional(o.annotation)[0] is bool}
    assert {o.key for o in all_options()} - tested == switches


@pytest.mark.parametrize(("option", "value"), CASES)
def test_a_bad_value_is_refused_in_one_line_naming_the_flag(
    cli, tmp_path, monkeypatch, option, value
):
    monkeypatch.chdir(tmp_path)  # a default run folder would land here
    line = cli("run", "--executor", "sequential", f"{option.flag}={value}").error
    assert line.startswith("bci-attn run: error: ")
    assert option.flag in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "option", [o for o in all_options() if _optional(o.annotation)[0] is bool]
)
def test_a_switch_takes_no_value(cli, tmp_path, monkeypatch, option):
    monkeypatch.chdir(tmp_path)
    line = cli("run", f"{option.flag}=yes").error
    assert option.flag in line and "ignored explicit argument" in line
    assert list(tmp_path.iterdir()) == []
