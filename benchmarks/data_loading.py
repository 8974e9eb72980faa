"""Loading the shared PhysioNet subjects: first load (MOABB + MNE) vs cached load.

python -m benchmarks.data_loading --subjects 1-10

Each load runs in a fresh process with a temporary cache folder, so that it pays its own
imports-free cost and its peak resident memory is its own (``ru_maxrss`` minus the resident
memory after the imports).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

from .common import machine, markdown

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "mne_data"


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(subjects: list[int], cache: str, data_dir: str, queue) -> None:
    """Load ``subjects`` (left/right hand, the CLI's defaults) and report time and memory."""
    from bci_attn.cli.common import quiet_libraries  # the CLI's warning filters
    from bci_attn.data import Preprocessing, load_trials, resolve_dataset

    quiet_libraries()
    dataset = resolve_dataset("PhysionetMI")
    before = rss_mb()
    start = time.perf_counter()
    data = load_trials(
        dataset,
        subjects,
        Preprocessing(classes=("left_hand", "right_hand")),
        data_dir=data_dir,
        cache_dir=Path(cache),
    )
    queue.put((time.perf_counter() - start, rss_mb() - before, data.X.shape, data.X.nbytes))


def main(argv: list[str] | None = None) -> None:
    from bci_attn.config import parse_subjects

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--subjects", type=lambda text: list(parse_subjects(text)), default=list(range(1, 11))
    )
    p.add_argument("--data-dir", default=str(SHARED))
    args = p.parse_args(argv)
    context = multiprocessing.get_context("spawn")
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for phase in ("first load (MOABB, MNE)", "cached load"):
            queue = context.Queue()
            process = context.Process(
                target=load, args=(args.subjects, cache, args.data_dir, queue)
            )
            process.start()
            seconds, peak, shape, nbytes = queue.get()
            process.join()
            rows.append({
                "load": phase,
                "seconds": seconds,
                "peak RSS increase MB": peak,
                "trials array MB": nbytes / 1e6,
                "shape": str(shape),
            })  # fmt: skip
    print(f"\nPhysionetMI subjects {args.subjects}; {machine()}\n")
    print(markdown(rows))
    print(f"\ncached / first: {rows[1]['seconds'] / rows[0]['seconds']:.3f}")


if __name__ == "__main__":
    main()
