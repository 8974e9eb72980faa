"""Where data come from: MOABB's real BNCI loaders on files in their format, the default
data folder, downloads (on by default) and --offline, failing fast without a network."""

import json
import os
import socket

import pytest
from moabb_files import BNCI2014001, BNCI2014004, bnci_file, write_bnci

from bci_attn.data import data_folder
from bci_attn.run import main


def run_cli(capsys, *args) -> tuple[int, str]:
    try:
        code = main(list(args))
    except SystemExit as exit_info:
        code = exit_info.code
    return code, capsys.readouterr().err


@pytest.fixture
def fresh_home(tmp_path, monkeypatch):
    """A new user's machine: an empty home folder, no MNE_DATA."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("MNE_DATA", raising=False)
    for key in [k for k in os.environ if k.startswith("MNE_DATASETS_")]:
        monkeypatch.delenv(key)
    return home


@pytest.mark.parametrize(
    ("fmt", "dataset", "n_chans", "classes", "n_folds"),
    [
        # BNCI2014001: sessions 0train and 1test; BNCI2014004: each run is a session, and
        # the files hold 0train, 1train and 2test: two later sessions per subject.
        (BNCI2014001, "BNCI2014001", 22, ["left_hand", "right_hand", "feet", "tongue"], 2),
        (BNCI2014004, "BNCI2014004", 3, ["left_hand", "right_hand"], 4),
    ],
)
def test_bnci_files_go_through_moabbs_own_loader(
    capsys, tmp_path, fmt, dataset, n_chans, classes, n_folds
):
    data_dir = tmp_path / "mne_data"
    args = [
        *("--dataset", dataset, "--subjects", "1-2", "--protocol", "cross-session"),
        *("--max-epochs", "1", "--offline", "--data-dir", str(data_dir), "--quiet"),
        *("--out", str(tmp_path / "run")),
    ]
    # Offline and empty: one line naming the first file MOABB asks for, where it looks.
    code, err = run_cli(capsys, *args)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert f"file not found: {bnci_file(data_dir, fmt, 1, 'T')}" in err
    assert f"data folder {data_dir}" in err and "--offline" in err
    write_bnci(data_dir, fmt, [1, 2])
    assert run_cli(capsys, *args)[0] == 0
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["n_chans"] == n_chans and config["classes"] == classes
    assert config["subjects"] == [1, 2] and config["sfreq"] == 128.0
    folds = sorted(p.name for p in (tmp_path / "run" / "folds").glob("*.json"))
    # Every later session of each subject is tested against its first one.
    assert all(name.startswith(("subject1-0train-to-", "subject2-0train-to-")) for name in folds)
    assert len(folds) == n_folds


def test_a_download_that_cannot_reach_the_host_fails_in_one_line(
    capsys, tmp_path, monkeypatch, fresh_home
):
    def no_network(*args, **kwargs):
        raise socket.gaierror(-3, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    code, err = run_cli(
        capsys,
        *("--dataset", "BNCI2014001", "--subjects", "1", "--protocol", "cross-session"),
        *("--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "r")),
    )
    folder = fresh_home / "mne_data"  # MNE's default, created as MNE does
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert f"file not found: {bnci_file(folder, BNCI2014001, 1, 'T')}" in err
    assert "downloading it from lampx.tugraz.at failed" in err and "Traceback" not in err


def test_default_data_folder_follows_mnes_convention(tmp_path, monkeypatch, fresh_home):
    assert data_folder(None) == fresh_home / "mne_data"
    monkeypatch.setenv("MNE_DATA", str(tmp_path / "elsewhere"))
    assert data_folder(None) == tmp_path / "elsewhere"
    assert data_folder(str(tmp_path / "given")) == tmp_path / "given"
    with pytest.raises(ValueError, match="is not a folder"):
        data_folder(__file__)


def test_synthetic_data_need_no_data_folder(capsys, tmp_path, fresh_home):
    out = tmp_path / "run"
    args = ["--dataset", "synthetic", "--subjects", "1-3", "--n-classes", "2", "--tmax", "1"]
    code, err = run_cli(capsys, *args, "--max-epochs", "1", "--quiet", "--out", str(out))
    assert code == 0, err
    assert (out / "summary.json").is_file()
    assert not (fresh_home / "mne_data").exists()


def test_the_download_flag_of_earlier_versions_is_still_accepted(capsys, tmp_path):
    args = ["--dataset", "synthetic", "--download", "--list-folds", "--subjects", "1-3"]
    code, err = run_cli(capsys, *args)
    assert code == 0, err


def test_physionet_folder_with_hand_runs_only_names_the_classes_it_serves(
    capsys, tmp_path, physionet_dir
):
    code, err = run_cli(
        capsys,
        *("--dataset", "PhysionetMI", "--subjects", "1", "--offline"),
        *("--data-dir", str(physionet_dir), "--out", str(tmp_path / "r")),
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "S001R06.edf" in err and "--classes left_hand,right_hand" in err
