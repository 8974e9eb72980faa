"""The registry: options, their old names, versions, references and the reference table."""

from __future__ import annotations

from pathlib import Path

import pytest

from bci_attn import attention
from bci_attn.attention.registry import AttentionSpec, _check


@pytest.mark.parametrize("name", attention.available())
def test_every_module_names_its_reference_and_differences(name: str) -> None:
    spec = attention.get_spec(name)
    assert spec.reference.strip() and spec.differs.strip()
    assert spec.version >= 1
    assert bool(spec.legacy) == (spec.version > 1)
    assert set(spec.legacy) <= set(spec.options())
    variant = spec.options().get("variant")
    if variant is not None:
        assert f"default {variant}" in spec.differs  # the table says which default it uses


@pytest.mark.parametrize("name", attention.available())
def test_resolve_fills_every_default(name: str) -> None:
    spec = attention.get_spec(name)
    assert spec.resolve({}) == spec.options()
    assert list(spec.resolve({})) == list(spec.options())


def test_resolve_keeps_given_options_and_fills_legacy_for_version_1() -> None:
    spec = attention.get_spec("ham")
    assert spec.version == 2
    current = spec.resolve({"kernel_size": 5})
    assert current["kernel_size"] == 5 and current["variant"] == "eeg"
    old = spec.resolve({"kernel_size": 5}, version=1)
    assert old == {**current, "variant": "bci-attn-0.1"}
    # an option given explicitly wins over the legacy one (a run that chose its variant)
    assert spec.resolve({"variant": "circulating"}, version=1)["variant"] == "circulating"
    # the recipe-ablation diagnostic of bci-attn 0.1: HAM without the residual ReLU
    diagnostic = spec.resolve({"residual_relu": False}, version=1)
    assert diagnostic["variant"] == "bci-attn-0.1" and diagnostic["residual_relu"] is False
    assert spec.resolve({}, version=2) == spec.resolve({})
    assert attention.get_spec("eca").resolve({}, version=1) == attention.get_spec("eca").options()


@pytest.mark.parametrize("version", [0, 3, "1", True, 1.5])
def test_resolve_refuses_unknown_versions(version: object) -> None:
    with pytest.raises(ValueError, match=r"'se': version must be 1 .* or 2 \(the current"):
        attention.get_spec("se").resolve({}, version=version)
    with pytest.raises(ValueError, match=r"'eca': version must be 1 \(bci-attn 0.1's [^,]*, got"):
        attention.get_spec("eca").resolve({}, version=2)


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("gsop", "reduction_rate", "reduction"),
        ("fca", "reduction_rate", "reduction"),
        ("ge", "reduction_rate", "reduction"),
        ("srm", "reduction_rate", "reduction"),
        ("cat", "reduction_rate", "reduction"),
        ("catlite", "reduction_rate", "reduction"),
        ("ham", "ratio", "separation_rate"),
    ],
)
def test_old_option_names_are_read_as_the_new_ones(name: str, old: str, new: str) -> None:
    spec = attention.get_spec(name)
    assert old not in spec.options() and new in spec.options()
    value = 0.5 if new == "separation_rate" else 2
    assert spec.resolve({old: value})[new] == value
    with pytest.raises(ValueError, match=f"'{name}': option {old} is the old name of {new}"):
        spec.resolve({old: value, new: value})


def test_old_names_build_the_same_module() -> None:
    old = attention.create("ge", 16, height=1, width=32, use_mlp=True, reduction_rate=2)
    new = attention.create("ge", 16, height=1, width=32, use_mlp=True, reduction=2)
    assert [p.shape for p in old.parameters()] == [p.shape for p in new.parameters()]
    assert old.module.mlp[0].out_channels == 8


def test_the_reduction_ratio_has_one_name_across_the_zoo() -> None:
    names = {o for n in attention.available() for o in attention.get_spec(n).options()}
    assert "reduction" in names
    assert not names & {"reduction_rate", "ratio", "reduction_ratio", "rd_ratio"}


def test_unknown_name_lists_the_available_modules() -> None:
    with pytest.raises(ValueError, match="unknown attention") as err:
        attention.create("no-such-attention", 8)
    for name in attention.available():
        assert name in str(err.value)


@pytest.mark.parametrize("name", attention.available())
def test_unknown_option_lists_the_allowed_options(name: str) -> None:
    with pytest.raises(ValueError, match=f"'{name}'.*no_such_option") as err:
        attention.create(name, 8, height=8, width=64, sfreq=128.0, no_such_option=1)
    for option in attention.get_spec(name).options():
        assert option in str(err.value)
    for old, new in attention.get_spec(name).aliases.items():
        assert f"{old} is read as {new}" in str(err.value)


@pytest.mark.parametrize(
    ("name", "options", "option"),
    [
        ("se", {"reduction": 0}, "reduction"),
        ("se", {"bias": "yes"}, "bias"),
        ("se", {"variant": "timm"}, "variant.*official, paper"),
        ("cbam", {"reduction": 2.5}, "reduction"),
        ("cbam", {"electrode_kernel": 0}, "electrode_kernel"),
        ("bam", {"dilation": 0}, "dilation"),
        ("ham", {"residual": 1}, "residual"),
        ("ham", {"residual_relu": "no"}, "residual_relu"),
        ("ham", {"variant": "official"}, "variant.*circulating, eeg, bci-attn-0.1"),
        ("nam", {"sparsity": -1.0}, "sparsity"),
        ("sa", {"groups": 0}, "groups"),
        ("external", {"relu": 0}, "relu"),
        ("scconv", {"split_ratio": 1.0}, "split_ratio"),
        ("scconv", {"threshold": 0}, "threshold"),
        ("scnet", {"electrode_pooling": 0}, "electrode_pooling"),
        ("gsop", {"bias": None}, "bias"),
    ],
)
def test_bad_option_values(name: str, options: dict, option: str) -> None:
    with pytest.raises(ValueError, match=f"'{name}'.*{option}"):
        attention.create(name, 8, height=8, width=64, sfreq=128.0, **options)


def test_registration_checks_its_own_consistency() -> None:
    def builder(fmap, *, variant: str = "a") -> None:
        return None

    def spec(**fields) -> AttentionSpec:
        return AttentionSpec("x", builder, "s", "ref", "nothing", **fields)

    _check(spec(version=2, legacy={"variant": "b"}))
    for bad in (
        spec(version=2),  # a new version needs the options of the old one
        spec(legacy={"variant": "b"}),  # legacy options on version 1
        spec(version=2, legacy={"colour": "red"}),  # naming no option
        spec(aliases={"old": "colour"}),
        spec(aliases={"variant": "variant"}),  # an alias shadowing an option
    ):
        with pytest.raises(ValueError, match="'x'"):
            _check(bad)
    with pytest.raises(ValueError, match="'x'"):
        _check(AttentionSpec("x", builder, "s", "", "nothing"))


def test_reference_table_has_a_row_per_module() -> None:
    section = attention.reference_table()
    assert section.startswith("## Reference implementations and variants\n")
    lines = section[section.index("| module |") :].strip().splitlines()
    assert lines[0] == "| module | default | version | reference | differs by |"
    assert len(lines) == 2 + len(attention.available())
    row = next(line for line in lines if line.startswith("| `ham` |"))
    assert "`variant=eeg`" in row and "2 (1: `variant=bci-attn-0.1`)" in row
    assert all(line.count(" | ") == 4 for line in lines[2:])  # pipes inside cells escaped


def test_the_zoo_document_has_the_current_reference_table() -> None:
    document = Path(__file__).parents[2] / "docs" / "attention_zoo.md"
    assert attention.reference_table() in document.read_text(encoding="utf-8")
