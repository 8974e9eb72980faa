"""``bci-attn run`` on transfer protocols: held-out subjects, cross-dataset pooling, few-shot
calibration; bad input refused in one line."""

import pytest
from data.fake_datasets import fake_pair

import bci_attn.data

from .conftest import TINY

#: The tiny settings without their subjects (transfer protocols choose them otherwise).
WITHOUT_SUBJECTS = [a for i, a in enumerate(TINY) if "--subjects" not in TINY[i - 1 : i + 1]]


@pytest.fixture
def fake_datasets(monkeypatch):
    """``use(**changes)``: MOABB fake datasets named FakeTrain and FakeTest (other names
    resolve as usual); ``changes`` go to :func:`fake_pair`."""
    real = bci_attn.data.resolve_dataset

    def use(**changes) -> None:
        pair = dict(zip(("faketrain", "faketest"), fake_pair(**changes), strict=True))
        monkeypatch.setattr(
            bci_attn.data,
            "resolve_dataset",
            lambda name, *args: pair.get(name.lower()) or real(name, *args),
        )

    return use


def test_cross_dataset_folds_list_the_electrodes_and_classes_kept(cli, fake_datasets, tmp_path):
    fake_datasets()
    result = cli(
        "run", *("--train-dataset", "FakeTrain", "--test-dataset", "FakeTest", "--list-folds"),
        *("--calibration-trials", "2", "--data-dir", tmp_path),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "kept 4 shared by name (FakeTrain has 5, FakeTest 5): C3, Cz, C4, FCz" in result.out
    assert "classes: kept left_hand, right_hand" in result.out
    assert "FakeTrain-to-FakeTest: train" in result.out
    assert "calibration pool per subject 1: 4" in result.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--protocol", "holdout", "--train-subjects", "1-3", "--test-subjects", "3,4"),
            "--train-subjects overlaps --test-subjects (subject(s) 3): a test subject must be",
        ),
        (
            ("--protocol", "holdout", "--train-subjects", "1-2", "--test-subjects", "3",
             "--calibration-trials", "50"),
            "--calibration-trials 50 is more than subject 3 has: ",
        ),
        (
            ("--protocol", "within-session", "--subjects", "1", "--calibration-trials", "5"),
            "--calibration-trials goes with protocol holdout or cross-dataset or loso, not "
            "within-session",
        ),
        (("--protocol", "holdout"), "--test-subjects must be given with protocol holdout"),
        (
            ("--protocol", "holdout", "--subjects", "1-3", "--test-subjects", "3"),
            "--subjects goes with the other protocols; holdout takes --train-subjects",
        ),
        (
            ("--train-dataset", "BNCI2014001", "--test-dataset", "BNCI2014_001"),
            "--test-dataset is --train-dataset again (BNCI2014001); use protocol holdout",
        ),
    ],
)  # fmt: skip
def test_bad_transfer_input_is_refused_in_one_line(cli, tmp_path, args, message):
    result = cli("run", *WITHOUT_SUBJECTS, *args, "--list-folds", "--out", tmp_path / "run")
    assert message in result.error
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        (dict(test_events=("feet_x", "tongue")), "share 0 class(es)"),
        (dict(test_channels=("C3", "Pz", "O1")), "share 1 electrode(s) (C3), fewer than"),
    ],
)
def test_datasets_without_enough_in_common_are_refused(
    cli, fake_datasets, tmp_path, pair, message
):
    fake_datasets(**pair)
    result = cli(
        "run", *("--train-dataset", "FakeTrain", "--test-dataset", "FakeTest", "--list-folds"),
        *("--data-dir", tmp_path),
    )  # fmt: skip
    assert message in result.error
