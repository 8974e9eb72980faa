"""``python -m bci_attn.run``: the ``bci-attn run`` command under its bci-attn 0.1 name."""

import sys

from .cli.main import run_command

if __name__ == "__main__":
    sys.exit(run_command("run", sys.argv[1:], "python -m bci_attn.run"))
