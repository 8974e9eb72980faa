"""Every attention module on EEGNet, leave-one-subject-out: the zoo's comparison table.

    python experiments/attention_zoo.py                        # synthetic, then PhysioNet
    python experiments/attention_zoo.py --datasets synthetic   # one column only
    python experiments/attention_zoo.py --table-only           # rewrite the table from runs

Each (dataset, module) run is an ordinary ``bci_attn.run`` evaluation whose folder lives in
``experiments/attention_zoo/`` (synthetic) or ``experiments/physionet_loso/runs/``
(PhysioNet: the folders of the ``experiments/physionet_loso.yaml`` sweep, which adds seeds 1
and 2 for seven of the modules); the script resumes whatever is unfinished (a killed run
loses no finished fold) and writes ``experiments/attention_zoo.md``: parameters and
multiply-adds at the PhysioNet input shape, LOSO accuracy of seed 0 (mean ± std over
subjects) per dataset. Runs that have not finished show their finished folds' count.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from bci_attn import attention
from bci_attn.experiment import RunConfig, run_experiment
from bci_attn.run import quiet_libraries
from bci_attn.summary import data_shape, summarize

HERE = Path(__file__).resolve().parent
FOLDERS = {
    "synthetic": HERE / "attention_zoo" / "synthetic-{module}",
    "physionet": HERE / "physionet_loso" / "runs" / "PhysionetMI-eegnet-loso-{module}",
}
SHARED = HERE.parent.parent / "shared" / "data" / "mne_data"

# The recipe is the foundation's default (EEGNet, 30 epochs, AdamW 1e-3, batch 64, last
# epoch, one validation subject per fold), the same for every module and dataset.
DATASETS = {
    "synthetic": dict(dataset="synthetic"),
    "physionet": dict(
        dataset="PhysionetMI",
        subjects=list(range(1, 11)),
        classes=["left_hand", "right_hand"],
        data_dir=str(SHARED),
    ),
}


def folder(dataset: str, module: str) -> Path:
    return Path(str(FOLDERS[dataset]).format(module=module))


def config(dataset: str, module: str, seeds: list[int]) -> RunConfig:
    return RunConfig(
        **DATASETS[dataset],
        backbone="eegnet",
        attention=module,
        protocol="loso",
        max_epochs=30,
        seeds=seeds,
        out=str(folder(dataset, module)),
        quiet=True,
    )


def accuracy_cell(run: Path) -> str:
    """Seed 0's accuracy over the subjects, or how many of its folds are done."""
    done = len(list((run / "folds").glob("*-seed0.json"))) if run.is_dir() else 0
    results = run / "results.csv"
    if not done:
        return "not run"
    rows = pd.read_csv(results) if results.is_file() else None
    if rows is None or (rows.seed == 0).sum() < done or not (run / "summary.json").is_file():
        return f"({done} folds done)"
    seed0 = 100 * rows.loc[rows.seed == 0, "accuracy"]
    return f"{seed0.mean():.1f} ± {seed0.std(ddof=0):.1f}"


def write_table() -> Path:
    shape = data_shape("PhysionetMI", classes=["left_hand", "right_hand"], resample=128.0)
    lines = [
        "# Attention zoo on EEGNet, leave-one-subject-out",
        "",
        "Made by `python experiments/attention_zoo.py` (the plain recipe: one seed, batch 64, "
        "30 epochs, last epoch, no alignment, EEGNet defaults, each module at its default "
        "insertion point; the cross-subject recipe's batch 16 lifts plain EEGNet by 6.5 "
        "points, README). Parameters and "
        f"multiply-adds at the PhysionetMI input ({shape.describe()}). Accuracy in %, mean ± "
        "std over the test subjects: synthetic = the toolkit's default synthetic set "
        "(4 subjects, 3 classes, chance 33.3 %); PhysioNet = the 10 shared subjects, left vs "
        "right hand imagery (chance 50 %; aligned CSP+LDA 65.1 %, ANCHORS.md), seed 0 of the "
        "runs in `experiments/physionet_loso/runs/` (the sweep `experiments/physionet_loso.yaml` "
        "adds seeds 1 and 2 for seven modules). PhysioNet none, se, eca and cbam were trained "
        "with `--no-channels-last` (before channels-last became the default), the others with "
        "channels-last: the same computation, not bit-identical (float rounding differs).",
        "",
        "| module | point | params | attn params | MACs | attn MACs | synthetic | PhysioNet |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for module in attention.available():
        s = summarize("eegnet", module, shape)
        cells = [accuracy_cell(folder(d, module)) for d in DATASETS]
        lines.append(
            f"| {module} | {','.join(s.points) if module != 'none' else '-'} | {s.params:,} | "
            f"{s.attention_params:,} | {s.macs:,} | {s.attention_macs:,} | "
            + " | ".join(cells)
            + " |"
        )
    table = HERE / "attention_zoo.md"
    table.write_text("\n".join(lines) + "\n")
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=list(DATASETS), default=list(DATASETS))
    parser.add_argument("--modules", nargs="+", default=attention.available())
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--table-only", action="store_true")
    args = parser.parse_args()
    quiet_libraries()
    if not args.table_only:
        for dataset in args.datasets:
            for module in args.modules:
                run_experiment(config(dataset, module, args.seeds), echo=lambda *a: None)
                print(f"{dataset} {module}: {accuracy_cell(folder(dataset, module))}", flush=True)
                write_table()
    print(write_table())


if __name__ == "__main__":
    main()
