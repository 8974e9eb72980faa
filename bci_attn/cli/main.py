"""``bci-attn``: one console script, a subcommand per task.

bci-attn run      train and evaluate every fold and seed of a configuration
bci-attn fit      train one fold with LightningCLI (validate, test, predict likewise)
bci-attn sweep    a grid of configurations, with paired statistics
bci-attn select   nested selection of a recipe on training subjects only
bci-attn report   tables and figures of a run or a sweep
bci-attn summary  parameters and multiply-adds of a backbone with attention

``python -m bci_attn.run`` (and ``.sweep``, ``.select``, ``.report``, ``.summary``,
``python -m bci_attn.cli fit``) are the same commands under their earlier names.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Subcommand -> the module whose ``main(argv, prog)`` runs it.
COMMANDS = {
    "run": "bci_attn.cli.run",
    "fit": "bci_attn.cli.fit",
    "validate": "bci_attn.cli.fit",
    "test": "bci_attn.cli.fit",
    "predict": "bci_attn.cli.fit",
    "sweep": "bci_attn.cli.sweep",
    "select": "bci_attn.cli.select",
    "report": "bci_attn.cli.report",
    "summary": "bci_attn.cli.summary",
}


def usage() -> str:
    lines = __doc__.strip().splitlines()
    return "usage: bci-attn {" + ",".join(COMMANDS) + "} ...\n\n" + "\n".join(lines[2:9])


def main(argv: list[str] | None = None) -> int:
    """Dispatch ``argv`` (default: the process's arguments) to its subcommand."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage(), file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        sys.stderr.write(
            f"bci-attn: error: unknown command '{name}'; commands: {', '.join(COMMANDS)}\n"
        )
        return 2
    return run_command(name, rest, f"bci-attn {name}")


def run_command(name: str, argv: list[str], prog: str) -> int:
    """Run subcommand ``name`` on ``argv``, naming it ``prog`` in messages; Ctrl-C (or
    SIGTERM) before any unit has run (while the libraries load, say) ends in one line and
    status 130, a missing dependency in one line and status 2, and a reader that closes
    the output early (``| head``) quietly with status 141, as for the shell's tools."""
    try:
        with _terminate_as_interrupt():
            status = importlib.import_module(COMMANDS[name]).main(argv, prog=prog) or 0
            sys.stdout.flush()  # here, where a closed pipe can still be answered
            return status
    except BrokenPipeError:
        # Python's advice: point stdout at devnull so that the exit's flush cannot fail again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted before anything was trained\n")
        return 130
    except ModuleNotFoundError as error:
        if (error.name or "bci_attn").partition(".")[0] == "bci_attn":
            raise
        # run from a source folder with a Python that lacks the dependencies
        sys.stderr.write(
            f"{prog}: error: the package '{error.name}' is not installed for {sys.executable}; "
            "install bci-attn with its dependencies (from the repository's root: pip install "
            "-c requirements/lock.txt -e .)\n"
        )
        return 2


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, SLURM's ``scancel``, a container's stop) ends a command as Ctrl-C
    does: the study closes its executor (the local cluster's workers end, nothing leaks)
    and says which units are kept. Python's default for SIGTERM ends the process at once,
    and left the local cluster's semaphores to the resource tracker's warning."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return
    before = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


if __name__ == "__main__":
    sys.exit(main())
