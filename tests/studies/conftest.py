"""Study files, a tiny run's options, and one tiny sweep trained once per session (shared by
the sweep, report and interpretation tests)."""

import json
from pathlib import Path

import pytest
import yaml

from bci_attn.config import RunConfig, build, read_document
from bci_attn.evaluation.executor import SequentialExecutor

#: Synthetic EEG, 3 subjects, 2 classes, 1 s trials, 1 epoch, plain training, units run in
#: this process: a study file's settings, in the current layout.
SETTINGS = {
    "data": {"dataset": "synthetic", "subjects": "1-3", "n_classes": 2, "tmax": 1.0},
    "training": {"max_epochs": 1},
    "execution": {"executor": "sequential"},
    "recipe": "plain",
}


def write_yaml(path: Path, document: dict) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture
def study_file(tmp_path):
    """``study_file(name, **keys)``: a study file in ``tmp_path`` whose ``out`` is
    ``tmp_path / name`` and whose ``settings`` are the tiny ones (unless given)."""

    def write(name: str, **keys) -> Path:
        document = {"out": str(tmp_path / name), "settings": SETTINGS, **keys}
        return write_yaml(tmp_path / f"{name}.yaml", document)

    return write


def tiny_config(out: Path, **values) -> RunConfig:
    """The tiny settings as a configuration, quiet, run folder ``out``, ``values`` on top."""
    config = build([read_document(SETTINGS, "settings")])
    return config.replace(out=str(out), quiet=True, **values)


@pytest.fixture
def tiny(tmp_path):
    """``tiny(name="run", **options)``: :func:`tiny_config` in ``tmp_path / name``."""
    return lambda name="run", **values: tiny_config(tmp_path / name, **values)


class Recording(SequentialExecutor):
    """Runs tasks in this process (one thread, as a study's own sequential executor) and
    records their units as ``(folder name, fold, seed)``."""

    def __init__(self) -> None:
        super().__init__(threads=1)
        self.trained: list[tuple[str, str, int]] = []

    def run(self, tasks, on_result, on_progress=None):
        self.trained += [(Path(u.folder).name, u.fold.name, u.seed) for t in tasks for u in t]
        return super().run(tasks, on_result, on_progress)


@pytest.fixture
def recording() -> Recording:
    """An executor that records what it trains."""
    return Recording()


#: The tiny sweep: the baseline (added), electrode attention at the input, and the
#: ensemble of the baseline's seeds 0 and 1 (its models, trained in its folder).
SWEEP_GRID = {
    "dataset": ["synthetic"],
    "backbone": ["eegnet"],
    "protocol": ["loso"],
    "attention": [
        {"name": "electrode", "attention": "electrode", "attention_at": ["input"]},
        {
            "name": "+ensemble",
            "attention": "none",
            "evaluation": {"seeds": [0, 1], "ensemble": True},
        },
    ],
}


@pytest.fixture(scope="session")
def trained_sweep(tmp_path_factory) -> Path:
    """The tiny sweep's folder, trained once: ``none`` with seeds 0 and 1 (the second for
    ``+ensemble``) and ``electrode`` with seed 0, 3 leave-one-subject-out folds each; the
    units trained are listed in ``trained.json`` beside it."""
    from bci_attn.studies.grid import Sweep

    tmp = tmp_path_factory.mktemp("sweep")
    spec = {
        "out": str(tmp / "sweep"),
        "settings": SETTINGS,
        "grid": SWEEP_GRID,
        "statistics": {"test": "permutation", "correction": "holm"},
    }
    path = write_yaml(tmp / "sweep.yaml", spec)
    recording = Recording()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BCI_ATTN_CACHE", str(tmp_path_factory.getbasetemp() / "cache"))
        Sweep(str(path), echo=lambda *a: None).run(recording)
    (tmp / "trained.json").write_text(json.dumps(recording.trained))  # what each unit trained
    return tmp / "sweep"
