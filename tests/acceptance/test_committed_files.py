"""The committed configuration and study files: each is accepted by the commands that read
it, in the layout it is written in; the configuration files cover the published settings and
their headers' command lines work."""

import re
import shlex

import pytest
import yaml

from bci_attn import attention
from bci_attn.config import SECTIONS

from .conftest import ROOT, in_process

CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
STUDIES = sorted((ROOT / "experiments").glob("*.yaml"))


def printed(capsys, command: str) -> dict:
    """What ``command`` (ending in ``--print_config``) prints, as YAML."""
    assert in_process(command) == 0, capsys.readouterr().err
    return yaml.safe_load(capsys.readouterr().out)


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_a_configuration_file_is_read_by_run_and_fit(path, at_root, capsys):
    name = f"configs/{path.name}"
    run = printed(capsys, f"bci-attn run --config {name} --offline --print_config")
    assert (
        f"{run['model']['backbone']}_{run['model']['attention']}_"
        + (f"{run['data']['dataset'].lower()}_{run['evaluation']['protocol']}")
        == path.stem
    )
    fit = printed(capsys, f"bci-attn fit --config {name} --data.offline true --print_config")
    assert fit["model"]["lr"] == run["training"]["lr"]
    assert fit["trainer"]["max_epochs"] == run["training"]["max_epochs"]
    assert fit["data"]["dataset"] == run["data"]["dataset"]
    assert fit["seed_everything"] == run["evaluation"]["seeds"][0]


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_a_configuration_file_is_in_the_current_layout(path):
    document = yaml.safe_load(path.read_text())
    assert set(document) <= {*SECTIONS, "recipe"}
    assert document["recipe"] == "plain"  # the published routine in full


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_the_command_lines_of_a_configuration_files_header_work(path, at_root, capsys):
    commands = [
        line.split(":", 1)[1].split("  (")[0].strip()
        for line in path.read_text().splitlines()
        if re.match(r"# (One fold|Every fold|The folds): ", line)
    ]
    assert [shlex.split(c)[:2] for c in commands][:2] == [["bci-attn", "fit"], ["bci-attn", "run"]]
    for command in commands:
        if "--list-folds" not in command:  # that one loads the data
            assert in_process(f"{command} --print_config") == 0, capsys.readouterr().err


def test_the_configuration_files_cover_backbones_protocols_and_datasets():
    names = {p.stem for p in CONFIGS}
    for backbone in ("eegnet", "shallow"):
        for dataset in ("bnci2014001", "bnci2014004", "physionetmi"):
            for protocol in ("within-session", "cross-session", "loso"):
                if (dataset, protocol) != ("physionetmi", "cross-session"):  # one session
                    assert f"{backbone}_none_{dataset}_{protocol}" in names


@pytest.mark.parametrize("path", STUDIES, ids=[p.stem for p in STUDIES])
def test_a_study_file_checks_every_cell(path, at_root, capsys):
    kind = "select" if "space" in yaml.safe_load(path.read_text()) else "sweep"
    assert in_process(f"bci-attn {kind} experiments/{path.name} --check") == 0, (
        capsys.readouterr().err
    )
    assert re.match(rf"experiments/{path.name}: \d+ ", capsys.readouterr().out)


def test_the_attention_zoo_sweep_has_every_registered_module():
    spec = yaml.safe_load((ROOT / "experiments" / "attention_zoo_loso.yaml").read_text())
    assert spec["grid"]["attention"] == attention.available()
    assert [entry["name"] for entry in spec["grid"]["dataset"]] == ["synthetic", "PhysionetMI"]
