"""Executors: a sweep in one process vs on a local Dask cluster, and Dask's cost per unit.

    python -m benchmarks.executors                      # 4 modules x 4 subjects x 2 seeds
    python -m benchmarks.executors --epochs 3 --repeats 2

The sweep (synthetic EEG, EEGNet, leave-one-subject-out over 4 subjects, modules none, se,
eca, cbam, seeds 0 and 1: 32 units) runs in turns, each time into a new folder:

- ``sequential``: every unit in this process, one after the other, with every core
  (``--executor sequential --threads-per-unit <cores>``);
- ``dask``: the default local Dask cluster, one 1-thread worker process per core
  (``--executor dask``, ``threads_per_unit`` 1).

The scheduling cost per unit is measured apart, with units that do nothing: the time Dask
takes for ``--noops`` of them on the same local cluster, per unit.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from benchmarks.common import machine

SPEC = """
out: {out}
settings:
  data: {{dataset: synthetic, subjects: 1-4, n_classes: 2, tmax: 2.0}}
  training: {{max_epochs: {epochs}}}
  recipe: plain
grid:
  attention: [none, se, eca, cbam]
  seeds: [0, 1]
"""


def run_sweep(folder: Path, epochs: int, **execution) -> float:
    """Seconds the sweep takes with ``execution`` options, into ``folder``."""
    from bci_attn.config import Layer
    from bci_attn.studies.grid import Sweep

    spec = folder.with_suffix(".yaml")
    spec.write_text(SPEC.format(out=folder, epochs=epochs))
    overrides = Layer()
    for key, value in execution.items():
        overrides.set(f"execution.{key}", value)
    start = time.perf_counter()
    Sweep(str(spec), echo=lambda *a: None, overrides=overrides).run()
    return time.perf_counter() - start


def noop(index: int) -> int:
    return index


def scheduling_cost(n: int) -> float:
    """Seconds per unit Dask adds on the local cluster: ``n`` units that do nothing."""
    from distributed import as_completed

    from bci_attn.config.sections import ExecutionConfig
    from bci_attn.evaluation.dask import DaskExecutor

    executor = DaskExecutor(ExecutionConfig())
    client = executor.connect()
    try:
        client.submit(noop, -1).result()  # workers up and warm
        start = time.perf_counter()
        futures = client.map(noop, range(n), pure=False)
        for future in as_completed(futures):
            future.result()
        return (time.perf_counter() - start) / n
    finally:
        executor.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--noops", type=int, default=200)
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    times: dict[str, list[float]] = {"sequential": [], "dask": []}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for name in times:
                options = (
                    {"executor": "sequential", "threads_per_unit": cores}
                    if name == "sequential"
                    else {"executor": "dask"}
                )
                folder = Path(tmp) / f"{name}-{repeat}"
                times[name].append(run_sweep(folder, args.epochs, **options))
    cost = scheduling_cost(args.noops)
    best = {name: min(values) for name, values in times.items()}
    print(machine())
    print(
        f"32 units (4 modules x 4 subjects x 2 seeds), {args.epochs} epochs, best of "
        f"{args.repeats}"
    )
    print("| executor | seconds | units/min | speed-up vs sequential |")
    print("|:--|--:|--:|--:|")
    for name, seconds in best.items():
        print(
            f"| {name} | {seconds:.1f} | {32 * 60 / seconds:.1f} | "
            f"{best['sequential'] / seconds:.2f} |"
        )
    print(
        f"\nDask's scheduling cost per unit ({args.noops} units that do nothing): "
        f"{1000 * cost:.1f} ms"
    )


if __name__ == "__main__":
    main()
