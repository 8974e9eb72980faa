"""Build an attention module from its name, as timm's ``create_attn`` does for images.

A module registers a *builder*: a function ``builder(fmap: FeatureMap, *, option=default, ...)``
that returns an ``nn.Module``. The keyword options of the builder are the options a user may
pass (``--attn-opt key=value`` on the command line); anything else is refused with the list
of what the module takes. Old option names stay accepted through per-module aliases.

Each registration also says what the module is checked against (``reference``), how it
differs from that reference (``differs``) and which *version* of its computation it is:
version 1 is what bci-attn 0.1 computed; a module whose default computation changed has a
higher version and ``legacy`` options that compute version 1 again, so that a run recorded
under version 1 is rebuilt as it was (:meth:`AttentionSpec.resolve`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from torch import nn

from .base import FeatureMap

Builder = Callable[..., nn.Module]


@dataclass(frozen=True)
class AttentionSpec:
    """A registered attention module.

    Attributes
    ----------
    name : str
        Registry name (``"ham"``).
    builder : callable
        ``builder(fmap, **options) -> nn.Module``.
    summary : str
        One line: what it is and the paper it comes from.
    reference : str
        The code the module is checked against: repository, file and commit, or the timm
        or braindecode version ("no official code" and what circulates, where so).
    differs : str
        How it differs from ``reference``: its named variants and EEG adaptations, or
        ``"nothing"``.
    default_at : str | None
        Insertion point the module is meant for when the user names none (electrode
        attention belongs before the spatial filter); ``None`` for the backbone's default.
    version : int
        Version of the default computation: 1 is what bci-attn 0.1 computed, raised once
        for a module whose default computation changed.
    legacy : mapping
        Options that compute version 1 again (empty for version 1).
    aliases : mapping
        Old option name → current name, still accepted.
    """

    name: str
    builder: Builder
    summary: str
    reference: str
    differs: str
    default_at: str | None = None
    version: int = 1
    legacy: Mapping[str, object] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)

    def options(self) -> dict[str, object]:
        """The options the module takes, with their defaults (the builder's signature)."""
        params = list(inspect.signature(self.builder).parameters.values())[1:]
        return {p.name: p.default for p in params}

    def resolve(
        self, options: Mapping[str, object], *, version: int | None = None
    ) -> dict[str, object]:
        """Every option of the module: ``options`` with old names mapped and defaults filled.

        Parameters
        ----------
        options : mapping
            Options as given (current or old names).
        version : int | None
            Version of the computation to rebuild: ``None`` or :attr:`version` for the
            current one, 1 for bci-attn 0.1's (the :attr:`legacy` options are filled in
            under ``options``, which keep precedence).

        Returns
        -------
        dict
            Option name → value for every option, in the builder's order.

        Raises
        ------
        ValueError
            An unknown option, an old name given together with its new one, or a version
            that is neither 1 nor the current one.
        """
        given = self._canonical(options)
        if version is not None:
            given = {**self._legacy_options(version), **given}
        return {**self.options(), **given}

    def _canonical(self, options: Mapping[str, object]) -> dict[str, object]:
        canonical: dict[str, object] = {}
        for key, value in options.items():
            target = self.aliases.get(key, key)
            if target != key and target in options:
                raise ValueError(
                    f"attention '{self.name}': option {key} is the old name of {target}; "
                    f"give one of them, got both ({key}={value!r}, {target}={options[target]!r})"
                )
            canonical[target] = value
        allowed = self.options()
        unknown = sorted(set(canonical) - set(allowed))
        if unknown:
            takes = ", ".join(f"{k}={v!r}" for k, v in allowed.items()) or "no options"
            old = "".join(f"; {k} is read as {v}" for k, v in self.aliases.items())
            raise ValueError(
                f"attention '{self.name}' does not take option(s) {', '.join(unknown)}; "
                f"it takes: {takes}{old}"
            )
        return canonical

    def _legacy_options(self, version: object) -> dict[str, object]:
        if isinstance(version, bool) or version not in (1, self.version):
            current = f" or {self.version} (the current one)" if self.version > 1 else ""
            raise ValueError(
                f"attention '{self.name}': version must be 1 (bci-attn 0.1's computation)"
                f"{current}, got {version!r}"
            )
        return dict(self.legacy) if version != self.version else {}


_REGISTRY: dict[str, AttentionSpec] = {}


def register(
    name: str,
    *,
    summary: str,
    reference: str,
    differs: str,
    default_at: str | None = None,
    version: int = 1,
    legacy: Mapping[str, object] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Callable[[Builder], Builder]:
    """Decorator registering ``builder`` under ``name`` (see :class:`AttentionSpec`).

    Raises
    ------
    ValueError
        A name registered twice, a version above 1 without ``legacy`` options (or legacy
        options on version 1), or legacy options and aliases naming no option.
    """

    def decorate(builder: Builder) -> Builder:
        if name in _REGISTRY:
            raise ValueError(f"attention '{name}' is registered twice")
        spec = AttentionSpec(
            name,
            builder,
            summary,
            reference,
            differs,
            default_at,
            version,
            dict(legacy or {}),
            dict(aliases or {}),
        )
        _check(spec)
        _REGISTRY[name] = spec
        return builder

    return decorate


def _check(spec: AttentionSpec) -> None:
    options = spec.options()
    if (spec.version > 1) != bool(spec.legacy):
        raise ValueError(
            f"attention '{spec.name}': version {spec.version} needs legacy options exactly "
            f"when above 1, got {dict(spec.legacy)}"
        )
    strays = sorted((set(spec.legacy) | set(spec.aliases.values())) - set(options))
    clashes = sorted(set(spec.aliases) & set(options))
    if strays or clashes or not spec.reference or not spec.differs:
        raise ValueError(
            f"attention '{spec.name}': legacy options or aliases name no option ({strays}), "
            f"aliases shadow options ({clashes}), or reference/differs is empty"
        )


def available() -> list[str]:
    """Names of every registered attention module, ``"none"`` first."""
    return sorted(_REGISTRY, key=lambda n: (n != "none", n))


def get_spec(name: str) -> AttentionSpec:
    """The registered spec for ``name``, or a ValueError listing the available names."""
    key = name.strip().lower()
    if key not in _REGISTRY:
        raise ValueError(f"unknown attention module '{name}'; available: {', '.join(available())}")
    return _REGISTRY[key]


def create(
    name: str,
    channels: int,
    *,
    height: int = 1,
    width: int | None = None,
    sfreq: float | None = None,
    version: int | None = None,
    **options: object,
) -> nn.Module:
    """Build attention module ``name`` for a ``(B, channels, height, width)`` feature map.

    Parameters
    ----------
    name : str
        A name from :func:`available`.
    channels : int
        Feature channels of the map.
    height, width : int
        Electrodes (or 1) and time samples of the map; ``width`` is needed by the modules
        bound to the map size (NAM's spatial part, DANet's position attention, FCA).
    sfreq : float | None
        Sampling rate (Hz) along ``width`` at this layer, used to turn temporal kernel
        lengths given in milliseconds into samples.
    version : int | None
        Version of the module's computation (see :meth:`AttentionSpec.resolve`): ``None``
        for the current one, 1 to rebuild what bci-attn 0.1 computed.
    **options
        The module's own options (see ``get_spec(name).options()``; old names accepted).

    Returns
    -------
    nn.Module
        Maps ``(B, channels, height, width)`` to the same shape.

    Raises
    ------
    ValueError
        Unknown name, unknown option, or a value the module cannot use.
    """
    spec = get_spec(name)
    resolved = spec.resolve(options, version=version)
    if channels < 1 or height < 1 or (width is not None and width < 1):
        raise ValueError(
            f"attention '{spec.name}': map sizes must be positive, got channels={channels}, "
            f"height={height}, width={width}"
        )
    fmap = FeatureMap(channels=channels, height=height, width=width, sfreq=sfreq)
    return spec.builder(fmap, **resolved)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


REFERENCE_INTRO = """\
## Reference implementations and variants

Generated from the registry by `bci_attn.attention.reference_table()`. *reference*: the code
each module is checked against, with the weights copied into it, in training and evaluation
mode, on EEG-shaped maps (`tests/attention/`); *differs by*: its named variants and EEG
adaptations, or nothing; *default*: the variant it builds unless `--attn-opt variant=...`
says otherwise (`official` where the reference keeps a signed EEG map intact, `eeg` where
it would zero half of it or replace it); *version*: of the default computation, 1 being
bci-attn 0.1's, with the options that compute version 1 again where it is above 1.
"""


def reference_table() -> str:
    """Markdown section: every module's default variant, version, reference and differences.

    A heading, a paragraph on the columns (:data:`REFERENCE_INTRO`) and a table with a row
    per registered module: *module*; *default*, its default ``variant`` (– where it has no
    variants); *version* of its default computation, with the options that compute
    version 1 (bci-attn 0.1) where it is above 1; *reference*; *differs by*.
    """
    rows = [
        "| module | default | version | reference | differs by |",
        "|---|---|---|---|---|",
    ]
    for name in available():
        spec = get_spec(name)
        variant = spec.options().get("variant")
        default = f"`variant={variant}`" if variant is not None else "–"
        version = str(spec.version)
        if spec.legacy:
            legacy = ", ".join(f"{k}={v}" for k, v in spec.legacy.items())
            version += f" (1: `{legacy}`)"
        cells = [f"`{name}`", default, version, _cell(spec.reference), _cell(spec.differs)]
        rows.append("| " + " | ".join(cells) + " |")
    return REFERENCE_INTRO + "\n" + "\n".join(rows) + "\n"
