"""``bci-attn select``: nested selection of a recipe, on training subjects only.

Examples::

    bci-attn select experiments/recipe_selection.yaml --check   # validate, train nothing
    bci-attn select experiments/recipe_selection.yaml           # run (resumable)
    bci-attn select experiments/recipe_selection.yaml --cluster slurm --cluster-config slurm.yaml

The selection file's format and the procedure: :mod:`bci_attn.studies.selection`.
"""

from __future__ import annotations

from .common import study_main


def main(argv: list[str] | None = None, prog: str = "bci-attn select") -> int:
    """Run the command on ``argv``; the exit status."""
    from ..studies.selection import NestedSelection

    return study_main(argv, prog, __doc__, NestedSelection)
