"""Sphinx directives that render the configuration's schema, so the reference is derived.

``bci-attn-options``
    A table of the options of one section (the directive's argument: ``data``, ``model``,
    ``training``, ``evaluation``, ``execution``), or of every option without one, from
    :func:`bci_attn.config.all_options`: YAML key, command-line flag(s), allowed values
    (:meth:`~bci_attn.config.Option.describe_type`), default, help, and whether the option
    changes results.

``bci-attn-keys`` CLASS
    A table of the keys of a file whose keys are declared as options (a dataclass of
    :func:`~bci_attn.config.schema.option` fields, e.g.
    ``bci_attn.studies.grid.SweepSpec``): key, allowed values, default, help.

``bci-attn-recipes``
    A table of the recipes (:func:`bci_attn.config.recipes`): name, summary, settings.

``bci-attn-attention``
    A table of the attention zoo's registry (:func:`bci_attn.attention.available`): name,
    summary, options with their defaults, default insertion point, version.

Nothing here loads data; only the attention table imports torch.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective


def _literal(text: str) -> nodes.literal:
    return nodes.literal(text, text)


def _value(value: Any) -> str:
    """A default as a YAML file writes it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _table(headers: list[str], rows: list[list[nodes.Node | str]], widths: list[int]):
    table = nodes.table(classes=["bci-attn-reference"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for title in headers:
        row += nodes.entry("", nodes.paragraph(text=title))
    head += row
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            for part in cell if isinstance(cell, list) else [cell]:
                entry += part if isinstance(part, nodes.Node) else nodes.paragraph(text=part)
            row += entry
        body += row
    return table


def _flags(option: Any) -> nodes.paragraph:
    paragraph = nodes.paragraph()
    names = [option.flag, *option.spec.aliases]
    if option.describe_type().startswith("true or false"):
        names.append("--no-" + option.flag[2:])
    for i, name in enumerate(names):
        if i:
            paragraph += nodes.Text(", ")
        paragraph += _literal(name)
    if option.spec.form == "many":
        paragraph += nodes.Text(" (several values after the flag)")
    return paragraph


class OptionsDirective(SphinxDirective):
    """``.. bci-attn-options:: [SECTION]``: the options' reference table."""

    optional_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        from bci_attn.config import SECTIONS, all_options

        section = self.arguments[0] if self.arguments else None
        if section is not None and section not in SECTIONS:
            raise self.error(f"unknown section '{section}'; sections: {', '.join(SECTIONS)}")
        rows = []
        for option in all_options():
            if section is not None and option.section != section:
                continue
            rows.append(
                [
                    [nodes.paragraph("", "", _literal(option.key)), _flags(option)],
                    option.describe_type(),
                    nodes.paragraph("", "", _literal(_value(option.default))),
                    option.spec.help,
                    "yes" if option.spec.affects_results else "no",
                ]
            )
        headers = ["key and flag", "values", "default", "what it does", "changes results"]
        return [_table(headers, rows, [22, 18, 10, 42, 8])]


class RecipesDirective(SphinxDirective):
    """``.. bci-attn-recipes::``: the recipes a run can start from."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from bci_attn.config import recipes

        rows = []
        for recipe in recipes().values():
            settings = [
                nodes.paragraph("", "", _literal(f"{name}: {_value(values)}"))
                for name, values in recipe.settings.items()
            ]
            settings += [
                nodes.paragraph("", "", _literal(f"{where}, {name}: {_value(values)}"))
                for where, sections in [
                    *((f"on {dataset}", s) for dataset, s in recipe.datasets.items()),
                    *((f"for {backbone}", s) for backbone, s in recipe.backbones.items()),
                ]
                for name, values in sections.items()
            ]
            settings = settings or [nodes.paragraph(text="(the options' defaults)")]
            rows.append([nodes.paragraph("", "", _literal(recipe.name)), recipe.summary, settings])
        return [_table(["recipe", "summary", "settings"], rows, [15, 50, 35])]


class KeysDirective(SphinxDirective):
    """``.. bci-attn-keys:: module.Class``: the keys of a file declared as options."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        import importlib

        from bci_attn.config.schema import section_options

        module, _, name = self.arguments[0].rpartition(".")
        cls = getattr(importlib.import_module(module), name)
        rows = [
            [
                nodes.paragraph("", "", _literal(option.name)),
                option.describe_type(),
                nodes.paragraph("", "", _literal(_value(option.default))),
                option.spec.help,
            ]
            for option in section_options(cls, "")
        ]
        return [_table(["key", "values", "default", "what it is"], rows, [15, 20, 10, 55])]


class AttentionDirective(SphinxDirective):
    """``.. bci-attn-attention::``: every registered attention module."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from bci_attn import attention

        rows = []
        for name in attention.available():
            spec = attention.get_spec(name)
            options = [
                nodes.paragraph("", "", _literal(f"{key}={value!r}"))
                for key, value in spec.options().items()
            ] or [nodes.paragraph(text="none")]
            version = str(spec.version)
            if spec.legacy:
                legacy = ", ".join(f"{k}={v}" for k, v in spec.legacy.items())
                version += f" (1: {legacy})"
            rows.append(
                [
                    nodes.paragraph("", "", _literal(name)),
                    spec.summary,
                    options,
                    spec.default_at or "the backbone's",
                    version,
                ]
            )
        headers = ["module", "what it is", "options (--attn-opt)", "default point", "version"]
        return [_table(headers, rows, [10, 40, 28, 10, 12])]


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("bci-attn-options", OptionsDirective)
    app.add_directive("bci-attn-keys", KeysDirective)
    app.add_directive("bci-attn-recipes", RecipesDirective)
    app.add_directive("bci-attn-attention", AttentionDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
