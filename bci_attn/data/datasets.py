"""MOABB motor-imagery datasets by name, loaded offline from a local MNE data folder."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from moabb.datasets.base import BaseDataset


class MissingDataError(RuntimeError):
    """The dataset's files are not in the data folder and nothing may be downloaded."""


SYNTHETIC = "synthetic"


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


def resolve_dataset(name: str) -> BaseDataset:
    """Instantiate a motor-imagery dataset from its MOABB name (any spelling) or ``synthetic``.

    ``BNCI2014001`` and ``BNCI2014_001`` name the same dataset. PhysionetMI is built with
    imagined runs only.

    Raises
    ------
    ValueError
        Unknown name, or a MOABB dataset that is not motor imagery; the message lists the
        motor-imagery datasets.
    """
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
    dataset = cls(imagined=True, executed=False) if cls.__name__ == "PhysionetMI" else cls()
    if dataset.paradigm != "imagery":
        raise ValueError(
            f"dataset '{name}' is a {dataset.paradigm} dataset, not motor imagery; "
            f"motor-imagery datasets: {', '.join(imagery_dataset_names())}"
        )
    return dataset


def dataset_name(dataset: BaseDataset) -> str:
    """Stable name of a dataset (its class name)."""
    return type(dataset).__name__


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


def use_data_dir(data_dir: str | os.PathLike | None) -> Path:
    """Point MNE and MOABB at ``data_dir`` (else ``MNE_DATA``) and at no remote index.

    Sets ``MNE_DATA``, every ``MNE_DATASETS_<SIGN>_PATH`` MNE knows of, and MOABB's download
    provider to ``upstream`` (with ``auto`` MOABB first queries a remote index, which
    stalls for tens of seconds per subject without a network; MOABB PR #1169).

    Raises
    ------
    ValueError
        When ``data_dir`` does not exist.
    """
    import mne

    if data_dir is None:
        data_dir = os.environ.get("MNE_DATA") or mne.get_config("MNE_DATA")
    if data_dir is None:
        data_dir = Path.home() / "mne_data"
    path = Path(data_dir).expanduser().resolve()
    if not path.is_dir():
        raise ValueError(f"--data-dir '{data_dir}' does not exist or is not a folder")
    os.environ["MNE_DATA"] = str(path)
    keys = {k for k in mne.get_config() if k.startswith("MNE_DATASETS_") and k.endswith("_PATH")}
    keys |= {f"MNE_DATASETS_{sign}_PATH" for sign in ("EEGBCI", "BNCI", "GIGADB", "ZHOU2016")}
    for key in keys:
        os.environ[key] = str(path)
    os.environ["MOABB_DOWNLOAD_PROVIDER"] = "upstream"
    return path


@contextlib.contextmanager
def offline(dataset: str, folder: Path) -> Iterator[None]:
    """Forbid every download while loading ``dataset``: a missing file fails at once.

    MOABB fetches each file through pooch's ``retrieve``; here a file that is on disk is
    returned as it is and a missing one raises :class:`MissingDataError` naming it. Any
    other network access (remote indexes, file listings) is refused at the socket.
    """
    from moabb.datasets import download

    missing: list[str] = []

    def local_only(url, known_hash, fname, path, **kwargs):
        target = Path(path) / fname
        if target.is_file():
            return str(target)
        missing.append(str(target))
        raise MissingDataError(
            f"dataset {dataset}: file not found: {target} (searched {folder}; downloads are "
            f"off: put the files there, set --data-dir, or pass --download)"
        )

    def no_network(*args, **kwargs):
        # An OSError, as on a machine without network: MOABB falls back from its remote
        # indexes to the dataset's own files, where ``local_only`` names what is missing.
        raise ConnectionRefusedError(f"network access is off while loading {dataset}")

    provider = os.environ.get("MOABB_DOWNLOAD_PROVIDER")
    os.environ["MOABB_DOWNLOAD_PROVIDER"] = "upstream"  # no remote index lookups with retries
    originals = (download.retrieve, socket.socket.connect, socket.getaddrinfo)
    download.retrieve, socket.socket.connect, socket.getaddrinfo = (
        local_only,
        no_network,
        no_network,
    )
    try:
        yield
    except OSError as error:
        raise MissingDataError(
            f"dataset {dataset}: its files are not all in {folder} and MOABB tried the "
            f"network, which is off (pass --download to allow it): {error}"
        ) from None
    finally:
        download.retrieve, socket.socket.connect, socket.getaddrinfo = originals
        if provider is None:
            del os.environ["MOABB_DOWNLOAD_PROVIDER"]
        else:
            os.environ["MOABB_DOWNLOAD_PROVIDER"] = provider
