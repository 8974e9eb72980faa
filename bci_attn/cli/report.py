"""``bci-attn report``: Markdown and HTML with tables and figures for a run or a sweep.

::

    bci-attn report runs/attention_zoo                      # a sweep folder (sweep.json)
    bci-attn report runs/synthetic-eegnet-ham-loso --interpret   # a run folder, with scalp maps
    bci-attn report experiments/attention_zoo --zoo-table > experiments/attention_zoo.md

What the report holds: :mod:`bci_attn.studies.report`.
"""

from __future__ import annotations

from .common import quiet_libraries, reported
from .flags import OneLineParser


def main(argv: list[str] | None = None, prog: str = "bci-attn report") -> int:
    """Run the command on ``argv``; the exit status."""
    parser = OneLineParser(prog=prog, description=__doc__.splitlines()[0].partition(": ")[2])
    parser.add_argument("folder", help="a run folder or a sweep folder")
    parser.add_argument(
        "--interpret",
        action="store_true",
        help="add scalp maps and attention figures (runs with saved models; loads the data)",
    )
    parser.add_argument(
        "--zoo-table",
        action="store_true",
        help="print only the attention zoo's table of a sweep (Markdown): each module's "
        "insertion point, parameters and multiply-adds beside each dataset's accuracy",
    )
    parser.add_argument(
        "--costs-at",
        metavar="DATASET",
        help="with --zoo-table: the dataset (its name in the grid) at whose input shape "
        "costs are counted (default: the grid's last)",
    )
    args = parser.parse_args(argv)
    if args.zoo_table and args.interpret:
        parser.error("--zoo-table prints a sweep's table; --interpret draws a run's figures")
    if args.costs_at and not args.zoo_table:
        parser.error("--costs-at goes with --zoo-table")
    if args.zoo_table:
        quiet_libraries()
        from ..studies.report import zoo_table

        with reported(prog):
            print(zoo_table(args.folder, args.costs_at), end="")
        return 0
    import matplotlib

    matplotlib.use("Agg")
    quiet_libraries()
    from ..studies.report import write_report

    with reported(prog):
        write_report(args.folder, interpret=args.interpret)
    return 0
