"""``bci-attn run``: train and evaluate a backbone (with attention) on a MOABB dataset.

::

    bci-attn run --dataset BNCI2014001 --backbone eegnet --attn ham --protocol loso
    bci-attn run --dataset PhysionetMI --protocol holdout --train-subjects 1-7 \\
        --test-subjects 8-10 --calibration-trials 5 10
    bci-attn run --train-dataset PhysionetMI --test-dataset BNCI2014001 \\
        --classes left_hand,right_hand
    bci-attn run --config configs/eegnet_ham_bnci2014001_loso.yaml --max-epochs 5

Every option of the configuration is a flag (see ``--help``); ``--config`` files apply on
top of the recipe, and flags on top of the files.
"""

from __future__ import annotations

import argparse
import sys

from ..config import all_options, recipe_names, to_yaml
from .common import configuration, quiet_libraries, reported
from .flags import OneLineParser, add_option_flags

#: The listings the command prints instead of running, by flag.
LISTINGS = (
    "attention",
    "backbones",
    "protocols",
    "recipes",
    "augmentations",
)


def build_parser(prog: str = "bci-attn run") -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=prog,
        description=__doc__.splitlines()[0].partition(": ")[2],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="YAML configuration (sections data, model, training, evaluation, execution); "
        "several are applied in order; flags given on the command line override them",
    )
    parser.add_argument(
        "--recipe",
        choices=recipe_names(),
        default=None,
        help="the recipe the other options apply on top of (see --list-recipes); auto: "
        "cross-subject for protocols that test unseen subjects, plain otherwise",
    )
    parser.add_argument(
        "--print_config",
        "--print-config",
        action="store_true",
        help="print the resolved configuration as YAML and exit",
    )
    parser.add_argument(
        "--list-folds", action="store_true", help="print the protocol's folds and exit"
    )
    for name in LISTINGS:
        parser.add_argument(f"--list-{name}", action="store_true", help=f"print the {name}")
    parser.add_argument("--download", action="store_true", help=argparse.SUPPRESS)
    add_option_flags(parser, all_options())
    return parser


def listing(name: str) -> list[str]:
    """The lines of ``--list-<name>``."""
    if name == "attention":
        from .. import attention

        lines = []
        for module in attention.available():
            spec = attention.get_spec(module)
            options = ", ".join(f"{k}={v!r}" for k, v in spec.options().items())
            lines.append(
                f"{module:12s} {spec.summary}" + (f"  [options: {options}]" * bool(options))
            )
        return lines
    if name == "backbones":
        from .. import models

        return [
            f"{b:10s} {models.get_backbone(b).display_name}; insertion points: "
            + ", ".join(
                p + (" (default)" if p == models.get_backbone(b).default_point else "")
                for p in models.get_backbone(b).points
            )
            for b in models.available()
        ]
    if name == "protocols":
        from ..evaluation import protocols

        return [f"{p:15s} {protocols.get_protocol(p).summary()}" for p in protocols.available()]
    if name == "recipes":
        from ..config import recipes

        lines = []
        for recipe in recipes().values():
            lines.append(f"{recipe.name:14s} {recipe.summary}")
            for section, values in recipe.settings.items():
                lines += [f"{'':14s}   {section}.{k} = {v!r}" for k, v in values.items()]
        return lines
    from ..training.augmentation import AUGMENTATIONS

    return [
        f"{n:17s} {spec.summary}"
        + (
            f"  [options: {', '.join(f'{k}={v!r}' for k, v in spec.options.items())}]"
            * bool(spec.options)
        )
        for n, spec in AUGMENTATIONS.items()
    ]


def main(argv: list[str] | None = None, prog: str = "bci-attn run") -> int:
    """Run the command on ``argv`` (default: the process's arguments); the exit status."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    for name in LISTINGS:
        if getattr(args, f"list_{name}"):
            print("\n".join(listing(name)))
            return 0
    options = all_options()
    with reported(prog):
        config, names = configuration(args, options, args.config)
    if args.print_config:
        print(to_yaml(config), end="")
        return 0
    echo = (lambda *a, **k: None) if config.execution.quiet else print
    quiet_libraries()
    from ..studies.single import SingleRun

    run = SingleRun(config, echo)
    with reported(prog, names, lambda: run.saved):
        if args.list_folds:
            run.validate()
            run.prepare()
            ready = run.ready[run.cell.name]
            print(
                "\n".join([*ready.data.notes, *(f.describe(ready.data.meta) for f in ready.folds)])
            )
            return 0
        summary = run.run()
    if config.execution.quiet:
        print(summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
