"""Declaring an option once: its default, type, help, allowed values and its effect.

Every option of a run is a field of one of the frozen dataclasses of
:mod:`bci_attn.config.sections`, declared with :func:`option`. Everything else derives from
that declaration: the command-line flags (:mod:`bci_attn.cli.flags`), the YAML keys of
configuration, sweep and selection files (:mod:`bci_attn.config.files`), LightningCLI's
arguments, the checks of a value (type, range, finiteness, emptiness: :func:`check_value`)
and whether two runs that differ in it compute the same thing (``affects_results``).

The type checks are written here rather than left to jsonargparse, which checks the same
types: a bad value must be reported in one line naming the YAML key or the flag that gave
it, with its allowed range, and a union mismatch there takes seven lines and knows no range.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal


class ConfigError(ValueError):
    """A value a configuration cannot take.

    Parameters
    ----------
    key : str
        The option's key, ``section.field`` (``training.batch_size``); the command line
        shows it as its flag, a file as its key.
    problem : str
        What is wrong and what is allowed, phrased to follow the key ("must be at least 1,
        got 0").
    """

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(join(key, problem))
        self.key = key
        self.problem = problem


def join(key: str, problem: str) -> str:
    """``key`` and ``problem`` as one sentence (a problem may start with a colon)."""
    return f"{key}{'' if problem.startswith(':') else ' '}{problem}"


@dataclass(frozen=True)
class Spec:
    """What an option is, besides its type and default.

    Attributes
    ----------
    help : str
        One sentence for ``--help``, the documentation and the configuration reference.
    affects_results : bool
        Whether two runs that differ in this option compute different results. Options that
        only say how, where or how verbosely a run is executed (devices, output folder,
        data folder, ...) or how finished results are scored (seeds chosen, ensembles) do
        not: a run folder may be resumed with other values of them.
    flag : str | None
        The command-line flag, when it is not ``--`` and the field's name with dashes.
    aliases : tuple of str
        Other flags accepted for it (earlier names).
    minimum, maximum : float | None
        Inclusive bounds of a number (of each number, for a list of numbers).
    above, below : float | None
        Exclusive bounds.
    nonempty : bool
        A string, list or mapping must not be empty.
    form : str | None
        How the command line writes the value when it is not the type's usual form:
        ``"subjects"`` (ranges such as ``1-10,12``), ``"pairs"`` (repeatable
        ``KEY=VALUE``), ``"nested"`` (repeatable ``NAME.KEY=VALUE``), ``"many"`` (several
        values after the flag).
    metavar : str | None
        Placeholder of the value in ``--help``.
    """

    help: str
    affects_results: bool = True
    flag: str | None = None
    aliases: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    above: float | None = None
    below: float | None = None
    nonempty: bool = False
    form: str | None = None
    metavar: str | None = None


def option(default: Any, help: str, **spec: Any) -> Any:
    """A dataclass field declaring an option (see :class:`Spec` for ``spec``).

    Lists and mappings given as defaults are stored as tuples and frozen dicts' copies, so
    that the configuration stays immutable.
    """
    metadata = {"spec": Spec(help, **spec)}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=metadata)
    if isinstance(default, list):
        return field(default=tuple(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Option:
    """An option as the interfaces see it: where it lives, its type, default and spec."""

    section: str
    name: str
    annotation: Any
    default: Any
    spec: Spec

    @property
    def key(self) -> str:
        """``section.name`` (``name`` for a top-level key), as in YAML files and messages."""
        return f"{self.section}.{self.name}" if self.section else self.name

    @property
    def flag(self) -> str:
        """The command-line flag."""
        return self.spec.flag or "--" + self.name.replace("_", "-")

    def describe_type(self) -> str:
        """The allowed values in words, for messages: ``an int >= 1``, ``one of a, b``."""
        return describe(self.annotation, self.spec)


def section_options(cls: type, section: str) -> list[Option]:
    """The options of one section dataclass ``cls``, in declaration order."""
    hints = typing.get_type_hints(cls)
    found = []
    for item in dataclasses.fields(cls):
        spec = item.metadata.get("spec")
        if spec is None:
            continue
        default = item.default_factory() if item.default is dataclasses.MISSING else item.default
        found.append(Option(section, item.name, hints[item.name], default, spec))
    return found


def _optional(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` -> ``(X, True)``; anything else -> ``(annotation, False)``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(annotation)) == 2:
            return args[0], True
    return annotation, False


def describe(annotation: Any, spec: Spec | None = None) -> str:
    """The values ``annotation`` (with ``spec``'s bounds) allows, in words."""
    inner, optional = _optional(annotation)
    origin = typing.get_origin(inner)
    if origin is Literal:
        text = "one of " + ", ".join(str(v) for v in typing.get_args(inner))
    elif origin is tuple:
        item = typing.get_args(inner)[0]
        text = f"a list of {_plural(item)}" + _bounds(spec)
        if spec is not None and spec.form == "subjects":
            text += " (ranges such as 1-10,12 accepted)"
    elif inner is dict:
        text = "a mapping"
    elif inner is bool:
        text = "true or false"
    else:
        text = {int: "an int", float: "a number", str: "a string"}.get(inner, str(inner))
        text += _bounds(spec)
        if spec is not None and spec.nonempty and inner is str:
            text = "a non-empty string"
    return text + (" (or null)" if optional else "")


def _plural(item: Any) -> str:
    return {int: "ints", float: "numbers", str: "strings", dict: "mappings"}.get(item, str(item))


def _bounds(spec: Spec | None) -> str:
    if spec is None:
        return ""
    parts = []
    for symbol, value in (
        (">=", spec.minimum),
        (">", spec.above),
        ("<=", spec.maximum),
        ("<", spec.below),
    ):
        if value is not None:
            parts.append(f"{symbol} {int(value) if float(value).is_integer() else value}")
    return (" " + " and ".join(parts)) if parts else ""


def parse_subjects(text: str | int) -> tuple[int, ...]:
    """``"1-3,7"`` -> ``(1, 2, 3, 7)``; ValueError on anything else."""
    numbers: list[int] = []
    for part in str(text).split(","):
        low, _, high = part.strip().partition("-")
        first, last = int(low), int(high or low)
        if last < first:
            raise ValueError(f"range {part.strip()} runs backwards")
        numbers.extend(range(first, last + 1))
    return tuple(sorted(set(numbers)))


def check_value(option: Option, value: Any) -> Any:
    """``value`` checked against ``option`` and brought to its stored form.

    Lists become tuples, ints given for floats become floats, subject ranges become
    tuples of subjects. Raises :class:`ConfigError` naming the option's key.
    """

    def refuse(reason: str = "") -> ConfigError:
        allowed = option.describe_type()
        shown = repr(value) if not isinstance(value, float) else f"{value:g}"
        return ConfigError(option.key, f"must be {allowed}, got {shown}{reason}")

    annotation, optional = _optional(option.annotation)
    if value is None:
        if optional:
            return None
        if annotation is dict:  # an empty mapping written as null
            return {}
        raise refuse()
    try:
        stored = _typed(value, annotation, option.spec)
    except (TypeError, ValueError) as error:
        raise refuse(f" ({error})" if str(error) else "") from None
    _check_bounds(option, stored, refuse)
    return stored


def _typed(value: Any, annotation: Any, spec: Spec) -> Any:
    """``value`` as ``annotation`` (TypeError/ValueError when it is not one)."""
    origin = typing.get_origin(annotation)
    if origin is Literal:
        if value not in typing.get_args(annotation):
            raise ValueError
        return value
    if origin is tuple:
        if (
            spec.form == "subjects"
            and isinstance(value, str | int)
            and not isinstance(value, bool)
        ):
            return parse_subjects(value)
        if isinstance(value, str) and typing.get_args(annotation)[0] is str:
            # names written as one comma-separated string, as on the command line
            value = [item.strip() for item in value.split(",") if item.strip()]
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            raise TypeError
        (item,) = typing.get_args(annotation)[:1]
        return tuple(_scalar(v, item) for v in value)
    return _scalar(value, annotation)


def _scalar(value: Any, annotation: Any) -> Any:
    if annotation is bool:
        if not isinstance(value, bool):
            raise TypeError
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError
        return int(value)
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return float(value)
    if annotation is str:
        if not isinstance(value, str):
            raise TypeError
        return value
    if annotation is dict:
        if not isinstance(value, dict):
            raise TypeError
        return dict(value)
    raise TypeError(f"unsupported option type {annotation}")


def _check_bounds(option: Option, stored: Any, refuse) -> None:
    spec = option.spec
    if spec.nonempty and isinstance(stored, str | tuple | dict) and not stored:
        raise refuse(" (empty)")
    numbers = stored if isinstance(stored, tuple) else (stored,)
    for number in numbers:
        if isinstance(number, bool) or not isinstance(number, int | float):
            continue
        if (
            (spec.minimum is not None and number < spec.minimum)
            or (spec.maximum is not None and number > spec.maximum)
            or (spec.above is not None and number <= spec.above)
            or (spec.below is not None and number >= spec.below)
        ):
            raise refuse()


def check_fields(instance: Any, section: str) -> None:
    """Check and normalise every option of a section dataclass ``instance`` in place.

    Called from the sections' ``__post_init__``: a configuration that exists is valid
    field by field.
    """
    for item in section_options(type(instance), section):
        stored = check_value(item, getattr(instance, item.name))
        object.__setattr__(instance, item.name, stored)
