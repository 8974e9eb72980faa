"""Executors run tasks of units and hand each result back to the client, which writes it.

The interface is :class:`Executor`: :meth:`Executor.run` takes the tasks of a study (each a
tuple of :class:`~bci_attn.evaluation.units.Unit`; see
:func:`~bci_attn.evaluation.units.tasks`), calls ``on_result`` with every
:class:`~bci_attn.evaluation.results.FoldResult` as soon as it exists, in the caller's
process, and returns the tasks that failed. Studies never know where their units ran: an
executor that sends tasks to a process pool or to a cluster implements the same method.
:class:`SequentialExecutor` runs them one after the other in this process.
"""

from __future__ import annotations

import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .results import FoldResult
from .units import Unit, UnitFailed, execute

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
                    "fold": u.fold,
                    "seed": u.seed,
                    "config": u.config.to_dict(),
                }
                for u in self.task
            ],
            "error": self.error,
            "traceback": self.traceback,
        }


class Executor(ABC):
    """Runs tasks of units; results come back to the caller, who writes them."""

    @abstractmethod
    def run(self, tasks: Sequence[Task], on_result: Callable[[FoldResult], None]) -> list[Failure]:
        """Run every task; call ``on_result`` (in this process) with each unit's result.

        Returns
        -------
        list of Failure
            The tasks that failed; the others' results were all handed to ``on_result``.
        """

    def close(self) -> None:  # noqa: B027  nothing to release by default
        """Release what the executor holds (workers, a cluster)."""


class SequentialExecutor(Executor):
    """Every task in this process, one after the other, in the order given."""

    def run(self, tasks: Sequence[Task], on_result: Callable[[FoldResult], None]) -> list[Failure]:
        failures = []
        for task in tasks:
            try:
                results = execute(task)
            except UnitFailed as error:
                failures.append(Failure(task, str(error), traceback.format_exc()))
                continue
            for result in results:
                on_result(result)
        return failures
