"""``bci-attn report``: Markdown and HTML with tables and figures for a run or a sweep.

bci-attn report runs/attention_zoo                      # a sweep folder (sweep.json)
bci-attn report runs/synthetic-eegnet-ham-loso --interpret   # a run folder, with scalp maps

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
    args = parser.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    quiet_libraries()
    from ..studies.report import write_report

    with reported(prog):
        write_report(args.folder, interpret=args.interpret)
    return 0
