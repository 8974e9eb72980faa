"""Named training recipes: partial configurations a run starts from, one YAML file each.

A recipe file in this folder holds a ``summary`` line, ``settings`` (sections of a
configuration file) and optionally ``datasets``: more settings for runs on a named dataset
(what only that dataset records, such as PhysionetMI's executed movements), and
``backbones``: more settings for runs of a named backbone (what suits one network, such as
ShallowConvNet's training length), on top of the dataset's. A run applies
its recipe first, then its configuration files and its command line, so every part of a
recipe can be switched off or changed (``--batch-size 64``, ``--align none``, ...).
``auto``, the default, picks ``cross-subject`` for the protocols that test unseen subjects
(``Protocol.cross_subject``) and ``plain`` otherwise. A new recipe is a new file here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FOLDER = Path(__file__).parent


@dataclass(frozen=True)
class Recipe:
    """A named partial configuration.

    Attributes
    ----------
    name : str
        The file's name without ``.yaml``.
    summary : str
        One line for ``--list-recipes``.
    settings : dict
        Sections of a configuration file.
    datasets : dict
        Dataset name -> sections applied on top of ``settings`` for runs on that dataset
        (``data.dataset``; any spelling MOABB's names allow).
    backbones : dict
        Backbone name -> sections applied on top of those for runs of that backbone
        (``model.backbone``, as ``--list-backbones`` names it).
    """

    name: str
    summary: str
    settings: dict
    datasets: dict = field(default_factory=dict)
    backbones: dict = field(default_factory=dict)

    def settings_for(self, dataset: str, backbone: str) -> dict:
        """``settings`` with those for ``dataset`` on top, then those for ``backbone``,
        section by section."""
        from ...data.datasets import same_dataset

        merged = {section: dict(values) for section, values in self.settings.items()}
        matching = [s for name, s in self.datasets.items() if same_dataset(name, dataset)]
        for sections in [*matching, self.backbones.get(backbone, {})]:
            for section, values in sections.items():
                merged.setdefault(section, {}).update(values)
        return merged


@functools.cache
def recipes() -> dict[str, Recipe]:
    """Every recipe of this folder, by name."""
    import yaml

    found = {}
    for path in sorted(FOLDER.glob("*.yaml")):
        document = yaml.safe_load(path.read_text()) or {}
        found[path.stem] = Recipe(
            path.stem,
            document["summary"],
            document.get("settings") or {},
            document.get("datasets") or {},
            document.get("backbones") or {},
        )
    return found


def recipe_names() -> tuple[str, ...]:
    """The names ``recipe`` takes: ``auto`` and every recipe."""
    return ("auto", *recipes())


def resolve_recipe(name: str, protocol: str) -> str:
    """The recipe ``name`` means for ``protocol`` (``auto`` -> cross-subject or plain).

    Raises
    ------
    ValueError
        An unknown name, listing the recipes.
    """
    if name == "auto":
        from ...evaluation.protocols import get_protocol

        return "cross-subject" if get_protocol(protocol).cross_subject else "plain"
    if name not in recipes():
        raise ValueError(f"unknown recipe '{name}'; recipes: {', '.join(recipe_names())}")
    return name


def recipe_layer(name: str, dataset: str, backbone: str) -> Any:
    """The recipe's settings for runs of ``backbone`` on ``dataset`` as a
    :class:`~bci_attn.config.files.Layer`."""
    from ..files import read_document

    return read_document(recipes()[name].settings_for(dataset, backbone), f"recipe {name}")
