"""Bad input: exit status 2, one line naming what is wrong and what is allowed."""

import pytest

from bci_attn.run import main


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    err = capsys.readouterr().err
    return exit_info.value.code, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "NoSuch"], "unknown dataset 'NoSuch'; motor-imagery datasets: synthetic"),
        (["--backbone", "resnet"], "invalid choice: 'resnet' (choose from 'eegnet', 'shallow')"),
        (["--protocol", "kfold"], "invalid choice: 'kfold'"),
        (["--attn", "nope"], "unknown attention module 'nope'; available: none"),
        (["--attn", "se", "--attn-at", "nowhere"], "no insertion point 'nowhere'; its points"),
        (["--attn", "se", "--attn-opt", "colour=red"], "does not take option(s) colour"),
        (["--fmin", "30", "--fmax", "8"], "need 0 <= fmin < fmax"),
        (["--max-epochs", "0"], "--max-epochs must be at least 1, got 0"),
        (["--data-dir", __file__], f"--data-dir '{__file__}' is not a folder"),
        (["--subjects", "1-x"], "invalid subjects '1-x'"),
        (["--subjects", "42"], "has no subject(s) [42]"),
        (["--tmax", "60"], "does not fit the 3 s trials"),
        (
            [
                "--dataset",
                "PhysionetMI",
                "--protocol",
                "cross-session",
                "--classes",
                "left_hand,right_hand",
                "--subjects",
                "1-3",
            ],
            None,
        ),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(capsys, tmp_path, args, message, physionet_or_none):
    if message is None:  # cross-session on a one-session dataset
        if physionet_or_none is None:
            pytest.skip("shared PhysioNet data not found (../shared/data)")
        args = [*args, "--data-dir", str(physionet_or_none)]
        message = "cross-session needs at least two sessions per subject"
    code, err = run_cli(capsys, *args, "--out", str(tmp_path / "run"), "--quiet")
    assert code == 2
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run" / "summary.json").exists()


def test_attention_option_value_the_module_cannot_use(capsys, tmp_path):
    code, err = run_cli(
        capsys,
        "--attn",
        "sa",
        "--attn-opt",
        "groups=3",
        "--subjects",
        "1-3",
        "--out",
        str(tmp_path / "run"),
        "--quiet",
    )
    assert code == 2 and "sa" in err and "groups" in err and "Traceback" not in err


def test_help_lists_every_option_with_defaults(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    for option in [
        "--dataset",
        "--subjects",
        "--backbone",
        "--protocol",
        "--classes",
        "--n-classes",
        "--fmin",
        "--fmax",
        "--tmin",
        "--tmax",
        "--resample",
        "--align",
        "--max-epochs",
        "--batch-size",
        "--lr",
        "--seed",
        "--data-dir",
        "--out",
        "--accelerator",
        "--devices",
        "--precision",
        "--quiet",
        "--attn",
        "--attn-at",
        "--attn-opt",
    ]:
        assert option in out
    assert "(default: loso)" in out


@pytest.fixture
def physionet_or_none():
    from conftest import PHYSIONET_FILES, SHARED_DATA

    return SHARED_DATA if (PHYSIONET_FILES / "S001" / "S001R04.edf").is_file() else None
