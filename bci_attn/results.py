"""A run's folder: resolved configuration, one result file per finished fold, tables."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
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
    "logger",
}


@contextlib.contextmanager
def atomic_target(path: Path) -> Iterator[str]:
    """A temporary file beside ``path``, renamed to ``path`` if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    with atomic_target(path) as tmp:
        Path(tmp).write_text(text)


class RunFolder:
    """Where a run writes everything; finished folds survive a killed run.

    Layout::

        config.json          resolved configuration
        folds/<fold>-seed<k>.json   one finished fold (scores, predictions)
        folds/<fold>-seed<k>.pt     its trained model's state_dict
        results.csv          a row per fold and seed
        summary.json, summary.md    per-subject table and mean ± std over subjects
        logs/                Lightning CSV (and TensorBoard) logs
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

    def config(self) -> dict:
        """The stored ``config.json`` (ValueError when the folder holds no run)."""
        target = self.path / "config.json"
        if not target.is_file():
            raise ValueError(f"{self.path} holds no run: no config.json")
        return json.loads(target.read_text())

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

    def results(self) -> list[dict]:
        """Every finished fold's stored result, in file-name order."""
        files = sorted(self.path.glob("folds/*.json"))
        found = (self.finished(*split_fold_file(path)) for path in files)
        return [r for r in found if r is not None]

    def model_file(self, fold: str, seed: int) -> Path:
        return self.path / "folds" / f"{fold}-seed{seed}.pt"

    def save_model(self, fold: str, seed: int, state_dict: dict) -> None:
        """Write a trained model's ``state_dict`` atomically (temporary file and rename)."""
        import torch

        with atomic_target(self.model_file(fold, seed)) as tmp:
            torch.save({k: v.detach().cpu() for k, v in state_dict.items()}, tmp)

    def saved_models(self) -> list[tuple[str, int]]:
        """``(fold, seed)`` of every saved model."""
        return [split_fold_file(p) for p in sorted(self.path.glob("folds/*.pt"))]

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


def split_fold_file(path: Path) -> tuple[str, int]:
    """``folds/subject3-seed0.json`` -> ``("subject3", 0)``."""
    fold, _, seed = path.stem.rpartition("-seed")
    return fold, int(seed)


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
