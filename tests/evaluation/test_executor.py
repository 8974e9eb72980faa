"""Executors hand every result back to the caller and report failed tasks, going on with
the others."""

import json

import numpy as np
import pytest

from bci_attn.config import RunConfig
from bci_attn.evaluation import executor as executor_module
from bci_attn.evaluation.executor import Executor, Failure, SequentialExecutor
from bci_attn.evaluation.protocols import Fold
from bci_attn.evaluation.units import Unit, UnitFailed


def task(name: str) -> tuple[Unit, ...]:
    fold = Fold(name, 1, np.arange(4), np.arange(0), np.arange(2))
    return (Unit(RunConfig(), fold, 0, f"runs/{name}"),)


def test_a_failing_task_is_reported_and_the_others_go_on(monkeypatch, result):
    def execute(task):
        if task[0].fold.name == "b":
            raise UnitFailed("b seed 0 (runs/b): training diverged at epoch 0")
        return [result(fold=task[0].fold.name)]

    monkeypatch.setattr(executor_module, "execute", execute)
    received = []
    tasks = [task(name) for name in ("a", "b", "c")]
    failures = SequentialExecutor().run(tasks, received.append)
    assert [r.fold for r in received] == ["a", "c"]
    (failure,) = failures
    assert isinstance(failure, Failure) and failure.task == tasks[1]
    assert failure.error == "b seed 0 (runs/b): training diverged at epoch 0"
    assert "UnitFailed" in failure.traceback
    (stored,) = json.loads(json.dumps(failure.to_dict()))["units"]  # failures.json's entry
    assert stored == {
        "key": tasks[1][0].key,
        "folder": "runs/b",
        "fold": "b",
        "seed": 0,
        "config": RunConfig().to_dict(),
    }


def test_an_error_that_is_no_unit_failure_stops_the_executor(monkeypatch):
    def execute(task):
        raise KeyboardInterrupt

    monkeypatch.setattr(executor_module, "execute", execute)
    with pytest.raises(KeyboardInterrupt):
        SequentialExecutor().run([task("a")], lambda r: None)


def test_an_executor_says_where_tasks_run_and_run_keeps_the_account(tmp_path):
    class Recording(Executor):
        def completed(self, tasks):
            self.seen = [u.fold.name for t in tasks for u in t]
            yield from ((t, Failure(t, "no", "")) for t in tasks)

    recording, progress = Recording(), []
    failures = recording.run([task("a"), task("b")], print, progress.append)
    assert recording.seen == ["a", "b"] and [f.error for f in failures] == ["no", "no"]
    assert [(p.done, p.failed, p.running) for p in progress] == [(0, 1, 1), (0, 2, 0)]
    recording.start()  # nothing to start by default
    recording.close()  # nothing to release by default
    with pytest.raises(TypeError, match="abstract"):
        Executor()
