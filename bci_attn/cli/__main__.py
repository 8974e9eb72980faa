"""``python -m bci_attn.cli``: the ``bci-attn`` console script (``python -m bci_attn.cli fit
--config FILE`` as in bci-attn 0.1)."""

import sys

from .main import main

if __name__ == "__main__":
    sys.exit(main())
