"""Training throughput: bci_attn vs braindecode's EEGClassifier vs a plain PyTorch loop.

python -m benchmarks.throughput --backbone eegnet --shape bnci

Same model (same initial weights), same synthetic trials, batch size and epochs for the three
loops, run in turns in one process; the table gives trials/s, epoch wall time and the ratios.
"""

from __future__ import annotations

import argparse
from functools import partial

from .common import LOOPS, SHAPES, build, from_copy, interleaved, machine, markdown, synthetic


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backbone", choices=["eegnet", "shallow"], default="eegnet")
    p.add_argument("--shape", choices=list(SHAPES), default="bnci")
    p.add_argument("--attention", nargs="+", default=["none", "se", "cbam", "ham"])
    p.add_argument("--trials", type=int, default=96)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument(
        "--nchw", action="store_true", help="also time the toolkit with --no-channels-last"
    )
    args = p.parse_args(argv)
    shape = SHAPES[args.shape]
    X, y = synthetic(shape, args.trials)
    rows = []
    for attention in args.attention:
        model = build(args.backbone, attention, shape)
        data = (X, y, args.batch_size, args.epochs)
        fit = {name: partial(from_copy, loop, model, *data) for name, loop in LOOPS.items()}
        if args.nchw:
            fit["toolkit_nchw"] = partial(
                from_copy, LOOPS["toolkit"], model, *data, channels_last=False
            )
        seconds = interleaved(fit, args.repeats)
        row = {"model": f"{args.backbone}+{attention}"}
        for name, s in seconds.items():
            row[f"{name} trials/s"] = args.trials * args.epochs / s
        row["toolkit epoch s"] = seconds["toolkit"] / args.epochs
        row["braindecode / toolkit"] = seconds["braindecode"] / seconds["toolkit"]
        row["toolkit / plain"] = seconds["toolkit"] / seconds["plain"]
        if args.nchw:
            row["toolkit_nchw / toolkit"] = seconds["toolkit_nchw"] / seconds["toolkit"]
        rows.append(row)
        print(row, flush=True)
    print(
        f"\n{shape.name}, {args.trials} trials, batch {args.batch_size}, "
        f"{args.epochs} epochs, best of {args.repeats}; {machine()}\n"
    )
    print(markdown(rows))


if __name__ == "__main__":
    main()
