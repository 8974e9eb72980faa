"""MOABB motor-imagery datasets by name, loaded offline from a local MNE data folder."""

from __future__ import annotations

import contextlib
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from ..config.schema import ConfigError

if TYPE_CHECKING:
    from moabb.datasets.base import BaseDataset


class MissingDataError(RuntimeError):
    """A dataset's file is neither in the data folder nor downloadable (offline, or the
    download failed)."""


SYNTHETIC = "synthetic"


def same_dataset(name: str, other: str) -> bool:
    """Whether two spellings name one dataset (``BNCI2014001`` and ``bnci2014_001`` do)."""
    return _normalise(name) == _normalise(other)


def _normalise(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _moabb_classes() -> dict[str, type[BaseDataset]]:
    """MOABB's dataset classes by normalised name (``bnci2014001`` -> ``BNCI2014_001``)."""
    from moabb.datasets import utils
    from moabb.utils import aliases_list

    utils._init_dataset()
    deprecated = {alias[0] for alias in aliases_list}
    return {
        _normalise(cls.__name__): cls
        for cls in utils.dataset_list
        if cls.__name__ not in deprecated and not cls.__name__.startswith("Fake")
    }


def imagery_dataset_names() -> list[str]:
    """MOABB's motor-imagery datasets (their class names), plus ``synthetic``."""
    names = []
    for cls in _moabb_classes().values():
        try:
            if cls().paradigm == "imagery":
                names.append(cls.__name__)
        except Exception:  # noqa: BLE001  a dataset whose constructor needs arguments
            continue
    return [SYNTHETIC, *sorted(names)]


def resolve_dataset(name: str, executed: bool = False) -> BaseDataset:
    """Instantiate a motor-imagery dataset from its MOABB name (any spelling) or ``synthetic``.

    ``BNCI2014001`` and ``BNCI2014_001`` name the same dataset. PhysionetMI is built with
    its imagined runs, and with its executed runs too when ``executed`` (the same
    classes, moved for real: :func:`run_tasks` tells them apart).

    Raises
    ------
    ValueError
        Unknown name, or a MOABB dataset that is not motor imagery; the message lists the
        motor-imagery datasets.
    """
    physionet = same_dataset(name, "PhysionetMI")
    if executed and not physionet:
        raise ConfigError(
            "data.executed",
            f"takes PhysionetMI, which records executed movements beside imagined ones; "
            f"{name} records imagery only",
        )
    if _normalise(name) == SYNTHETIC:
        from .synthetic import SyntheticMotorImagery

        return SyntheticMotorImagery()
    classes = _moabb_classes()
    cls = classes.get(_normalise(name))
    if cls is None:
        raise ValueError(
            f"unknown dataset '{name}'; motor-imagery datasets: "
            f"{', '.join(imagery_dataset_names())}"
        )
    dataset = cls(imagined=True, executed=executed) if physionet else cls()
    if dataset.paradigm != "imagery":
        raise ValueError(
            f"dataset '{name}' is a {dataset.paradigm} dataset, not motor imagery; "
            f"motor-imagery datasets: {', '.join(imagery_dataset_names())}"
        )
    return dataset


def dataset_name(dataset: BaseDataset) -> str:
    """Stable name of a dataset (its class name)."""
    return type(dataset).__name__


#: PhysionetMI's runs of executed (real) movements; the others are imagined.
PHYSIONET_EXECUTED = (3, 5, 7, 9, 11, 13)


def run_tasks(dataset: BaseDataset) -> dict[str, str]:
    """What each run of a subject's session records, by MOABB's run name: ``imagery`` or
    ``execution``; empty when every run is imagery.

    MOABB numbers PhysionetMI's runs in the order of its ``hand_runs`` then ``feet_runs``
    (after :func:`restrict_runs`).
    """
    if dataset_name(dataset) != "PhysionetMI" or not getattr(dataset, "executed", False):
        return {}
    runs = [*dataset.hand_runs, *dataset.feet_runs]
    return {
        str(index): "execution" if run in PHYSIONET_EXECUTED else "imagery"
        for index, run in enumerate(runs)
    }


def restrict_runs(dataset: BaseDataset, classes: list[str]) -> None:
    """Load only the runs the chosen classes need.

    PhysionetMI records hands-vs-feet and left-vs-right in different runs: asking for
    left/right hand must not open (or try to download) the feet runs, and the reverse.
    """
    if dataset_name(dataset) != "PhysionetMI":
        return
    if not set(classes) & {"feet", "hands"}:
        dataset.feet_runs = []
    if not set(classes) & {"left_hand", "right_hand"}:
        dataset.hand_runs = []


def data_folder(data_dir: str | os.PathLike | None) -> Path:
    """The MNE data folder: ``data_dir``, else MNE's own convention.

    As MNE and MOABB resolve it: the ``MNE_DATA`` environment variable, then ``MNE_DATA``
    in MNE's configuration file, then ``~/mne_data``. The folder need not exist yet (it
    is created when a file is downloaded into it).

    Raises
    ------
    ValueError
        When the path exists and is not a folder.
    """
    import mne

    if data_dir is None:
        data_dir = os.environ.get("MNE_DATA") or mne.get_config("MNE_DATA")
    if data_dir is None:
        data_dir = Path.home() / "mne_data"
    path = Path(data_dir).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise ValueError(f"--data-dir '{data_dir}' is not a folder")
    return path


def use_data_dir(path: Path) -> None:
    """Point MNE and MOABB at the data folder ``path`` and at no remote index.

    Sets ``MNE_DATA``, every ``MNE_DATASETS_<SIGN>_PATH`` MNE knows of, and MOABB's
    download provider to ``upstream`` (with ``auto`` MOABB first queries a remote index,
    which stalls for tens of seconds per subject without a network; MOABB PR #1169).
    """
    import mne

    os.environ["MNE_DATA"] = str(path)
    keys = {k for k in mne.get_config() if k.startswith("MNE_DATASETS_") and k.endswith("_PATH")}
    keys |= {f"MNE_DATASETS_{sign}_PATH" for sign in ("EEGBCI", "BNCI", "GIGADB", "ZHOU2016")}
    for key in keys:
        os.environ[key] = str(path)
    os.environ["MOABB_DOWNLOAD_PROVIDER"] = "upstream"


#: Seconds to wait for a server to answer (connect, then each read) before a download fails:
#: a machine whose network drops packets fails instead of hanging.
DOWNLOAD_TIMEOUT = (10, 60)

#: PhysionetMI's runs by the classes they serve (imagined runs; MOABB's ``hand_runs`` and
#: ``feet_runs``), for the message that names what a data folder can serve.
PHYSIONET_RUNS = {"left_hand,right_hand": (4, 8, 12), "feet,hands": (6, 10, 14)}


def servable_classes(dataset: str, target: Path) -> list[str]:
    """For a PhysionetMI file missing at ``target``, the ``--classes`` values whose runs of
    that subject are all in its folder (empty for other datasets)."""
    if dataset != "PhysionetMI" or not target.name[:4].startswith("S"):
        return []
    subject = target.name[:4]
    return [
        classes
        for classes, runs in PHYSIONET_RUNS.items()
        if all((target.parent / f"{subject}R{run:02d}.edf").is_file() for run in runs)
    ]


def missing_file_error(
    dataset: str, target: Path, folder: Path, why: str, offline: bool
) -> MissingDataError:
    """One line: the dataset, the missing file, the folder searched, why it could not be
    fetched and what to do (for PhysionetMI, the classes the folder can serve)."""
    hint = "put the file there or set --data-dir" + (
        ", or allow downloads (drop --offline)" if offline else ""
    )
    classes = servable_classes(dataset, target)
    if classes:
        hint = "this folder holds the runs of --classes " + " or --classes ".join(classes)
    run = re.fullmatch(r"S\d{3}R(\d{2})", target.stem)
    if dataset == "PhysionetMI" and run:
        if int(run.group(1)) in PHYSIONET_EXECUTED:
            hint += (
                "; it records executed movements, which --executed adds (the cross-subject "
                "recipe's default on PhysionetMI): --no-executed trains on imagery alone"
            )
    return MissingDataError(
        f"dataset {dataset}: file not found: {target} (data folder {folder}; {why}): {hint}"
    )


def download_failure(error: Exception) -> str:
    """A few words on why a download failed (requests' messages run to several lines)."""
    import requests

    if isinstance(error, requests.Timeout):
        return f"no answer within {DOWNLOAD_TIMEOUT[0]} s"
    if isinstance(error, requests.ConnectionError):
        return "the host could not be reached (no network?)"
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return f"HTTP {error.response.status_code}"
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text[:120]}" if text else type(error).__name__


@contextlib.contextmanager
def fetching(dataset: str, folder: Path, offline: bool) -> Iterator[None]:
    """Load ``dataset``'s files from ``folder``, downloading missing ones unless ``offline``.

    MOABB fetches every file through pooch's ``retrieve``; here a file that is on disk is
    read as it is. A missing one is downloaded, with a timeout and no retries, and a
    failed download (no network, a host that does not answer) raises
    :class:`MissingDataError` in one line naming the file, the folder and the host.
    ``offline`` refuses every download, and any other network access (remote indexes,
    file listings) at the socket, so a missing file fails at once.
    """
    from moabb.datasets import download

    original = download.retrieve

    def retrieve(url, known_hash, fname, path, **kwargs):
        target = Path(path) / fname
        if offline and not target.is_file():
            raise missing_file_error(
                dataset, target, folder, "downloads are off: --offline", offline
            )
        downloader = kwargs.get("downloader")
        if downloader is not None and hasattr(downloader, "kwargs"):
            downloader.kwargs.setdefault("timeout", DOWNLOAD_TIMEOUT)
        try:
            return original(url, known_hash, fname=fname, path=path, **kwargs)
        except Exception as error:  # noqa: BLE001  requests', pooch's and OS errors alike
            why = f"downloading it from {urlparse(url).netloc} failed: {download_failure(error)}"
            raise missing_file_error(dataset, target, folder, why, offline) from None

    def no_network(*args, **kwargs):
        # An OSError, as on a machine without network: MOABB falls back from its remote
        # indexes to the dataset's own files, where ``retrieve`` names what is missing.
        raise ConnectionRefusedError(f"network access is off while loading {dataset}")

    provider = os.environ.get("MOABB_DOWNLOAD_PROVIDER")
    os.environ["MOABB_DOWNLOAD_PROVIDER"] = "upstream"  # no remote index lookups with retries
    patched = [(download, "retrieve", retrieve)]
    if offline:
        patched += [(socket.socket, "connect", no_network), (socket, "getaddrinfo", no_network)]
    originals = [(owner, name, getattr(owner, name)) for owner, name, _ in patched]
    for owner, name, value in patched:
        setattr(owner, name, value)
    try:
        yield
    except OSError as error:
        raise MissingDataError(
            f"dataset {dataset}: its files are not all in {folder}, and MOABB's attempt to "
            f"reach the network failed ({error})"
            + ("; downloads are off: drop --offline to allow them" if offline else "")
        ) from None
    finally:
        for owner, name, value in originals:
            setattr(owner, name, value)
        if provider is None:
            del os.environ["MOABB_DOWNLOAD_PROVIDER"]
        else:
            os.environ["MOABB_DOWNLOAD_PROVIDER"] = provider
