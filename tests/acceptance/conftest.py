"""Shared pieces of the acceptance tests: the repository's root and ``bci-attn`` as a user
types it (the console script in a fresh process, or the same command in this one)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from bci_attn.cli.main import main, run_command

ROOT = Path(__file__).resolve().parents[2]


def console(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``bci-attn args`` through the installed console script, in ``cwd``."""
    script = shutil.which("bci-attn")
    assert script, "no bci-attn on PATH: pip install -e . (pyproject's [project.scripts])"
    return subprocess.run([script, *args], capture_output=True, text=True, cwd=cwd)


def in_process(command: str) -> int:
    """Run a documented command line (``bci-attn ...`` or ``python -m bci_attn.<name> ...``)
    in this process; its exit status."""
    words = shlex.split(command)
    try:
        if words[0] == "bci-attn":
            return main(words[1:])
        assert words[:2] == ["python", "-m"], command
        module = words[2]
        if module == "bci_attn.cli":
            return main(words[3:])
        name = module.removeprefix("bci_attn.")
        return run_command(name, words[3:], f"python -m {module}")
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else int(stop.code is not None)


@pytest.fixture
def at_root(monkeypatch):
    """Run in the repository's root, as the documentation's command lines assume."""
    monkeypatch.chdir(ROOT)
    return ROOT
