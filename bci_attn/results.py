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
    "offline",
    "list_folds",
    # Execution strategies whose results agree within float tolerance (tests say so).
    "channels_last",
    "compile",
    "parallel_folds",
    "logger",
    # Scoring only: the ensemble of the seeds' models is computed from the finished folds.
    "ensemble",
    # Provenance: the recipe's name; the values it set are compared as themselves.
    "recipe",
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
        folds/<fold>-seed<k>.json   one finished fold (scores, predictions, and how it
                                    was trained: ``trained_with``)
        results.csv          a row per fold, seed, test subject and calibration size
        summary.json, summary.md    per-subject table and mean ± std over subjects
                                    (with calibration: a column per calibration size)
        folds/<fold>-seed<k>.pt     its trained model's state_dict
        logs/                Lightning CSV (and TensorBoard) logs
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def claim(self, config: dict, defaults: dict | None = None) -> None:
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
                if self._differs(k, previous, config, defaults or {})
            )
            if differing:
                raise ValueError(
                    f"--out {self.path} holds a run with other settings ({', '.join(differing)}); "
                    "choose another --out to start a new run, or repeat the original command "
                    "to resume it"
                )
        write_atomic(target, json.dumps(config, indent=2, sort_keys=True))

    @staticmethod
    def _differs(key: str, previous: dict, config: dict, defaults: dict) -> bool:
        """Whether ``key`` changes what the run computes; a key a folder predates counts as
        its default there, and a derived key (no default) missing on one side is skipped."""
        if key in OPERATIONAL:
            return False
        if key in previous and key in config:
            return previous[key] != config[key]
        if key in defaults:
            return previous.get(key, defaults[key]) != config.get(key, defaults[key])
        return False

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
            return with_rows(json.loads(path.read_text()))
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

    def write_tables(
        self, results: list[dict], ensemble: bool = False
    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Write ``results.csv`` and the summaries (and ``ensemble.csv`` with ``ensemble``:
        the zero-shot scores of the seeds' models averaged, :func:`ensemble_results`).

        Returns
        -------
        table : pd.DataFrame
            Zero-shot accuracy and kappa per test subject.
        curve : pd.DataFrame | None
            With calibration, :func:`calibration_table`; else None.
        """
        rows = result_rows(results)
        write_atomic(self.path / "results.csv", rows.to_csv(index=False))
        table = per_subject(rows)
        curve = calibration_table(rows) if rows["n_calibration"].nunique() > 1 else None
        summary = {
            **_mean_std(table),
            "n_subjects": int(len(table)),
            "seeds": sorted(int(s) for s in rows["seed"].unique()),
            "per_subject": table.reset_index().to_dict(orient="records"),
        }
        if curve is not None:
            summary["calibration"] = {
                str(n): _mean_std(curve.xs(n, axis=1, level="n_calibration"))
                for n in curve["accuracy"].columns
            }
        text = format_table(table) if curve is None else format_calibration_table(curve)
        if ensemble:
            members = result_rows(ensemble_results(results))
            write_atomic(self.path / "ensemble.csv", members.to_csv(index=False))
            combined = per_subject(members)
            summary["ensemble"] = {
                **_mean_std(combined),
                "per_subject": combined.reset_index().to_dict(orient="records"),
            }
            text += "\n\nEnsemble of the seeds' models (mean probability):\n\n"
            text += format_table(combined)
        write_atomic(self.path / "summary.json", json.dumps(summary, indent=2))
        write_atomic(self.path / "summary.md", text + "\n")
        return table, curve


def with_rows(result: dict) -> dict:
    """A fold result in the current format: results written before calibration existed
    (scores at the top level, one test subject) get their single zero-shot row."""
    if "rows" in result:
        return result
    row_keys = ("accuracy", "kappa", "labels", "predictions")
    row = {"subject": result["subject"], "n_calibration": 0, "n_calibration_trials": 0}
    row |= {k: result[k] for k in row_keys} | {"n_test": result["n_test"]}
    return {k: v for k, v in result.items() if k not in row_keys} | {"rows": [row]}


def ensemble_results(results: list[dict]) -> list[dict]:
    """One result per fold for the ensemble of its seeds' models.

    Each test subject's zero-shot class probabilities are averaged over the fold's seeds
    and scored again; nothing but the models' own outputs enters the average. The result
    has ``seed`` set to the list of seeds it combines.

    Raises
    ------
    ValueError
        A fold result stored without probabilities (written before ensembles existed).
    """
    import torch

    from .training import scores

    by_fold: dict[str, list[dict]] = {}
    for result in results:
        by_fold.setdefault(result["fold"], []).append(result)
    combined = []
    for fold, members in by_fold.items():
        rows = [[r for r in m["rows"] if r["n_calibration"] == 0] for m in members]
        if any("probabilities" not in r for rs in rows for r in rs):
            raise ValueError(
                f"fold {fold}: a stored result has no class probabilities (it predates "
                "ensembles); run the ensemble into a new --out"
            )
        ensemble_rows = []
        for same_subject in zip(*rows, strict=True):
            first = same_subject[0]
            mean = torch.tensor([r["probabilities"] for r in same_subject]).mean(0)
            labels = torch.tensor(first["labels"])
            ensemble_rows.append(
                first
                | scores(mean, labels, mean.shape[1])
                | {"predictions": mean.argmax(1).tolist(), "probabilities": mean.tolist()}
            )
        seeds = sorted(m["seed"] for m in members)
        shared = {k: v for k, v in members[0].items() if k != "rows"}
        combined.append(shared | {"seed": seeds, "rows": ensemble_rows})
    return combined


def result_rows(results: list[dict], lists: bool = False) -> pd.DataFrame:
    """The results table: a row per fold, seed, test subject and calibration size.

    Each row joins the fold's fields (sizes, epochs, seconds) with one entry of its
    ``rows`` (subject, calibration size, scores); the per-trial lists (``labels``,
    ``predictions``) are kept only when ``lists`` is True.
    """
    records = []
    for result in results:
        shared = {k: v for k, v in result.items() if k != "rows" and not isinstance(v, list)}
        for row in result["rows"]:
            records.append(
                {**shared, **{k: v for k, v in row.items() if lists or not isinstance(v, list)}}
            )
    return pd.DataFrame(records)


def _mean_std(table: pd.DataFrame) -> dict[str, float]:
    """Mean and standard deviation over subjects of the accuracy and kappa columns."""
    return {
        f"{metric}_{stat}": float(getattr(table[metric], stat)(**kw))
        for metric in ("accuracy", "kappa")
        for stat, kw in (("mean", {}), ("std", {"ddof": 0}))
    }


def split_fold_file(path: Path) -> tuple[str, int]:
    """``folds/subject3-seed0.json`` -> ``("subject3", 0)``."""
    fold, _, seed = path.stem.rpartition("-seed")
    return fold, int(seed)


def per_subject(rows: pd.DataFrame) -> pd.DataFrame:
    """Zero-shot accuracy and kappa per test subject, averaged over its folds and seeds."""
    zero_shot = rows[rows["n_calibration"] == 0]
    return zero_shot.groupby("subject")[["accuracy", "kappa"]].mean()


def calibration_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Accuracy and kappa per test subject (rows) and calibration size (columns).

    Columns are a two-level index ``(metric, n_calibration)``; values are averaged over
    the subject's folds and seeds.
    """
    return rows.pivot_table(
        index="subject", columns="n_calibration", values=["accuracy", "kappa"], aggfunc="mean"
    )


def _cells(accuracy: pd.Series, kappa: pd.Series) -> tuple[list[str], str]:
    """Per-subject cells and the closing mean ± std cell of one accuracy/kappa pair."""
    cells = [f"{100 * a:.1f} | {k:.3f}" for a, k in zip(accuracy, kappa, strict=True)]
    acc = 100 * accuracy
    closing = (
        f"{acc.mean():.1f} ± {acc.std(ddof=0):.1f} | {kappa.mean():.3f} ± {kappa.std(ddof=0):.3f}"
    )
    return cells, closing


def format_table(table: pd.DataFrame) -> str:
    """Per-subject table in percent with a closing mean ± std (std over subjects)."""
    cells, closing = _cells(table["accuracy"], table["kappa"])
    lines = ["| subject | accuracy (%) | kappa |", "|---|---|---|"]
    lines += [f"| {subject} | {cell} |" for subject, cell in zip(table.index, cells, strict=True)]
    lines.append(f"| mean ± std | {closing} |")
    return "\n".join(lines)


def format_calibration_table(curve: pd.DataFrame) -> str:
    """:func:`calibration_table` as Markdown: accuracy (%) and kappa per calibration size.

    N is the number of calibration trials per class (N=0: zero-shot); the closing row is
    the mean ± std over subjects.
    """
    sizes = list(curve["accuracy"].columns)
    columns = [_cells(curve["accuracy"][n], curve["kappa"][n]) for n in sizes]
    header = " | ".join(f"N={n} acc. (%) | N={n} kappa" for n in sizes)
    lines = [f"| subject | {header} |", "|---" * (1 + 2 * len(sizes)) + "|"]
    for i, subject in enumerate(curve.index):
        lines.append(f"| {subject} | " + " | ".join(c[0][i] for c in columns) + " |")
    lines.append("| mean ± std | " + " | ".join(c[1] for c in columns) + " |")
    return "\n".join(lines)
