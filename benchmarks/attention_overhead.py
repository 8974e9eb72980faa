"""Cost of each attention module: parameters, multiply-adds, forward+backward latency.

python -m benchmarks.attention_overhead --backbone eegnet --shape bnci

Latency is the best of ``--repeats`` forward+backward passes of one batch, the backbone
alone and with each module timed in turns; reported as a ratio to the backbone alone.
"""

from __future__ import annotations

import argparse

import torch

from bci_attn.models.cost import count_macs

from .common import SHAPES, build, interleaved, machine, markdown, synthetic


def multiply_adds(model: torch.nn.Module, X: torch.Tensor) -> int:
    """Multiply-adds of one trial (eval mode; see :func:`bci_attn.models.cost.count_macs`)."""
    return count_macs(model, X.shape[1], X.shape[2])[0]


def step(model: torch.nn.Module, X: torch.Tensor):
    """One forward+backward pass."""

    def run():
        model.zero_grad(set_to_none=True)
        model(X).sum().backward()

    return run


def main(argv: list[str] | None = None) -> None:
    from bci_attn import attention

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backbone", choices=["eegnet", "shallow"], default="eegnet")
    p.add_argument("--shape", choices=list(SHAPES), default="bnci")
    p.add_argument("--attention", nargs="+", default=None, help="default: every module")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    shape = SHAPES[args.shape]
    X = torch.as_tensor(synthetic(shape, args.batch_size)[0])
    names = args.attention or attention.available()
    models, failed = {}, []
    for name in dict.fromkeys(["none", *names]):
        try:
            models[name] = build(args.backbone, name, shape).train()
        except ValueError as error:  # a module that does not fit this map
            failed.append(f"{name}: {error}")
    seconds = interleaved({n: step(m, X) for n, m in models.items()}, args.repeats)
    base = models["none"]
    base_params = sum(p.numel() for p in base.parameters())
    base_macs = multiply_adds(base, X[:1])
    rows = []
    for name, model in models.items():
        params = sum(p.numel() for p in model.parameters())
        macs = multiply_adds(model, X[:1])
        rows.append({
            "attention": name,
            "params": params,
            "+params": params - base_params,
            "MMACs/trial": macs / 1e6,
            "MACs ratio": macs / base_macs,
            "fwd+bwd ms": 1e3 * seconds[name],
            "latency ratio": seconds[name] / seconds["none"],
        })  # fmt: skip
    print(
        f"\n{args.backbone} on {shape.name}, batch {args.batch_size}, CPU, best of "
        f"{args.repeats}; {machine()}\n"
    )
    print(markdown(rows))
    for line in failed:
        print("not built:", line)


if __name__ == "__main__":
    main()
