"""Where data come from: datasets by name, MOABB's real BNCI loaders on files in their
format, the default data folder, downloads (on by default) and offline loading, failing
fast without a network."""

import os
import socket

import pytest

from bci_attn.data import (
    MissingDataError,
    Preprocessing,
    data_folder,
    load_trials,
    resolve_dataset,
    session_order,
)
from bci_attn.data.datasets import missing_file_error

from .moabb_files import BNCI2014001, BNCI2014004, bnci_file, write_bnci


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


def missing(dataset: str, subjects: list[int], **where) -> str:
    """The one-line message of the MissingDataError that loading ``dataset`` raises."""
    with pytest.raises(MissingDataError) as info:
        load_trials(resolve_dataset(dataset), subjects, Preprocessing(), cache_dir=None, **where)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_dataset_names_in_any_spelling():
    assert type(resolve_dataset("BNCI2014001")).__name__ == "BNCI2014_001"
    assert type(resolve_dataset("bnci2014_001")).__name__ == "BNCI2014_001"
    with pytest.raises(ValueError, match="motor-imagery datasets: synthetic, .*PhysionetMI"):
        resolve_dataset("NoSuchDataset")


def test_missing_files_fail_at_once_naming_them(tmp_path):
    message = missing("BNCI2014001", [1], data_dir=tmp_path, offline=True)
    assert "BNCI2014_001: file not found: " in message and "A01T.mat" in message


def test_a_missing_run_of_executed_movements_says_how_to_leave_them_out(tmp_path):
    subject = tmp_path / "MNE-eegbci-data" / "files" / "eegmmidb" / "1.0.0" / "S001"
    subject.mkdir(parents=True)
    for run in (4, 8, 12):  # the imagined left/right hand runs only
        (subject / f"S001R{run:02d}.edf").touch()
    executed, imagined = subject / "S001R03.edf", subject / "S001R06.edf"
    message = str(missing_file_error("PhysionetMI", executed, tmp_path, "offline", True))
    assert "S001R03.edf" in message and "--no-executed trains on imagery alone" in message
    assert "this folder holds the runs of --classes left_hand,right_hand" in message
    message = str(missing_file_error("PhysionetMI", imagined, tmp_path, "offline", True))
    assert "--no-executed" not in message


@pytest.mark.parametrize(
    ("fmt", "dataset", "n_chans", "classes", "n_later_sessions"),
    [
        # BNCI2014001: sessions 0train and 1test; BNCI2014004: each run is a session, and
        # the files hold 0train, 1train and 2test: two later sessions per subject.
        (BNCI2014001, "BNCI2014001", 22, ["left_hand", "right_hand", "feet", "tongue"], 2),
        (BNCI2014004, "BNCI2014004", 3, ["left_hand", "right_hand"], 4),
    ],
)
def test_bnci_files_go_through_moabbs_own_loader(
    tmp_path, fmt, dataset, n_chans, classes, n_later_sessions
):
    data_dir = tmp_path / "mne_data"
    # Offline and empty: one line naming the first file MOABB asks for, where it looks.
    message = missing(dataset, [1, 2], data_dir=data_dir, offline=True)
    assert f"file not found: {bnci_file(data_dir, fmt, 1, 'T')}" in message
    assert f"data folder {data_dir}" in message and "--offline" in message
    write_bnci(data_dir, fmt, [1, 2])
    data = load_trials(
        resolve_dataset(dataset), [1, 2], Preprocessing(), data_dir=data_dir, offline=True
    )
    assert data.n_chans == n_chans and data.classes == classes
    assert sorted(set(data.meta["subject"])) == [1, 2] and data.sfreq == 128.0
    # Every subject's first session is its training one; the later ones can be tested.
    later = 0
    for _, rows in data.meta.groupby("subject"):
        first, *rest = session_order(rows["session"].tolist())
        assert first == "0train"
        later += len(rest)
    assert later == n_later_sessions


def test_a_download_that_cannot_reach_the_host_fails_in_one_line(
    tmp_path, monkeypatch, fresh_home
):
    def no_network(*args, **kwargs):
        raise socket.gaierror(-3, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    message = missing("BNCI2014001", [1])
    folder = fresh_home / "mne_data"  # MNE's default, created as MNE does
    assert f"file not found: {bnci_file(folder, BNCI2014001, 1, 'T')}" in message
    assert "downloading it from lampx.tugraz.at failed" in message


def test_default_data_folder_follows_mnes_convention(tmp_path, monkeypatch, fresh_home):
    assert data_folder(None) == fresh_home / "mne_data"
    monkeypatch.setenv("MNE_DATA", str(tmp_path / "elsewhere"))
    assert data_folder(None) == tmp_path / "elsewhere"
    assert data_folder(str(tmp_path / "given")) == tmp_path / "given"
    with pytest.raises(ValueError, match="is not a folder"):
        data_folder(__file__)


def test_synthetic_data_need_no_data_folder(fresh_home):
    prep = Preprocessing(n_classes=2, tmax=1.0)
    data = load_trials(resolve_dataset("synthetic"), [1, 2, 3], prep, cache_dir=None)
    assert sorted(set(data.meta["subject"])) == [1, 2, 3] and len(data.classes) == 2
    assert not (fresh_home / "mne_data").exists()


def test_physionet_folder_with_hand_runs_only_names_the_classes_it_serves(physionet_dir):
    message = missing("PhysionetMI", [1], data_dir=physionet_dir, offline=True)
    assert "S001R06.edf" in message and "--classes left_hand,right_hand" in message
