"""The summary command line (its library is :mod:`bci_attn.models.cost`, tested in
``tests/models/test_cost.py``): flags in, one clear line out on bad input.

Left for the new command line (``bci_attn.cli.summary``): these tests call its ``main``.
"""

import pytest

from bci_attn import attention
from bci_attn.cli.summary import main
from bci_attn.config import DataConfig
from bci_attn.models.cost import data_shape, summarize


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return exit_info.value.code, captured.err


def test_parameters_are_those_of_build_model(capsys):
    assert main(["--backbone", "eegnet", "--attn", "ham", "--dataset", "BNCI2014001"]) == 0
    out = capsys.readouterr().out
    summary = summarize("eegnet", "ham", data_shape(DataConfig(dataset="BNCI2014001")))
    total = f"{summary.params:,}"
    assert any(line.startswith("total") and total in line for line in out.splitlines())
    assert f"{summary.backbone_params:,}" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--attn", "nope"], "unknown attention module 'nope'; available: none"),
        (["--dataset", "NoSuch"], "unknown dataset 'NoSuch'; motor-imagery datasets:"),
        (["--attn", "se", "--attn-at", "nowhere"], "no insertion point 'nowhere'; its points"),
        (["--backbone", "resnet"], "unknown backbone 'resnet'; available: eegnet, shallow"),
        (["--attn", "se", "--attn-opt", "colour=red"], "does not take option(s) colour"),
        (["--attn", "electrode", "--attn-at", "separable"], "single row (H = 1)"),
        (["--tmax", "9"], "does not fit the 4 s trials"),
        (["--classes", "left_hand,elbow"], "has no class elbow"),
        (["--all", "--attn-opt", "reduction=2"], "--attn-opt cannot be used with --all"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(capsys, args, message):
    code, err = run_cli(capsys, *args)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_all_lists_every_registered_module(capsys):
    args = ["--all", "--dataset", "synthetic", "--tmax", "1", "--resample", "64"]
    assert main([*args, "--backbone", "eegnet"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0] for line in out.splitlines()[4:] if line.strip()}
    assert rows == set(attention.available())
    assert "refused" not in out  # every module builds at its default point


def test_markdown_names_its_command(capsys):
    args = ["--all", "--markdown", "--dataset", "synthetic", "--tmax", "1"]
    assert main([*args, "--backbone", "shallow"]) == 0
    out = capsys.readouterr().out
    assert "`python -m bci_attn.summary --all --markdown --dataset synthetic" in out
    names = [line.split("|")[1].strip() for line in out.splitlines() if line.startswith("| ")]
    assert names[1:] == attention.available()
