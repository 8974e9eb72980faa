"""CPU layout: K trainings in one process using every core vs one 1-thread process per core.

python -m benchmarks.process_layout --backbone eegnet --shape physionet --jobs 4

How to spend a CPU-only machine's cores on a sweep: the same K trainings (the toolkit's
Lightning path, same weights and data) run either one after another in one process with
``torch`` using all cores, or split over one process per core, each with one thread, all at
once (what ``bci-attn sweep``'s local Dask cluster does: one-thread workers, one per core,
``--threads-per-unit`` 1 by default).
The layouts run in turns (A B A B ...); each figure is the best wall time from a start
signal, sent once every worker has imported and built its data, to the last worker's end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from .common import LOOPS, SHAPES, build, machine, markdown, speed_rows, synthetic


def worker(args: argparse.Namespace) -> None:
    """Build ``args.jobs`` trainings, wait for the go line on stdin, train them in turn."""
    import torch

    torch.set_num_threads(args.threads)
    shape = SHAPES[args.shape]
    jobs = [
        (build(args.backbone, "none", shape, seed), *synthetic(shape, args.trials, seed))
        for seed in range(args.first, args.first + args.jobs)
    ]
    print("ready", flush=True)
    sys.stdin.readline()
    for model, X, y in jobs:
        LOOPS["toolkit"](model, X, y, args.batch_size, args.epochs)


def layout(args: argparse.Namespace, processes: int) -> float:
    """Wall seconds of ``args.jobs`` trainings split over ``processes`` processes, each with
    ``cores // processes`` threads."""
    threads = max(1, (os.cpu_count() or 1) // processes)
    share = args.jobs // processes
    common = [
        "--backbone", args.backbone, "--shape", args.shape, "--trials", str(args.trials),
        "--batch-size", str(args.batch_size), "--epochs", str(args.epochs),
    ]  # fmt: skip
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.process_layout",
                "--worker",
                *common,
                "--threads",
                str(threads),
                "--jobs",
                str(share),
                "--first",
                str(k * share),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "OMP_NUM_THREADS": str(threads)},
        )  # fmt: skip
        for k in range(processes)
    ]
    for process in workers:
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("a benchmark worker failed before training")
    start = time.perf_counter()
    for process in workers:
        process.stdin.write("go\n")
        process.stdin.flush()
    for process in workers:
        if process.wait() != 0:
            raise RuntimeError("a benchmark worker failed while training")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backbone", choices=["eegnet", "shallow"], default="eegnet")
    p.add_argument("--shape", choices=list(SHAPES), default="physionet")
    p.add_argument("--jobs", type=int, default=4, help="trainings (a multiple of the cores)")
    p.add_argument("--trials", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    p.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args)
        return
    cores = os.cpu_count() or 1
    if args.jobs % cores:
        p.error(f"--jobs must be a multiple of the {cores} cores, got {args.jobs}")
    names = {1: f"1 process x {cores} threads", cores: f"{cores} processes x 1 thread"}
    times: dict[str, list[float]] = {name: [] for name in names.values()}
    for _ in range(args.repeats):
        for processes, name in names.items():
            times[name].append(layout(args, processes))
    total = args.jobs * args.trials * args.epochs
    best = {name: min(t) for name, t in times.items()}
    rows = speed_rows(best, names[1], total, "layout")
    print(
        f"\n{args.jobs} x {args.backbone} on {SHAPES[args.shape].name}, {args.trials} trials "
        f"each, batch {args.batch_size}, {args.epochs} epochs, best of {args.repeats}; "
        f"{machine()}\n"
    )
    print(markdown(rows))


if __name__ == "__main__":
    main()
