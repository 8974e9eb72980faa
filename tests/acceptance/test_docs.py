"""The documentation: the site builds with warnings as errors, and README stays a short
page whose set-up commands are the two that CI runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

#: README's two set-up commands; .ci/run runs the second (the first is the main job).
SETUP = [
    "pip install -c requirements/lock.txt -e . && python -m bci_attn.run --dataset synthetic",
    "pip install -c requirements/lock.txt -e '.[test]' && python -m pytest -q",
]
#: How .ci/run finds the test command in README (grep -m1 -E).
CI_PATTERN = r"^pip install .*\[test\].* && python -m pytest"
#: Two screens.
README_LINES = 70


def test_readme_setup_commands_are_the_two_ci_runs():
    lines = README.read_text().splitlines()
    assert [line for line in lines if line.startswith("pip install")] == SETUP
    assert next(line for line in lines if re.search(CI_PATTERN, line)) == SETUP[1]
    for command in SETUP:  # each in its own code block, after a comment line
        i = lines.index(command)
        assert lines[i - 2] == "```bash", command
        assert lines[i - 1].startswith("# "), command
        assert lines[i + 1] == "```", command


def test_readme_fits_two_screens():
    lines = README.read_text().splitlines()
    assert len(lines) <= README_LINES, f"README.md has {len(lines)} lines (two screens: 70)"


@pytest.mark.slow
def test_site_builds_without_warnings(tmp_path):
    out = tmp_path / "html"
    command = ["-W", "--keep-going", "-q", "-b", "html", "docs", str(out)]  # warnings: errors
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, f"sphinx-build failed:\n{build.stderr[-6000:]}"

    pages = ["index", "install", "tour", "guide/configuration", "results/recipe", "api/index"]
    for page in pages:
        assert (out / f"{page}.html").is_file(), page
    for package in ("config", "attention", "models", "data", "training", "evaluation", "studies"):
        assert (out / "api" / "generated" / f"bci_attn.{package}.html").is_file(), package
    assert (out / "api" / "generated" / "bci_attn.cli.html").is_file()

    # The option reference is derived from the schema: every option is there.
    from bci_attn.config import all_options

    reference = (out / "guide" / "configuration.html").read_text()
    missing = [o.key for o in all_options() if f">{o.key}<" not in reference]
    assert not missing, f"options missing from the reference: {missing}"
