"""``bci-attn summary``: parameters and multiply-adds of a backbone with attention,
without loading any data.

::

    bci-attn summary --backbone eegnet --attn ham --dataset BNCI2014001
    bci-attn summary --all --backbone eegnet,shallow                   # every module
    bci-attn summary --all --markdown --backbone eegnet,shallow > docs/attention_zoo.md

The input shape comes from the dataset's description alone (:mod:`bci_attn.models.cost`).
"""

from __future__ import annotations

import shlex

from ..config import Layer, all_options
from .common import configuration, quiet_libraries, reported
from .flags import OneLineParser, add_option_flags, comma_list

#: The options that decide the input's shape and the attention, as in ``bci-attn run``.
OPTIONS = (
    "data.dataset",
    "data.classes",
    "data.n_classes",
    "data.fmin",
    "data.fmax",
    "data.tmin",
    "data.tmax",
    "data.resample",
    "data.channels",
    "model.attention",
    "model.attention_at",
    "model.attention_options",
)
#: The dataset a summary describes when none is named (4 s of 22 electrodes at 250 Hz).
DEFAULT_DATASET = "BNCI2014001"


def build_parser(prog: str):
    parser = OneLineParser(prog=prog, description=__doc__.splitlines()[0].partition(": ")[2])
    parser.add_argument(
        "--backbone",
        type=comma_list,
        default=None,
        help="backbone(s), comma-separated, e.g. eegnet,shallow (default: eegnet)",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="a table of every registered module, each at its default point (or --attn-at)",
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help="with --all: a Markdown document (docs/attention_zoo.md) naming this command",
    )
    parser.add_argument(
        "--n-chans",
        type=int,
        default=None,
        help="electrodes, for datasets whose metadata does not say (default: from metadata)",
    )
    add_option_flags(parser, [o for o in all_options() if o.key in OPTIONS])
    return parser


def main(argv: list[str] | None = None, prog: str = "bci-attn summary") -> int:
    """Run the command on ``argv``; the exit status."""
    import sys

    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.all and "model.attention" in vars(args):
        parser.error("--attn and --all exclude each other: --all lists every module")
    if args.all and "model.attention_options" in vars(args):
        parser.error("--attn-opt cannot be used with --all: options belong to one module")
    if args.markdown and not args.all:
        parser.error("--markdown goes with --all (it writes the table of every module)")
    options = [o for o in all_options() if o.key in OPTIONS]
    default = Layer()
    default.set("data.dataset", DEFAULT_DATASET)
    with reported(prog):
        config, names = configuration(args, options, first=(default,))
    names["model.backbone"] = "--backbone"
    quiet_libraries()
    from .. import attention
    from ..models.cost import data_shape, markdown_report, summary_report, zoo_report

    backbones = args.backbone or [config.model.backbone]
    model = config.model
    with reported(prog, names):
        shape = data_shape(config.data, n_chans=args.n_chans)
        if args.markdown:
            command = shlex.join(["bci-attn", "summary", *argv])
            print(markdown_report(backbones, shape, command, None, model.attention_at))
        elif args.all:
            print(zoo_report(backbones, shape, attention.available(), model.attention_at))
        else:
            print(
                summary_report(
                    backbones, model.attention, shape, model.attention_at, model.attention_options
                )
            )
    return 0
