"""``python -m bci_attn.select SPEC.yaml [--check]``: :mod:`bci_attn.selection` from the shell."""

import sys
import warnings

warnings.filterwarnings("ignore", message="Montage name .* is deprecated", category=FutureWarning)

from .selection import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
