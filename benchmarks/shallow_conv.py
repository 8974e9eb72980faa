"""ShallowFBCSPNet's temporal-spatial convolution: braindecode's CombinedConv vs CombinedConv1d.

python -m benchmarks.shallow_conv --shape physionet --batch-size 16

The same ShallowFBCSPNet (same weights, same batches) is trained with its first layer as
braindecode builds it (``CombinedConv``: a 2-D convolution over a one-channel map) and as
the toolkit builds it (:class:`bci_attn.models.combined_conv.CombinedConv1d`: the same
product as a 1-D convolution with the electrodes as input channels), in turns.
"""

from __future__ import annotations

import argparse
import copy
from functools import partial

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


def stock(model, shape):
    """braindecode's own ShallowFBCSPNet, with ``model``'s weights."""
    from braindecode.models import ShallowFBCSPNet

    original = ShallowFBCSPNet(
        n_chans=shape.n_chans, n_outputs=shape.n_classes, n_times=shape.n_times, sfreq=shape.sfreq
    )
    original.load_state_dict(model.state_dict())
    return original


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", choices=list(SHAPES), default="physionet")
    p.add_argument("--trials", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args(argv)
    shape = SHAPES[args.shape]
    X, y = synthetic(shape, args.trials)
    model = build("shallow", "none", shape)
    loop = partial(LOOPS["toolkit"], X=X, y=y, batch_size=args.batch_size, epochs=args.epochs)
    seconds = interleaved(
        {
            "braindecode CombinedConv (conv2d)": lambda: loop(stock(model, shape)),
            "CombinedConv1d (conv1d)": lambda: loop(copy.deepcopy(model)),
        },
        args.repeats,
    )
    rows = speed_rows(
        seconds, "braindecode CombinedConv (conv2d)", args.trials * args.epochs, "first layer"
    )
    print(
        f"\nShallowFBCSPNet on {shape.name}, {args.trials} trials, batch {args.batch_size}, "
        f"{args.epochs} epochs, best of {args.repeats}; {machine()}\n"
    )
    print(markdown(rows))


if __name__ == "__main__":
    main()
