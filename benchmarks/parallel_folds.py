"""Fold-parallel training: K members one after the other vs stacked in one vmapped model.

python -m benchmarks.parallel_folds --backbone eegnet --shape physionet --members 4

The same K members (same weights, data and batch order) are trained three ways, in turns:
with the toolkit's Lightning path one at a time, with bci_attn.training.parallel one at a time
(K=1), and with bci_attn.training.parallel all at once.
"""

from __future__ import annotations

import argparse
import copy
from functools import partial

from bci_attn.config import TrainingConfig
from bci_attn.training.parallel import Member, train_parallel

from .common import (
    LOOPS,
    SHAPES,
    build,
    interleaved,
    machine,
    markdown,
    speed_rows,
    synthetic,
)


def stacked(members: list[Member], groups: int, batch_size: int, epochs: int) -> None:
    """Train copies of ``members`` in ``groups`` stacks."""
    members = copy.deepcopy(members)
    size = len(members) // groups
    for start in range(0, len(members), size):
        training = TrainingConfig(batch_size=batch_size, max_epochs=epochs)
        train_parallel(members[start : start + size], training)


def sequential(members: list[Member], batch_size: int, epochs: int) -> None:
    """Train copies of ``members`` one at a time with the toolkit's Lightning path."""
    for m in copy.deepcopy(members):
        LOOPS["toolkit"](m.model, m.X, m.y, batch_size, epochs)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backbone", choices=["eegnet", "shallow"], default="eegnet")
    p.add_argument("--shape", choices=list(SHAPES), default="physionet")
    p.add_argument("--attention", default="none")
    p.add_argument("--members", type=int, default=4)
    p.add_argument("--trials", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args(argv)
    shape = SHAPES[args.shape]
    members = [
        Member(
            build(args.backbone, args.attention, shape, k), *synthetic(shape, args.trials, k), k
        )
        for k in range(args.members)
    ]
    run = (args.batch_size, args.epochs)
    seconds = interleaved(
        {
            "Lightning, one at a time": partial(sequential, members, *run),
            "parallel.py, one at a time": partial(stacked, members, args.members, *run),
            f"parallel.py, {args.members} stacked": partial(stacked, members, 1, *run),
        },
        args.repeats,
    )
    total = args.members * args.trials * args.epochs
    rows = speed_rows(seconds, "Lightning, one at a time", total, "training")
    print(
        f"\n{args.members} x {args.backbone}+{args.attention} on {shape.name}, "
        f"{args.trials} trials each, batch {args.batch_size}, {args.epochs} epochs, "
        f"best of {args.repeats}; {machine()}\n"
    )
    print(markdown(rows))


if __name__ == "__main__":
    main()
