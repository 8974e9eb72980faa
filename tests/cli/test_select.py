"""``bci-attn select``: a bad selection file refused in one line naming the key and the file;
``--check`` lists the candidates and trains nothing."""

import pytest

from .conftest import TINY_SECTIONS, write_yaml

SPACE = [{"name": "a", "lr": 0.001}, {"name": "b", "training": {"lr": 0.002}}]


def selection_file(folder, **changes):
    settings = {**TINY_SECTIONS, "data": {**TINY_SECTIONS["data"], "subjects": "1-4"}}
    spec = {
        "out": str(folder / "selection"), "settings": settings, "inner": "holdout",
        "inner_valid_subjects": 1, "seeds": [0], "space": SPACE, **changes,
    }  # fmt: skip
    return write_yaml(folder / "selection.yaml", spec)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"spaces": SPACE}, "unknown key 'spaces'; it takes: out, base, settings, inner"),
        ({"inner": "loso"}, "inner_valid_subjects goes with inner: holdout"),
        ({"space": [{"name": "a", "weight_decay": "x"}]}, "(space: a): weight_decay must be a"),
    ],
)  # every refusal: tests/studies/test_selection.py
def test_a_bad_selection_file_is_refused_naming_the_key_and_the_file(
    cli, tmp_path, change, message
):
    path = selection_file(tmp_path, **change)
    error = cli("select", path, "--check").error
    assert message in error and str(path) in error
    assert not (tmp_path / "selection").exists()


def test_check_lists_the_candidates_and_trains_nothing(cli, tmp_path):
    result = cli("select", selection_file(tmp_path), "--check")
    assert result.code == 0, result.err
    assert f"2 candidates -> {tmp_path / 'selection'}" in result.out
    assert "  a: lr=0.001" in result.out and "  b: lr=0.002" in result.out
    assert not (tmp_path / "selection").exists()


def test_an_invalid_candidate_is_refused_before_anything_is_written(cli, tmp_path):
    space = [
        {"name": "a"},
        {"name": "late", "attention": "electrode", "attention_at": ["separable"]},
    ]
    result = cli("select", selection_file(tmp_path, space=space), "--check")
    error = result.err
    assert result.code == 2 and "Traceback" not in error
    assert "1 invalid configuration(s); nothing was trained:" in error
    assert "late: attention 'electrode' gates electrodes" in error
    assert not (tmp_path / "selection").exists()
