"""A run's folder: resolved configuration, one result file per finished unit, tables.

Layout::

    config.json                 the configuration and what the data resolved it to
    folds/<fold>-seed<k>.json   one finished unit (scores, predictions, how it was trained)
    folds/<fold>-seed<k>.pt     its trained model's state_dict
    results.csv                 a row per fold, seed, test subject and calibration size
    summary.json, summary.md    per-subject table and mean ± std over subjects
    logs/<fold>/seed<k>/        Lightning CSV (and TensorBoard) logs

Every file is written atomically (a temporary file renamed over it) with the user's
umask; temporary files left by a killed process are removed when the folder is opened
for writing. A unit's file that does not parse or lacks fields is named and trained again.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import atomic_target, remove_stale_temporaries, write_atomic
from .results import FoldResult

log = logging.getLogger(__name__)

#: Damaged fold files already named (path, modification time): a study reads a unit's file
#: more than once (which units are pending, then their results), and says so once.
_NAMED: set[tuple[Path, int]] = set()

if TYPE_CHECKING:
    import pandas as pd

#: What the data resolve a run's options to, kept in ``config.json`` beside the options.
RESOLVED = ("subjects", "classes", "attention_at", "n_chans", "n_times", "sfreq", "ch_names")


def split_fold_file(path: Path) -> tuple[str, int]:
    """``folds/subject3-seed0.json`` -> ``("subject3", 0)``."""
    fold, _, seed = path.stem.rpartition("-seed")
    return fold, int(seed)


class RunFolder:
    """Where a run writes everything; finished units survive a killed run.

    Parameters
    ----------
    path : path
        The folder (``execution.out``).
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    # -- configuration ----------------------------------------------------------------
    def stored(self) -> dict | None:
        """The stored ``config.json``, or None when there is none (ValueError naming the
        file when it does not parse)."""
        target = self.path / "config.json"
        if not target.is_file():
            return None
        try:
            stored = json.loads(target.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"{target} is not valid JSON ({error}); move it away") from None
        if not isinstance(stored, dict):
            raise ValueError(f"{target} does not hold a configuration; move it away")
        return stored

    def config(self) -> dict:
        """The stored ``config.json`` (ValueError when the folder holds no run)."""
        stored = self.stored()
        if stored is None:
            raise ValueError(f"{self.path} holds no run: no config.json")
        return stored

    def claim(self, record: dict, identity: Callable[[dict], dict]) -> None:
        """Record ``record`` as ``config.json``, or check that the folder holds a run that
        computes the same (``identity`` of both records equal).

        Raises
        ------
        ValueError
            The folder holds a run whose results differ (naming the options), or the
            path is not a folder that can be written.
        """
        if self.path.exists() and not self.path.is_dir():
            raise ValueError(f"--out {self.path} exists and is not a folder")
        record = json.loads(json.dumps(record))  # as config.json holds it: tuples are lists
        previous = self.stored()
        if previous is not None:
            old, new = identity(previous), identity(record)
            differing = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            if differing:
                raise ValueError(
                    f"--out {self.path} holds a run with other settings "
                    f"({', '.join(differing)}); choose another --out to start a new run, or "
                    "repeat the original command to resume it"
                )
        removed = remove_stale_temporaries(self.path)
        if removed:
            log.warning(
                "%s: removed %d temporary file(s) of a killed run", self.path, len(removed)
            )
        write_atomic(self.path / "config.json", json.dumps(record, indent=2, sort_keys=True))

    # -- units ------------------------------------------------------------------------
    def fold_file(self, fold: str, seed: int) -> Path:
        return self.path / "folds" / f"{fold}-seed{seed}.json"

    def model_file(self, fold: str, seed: int) -> Path:
        return self.path / "folds" / f"{fold}-seed{seed}.pt"

    def finished(self, fold: str, seed: int) -> FoldResult | None:
        """The stored result of a finished unit, or None (also for a damaged file, which
        is named and will be trained again)."""
        path = self.fold_file(fold, seed)
        if not path.is_file():
            return None
        try:
            return FoldResult.from_dict(json.loads(path.read_text()))
        except (json.JSONDecodeError, UnicodeDecodeError, ValueError) as error:
            seen = (path.resolve(), path.stat().st_mtime_ns)
            if seen not in _NAMED:
                _NAMED.add(seen)
                log.warning(
                    "%s: damaged (%s); it will be trained again",
                    path,
                    str(error).splitlines()[0],
                )
            return None

    def save(self, result: FoldResult) -> None:
        """Write a finished unit: its model's weights (when given), then its result."""
        if result.weights is not None:
            import torch

            with atomic_target(self.model_file(result.fold, result.seed)) as tmp:
                torch.save(result.weights, tmp)
        write_atomic(self.fold_file(result.fold, result.seed), json.dumps(result.to_dict()))

    def results(self) -> list[FoldResult]:
        """Every finished unit's stored result, in file-name order."""
        files = sorted(self.path.glob("folds/*.json"))
        found = (self.finished(*split_fold_file(path)) for path in files)
        return [r for r in found if r is not None]

    def saved_models(self) -> list[tuple[str, int]]:
        """``(fold, seed)`` of every saved model."""
        return [split_fold_file(p) for p in sorted(self.path.glob("folds/*.pt"))]

    # -- tables -----------------------------------------------------------------------
    def write_tables(
        self, results: list[FoldResult], ensemble: bool = False
    ) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
        """Write ``results.csv`` and the summaries (and ``ensemble.csv`` with ``ensemble``:
        the zero-shot scores of the seeds' models averaged).

        Returns
        -------
        table : pd.DataFrame
            Zero-shot accuracy and kappa per test subject.
        curve : pd.DataFrame | None
            With calibration, the accuracy per subject and calibration size; else None.
        combined : pd.DataFrame | None
            With ``ensemble``, the ensemble's accuracy per test subject; else None.
        """
        from .scoring import (
            calibration_table,
            ensemble_results,
            format_calibration_table,
            format_table,
            mean_std,
            per_subject,
            result_rows,
        )

        rows = result_rows(results)
        write_atomic(self.path / "results.csv", rows.to_csv(index=False))
        table = per_subject(rows)
        curve = calibration_table(rows) if rows["n_calibration"].nunique() > 1 else None
        summary = {
            **mean_std(table),
            "n_subjects": int(len(table)),
            "seeds": sorted(int(s) for s in rows["seed"].unique()),
            "per_subject": table.reset_index().to_dict(orient="records"),
        }
        if curve is not None:
            summary["calibration"] = {
                str(n): mean_std(curve.xs(n, axis=1, level="n_calibration"))
                for n in curve["accuracy"].columns
            }
        text = format_table(table) if curve is None else format_calibration_table(curve)
        combined = None
        if ensemble:
            members = result_rows(ensemble_results(results))
            write_atomic(self.path / "ensemble.csv", members.to_csv(index=False))
            combined = per_subject(members)
            summary["ensemble"] = {
                **mean_std(combined),
                "per_subject": combined.reset_index().to_dict(orient="records"),
            }
            text += "\n\nEnsemble of the seeds' models (mean probability):\n\n"
            text += format_table(combined)
        write_atomic(self.path / "summary.json", json.dumps(summary, indent=2))
        write_atomic(self.path / "summary.md", text + "\n")
        return table, curve, combined
