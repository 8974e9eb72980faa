"""Command-line flags derived from the configuration's options, and one-line errors.

Every option of :mod:`bci_attn.config.sections` becomes a flag (``batch_size`` ->
``--batch-size``, or the option's own ``flag`` such as ``--attn``), in an argument group
per section, with its help, its choices and its form (subject ranges, repeatable
``KEY=VALUE``, several values). Only the flags given are kept (:func:`layer_from_args`), so
a run's options come from the recipe, then its files, then its command line. A value
that fails its check is reported with its flag: :func:`flag_names` maps option keys to
flags for :func:`bci_attn.config.files.rename`.
"""

from __future__ import annotations

import argparse
import sys
import typing
from collections.abc import Iterable
from typing import Any, Literal, NoReturn

from ..config import Layer, Option, all_options
from ..config.schema import _optional


class OneLineParser(argparse.ArgumentParser):
    """Reports a bad argument in one line (what is wrong, what is allowed), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def fail(prog: str, error: Exception | str) -> NoReturn:
    """Exit with status 2 and one line: ``prog: error: <error>``."""
    text = " ".join(str(error).split("\n")) if not isinstance(error, str) else error
    sys.stderr.write(f"{prog}: error: {text}\n")
    raise SystemExit(2)


def parse_pair(text: str) -> tuple[str, Any]:
    """``"reduction=4"`` -> ``("reduction", 4)`` (the value is read as YAML)."""
    import yaml

    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"invalid option '{text}': use KEY=VALUE")
    try:
        return key.strip(), yaml.safe_load(value)
    except yaml.YAMLError:
        return key.strip(), value


def parse_nested(text: str) -> tuple[str, Any]:
    """``"frequency_shift.max_shift=3"`` -> ``("frequency_shift.max_shift", 3)``."""
    key, value = parse_pair(text)
    if not all(part.strip() for part in key.partition(".")[::2]) or "." not in key:
        raise argparse.ArgumentTypeError(
            f"invalid option '{text}': use NAME.KEY=VALUE, e.g. time_shift.max_shift=0.2"
        )
    return key, value


def comma_list(text: str) -> list[str]:
    """``"C3, Cz,C4"`` -> ``["C3", "Cz", "C4"]`` (an empty text is an empty list)."""
    return [item.strip() for item in text.split(",") if item.strip()]


def _none_or(convert):
    def parse(text: str):
        return None if text.strip().lower() in ("none", "null") else convert(text)

    parse.__name__ = getattr(convert, "__name__", "value")
    return parse


def _argument(option: Option) -> dict[str, Any]:
    """``add_argument`` keywords for ``option``."""
    inner, optional = _optional(option.annotation)
    origin = typing.get_origin(inner)
    spec = option.spec
    kwargs: dict[str, Any] = {"dest": option.key, "default": argparse.SUPPRESS}
    shown = option.default
    if isinstance(shown, tuple):
        shown = ",".join(map(str, shown)) or "none"
    said = "(default:" in spec.help
    suffix = f"({option.key})" if said else f"(default: {shown}; {option.key})"
    kwargs["help"] = f"{spec.help} {suffix}".replace("%", "%%")
    if spec.metavar:
        kwargs["metavar"] = spec.metavar
    if inner is bool:
        kwargs["action"] = argparse.BooleanOptionalAction
    elif spec.form == "pairs":
        kwargs.update(type=parse_pair, action="append")
        kwargs.setdefault("metavar", "KEY=VALUE")
    elif spec.form == "nested":
        kwargs.update(type=parse_nested, action="append")
    elif spec.form == "subjects":
        kwargs["type"] = _none_or(str) if optional else str
        kwargs.setdefault("metavar", "SUBJECTS")
    elif origin is tuple and spec.form == "many":
        (item,) = typing.get_args(inner)[:1]
        kwargs.update(type=item, nargs="+")
    elif origin is tuple:
        kwargs["type"] = _none_or(comma_list) if optional else comma_list
    elif origin is Literal:
        kwargs["choices"] = list(typing.get_args(inner))
    else:
        kwargs["type"] = _none_or(inner) if optional else inner
    return kwargs


def add_option_flags(parser: argparse.ArgumentParser, options: Iterable[Option]) -> None:
    """A flag for each of ``options``, in an argument group per section."""
    groups: dict[str, Any] = {}
    for option in options:
        group = groups.get(option.section)
        if group is None:
            group = groups[option.section] = parser.add_argument_group(option.section)
        group.add_argument(option.flag, *option.spec.aliases, **_argument(option))


def layer_from_args(args: argparse.Namespace, options: Iterable[Option]) -> Layer:
    """The options given on the command line, as a :class:`~bci_attn.config.Layer` that
    names each by its flag."""
    layer = Layer()
    for option in options:
        if option.key not in vars(args):
            continue
        value = getattr(args, option.key)
        if option.spec.form == "pairs":
            value = dict(value)
        elif option.spec.form == "nested":
            nested: dict[str, dict] = {}
            for key, item in value:
                name, _, inner = key.partition(".")
                nested.setdefault(name.strip(), {})[inner.strip()] = item
            value = nested
        layer.set(option.key, value, option.flag)
    return layer


def flag_names(options: Iterable[Option] | None = None) -> dict[str, str]:
    """Option key -> its flag, for every option (messages name flags, not keys)."""
    return {o.key: o.flag for o in (all_options() if options is None else options)}
