"""Names a package exports from heavy submodules, imported on first use (PEP 562).

A package whose names need torch, Lightning or MOABB still imports in milliseconds, so
that a configuration is checked, and bad input refused, before any of them loads.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str, modules: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], list[str]]:
    """A module ``__getattr__`` for ``package`` and the names it serves.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    modules : mapping of str to sequence of str
        Submodule (relative to ``package``) -> the names imported from it.

    Returns
    -------
    getattr : callable
        ``getattr(name)`` imports the submodule holding ``name`` and returns ``name``;
        AttributeError for any other name. Assign it to the package's ``__getattr__``.
    names : list of str
        Every name served, for the package's ``__all__``.
    """
    home = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{home[name]}"), name)

    return __getattr__, list(home)
