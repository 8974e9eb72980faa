"""Every command line the README and the user guide show that needs neither data nor a GPU
is accepted: ``run`` and ``fit`` resolve their configuration (``--print_config``), studies
check every cell (``--check``, which loads no data), listings and ``summary`` run."""

import re
import shlex

import pytest

from .conftest import in_process

#: The command lines as the documentation shows them (``\\`` continuations joined).
DOCUMENTED = [
    # the main job and the tour
    "bci-attn run --dataset synthetic",
    "python -m bci_attn.run --dataset synthetic",
    "bci-attn run --help",
    "bci-attn run --list-attention",
    "bci-attn run --list-backbones",
    "bci-attn run --list-protocols",
    "bci-attn run --list-recipes",
    "bci-attn run --list-augmentations",
    "bci-attn run --dataset synthetic --list-folds",
    "bci-attn run --dataset synthetic --print_config",
    "bci-attn run --dataset synthetic --attn cbam --print_config",
    "bci-attn run --dataset synthetic --attn cbam --recipe plain --print_config",
    # running on real data, attention, transfer, recipes
    "bci-attn run --dataset BNCI2014001 --attn ham --protocol loso",
    "bci-attn run --dataset BNCI2014001 --backbone eegnet --attn ham --protocol loso",
    "bci-attn run --attn se",
    "bci-attn run --attn ham --attn-at temporal,separable",
    "bci-attn run --attn cbam --attn-opt reduction=8 --attn-opt variant=paper",
    "bci-attn run --dataset PhysionetMI --subjects 1-10 --classes left_hand,right_hand "
    "--data-dir ../shared/data/mne_data --protocol loso --align euclidean",
    "bci-attn run --dataset PhysionetMI --subjects 1-10 --classes left_hand,right_hand "
    "--data-dir ../shared/data/mne_data --backbone eegnet --protocol loso --max-epochs 30 "
    "--recipe plain --no-channels-last --align none",
    "bci-attn run --dataset PhysionetMI --subjects 1-10 --classes left_hand,right_hand "
    "--data-dir ../shared/data/mne_data --protocol loso --batch-size 16 --align euclidean "
    "--augment time_shift,smooth_time_mask,channels_dropout,frequency_shift --swa-start 0.75 "
    "--seed 0 1 2 --ensemble",
    "bci-attn run --dataset PhysionetMI --classes left_hand,right_hand --protocol holdout "
    "--train-subjects 1-7 --test-subjects 8-10 --calibration-trials 5 10 --backbone eegnet "
    "--max-epochs 30 --data-dir ../shared/data/mne_data --no-channels-last --recipe plain "
    "--out runs/physionet-holdout-calibration",
    "bci-attn run --train-dataset PhysionetMI --test-dataset BNCI2014001 "
    "--classes left_hand,right_hand",
    # configuration files
    "bci-attn run --config configs/eegnet_ham_bnci2014001_loso.yaml --max-epochs 50 --seed 0 1",
    "bci-attn run --config configs/eegnet_ham_bnci2014001_loso.yaml --print_config",
    "bci-attn fit --config configs/eegnet_ham_bnci2014001_loso.yaml --data.fold subject3",
    "bci-attn fit --config configs/eegnet_ham_bnci2014001_loso.yaml --print_config",
    "python -m bci_attn.cli fit --config configs/eegnet_ham_bnci2014001_loso.yaml "
    "--data.fold subject3",
    # studies
    "bci-attn sweep experiments/smoke.yaml",
    "bci-attn sweep experiments/attention_zoo.yaml --check",
    "bci-attn sweep experiments/attention_zoo.yaml --tables-only",
    "bci-attn sweep experiments/attention_zoo_loso.yaml",
    "bci-attn sweep experiments/physionet_loso.yaml",
    "bci-attn sweep experiments/recipe_ablation.yaml",
    "python -m bci_attn.sweep experiments/smoke.yaml",
    "bci-attn select experiments/recipe_selection.yaml --check",
    "python -m bci_attn.select experiments/recipe_selection.yaml",
    # reports and costs
    "bci-attn report runs/smoke",
    "python -m bci_attn.report experiments/physionet_loso",
    "bci-attn summary --backbone eegnet --attn ham --dataset BNCI2014001",
    "bci-attn summary --all --backbone eegnet,shallow",
    "python -m bci_attn.summary --attn se",
]

LISTINGS = ("--help", "--print_config", "--list-")


def checked(command: str) -> str:
    """``command`` as it is checked here, without data: ``run``/``fit`` print their
    configuration, studies check their cells, reports show their help."""
    words = shlex.split(command)
    name = words[1] if words[0] == "bci-attn" else words[2].rpartition(".")[2]
    if name == "cli":
        name = words[3]
    if name == "run" and not any(w.startswith(LISTINGS) for w in words):
        words.append("--print_config")
    elif name == "fit" and "--print_config" not in words:
        words.append("--print_config")
    elif name in ("sweep", "select"):
        words = [w for w in words if w != "--tables-only"]
        words += [] if "--check" in words else ["--check"]
    elif name == "report":
        words = [*words[: words.index(next(w for w in words if "/" in w))], "--help"]
    return shlex.join(words)


#: The checks, once each; a committed study file's ``--check`` is
#: test_committed_files.py's (the attention zoo's takes a minute and a half).
CHECKS = [
    c for c in dict.fromkeys(map(checked, DOCUMENTED))
    if not re.fullmatch(r"bci-attn (sweep|select) experiments/\S+ --check", c)
]  # fmt: skip


@pytest.mark.parametrize("command", CHECKS)
def test_a_documented_command_is_accepted(command, at_root, capsys):
    assert in_process(command) == 0, capsys.readouterr().err


def test_the_zoo_cost_page_is_what_its_command_prints(at_root, capsys):
    page = (at_root / "docs" / "attention_zoo.md").read_text()
    command = next(line for line in page.splitlines() if line.startswith("Generated by `"))
    command = command.split("`")[1]
    assert in_process(command) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[3:] == page.splitlines()[3:], (
        f"docs/attention_zoo.md is out of date: run {command} > docs/attention_zoo.md"
    )
