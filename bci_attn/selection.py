"""Nested selection of the cross-subject training recipe, on training subjects only.

python -m bci_attn.select experiments/recipe_selection.yaml --check   # validate, train nothing
python -m bci_attn.select experiments/recipe_selection.yaml           # run (resumable)
python -m bci_attn.select experiments/recipe_selection.yaml --outer 1-5   # a share of it

A selection file::

    out: runs/recipe_selection
    base: configs/eegnet_none_physionetmi_loso.yaml   # optional config file
    settings:                  # config-file sections on top of it, for every candidate
      data: {subjects: 1-10}
      trainer: {max_epochs: 30}
    inner: loso                # or holdout, with inner_valid_subjects: K (default 3)
    seeds: [0]                 # else the settings' (or base's) run.seeds, else 0
    space:                     # the candidates, simplest first: ties go to the earlier one
      - name: baseline
      - name: euclidean
        data: {align: euclidean}
      - name: cosine
        model: {schedule: cosine, warmup_epochs: 3}

A candidate is a name and config-file sections (``model``, ``data``, ``trainer``, ``run``)
on top of the settings; a value it sets replaces the setting's (mappings included). The
data, subjects, classes, protocol and seeds are the selection's (:data:`FIXED`).

The procedure. The outer loop is leave-one-subject-out over the configured subjects, with
the usual folds of ``bci_attn.run`` (one other subject held out to monitor validation
loss). For each outer test subject, its trials are removed entirely, and the remaining
training subjects are split again:

* ``inner: loso``: each training subject in turn is scored, one other monitors, the rest
  train (:class:`~bci_attn.protocols.LeaveOneSubjectOut` on the training subjects);
* ``inner: holdout``: ``inner_valid_subjects`` training subjects, drawn with the first seed
  and the outer test subject, are scored, one other monitors, the rest train.

Each candidate's inner score is its mean accuracy over the scored subjects (and seeds); the
best one (the earlier on ties) is trained on the outer fold and tested on the outer test
subject. The mean of those test accuracies over subjects, the *nested accuracy*, estimates
the whole procedure, selection included; the candidate chosen most often is the recommended
default. No choice sees a test subject's trials, labelled or not, beyond the per-subject
Euclidean alignment of ``bci_attn.experiment.prepare`` (each subject's own unlabelled
trials).

The output folder::

    runs/<candidate>/               a run folder per candidate: config.json, folds/, logs/
      folds/subject3-inner-subject5-seed0.json   inner training (outer subject 3, scored on 5)
      folds/subject3-inner-holdout-seed0.json    the same with inner: holdout
      folds/subject3-seed0.json                  outer training, by the candidate chosen
    inner.csv                       outer subject, candidate, inner accuracy, chosen
    outer.csv                       outer subject, chosen candidate, test accuracy and kappa
    selection.md                    the search space, the choices, the nested accuracy

Every training is a file written when it ends: a selection started again skips them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import experiment
from .config import config_options, matches, read_yaml, recipe_config
from .data import EEGData
from .experiment import RunConfig, resolved_config
from .protocols import Fold, Holdout, LeaveOneSubjectOut
from .results import RunFolder, per_subject, result_rows, write_atomic
from .sweep import Cell, check_cell, spec_command

#: Keys of a selection file, with the type each takes and how messages describe it.
SPEC_KEYS: dict[str, tuple[object, str]] = {
    "out": (str, "a folder"),
    "base": (str, "a config file"),
    "settings": (dict, "a mapping of config-file sections"),
    "inner": (str, "loso or holdout"),
    "inner_valid_subjects": (int, "an int >= 1"),
    "seeds": (list[int], "a list of ints"),
    "space": (list, "a list of candidates"),
}
INNER = ("loso", "holdout")
#: Options the outer protocol fixes: settings may set them, a candidate may not.
FIXED = (
    "dataset",
    "subjects",
    "classes",
    "n_classes",
    "protocol",
    "seeds",
    "out",
    "train_subjects",
    "test_subjects",
    "train_dataset",
    "test_dataset",
    "calibration_trials",
    "data_dir",
    "cache_dir",
    "offline",
)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class Candidate:
    """One recipe of the search space: its name, what it sets and its whole configuration."""

    name: str
    overrides: dict
    config: RunConfig

    def describe(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.overrides.items()) or "the settings"


@dataclass(frozen=True)
class Selection:
    """A selection file, read and checked (:func:`read_spec`)."""

    source: str
    out: Path
    inner: str
    inner_valid_subjects: int
    seeds: list[int]
    candidates: list[Candidate]

    def describe_inner(self) -> str:
        if self.inner == "loso":
            return "leave-one-subject-out over the outer fold's training subjects"
        return (
            f"{self.inner_valid_subjects} of the outer fold's training subjects held out "
            "(drawn with the first seed and the outer test subject)"
        )


def read_spec(path: str) -> Selection:
    """The selection file ``path``, every key and candidate checked.

    Raises
    ------
    ValueError
        An unknown key, a value of the wrong type, an empty or ill-formed ``space``, or a
        candidate that sets an option of :data:`FIXED`, naming the key and the file.
    """
    spec = read_yaml(path)
    for key, value in spec.items():
        if key not in SPEC_KEYS:
            raise ValueError(
                f"{path}: unknown key '{key}'; a selection takes: {', '.join(SPEC_KEYS)}"
            )
        annotation, meaning = SPEC_KEYS[key]
        if not matches(value, annotation):
            raise ValueError(f"{path}: {key} must be {meaning}, got {value!r}")
    inner = spec.get("inner", "loso")
    if inner not in INNER:
        raise ValueError(f"{path}: inner must be loso or holdout, got {inner!r}")
    if "inner_valid_subjects" in spec and inner != "holdout":
        raise ValueError(f"{path}: inner_valid_subjects goes with inner: holdout, not {inner}")
    n_valid = spec.get("inner_valid_subjects", 3)
    if n_valid < 1:
        raise ValueError(f"{path}: inner_valid_subjects must be at least 1, got {n_valid}")
    options = {}
    if spec.get("base"):
        options = config_options(read_yaml(spec["base"]), spec["base"])
    options.update(config_options(spec.get("settings") or {}, f"{path} (settings)"))
    seeds = list(dict.fromkeys(spec.get("seeds", options.get("seeds", [0]))))
    if not seeds:
        raise ValueError(f"{path}: seeds must list at least one seed")
    out = Path(spec.get("out") or Path("runs") / Path(path).stem)
    options.update(seeds=seeds, quiet=True)
    entries = spec.get("space") or []
    if not entries:
        raise ValueError(f"{path}: space must list at least one candidate")
    candidates = [_candidate(entry, path, options, out) for entry in entries]
    names = [c.name for c in candidates]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: space names must be unique, got {names}")
    return Selection(str(path), out, inner, n_valid, seeds, candidates)


def _candidate(entry, path: str, options: dict, out: Path) -> Candidate:
    """One ``space`` entry as a :class:`Candidate` (ValueError naming the key and file)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise ValueError(
            f"{path}: space entry {entry!r} must be a mapping with a name and config-file "
            "sections (model, data, trainer, run)"
        )
    name = entry["name"]
    if not NAME.fullmatch(name):
        raise ValueError(
            f"{path}: space name {name!r} names a folder: use letters, digits, '.', '_', '-'"
        )
    source = f"{path} (space: {name})"
    overrides = config_options({k: v for k, v in entry.items() if k != "name"}, source)
    fixed = sorted(set(overrides) & set(FIXED))
    if fixed:
        raise ValueError(
            f"{source}: a candidate may not set {fixed[0]}; the outer protocol fixes "
            f"{', '.join(FIXED)} (set them in settings)"
        )
    config = recipe_config({**options, **overrides, "out": str(out / "runs" / name)})
    return Candidate(name, overrides, config)


def check(selection: Selection) -> None:
    """Everything about every candidate that can be checked without data (ValueError)."""
    for candidate in selection.candidates:
        config = candidate.config
        checks = [
            (config.protocol == "loso", f"the outer protocol is loso, not {config.protocol}"),
            (not config.calibration_trials, "selection scores zero-shot: no calibration_trials"),
            (config.parallel_folds == 1, "selection trains one fold at a time: parallel_folds 1"),
        ]
        try:
            for ok, message in checks:
                if not ok:
                    raise ValueError(message)
            check_cell(Cell(config.dataset, config.backbone, config.protocol, "", config))
        except ValueError as error:
            raise ValueError(f"{selection.source} (space: {candidate.name}): {error}") from None


def inner_folds(
    outer: Fold, meta: pd.DataFrame, y: np.ndarray, inner: str, n_valid: int, seed: int
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
    need = 3 if inner == "loso" else n_valid + 2
    if len(subjects) < need:
        raise ValueError(
            f"inner {inner} needs at least {need + 1} subjects (the outer test subject, then "
            f"{'one' if inner == 'loso' else n_valid} scored, one monitoring validation loss, "
            f"at least one training), got {len(subjects) + 1}"
        )
    if inner == "loso":
        protocol = LeaveOneSubjectOut(n_valid_subjects=1, seed=seed)
    else:
        rng = np.random.default_rng([seed, int(outer.subject)])
        held = tuple(int(s) for s in rng.choice(subjects, n_valid, replace=False))
        protocol = Holdout(test_subjects=held, n_valid_subjects=1, seed=seed)
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


@dataclass
class Prepared:
    """A candidate's trials, outer folds and inner folds per outer fold, and run folder."""

    data: EEGData
    outer: list[Fold]
    inner: dict[str, list[Fold]]
    folder: RunFolder


def prepare_all(selection: Selection) -> dict[str, Prepared]:
    """Load (once per preprocessing), split and claim the folder of every candidate.

    Every inner split is made here, before anything trains, so too few subjects fail early.
    """
    loaded: dict[tuple, tuple[EEGData, list[Fold], dict[str, list[Fold]]]] = {}
    prepared = {}
    for candidate in selection.candidates:
        config = candidate.config
        key = (config.preprocessing(), config.align)
        if key not in loaded:
            data, outer = experiment.prepare(config)
            inner = {
                fold.name: inner_folds(
                    fold,
                    data.meta,
                    data.y,
                    selection.inner,
                    selection.inner_valid_subjects,
                    selection.seeds[0],
                )
                for fold in outer
            }
            loaded[key] = data, outer, inner
        data, outer, inner = loaded[key]
        folder = RunFolder(config.out_folder())
        try:
            folder.claim(resolved_config(config, data, outer), defaults=asdict(RunConfig()))
        except ValueError as error:
            raise ValueError(f"{selection.source} (space: {candidate.name}): {error}") from None
        prepared[candidate.name] = Prepared(data, outer, inner, folder)
    return prepared


def trained(
    candidate: Candidate, prepared: Prepared, folds: list[Fold], seeds: list[int], echo
) -> pd.DataFrame:
    """Accuracy and kappa per test subject of ``folds`` (means over seeds), training what
    the candidate's folder does not hold yet."""
    results = []
    for fold in folds:
        for seed in seeds:
            result = prepared.folder.finished(fold.name, seed)
            status = "done before"
            if result is None:
                result = experiment.train_fold(
                    candidate.config, prepared.data, fold, seed, prepared.folder
                )
                prepared.folder.save_fold(result)
                status = f"{result['seconds']:.1f} s"
            accuracy = 100 * np.mean([row["accuracy"] for row in result["rows"]])
            echo(f"  {candidate.name} {fold.name} seed {seed}: {accuracy:.1f} % ({status})")
            results.append(result)
    return per_subject(result_rows(results))


def run_selection(
    path: str, echo=print, check_only: bool = False, outer: list[int] | None = None
) -> pd.DataFrame | None:
    """Check selection file ``path``, run it (resuming), write its tables.

    Parameters
    ----------
    outer : list of int, optional
        Run only these outer test subjects and write no tables: several processes or
        machines can share a selection this way (each training is its own file), and a
        last run without ``outer`` gathers them and writes the tables.

    Returns
    -------
    pd.DataFrame | None
        ``outer.csv``'s table; None with ``check_only``, which trains nothing.
    """
    selection = read_spec(path)
    check(selection)
    echo(
        f"{path}: {len(selection.candidates)} candidates, inner {selection.inner}, seeds "
        f"{', '.join(map(str, selection.seeds))} -> {selection.out}"
    )
    if check_only:
        for candidate in selection.candidates:
            echo(f"  {candidate.name}: {candidate.describe()}")
        return None
    prepared = prepare_all(selection)
    folds = prepared[selection.candidates[0].name].outer
    unknown = sorted(set(outer or []) - {fold.subject for fold in folds})
    if unknown:
        raise ValueError(
            f"--outer: no outer fold tests subject(s) {unknown}; the outer test subjects: "
            f"{', '.join(str(fold.subject) for fold in folds)}"
        )
    inner_rows, outer_rows = [], []
    for index, outer_fold in enumerate(folds):
        if outer is not None and outer_fold.subject not in outer:
            continue
        scores = {}
        for candidate in selection.candidates:
            ready = prepared[candidate.name]
            table = trained(candidate, ready, ready.inner[outer_fold.name], selection.seeds, echo)
            scores[candidate.name] = float(table["accuracy"].mean())
        chosen = choose(scores)
        inner_rows += [
            {
                "outer_subject": outer_fold.subject,
                "candidate": name,
                "inner_accuracy": score,
                "chosen": name == chosen,
            }
            for name, score in scores.items()
        ]
        candidate = next(c for c in selection.candidates if c.name == chosen)
        ready = prepared[chosen]
        table = trained(candidate, ready, [ready.outer[index]], selection.seeds, echo)
        outer_rows.append(
            {
                "outer_subject": outer_fold.subject,
                "candidate": chosen,
                "inner_accuracy": scores[chosen],
                "accuracy": float(table["accuracy"].iloc[0]),
                "kappa": float(table["kappa"].iloc[0]),
            }
        )
        echo(
            f"subject {outer_fold.subject}: chose {chosen} (inner {100 * scores[chosen]:.1f} %), "
            f"test accuracy {100 * outer_rows[-1]['accuracy']:.1f} %"
        )
        if outer is None:
            # Tables after every outer fold: a selection cut short shows what it has done.
            text = write_tables(selection, pd.DataFrame(inner_rows), pd.DataFrame(outer_rows))
    echo(
        text
        if outer is None
        else "tables not written for part of the outer folds: run again without --outer"
    )
    return pd.DataFrame(outer_rows)


def write_tables(
    selection: Selection, inner_table: pd.DataFrame, outer_table: pd.DataFrame
) -> str:
    """Write ``inner.csv``, ``outer.csv`` and ``selection.md``; return the latter's text."""
    write_atomic(selection.out / "inner.csv", inner_table.to_csv(index=False))
    write_atomic(selection.out / "outer.csv", outer_table.to_csv(index=False))
    text = format_selection(selection, inner_table, outer_table)
    write_atomic(selection.out / "selection.md", text)
    return text


def recommended(selection: Selection, outer_table: pd.DataFrame) -> str:
    """The candidate chosen most often; on ties the first in the space."""
    counts = outer_table["candidate"].value_counts()
    return choose({c.name: int(counts.get(c.name, 0)) for c in selection.candidates})


def format_selection(
    selection: Selection, inner_table: pd.DataFrame, outer_table: pd.DataFrame
) -> str:
    """``selection.md``: the space, the choice per outer fold and overall, the nested accuracy."""
    counts = outer_table["candidate"].value_counts()
    mean_inner = inner_table.groupby("candidate")["inner_accuracy"].mean()
    accuracy = 100 * outer_table["accuracy"]
    default = recommended(selection, outer_table)
    n = len(outer_table)
    lines = [
        "# Recipe selection, nested (training subjects only)",
        "",
        f"Made by `python -m bci_attn.select {selection.source}`. Outer loop: "
        "leave-one-subject-out (one other subject monitors validation loss); inner split: "
        f"{selection.describe_inner()}, the outer test subject's trials removed entirely. "
        "Inner score: mean accuracy over the inner validation subjects; seeds "
        f"{', '.join(map(str, selection.seeds))}.",
        "",
        "## Search space",
        "",
        "| candidate | sets |",
        "|---|---|",
        *(f"| {c.name} | {c.describe()} |" for c in selection.candidates),
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
            for c in selection.candidates
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


def add_outer_argument(parser) -> None:
    from .run import parse_subjects  # argparse's form: "invalid subjects '...': use ..."

    parser.add_argument(
        "--outer",
        type=parse_subjects,
        default=None,
        metavar="SUBJECTS",
        help="run only these outer test subjects (e.g. 1-5), to share the work between "
        "processes; no tables are written: a last run without --outer writes them",
    )


def main(argv: list[str] | None = None) -> int:
    return spec_command(
        "python -m bci_attn.select",
        __doc__,
        run_selection,
        argv,
        "selection",
        "candidate",
        add_arguments=add_outer_argument,
    )
