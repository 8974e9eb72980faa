"""``bci-attn select``: nested selection of a recipe, on training subjects only.

::

    bci-attn select experiments/recipe_selection.yaml --check   # validate, train nothing
    bci-attn select experiments/recipe_selection.yaml           # run (resumable)

The selection file's format and the procedure: :mod:`bci_attn.studies.selection`.
"""

from __future__ import annotations

from .common import STUDY_OPTIONS, quiet_libraries, reported, study_layer
from .flags import OneLineParser, add_option_flags, flag_names


def main(argv: list[str] | None = None, prog: str = "bci-attn select") -> int:
    """Run the command on ``argv``; the exit status."""
    parser = OneLineParser(prog=prog, description=__doc__.splitlines()[0].partition(": ")[2])
    parser.add_argument("spec", help="selection file (YAML)")
    parser.add_argument("--check", action="store_true", help="check every candidate and exit")
    add_option_flags(parser, STUDY_OPTIONS)
    args = parser.parse_args(argv)
    from ..studies.selection import NestedSelection

    with reported(prog):
        selection = NestedSelection(args.spec, overrides=study_layer(args))
    quiet_libraries()
    with reported(prog, flag_names(STUDY_OPTIONS), saved=lambda: selection.saved):
        if args.check:
            selection.validate()
            print(f"{args.spec}: {len(selection.cells)} candidates -> {selection.out}")
            print("\n".join(f"  {c.name}: {c.labels['sets']}" for c in selection.cells))
            return 0
        selection.run()
    return 0
