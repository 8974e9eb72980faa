"""``bci-attn``: one console script that dispatches to its subcommands, under its new and
its earlier names."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bci_attn.cli.main import COMMANDS

#: Subcommands with their own argparse parser (``fit`` and its siblings are LightningCLI's).
OWN_PARSERS = ("run", "sweep", "select", "report", "summary")
#: ``python -m`` names kept from bci-attn 0.1, and the command each runs.
EARLIER_NAMES = {
    "bci_attn.run": ("run", ["--list-recipes"]),
    "bci_attn.sweep": ("sweep", ["missing.yaml", "--check"]),
    "bci_attn.select": ("select", ["missing.yaml", "--check"]),
    "bci_attn.report": ("report", ["missing-folder"]),
    "bci_attn.summary": ("summary", ["--attn", "se", "--dataset", "synthetic"]),
}


def python_m(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """``python -m args`` in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=cwd)


def test_help_lists_every_command(cli):
    result = cli("--help")
    assert result.code == 0
    for name in COMMANDS:
        assert name in result.out
    for name in ("run", "fit", "sweep", "select", "report", "summary"):
        assert f"bci-attn {name} " in result.out  # a line saying what it does


def test_no_command_shows_the_usage_and_fails(cli):
    result = cli()
    assert result.code == 2
    assert "usage: bci-attn {run,fit," in result.out + result.err


def test_an_unknown_command_is_named_with_the_commands(cli):
    line = cli("trian", "--dataset", "synthetic").error
    assert line == ("bci-attn: error: unknown command 'trian'; commands: " + ", ".join(COMMANDS))


@pytest.mark.parametrize("name", OWN_PARSERS)
def test_each_subcommand_has_its_help_under_its_name(cli, name):
    result = cli(name, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: bci-attn {name} ")


@pytest.mark.parametrize("name", ["fit", "validate", "test"])
def test_the_lightning_subcommands_have_lightnings_help(cli, name):
    result = cli(name, "--help")
    assert result.code == 0
    usage = result.out.splitlines()[0]
    assert usage.startswith("usage: bci-attn ") and f" {name} " in usage
    assert "--data.fold" in result.out and "--trainer.max_epochs" in result.out


def test_a_subcommand_gets_its_arguments(cli):
    result = cli("run", "--list-protocols")
    assert result.code == 0
    assert [line.split()[0] for line in result.out.splitlines()] == [
        "holdout", "cross-dataset", "cross-session", "loso", "within-session",
    ]  # fmt: skip


def test_ctrl_c_exits_130_in_one_line(cli, monkeypatch):
    import bci_attn.cli.run

    def interrupted(argv, prog):
        raise KeyboardInterrupt

    monkeypatch.setattr(bci_attn.cli.run, "main", interrupted)
    result = cli("run", "--dataset", "synthetic")
    assert result.code == 130
    assert result.err.strip().splitlines() == [
        "bci-attn run: interrupted before anything was trained"
    ]


def test_a_missing_dependency_exits_2_in_one_line_naming_the_install(cli, monkeypatch):
    import bci_attn.cli.run

    def without_mne(argv, prog):
        raise ModuleNotFoundError("No module named 'mne'", name="mne")

    monkeypatch.setattr(bci_attn.cli.run, "main", without_mne)
    result = cli("run", "--dataset", "synthetic")
    assert result.code == 2
    (line,) = result.err.strip().splitlines()
    assert line.startswith("bci-attn run: error: the package 'mne' is not installed for ")
    assert line.endswith("pip install -c requirements/lock.txt -e .)")

    def broken(argv, prog):  # our own modules missing: a bug, not an install step
        raise ModuleNotFoundError("No module named 'bci_attn.nope'", name="bci_attn.nope")

    monkeypatch.setattr(bci_attn.cli.run, "main", broken)
    with pytest.raises(ModuleNotFoundError):
        cli("run", "--dataset", "synthetic")


@pytest.mark.parametrize("module", EARLIER_NAMES)
def test_earlier_module_names_run_the_same_command(module, tmp_path):
    name, args = EARLIER_NAMES[module]
    earlier = python_m(module, *args, cwd=tmp_path)
    now = python_m("bci_attn.cli", name, *args, cwd=tmp_path)
    assert earlier.returncode == now.returncode
    assert earlier.stdout == now.stdout
    assert earlier.stderr == now.stderr.replace(f"bci-attn {name}", f"python -m {module}")
    assert python_m(module, "--help", cwd=tmp_path).stdout.startswith(
        f"usage: python -m {module} "
    )


def test_python_m_bci_attn_cli_is_the_console_script():
    done = python_m("bci_attn.cli", "run", "--list-recipes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("cross-subject")
    assert python_m("bci_attn.cli", "nope").returncode == 2


def test_the_console_script_is_installed():
    script = shutil.which("bci-attn")
    assert script, "no bci-attn on PATH: pip install -e . (pyproject's [project.scripts])"
    done = subprocess.run([script, "summary", "--attn", "se"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "total" in done.stdout


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes in /proc")
def test_sigterm_ends_a_run_as_ctrl_c_does_and_its_workers_with_it(tmp_path):
    """SIGTERM (kill, SLURM's scancel) closes the local cluster and ends in the interrupt's
    line and status 130; Python's default ended the process at once, leaving its workers'
    semaphores to the resource tracker's warning."""
    budget = ["--subjects", "1-3", "--n-classes", "2", "--tmax", "1", "--max-epochs", "500"]
    command = [sys.executable, "-m", "bci_attn.run", "--dataset", "synthetic", *budget]
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        workers = _workers_of(process.pid, within=120)
        time.sleep(3)  # the workers take their units
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err[-3000:]
    assert err.splitlines()[-1].startswith("python -m bci_attn.run: interrupted; 0 unit(s)")
    assert "leaked" not in err and "Traceback" not in err, err[-3000:]
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def _workers_of(parent: int, within: float) -> list[int]:
    """The local cluster's worker processes (multiprocessing's spawned children) of
    ``parent``, once there are any (at most ``within`` seconds)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        children = []
        for entry in Path("/proc").iterdir():
            try:
                stat = (entry / "stat").read_text()
                spawned = b"spawn_main" in (entry / "cmdline").read_bytes()
            except (OSError, ValueError):
                continue
            if spawned and int(stat.rpartition(")")[2].split()[1]) == parent:
                children.append(int(entry.name))
        if children:
            return children
        time.sleep(0.2)
    raise AssertionError(f"no worker process started within {within} s")


def test_a_reader_that_closes_the_output_early_ends_the_command_quietly(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head` gone before the first line: every write finds it closed
    with open(tmp_path / "stderr", "w") as stderr:
        done = subprocess.run(
            [sys.executable, "-m", "bci_attn.run", "--list-attention"],
            stdout=write_end,
            stderr=stderr,
            timeout=120,
        )
    os.close(write_end)
    assert done.returncode == 128 + signal.SIGPIPE
    assert (tmp_path / "stderr").read_text() == ""
