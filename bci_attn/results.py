"""A run's folder: resolved configuration, one result file per finished fold, tables."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

# Options that change how a run is executed or reported, not what it computes: a run may be
# resumed with other values of these.
OPERATIONAL = {
    "quiet",
    "out",
    "accelerator",
    "devices",
    "data_dir",
    "cache_dir",
    "seeds",
    "download",
    "list_folds",
}


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


class RunFolder:
    """Where a run writes everything; finished folds survive a killed run.

    Layout::

        config.json          resolved configuration
        folds/<fold>-seed<k>.json   one finished fold (scores, predictions)
        results.csv          a row per fold and seed
        summary.json, summary.md    per-subject table and mean ± std over subjects
        logs/                Lightning CSV logs
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def claim(self, config: dict) -> None:
        """Record ``config``, or check that the folder holds a run of the same configuration.

        Raises
        ------
        ValueError
            The folder holds a run whose configuration differs (naming the options).
        """
        target = self.path / "config.json"
        if target.is_file():
            previous = json.loads(target.read_text())
            differing = sorted(
                k
                for k in set(previous) | set(config)
                if k not in OPERATIONAL and previous.get(k) != config.get(k)
            )
            if differing:
                raise ValueError(
                    f"--out {self.path} holds a run with other settings ({', '.join(differing)}); "
                    "choose another --out to start a new run, or repeat the original command "
                    "to resume it"
                )
        write_atomic(target, json.dumps(config, indent=2, sort_keys=True))

    def fold_file(self, fold: str, seed: int) -> Path:
        return self.path / "folds" / f"{fold}-seed{seed}.json"

    def finished(self, fold: str, seed: int) -> dict | None:
        """The stored result of a finished fold, or None."""
        path = self.fold_file(fold, seed)
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            return None  # a file cut short is a fold to run again

    def save_fold(self, result: dict) -> None:
        write_atomic(self.fold_file(result["fold"], result["seed"]), json.dumps(result))

    def write_tables(self, results: list[dict]) -> pd.DataFrame:
        """Write ``results.csv`` and the summaries; return the per-subject table."""
        rows = pd.DataFrame(
            [{k: v for k, v in r.items() if not isinstance(v, list)} for r in results]
        )
        write_atomic(self.path / "results.csv", rows.to_csv(index=False))
        table = per_subject(rows)
        summary = {
            "accuracy_mean": float(table["accuracy"].mean()),
            "accuracy_std": float(table["accuracy"].std(ddof=0)),
            "kappa_mean": float(table["kappa"].mean()),
            "kappa_std": float(table["kappa"].std(ddof=0)),
            "n_subjects": int(len(table)),
            "seeds": sorted(int(s) for s in rows["seed"].unique()),
            "per_subject": table.reset_index().to_dict(orient="records"),
        }
        write_atomic(self.path / "summary.json", json.dumps(summary, indent=2))
        write_atomic(self.path / "summary.md", format_table(table) + "\n")
        return table


def per_subject(rows: pd.DataFrame) -> pd.DataFrame:
    """Accuracy and kappa per test subject, averaged over its folds and seeds."""
    return rows.groupby("subject")[["accuracy", "kappa"]].mean()


def format_table(table: pd.DataFrame) -> str:
    """Per-subject table in percent with a closing mean ± std (std over subjects)."""
    lines = ["| subject | accuracy (%) | kappa |", "|---|---|---|"]
    for subject, row in table.iterrows():
        lines.append(f"| {subject} | {100 * row['accuracy']:.1f} | {row['kappa']:.3f} |")
    acc, kappa = 100 * table["accuracy"], table["kappa"]
    lines.append(
        f"| mean ± std | {acc.mean():.1f} ± {acc.std(ddof=0):.1f} | "
        f"{kappa.mean():.3f} ± {kappa.std(ddof=0):.3f} |"
    )
    return "\n".join(lines)
