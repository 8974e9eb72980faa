"""Shared pieces of the command-line tests: ``bci-attn`` run in this process, tiny settings,
configuration files, and one tiny run and one tiny sweep trained once per session."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bci_attn.cli.main import main

ROOT = Path(__file__).resolve().parents[2]

#: Synthetic EEG, 3 subjects, 2 classes, 1 s trials, 1 epoch, plain training, in this
#: process: the smallest run that trains every fold.
TINY = [
    *("--dataset", "synthetic", "--subjects", "1-3", "--n-classes", "2", "--tmax", "1"),
    *("--max-epochs", "1", "--recipe", "plain", "--executor", "sequential", "--quiet"),
]
#: :data:`TINY` as the sections of a configuration file.
TINY_SECTIONS = {
    "data": {"dataset": "synthetic", "subjects": "1-3", "n_classes": 2, "tmax": 1.0},
    "training": {"max_epochs": 1},
    "execution": {"executor": "sequential", "quiet": True},
    "recipe": "plain",
}


@dataclass
class Result:
    """What a command did: its exit status and what it printed."""

    code: int
    out: str
    err: str

    @property
    def error(self) -> str:
        """The one line a refused command writes (asserting it is one line, no traceback)."""
        lines = self.err.strip().splitlines()
        assert self.code == 2, f"exit status {self.code}, expected 2; stderr: {self.err}"
        assert "Traceback" not in self.err, self.err
        assert len(lines) == 1, f"expected one line, got:\n{self.err}"
        return lines[0]


def write_yaml(path: Path, document: dict) -> Path:
    """``document`` written to ``path`` as YAML; returns ``path``."""
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def fold_files(folder: Path) -> dict[str, dict]:
    """The fold results of a run folder, by file name (``subject1-seed0``)."""
    return {p.stem: json.loads(p.read_text()) for p in sorted((folder / "folds").glob("*.json"))}


def invoke(capsys, *args) -> Result:
    """``bci-attn args`` in this process."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


@pytest.fixture
def cli(capsys):
    """``cli(*args)``: run ``bci-attn args`` in this process; its :class:`Result`."""
    return lambda *args: invoke(capsys, *args)


@pytest.fixture
def printed(cli):
    """``printed(*args)``: the configuration ``bci-attn run args --print_config`` prints,
    as a mapping of sections."""

    def show(*args) -> dict:
        result = cli("run", *args, "--print_config")
        assert result.code == 0, result.err
        return yaml.safe_load(result.out)

    return show


@pytest.fixture
def no_training(monkeypatch):
    """Any training fails the test."""
    import bci_attn.training.fit

    def fit(*args, **kwargs):
        pytest.fail("a unit was trained")

    monkeypatch.setattr(bci_attn.training.fit, "fit", fit)


def _session_cache(factory, monkeypatch) -> None:
    monkeypatch.setenv("BCI_ATTN_CACHE", str(factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """A tiny LOSO run (:data:`TINY`, seed 0) trained once: its folder."""
    folder = tmp_path_factory.mktemp("tiny") / "run"
    with pytest.MonkeyPatch.context() as patch:
        _session_cache(tmp_path_factory, patch)
        assert main(["run", *TINY, "--out", str(folder)]) == 0
    return folder


def tiny_sweep_spec(folder: Path, **changes) -> dict:
    """A sweep of :data:`TINY_SECTIONS` with electrode attention (and the baseline the
    sweep adds), seed 0, into ``folder / "sweep"``; ``changes`` replace its keys."""
    spec = {
        "out": str(folder / "sweep"),
        "settings": TINY_SECTIONS,
        "grid": {
            "dataset": ["synthetic"],
            "backbone": ["eegnet"],
            "protocol": ["loso"],
            "attention": [
                {"name": "electrode", "attention": "electrode", "attention_at": ["input"]}
            ],
            "seeds": [0],
        },
        "statistics": {"test": "permutation", "correction": "holm"},
    }
    return {**spec, **changes}


@pytest.fixture(scope="session")
def tiny_sweep(tmp_path_factory) -> Path:
    """The tiny sweep (``none`` and ``electrode`` x 3 LOSO folds), trained once: its folder
    (the spec is ``sweep.yaml`` beside it)."""
    root = tmp_path_factory.mktemp("sweep")
    spec = write_yaml(root / "sweep.yaml", tiny_sweep_spec(root))
    with pytest.MonkeyPatch.context() as patch:
        _session_cache(tmp_path_factory, patch)
        assert main(["sweep", str(spec)]) == 0
    return root / "sweep"
