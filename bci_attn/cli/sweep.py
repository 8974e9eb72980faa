"""``bci-attn sweep``: a grid of runs with paired statistics against the baseline.

::

    bci-attn sweep experiments/attention_zoo.yaml --check     # validate every combination
    bci-attn sweep experiments/attention_zoo.yaml             # run (resumable: run it again)
    bci-attn sweep experiments/attention_zoo.yaml --tables-only   # tables of what is done

The sweep file's format: :mod:`bci_attn.studies.grid`.
"""

from __future__ import annotations

from .common import STUDY_OPTIONS, quiet_libraries, reported, study_layer
from .flags import OneLineParser, add_option_flags, flag_names


def main(argv: list[str] | None = None, prog: str = "bci-attn sweep") -> int:
    """Run the command on ``argv``; the exit status."""
    parser = OneLineParser(prog=prog, description=__doc__.splitlines()[0].partition(": ")[2])
    parser.add_argument("spec", help="sweep file (YAML)")
    parser.add_argument("--check", action="store_true", help="check every combination and exit")
    parser.add_argument(
        "--tables-only",
        action="store_true",
        help="train nothing: write the tables from the units finished so far",
    )
    add_option_flags(parser, STUDY_OPTIONS)
    args = parser.parse_args(argv)
    from ..studies.grid import Sweep

    with reported(prog):
        sweep = Sweep(args.spec, overrides=study_layer(args))
    quiet_libraries()
    with reported(prog, flag_names(STUDY_OPTIONS), saved=lambda: sweep.saved):
        if args.check:
            sweep.validate()
            print(f"{args.spec}: {len(sweep.cells)} configurations -> {sweep.out}")
            print("\n".join(sweep.describe()))
            return 0
        sweep.run(tables_only=args.tables_only)
    return 0
