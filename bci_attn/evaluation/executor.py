"""Executors run tasks of units and hand each result back to the client, which writes it.

The interface is :class:`Executor`: :meth:`Executor.run` takes the tasks of a study (each a
tuple of :class:`~bci_attn.evaluation.units.Unit`; see
:func:`~bci_attn.evaluation.units.tasks`), calls ``on_result`` with every
:class:`~bci_attn.evaluation.results.FoldResult` as soon as it exists, in the caller's
process, and returns the tasks that failed. Studies never know where their units ran.
:class:`SequentialExecutor` runs them one after the other in this process;
:class:`~bci_attn.evaluation.dask.DaskExecutor` on a Dask cluster (local, remote or
SLURM); :func:`make_executor` picks one from the ``execution`` options.
"""

from __future__ import annotations

import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .results import FoldResult
from .units import Unit, UnitFailed, execute

if TYPE_CHECKING:
    from ..config.sections import ExecutionConfig

Task = tuple[Unit, ...]


@dataclass(frozen=True)
class Failure:
    """A task that failed: its units, the error in one line and its traceback."""

    task: Task
    error: str
    traceback: str

    def to_dict(self) -> dict:
        return {
            "units": [
                {
                    "key": u.key,
                    "folder": u.folder,
                    "fold": u.fold.name,
                    "seed": u.seed,
                    "config": u.config.to_dict(),
                }
                for u in self.task
            ],
            "error": self.error,
            "traceback": self.traceback,
        }


#: How a task ended: its units' results, or its failure.
Outcome = list[FoldResult] | Failure


@dataclass(frozen=True)
class Progress:
    """Where a run of units stands: done, running, failed, and the time left."""

    total: int
    started: float
    done: int = 0
    failed: int = 0
    running: int = 0

    def advance(self, done: int = 0, failed: int = 0) -> Progress:
        return replace(self, done=self.done + done, failed=self.failed + failed)

    def with_running(self, running: int) -> Progress:
        return replace(self, running=running)

    def seconds_left(self) -> float | None:
        """The time the remaining units should take at the pace so far (None before the
        first one has ended)."""
        ended = self.done + self.failed
        if not ended:
            return None
        return (time.monotonic() - self.started) / ended * (self.total - ended)

    def describe(self) -> str:
        left = self.seconds_left()
        eta = (
            ""
            if left is None or self.done + self.failed == self.total
            else (f", about {_duration(left)} left")
        )
        return (
            f"[{self.done}/{self.total} done, {self.running} running, {self.failed} failed{eta}]"
        )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class Executor(ABC):
    """Runs tasks of units; results come back to the caller, who writes them.

    :meth:`run` keeps the account (results handed over, failures, progress); an executor
    says where tasks run and in which order they end (:meth:`completed`).
    """

    def run(
        self,
        tasks: Sequence[Task],
        on_result: Callable[[FoldResult], None],
        on_progress: Callable[[Progress], None] | None = None,
    ) -> list[Failure]:
        """Run every task; call ``on_result`` (in this process) with each unit's result,
        then ``on_progress`` with where the run stands.

        Returns
        -------
        list of Failure
            The tasks that failed; the others' results were all handed to ``on_result``.
        """
        progress = Progress(total=sum(len(t) for t in tasks), started=time.monotonic())
        failures = []
        for task, outcome in self.completed(tasks):
            if isinstance(outcome, Failure):
                failures.append(outcome)
                progress = progress.advance(failed=len(task))
            else:
                progress = progress.advance(done=len(task))
                for result in outcome:
                    on_result(result)
            if on_progress is not None:
                on_progress(progress.with_running(self.running(progress)))
        return failures

    @abstractmethod
    def completed(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, Outcome]]:
        """Each task with its results (or its failure), as tasks end."""

    def running(self, progress: Progress) -> int:
        """How many units are being trained now (one, until the last has ended)."""
        return int(progress.done + progress.failed < progress.total)

    def start(self) -> None:  # noqa: B027  nothing to start by default
        """Get ready to run (start or reach the workers): a study calls it before it writes
        anything, so a cluster that cannot be reached fails first."""

    def close(self) -> None:  # noqa: B027  nothing to release by default
        """Release what the executor holds (workers, a cluster)."""


class SequentialExecutor(Executor):
    """Every task in this process, one after the other, in the order given.

    Parameters
    ----------
    threads : int | None
        CPU threads for torch (None: torch's default).
    """

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads

    def completed(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, Outcome]]:
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)
        for task in tasks:
            try:
                yield task, execute(task)
            except UnitFailed as error:
                yield task, Failure(task, str(error), traceback.format_exc())


def make_executor(execution: ExecutionConfig, n_tasks: int) -> Executor:
    """The executor ``execution`` asks for: ``sequential``, ``dask``, or ``auto`` (Dask
    when there is more than one task, else this process)."""
    kind = execution.executor
    if kind == "auto":
        kind = "dask" if n_tasks > 1 else "sequential"
    if kind == "sequential":
        return SequentialExecutor(execution.threads_per_unit or 1)
    from .dask import DaskExecutor

    return DaskExecutor(execution)
