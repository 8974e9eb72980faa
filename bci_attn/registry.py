"""Named things a configuration option chooses (backbones, protocols), registered once.

A :class:`Registry` maps names to what they name; the module that defines a thing adds it
(:meth:`Registry.add`), and an option's value is looked up with :meth:`Registry.find`,
which names the option and what is allowed when the value is not a registered name.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from .config.schema import ConfigError

T = TypeVar("T")


class Registry(dict[str, T], Generic[T]):
    """Name -> thing, for the option ``key`` (``model.backbone``).

    Parameters
    ----------
    what : str
        What is registered, for messages (``backbone``).
    key : str
        The option whose values are the names.
    """

    def __init__(self, what: str, key: str) -> None:
        super().__init__()
        self.what = what
        self.key = key

    def add(self, name: str, thing: T) -> T:
        """Register ``thing`` as ``name`` (ValueError when the name is taken)."""
        if name in self:
            raise ValueError(f"{self.what} '{name}' is registered twice")
        self[name] = thing
        return thing

    def find(self, name: str) -> T:
        """The thing called ``name`` (ConfigError naming the option and the names)."""
        if name not in self:
            raise ConfigError(self.key, f"must be one of {', '.join(self)}, got {name!r}")
        return self[name]
