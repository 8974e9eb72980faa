"""``bci-attn sweep``: a grid of runs with paired statistics against the baseline.

Examples::

    bci-attn sweep experiments/attention_zoo.yaml --check     # validate every combination
    bci-attn sweep experiments/attention_zoo.yaml             # run (resumable: run it again)
    bci-attn sweep experiments/attention_zoo.yaml --tables-only   # tables of what is done
    bci-attn sweep experiments/attention_zoo.yaml --cluster tcp://HOST:8786   # on a cluster

The sweep file's format: :mod:`bci_attn.studies.grid`.
"""

from __future__ import annotations

from .common import study_main


def _tables_only(parser) -> None:
    parser.add_argument(
        "--tables-only",
        action="store_true",
        help="train nothing: write the tables from the units finished so far",
    )


def main(argv: list[str] | None = None, prog: str = "bci-attn sweep") -> int:
    """Run the command on ``argv``; the exit status."""
    from ..studies.grid import Sweep

    return study_main(
        argv,
        prog,
        __doc__,
        Sweep,
        add_arguments=_tables_only,
        run=lambda sweep, args: sweep.run(tables_only=args.tables_only),
    )
