"""A study: a set of units plus how they are scored, run by an executor.

A single run, a grid sweep and a nested selection are three kinds of one study
(MOABB's evaluations are the model: each knows what it evaluates and how it scores). Each
is made of :class:`Cell`\\ s, named configurations whose units (every fold of their protocol
with every seed) are trained into their run folders. The :class:`Study` base does what
they share, in this order, so that nothing is written before everything is checked:

1. :meth:`Study.validate` every cell (one error listing every invalid cell);
2. :meth:`Study.prepare` their data (loaded once per distinct data and protocol);
3. :meth:`Study.claimed`: lock their run folders and record their configurations (cells
   that train the same models share one folder);
4. :meth:`Study.execute` the units not finished yet, on an executor; the results come back
   here and are written here, atomically, once each;
5. the kind's own tables.

A failed unit does not stop the others: the study ends with their count in
``failures.json`` and :class:`StudyFailed`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..atomic import write_atomic
from ..config import RunConfig
from ..evaluation.executor import Executor, Failure, Progress, make_executor
from ..evaluation.folder import RunFolder
from ..evaluation.preparation import Prepared, prepared
from ..evaluation.records import identity, record
from ..evaluation.results import FoldResult
from ..evaluation.units import Unit, plan, tasks
from ..evaluation.validation import validate


class StudyFailed(RuntimeError):
    """Some units failed on every try; the others' results are kept.

    Attributes
    ----------
    failures : list of Failure
    path : Path
        The ``failures.json`` that lists them with their configuration and traceback.
    """

    def __init__(self, failures: list[Failure], total: int, path: Path) -> None:
        first = failures[0].error
        super().__init__(
            f"{len(failures)} of {total} unit(s) failed (first: {first}); their "
            f"configurations and tracebacks are in {path}; the other units' results are kept: "
            "fix the cause and run the same command again"
        )
        self.failures = failures
        self.path = path


def default_folder(config: RunConfig) -> Path:
    """``execution.out``, else ``runs/<data>-<backbone>-<attention>-<protocol>``."""
    if config.execution.out:
        return Path(config.execution.out)
    from ..evaluation.protocols import get_protocol

    protocol = get_protocol(config.evaluation.protocol).from_config(config)
    model = config.model
    name = f"{protocol.data_name(config)}-{model.backbone}-{model.attention}-{protocol.name}"
    return Path("runs") / name


@dataclass(frozen=True)
class Cell:
    """A named configuration of a study.

    Attributes
    ----------
    name : str
        Its name in the study's tables.
    config : RunConfig
        Its configuration; ``execution.out`` is its run folder.
    labels : dict
        Table columns that describe it (``dataset``, ``backbone``, ``protocol``,
        ``attention`` for a sweep).
    """

    name: str
    config: RunConfig
    labels: dict = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return default_folder(self.config)


def quietly(cells: Sequence[Cell]) -> list[Cell]:
    """``cells`` without progress bars: a study of many runs reports unit by unit."""
    return [replace(cell, config=cell.config.replace(quiet=True)) for cell in cells]


def shared_folders(cells: Sequence[Cell]) -> list[Cell]:
    """``cells`` with those that train the same models (equal
    :meth:`~bci_attn.config.RunConfig.fingerprint`) pointing at the first one's folder,
    so those models train once."""
    folders: dict[str, str] = {}
    shared = []
    for cell in cells:
        folder = folders.setdefault(cell.config.fingerprint(), str(cell.folder))
        shared.append(replace(cell, config=cell.config.replace(out=folder)))
    return shared


class Study:
    """The shared steps of every kind of study (see the module's docstring).

    Parameters
    ----------
    cells : sequence of Cell
    out : Path
        The study's folder (for a single run, its run folder).
    echo : callable
        Where progress lines go.
    """

    def __init__(self, cells: Sequence[Cell], out: Path, echo: Callable[[str], Any] = print):
        self.cells = shared_folders(cells)
        self.out = Path(out)
        self.echo = echo
        self.ready: dict[str, Prepared] = {}
        self.saved = 0
        self._units: dict[str, Unit] = {}
        self._executor: Executor | None = None

    # -- 1-3: nothing is written before these pass ------------------------------------
    def validate(self) -> None:
        """Check every cell; one ValueError listing every invalid one."""
        problems = []
        for cell in self.cells:
            try:
                validate(cell.config)
            except ValueError as error:
                problems.append((cell, error))
        if len(problems) == 1 and len(self.cells) == 1:
            raise problems[0][1]
        if problems:
            listed = "\n".join(f"  {cell.name}: {error}" for cell, error in problems)
            raise ValueError(
                f"{len(problems)} invalid configuration(s); nothing was trained:\n{listed}"
            )

    def prepare(self) -> None:
        """Load and split every cell's data (each distinct data and protocol once); warn
        of a batch larger than a fold's training set."""
        for cell in self.cells:
            ready = self.ready[cell.name] = prepared(cell.config)
            smallest = min((len(fold.train) for fold in ready.folds), default=0)
            batch = cell.config.training.batch_size
            if batch > smallest:
                self.echo(
                    f"warning: {cell.name}: batch size {batch} is larger than the smallest "
                    f"training set ({smallest} trials): each epoch is one batch of them all"
                )

    @contextmanager
    def claimed(self) -> Iterator[None]:
        """Lock every cell's run folder for this process and record its configuration (or
        check that the folder holds a run that computes the same); unlock at the end.

        Raises
        ------
        ValueError
            A folder another process is writing into, or one that holds other settings.
        """
        from filelock import FileLock, Timeout

        locks = []
        try:
            for folder, cell in {c.folder: c for c in self.cells}.items():
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise ValueError(
                        f"--out {folder} cannot be created: {error.strerror}"
                    ) from None
                lock = FileLock(folder / ".lock", timeout=0)
                try:
                    lock.acquire()
                except Timeout:
                    raise ValueError(
                        f"--out {folder} is being written by another run (it holds "
                        f"{folder / '.lock'}); wait for that run to end, or choose another --out"
                    ) from None
                locks.append(lock)
                RunFolder(folder).claim(record(cell.config, self.ready[cell.name]), identity)
            yield
        finally:
            for lock in locks:
                lock.release()

    # -- 4: units ---------------------------------------------------------------------
    def units(self, cell: Cell, folds: Sequence | None = None) -> list[Unit]:
        """The units of ``cell``: its ``folds`` (default: all of its protocol's) × seeds."""
        return plan(
            cell.config, self.ready[cell.name].folds if folds is None else folds, cell.folder
        )

    def finished(self, unit: Unit) -> FoldResult | None:
        """The stored result of ``unit``, or None."""
        return RunFolder(unit.folder).finished(unit.fold.name, unit.seed)

    def pending(self, units: Sequence[Unit]) -> list[Unit]:
        """The distinct ``units`` with no result yet (reading only)."""
        distinct = {unit.key: unit for unit in units}.values()
        return [unit for unit in distinct if self.finished(unit) is None]

    def start(self, units: Sequence[Unit], executor: Executor | None = None) -> None:
        """Choose the executor for ``units`` (``executor``, else the execution options')
        and start it, before anything is written: a cluster that cannot be reached fails
        here."""
        if executor is not None:
            self._executor = executor
        self.executor_for(len(tasks(self.pending(units)))).start()

    def executor_for(self, n_tasks: int) -> Executor:
        """The executor the study's execution options ask for (made once, closed by
        :meth:`close`)."""
        if self._executor is None:
            self._executor = make_executor(self.cells[0].config.execution, n_tasks)
        return self._executor

    def close(self) -> None:
        """Release the executor the study made (its workers, its cluster)."""
        if self._executor is not None:
            self._executor.close()
            self._executor = None

    def execute(
        self,
        units: Sequence[Unit],
        describe: Callable[[Unit, FoldResult, str], str] | None = None,
    ) -> list[FoldResult]:
        """Run the units that have no result yet on the study's executor (:meth:`start`);
        return every unit's result, in order.

        Raises
        ------
        StudyFailed
            Some units failed (the others' results are written and kept).
        """
        distinct = list({unit.key: unit for unit in units}.values())
        done = {unit.key: self.finished(unit) for unit in distinct}
        pending = [unit for unit in distinct if done[unit.key] is None]
        describe = describe or self.describe_result
        for unit in distinct:
            if done[unit.key] is not None:
                self.echo(describe(unit, done[unit.key], "done before, resumed"))
        self._units.update({unit.key: unit for unit in pending})
        lines: list[str] = []

        def on_result(result: FoldResult) -> None:
            unit = self._units[result.unit]
            RunFolder(unit.folder).save(result)
            self.saved += 1
            done[unit.key] = result
            lines.append(describe(unit, result, f"{result.seconds:.1f} s"))

        def on_progress(progress: Progress) -> None:
            self.echo("\n".join(lines or ["  a unit failed"]) + "  " + progress.describe())
            lines.clear()

        grouped = tasks(pending)
        failures = self.executor_for(len(grouped)).run(grouped, on_result, on_progress)
        if failures:
            path = self.out / "failures.json"
            write_atomic(path, json.dumps([f.to_dict() for f in failures], indent=2))
            raise StudyFailed(failures, len(distinct), path)
        return [done[unit.key] for unit in units]

    @staticmethod
    def describe_result(unit: Unit, result: FoldResult, status: str) -> str:
        """Progress lines: the fold, seed and scores of a finished unit."""
        return "\n".join(result_lines(result, status))


def _scores_text(rows) -> str:
    if len(rows) == 1:
        return f"accuracy {100 * rows[0].accuracy:.1f} %, kappa {rows[0].kappa:.3f}"
    return "accuracy " + ", ".join(f"N={r.n_calibration}: {100 * r.accuracy:.1f} %" for r in rows)


def result_lines(result: FoldResult, status: str) -> list[str]:
    """Progress lines of a finished unit: its scores, per test subject when it has several."""
    if result.subject is not None:
        return [f"  {result.fold} seed {result.seed}: {_scores_text(result.rows)} ({status})"]
    by_subject: dict[int, list] = {}
    for row in result.rows:
        by_subject.setdefault(row.subject, []).append(row)
    return [f"  {result.fold} seed {result.seed}: trained once ({status})"] + [
        f"    subject {subject}: {_scores_text(rows)}" for subject, rows in by_subject.items()
    ]
