"""Nested selection of a training recipe, on training subjects only.

A selection file::

    out: runs/recipe_selection
    base: configs/eegnet_none_physionetmi_loso.yaml   # optional configuration file
    settings:                  # sections on top of it, for every candidate
      data: {subjects: 1-10}
      training: {max_epochs: 30}
    inner: loso                # or holdout, with inner_valid_subjects: K (default 3)
    seeds: [0]                 # else the settings' (or base's) evaluation.seeds
    space:                     # the candidates, simplest first: ties go to the earlier one
      - name: baseline
      - name: euclidean
        data: {align: euclidean}
      - name: cosine
        training: {schedule: cosine, warmup_epochs: 3}

A candidate is a name and what it sets (sections, or options by name) on top of the
settings; a value it sets replaces the setting's (mappings included). The evaluation and
the trials (:func:`fixed`) are the selection's: a candidate may not change them.

The procedure. The outer loop is leave-one-subject-out over the configured subjects, with
the usual folds of a run (one other subject held out to monitor validation loss). For each
outer test subject, its trials are removed entirely, and the remaining training subjects
are split again:

* ``inner: loso``: each training subject in turn is scored, one other monitors, the rest
  train (:class:`~bci_attn.evaluation.protocols.LeaveOneSubjectOut` on them);
* ``inner: holdout``: ``inner_valid_subjects`` training subjects, drawn with the first seed
  and the outer test subject, are scored, one other monitors, the rest train.

Each candidate's inner score is its mean accuracy over the scored subjects (and seeds); the
best one (the earlier on ties) is trained on the outer fold and tested on the outer test
subject. The mean of those test accuracies over subjects, the *nested accuracy*, estimates
the whole procedure, selection included; the candidate chosen most often is the recommended
default. No choice sees a test subject's trials, labelled or not, beyond the per-subject
Euclidean alignment (each subject's own unlabelled trials).

The output folder::

    runs/<candidate>/               a run folder per candidate
      folds/subject3-inner-subject5-seed0.json   inner training (outer subject 3, scored on 5)
      folds/subject3-inner-holdout-seed0.json    the same with inner: holdout
      folds/subject3-seed0.json                  outer training, by the candidate chosen
    inner.csv                       outer subject, candidate, inner accuracy, chosen
    outer.csv                       outer subject, chosen candidate, test accuracy and kappa
    selection.md                    the search space, the choices, the nested accuracy

All inner trainings are units of a first stage, all outer trainings of a second: an
executor runs each stage's units in any order, and a selection started again skips every
training already in its folders.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Literal

import numpy as np

from ..atomic import write_atomic
from ..config import Layer
from ..config.schema import check_fields, option
from ..config.sections import DataConfig, EvaluationConfig
from ..evaluation.executor import Executor
from ..evaluation.protocols import Fold, Holdout, LeaveOneSubjectOut
from .specs import FileStudy, StudySpec, base_layers, cell_config, check_name, entry_layer
from .study import Cell

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class SelectionSpec(StudySpec):
    """A selection file's keys (see the module's docstring)."""

    inner: Literal["loso", "holdout"] = option(
        "loso", "how the outer fold's training subjects are split again"
    )
    inner_valid_subjects: int | None = option(
        None, "with inner: holdout, training subjects scored (default 3)", minimum=1
    )
    seeds: tuple[int, ...] | None = option(
        None,
        "seeds of every training (default: the settings' evaluation.seeds)",
        minimum=0,
        nonempty=True,
    )
    space: tuple[dict, ...] = option(
        [], "the candidates: a name and what each sets, simplest first", nonempty=True
    )

    def __post_init__(self) -> None:
        check_fields(self, "")
        if self.inner_valid_subjects is not None and self.inner != "holdout":
            raise ValueError(f"inner_valid_subjects goes with inner: holdout, not {self.inner}")

    @property
    def n_valid(self) -> int:
        return self.inner_valid_subjects or 3


def fixed() -> list[str]:
    """The options a candidate may not set: every evaluation option, and the data options
    that choose the trials (the outer protocol compares candidates on the same trials)."""
    trials = ("dataset", "subjects", "classes", "n_classes", "data_dir", "cache_dir", "offline")
    names = [f.name for f in fields(EvaluationConfig)]
    names += [f.name for f in fields(DataConfig) if f.name in trials]
    return [*names, "out"]


def candidates(spec: SelectionSpec, source: str, overrides: Layer | None = None) -> list[Cell]:
    """The space's candidates as cells (ValueError naming the key and the file), with
    ``overrides`` (e.g. the command line's execution options) on top of each."""
    out = spec.folder(source)
    cells = []
    for entry in spec.space:
        if not isinstance(entry.get("name"), str):
            raise ValueError(
                f"{source}: space entry {entry!r} must be a mapping with a name and what the "
                "candidate sets (sections or options)"
            )
        name = check_name(entry["name"], source, "space")
        what = f"{source} (space: {name})"
        layer = entry_layer({k: v for k, v in entry.items() if k != "name"}, what)
        forbidden = [k for k in layer.names if k.split(".")[1] in fixed()]
        if forbidden:
            raise ValueError(
                f"{what}: a candidate may not set {forbidden[0]}; the outer protocol fixes the "
                "evaluation and the trials (set them in settings)"
            )
        extra = {"execution": {"out": str(out / "runs" / name)}}
        if spec.seeds is not None:
            extra["evaluation"] = {"seeds": list(spec.seeds)}
        layers = [*base_layers(spec, source), layer, entry_layer(extra, f"{source} (seeds)")]
        layers += [overrides] if overrides is not None else []
        config = cell_config(layers, what)
        _check_candidate(config, what)
        cells.append(Cell(name, config, {"candidate": name, "sets": _sets(layer)}))
    names = [cell.name for cell in cells]
    if len(set(names)) != len(names):
        raise ValueError(f"{source}: space names must be unique, got {names}")
    return cells


def _sets(layer) -> str:
    """What a candidate's layer sets, as ``name=value`` pairs."""
    pairs = [f"{k}={v}" for values in layer.values.values() for k, v in values.items()]
    return ", ".join(pairs) or "the settings"


def _check_candidate(config, what: str) -> None:
    evaluation = config.evaluation
    rules = [
        (evaluation.protocol == "loso", f"the outer protocol is loso, not {evaluation.protocol}"),
        (not evaluation.calibration_trials, "selection scores zero-shot: no calibration_trials"),
        (
            config.execution.parallel_folds == 1,
            "selection trains one fold at a time: parallel_folds 1",
        ),
    ]
    for ok, message in rules:
        if not ok:
            raise ValueError(f"{what}: {message}")


def inner_folds(
    outer: Fold,
    meta: pd.DataFrame,
    y: np.ndarray,
    inner: str,
    n_valid: int,
    seed: int,
    n_monitor: int = 1,
) -> list[Fold]:
    """The inner splits of an outer fold, among its training subjects only.

    Parameters
    ----------
    outer : Fold
        An outer leave-one-subject-out fold; every trial of ``outer.subject`` is left out.
    meta, y : pd.DataFrame, np.ndarray
        The trials' metadata (``subject``, ``session``, ``run``) and labels.
    inner : {"loso", "holdout"}
        Every training subject scored in turn, or ``n_valid`` of them at once.
    n_valid : int
        With ``holdout``, how many training subjects are scored.
    seed : int
        Seed of the subjects drawn (scored with ``holdout``, monitoring validation).
    n_monitor : int
        Training subjects held out to monitor validation loss, as in the outer fold.

    Returns
    -------
    list of Fold
        Named ``<outer>-inner-<inner fold>``; ``test`` holds the scored subjects' trials,
        ``valid`` one other subject's (monitoring, as in the outer fold).

    Raises
    ------
    ValueError
        Too few training subjects for the inner split.
    """
    subject_of = meta["subject"].to_numpy()
    rows = np.flatnonzero(subject_of != outer.subject)
    subjects = np.unique(subject_of[rows])
    need = (1 if inner == "loso" else n_valid) + n_monitor + 1
    if len(subjects) < need:
        raise ValueError(
            f"inner {inner} needs at least {need + 1} subjects (the outer test subject, then "
            f"{'one' if inner == 'loso' else n_valid} scored, {n_monitor} monitoring validation "
            f"loss, at least one training), got {len(subjects) + 1}"
        )
    if inner == "loso":
        protocol = LeaveOneSubjectOut(n_valid_subjects=n_monitor, split_seed=seed)
    else:
        rng = np.random.default_rng([seed, int(outer.subject)])
        held = tuple(int(s) for s in rng.choice(subjects, n_valid, replace=False))
        protocol = Holdout(test_subjects=held, n_valid_subjects=n_monitor, split_seed=seed)
    within = protocol.split(meta.iloc[rows].reset_index(drop=True), y[rows])
    folds = [
        Fold(f"{outer.name}-inner-{f.name}", f.subject, rows[f.train], rows[f.valid], rows[f.test])
        for f in within
    ]
    assert_unseen(int(outer.subject), folds, subject_of)
    return folds


def assert_unseen(subject: int, folds: list[Fold], subject_of: np.ndarray) -> None:
    """Raise AssertionError if a trial of ``subject`` is in any split of ``folds``."""
    for fold in folds:
        for part in ("train", "valid", "test"):
            if np.any(subject_of[getattr(fold, part)] == subject):
                raise AssertionError(
                    f"outer test subject {subject} is in {fold.name}'s {part} split: the "
                    "selection would see it"
                )


def choose(scores: dict[str, float]) -> str:
    """The candidate with the best score; on ties the first (the space's order)."""
    best = max(scores.values())
    return next(name for name, score in scores.items() if score == best)


def mean_accuracy(results) -> float:
    """Mean over subjects of the zero-shot accuracy (each subject averaged over seeds)."""
    by_subject: dict[int, list[float]] = {}
    for result in results:
        for row in result.zero_shot():
            by_subject.setdefault(row.subject, []).append(row.accuracy)
    return float(np.mean([np.mean(v) for v in by_subject.values()]))


class NestedSelection(FileStudy):
    """The candidates of a selection file (see the module's docstring)."""

    spec_class = SelectionSpec
    noun = "candidates"

    def cells_of(self, overrides: Layer | None) -> list[Cell]:
        return candidates(self.spec, self.source, overrides)

    def describe(self) -> list[str]:
        """A line per candidate: what it sets."""
        return [f"  {cell.name}: {cell.labels['sets']}" for cell in self.cells]

    def describe_inner(self) -> str:
        if self.spec.inner == "loso":
            return "leave-one-subject-out over the outer fold's training subjects"
        return (
            f"{self.spec.n_valid} of the outer fold's training subjects held out "
            "(drawn with the first seed and the outer test subject)"
        )

    def inner(self, cell: Cell) -> dict[str, list[Fold]]:
        """Every inner split of ``cell``'s outer folds, by outer fold."""
        ready = self.ready[cell.name]
        seed = cell.config.evaluation.seeds[0]
        return {
            outer.name: inner_folds(
                outer,
                ready.data.meta,
                ready.data.y,
                self.spec.inner,
                self.spec.n_valid,
                seed,
                cell.config.evaluation.n_valid_subjects,
            )
            for outer in ready.folds
        }

    def run(self, executor: Executor | None = None):
        """Check, train the inner then the chosen outer units (resuming), write the tables;
        return ``outer.csv``'s table."""
        self.validate()
        seeds = self.cells[0].config.evaluation.seeds
        self.echo(
            f"{self.source}: {len(self.cells)} candidates, inner {self.spec.inner}, seeds "
            f"{', '.join(map(str, seeds))} -> {self.out}"
        )
        self.prepare()
        inner = {cell.name: self.inner(cell) for cell in self.cells}  # before anything is written
        units = {
            (cell.name, outer): self.units(cell, folds)
            for cell in self.cells
            for outer, folds in inner[cell.name].items()
        }
        try:
            self.start([unit for same in units.values() for unit in same], executor)
            with self.claimed():
                return self._run(units)
        finally:
            self.close()

    def _run(self, units: dict[tuple[str, str], list]):
        """Train the inner units, choose, train the chosen outer units, write the tables."""
        import pandas as pd

        every = [unit for same in units.values() for unit in same]
        results = {u.key: r for u, r in zip(every, self.execute(every), strict=True)}
        outer_folds = self.ready[self.cells[0].name].folds
        inner_rows, chosen = [], {}
        for outer in outer_folds:
            scores = {
                cell.name: mean_accuracy([results[u.key] for u in units[cell.name, outer.name]])
                for cell in self.cells
            }
            chosen[outer.name] = choose(scores)
            inner_rows += [
                {
                    "outer_subject": outer.subject,
                    "candidate": name,
                    "inner_accuracy": score,
                    "chosen": name == chosen[outer.name],
                }
                for name, score in scores.items()
            ]
        cells = {cell.name: cell for cell in self.cells}
        outer_units = {
            outer.name: self.units(cells[chosen[outer.name]], [outer]) for outer in outer_folds
        }
        every = [unit for same in outer_units.values() for unit in same]
        results = {u.key: r for u, r in zip(every, self.execute(every), strict=True)}
        inner_table = pd.DataFrame(inner_rows)
        outer_rows = []
        for outer in outer_folds:
            mine = [results[u.key] for u in outer_units[outer.name]]
            name = chosen[outer.name]
            score = inner_table[
                (inner_table.outer_subject == outer.subject) & (inner_table.candidate == name)
            ]["inner_accuracy"].iloc[0]
            outer_rows.append(
                {
                    "outer_subject": outer.subject,
                    "candidate": name,
                    "inner_accuracy": score,
                    "accuracy": mean_accuracy(mine),
                    "kappa": float(np.mean([row.kappa for r in mine for row in r.zero_shot()])),
                }
            )
            self.echo(
                f"subject {outer.subject}: chose {name} (inner {100 * score:.1f} %), test "
                f"accuracy {100 * outer_rows[-1]['accuracy']:.1f} %"
            )
        outer_table = pd.DataFrame(outer_rows)
        self.echo(self.write_tables(inner_table, outer_table))
        return outer_table

    def write_tables(self, inner_table: pd.DataFrame, outer_table: pd.DataFrame) -> str:
        """Write ``inner.csv``, ``outer.csv`` and ``selection.md``; return the latter's text."""
        write_atomic(self.out / "inner.csv", inner_table.to_csv(index=False))
        write_atomic(self.out / "outer.csv", outer_table.to_csv(index=False))
        text = self.format(inner_table, outer_table)
        write_atomic(self.out / "selection.md", text)
        return text

    def recommended(self, outer_table: pd.DataFrame) -> str:
        """The candidate chosen most often; on ties the first in the space."""
        counts = outer_table["candidate"].value_counts()
        return choose({c.name: int(counts.get(c.name, 0)) for c in self.cells})

    def format(self, inner_table: pd.DataFrame, outer_table: pd.DataFrame) -> str:
        """``selection.md``: the space, the choice per outer fold and overall, the nested
        accuracy."""
        counts = outer_table["candidate"].value_counts()
        mean_inner = inner_table.groupby("candidate")["inner_accuracy"].mean()
        accuracy = 100 * outer_table["accuracy"]
        default = self.recommended(outer_table)
        n = len(outer_table)
        seeds = self.cells[0].config.evaluation.seeds
        lines = [
            "# Recipe selection, nested (training subjects only)",
            "",
            f"Made by `bci-attn select {self.source}`. Outer loop: "
            "leave-one-subject-out (one other subject monitors validation loss); inner split: "
            f"{self.describe_inner()}, the outer test subject's trials removed entirely. "
            "Inner score: mean accuracy over the inner validation subjects; seeds "
            f"{', '.join(map(str, seeds))}.",
            "",
            "## Search space",
            "",
            "| candidate | sets |",
            "|---|---|",
            *(f"| {c.name} | {c.labels['sets']} |" for c in self.cells),
            "",
            "## Choice per outer fold",
            "",
            "| test subject | chosen | inner accuracy (%) | test accuracy (%) |",
            "|---|---|---|---|",
            *(
                f"| {r.outer_subject} | {r.candidate} | {100 * r.inner_accuracy:.1f} | "
                f"{100 * r.accuracy:.1f} |"
                for r in outer_table.itertuples()
            ),
            "",
            "## How often each candidate was chosen",
            "",
            "| candidate | chosen (folds) | mean inner accuracy (%) |",
            "|---|---|---|",
            *(
                f"| {c.name} | {int(counts.get(c.name, 0))} | {100 * mean_inner[c.name]:.1f} |"
                for c in self.cells
            ),
            "",
            f"**Nested accuracy: {accuracy.mean():.1f} ± {accuracy.std(ddof=0):.1f} %** (mean ± "
            f"std over {n} test subjects): the honest estimate of the whole procedure, "
            "selection included, since no choice saw the subject it was tested on.",
            "",
            f"**Recommended default: `{default}`**, the candidate chosen most often "
            f"({int(counts.get(default, 0))} of {n} outer folds; ties go to the earlier "
            "candidate in the space). The nested accuracy estimates the procedure, not this "
            "candidate alone.",
        ]
        return "\n".join(lines) + "\n"
