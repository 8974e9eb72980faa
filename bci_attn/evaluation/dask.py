"""Running units on Dask: a local cluster by default, any Dask scheduler, or SLURM.

:class:`DaskExecutor` sends each task (one unit, or a stack of units) to a Dask worker with
:meth:`distributed.Client.map`, keyed by the units' stable keys, and hands every result to
the client as it arrives (:func:`distributed.as_completed`), where the study writes it:
results are written by one process, once per unit. Dask does the rest, which is why it
is used rather than a scheduler of our own: a worker that dies (killed, out of memory)
is restarted by its nanny and its task is run again elsewhere; a task that raises is
retried ``retries`` times, then reported as a :class:`~bci_attn.evaluation.executor.Failure`
while the other tasks go on.

Where the workers come from (``execution.cluster``):

- ``local`` (default): a :class:`distributed.LocalCluster` in this process's machine,
  listening on 127.0.0.1 only: on a CPU machine as many one-unit worker processes as
  ``cores / threads_per_unit``; on a GPU machine ``units_per_gpu`` workers per GPU, each
  pinned to its GPU (``CUDA_VISIBLE_DEVICES``);
- ``tcp://HOST:PORT``: a running Dask scheduler (``dask scheduler`` and ``dask worker``
  started by hand or by any deployment: Kubernetes, SSH, ...);
- ``slurm``: workers started as SLURM jobs by :class:`dask_jobqueue.SLURMCluster`, with
  the settings of the YAML file ``execution.cluster_config`` (:func:`slurm_settings`).

A worker keeps the prepared trials of the configurations it has run
(:func:`~bci_attn.evaluation.preparation.prepared`), so data reach a worker once, from the
trial cache, not once per unit.
"""

from __future__ import annotations

import inspect
import logging
import os
import shlex
import signal
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from distributed import WorkerPlugin

from ..config.schema import ConfigError
from .executor import Executor, Failure, Outcome, Progress, Task
from .results import FoldResult
from .units import UnitFailed, execute

if TYPE_CHECKING:
    from ..config.sections import ExecutionConfig

#: Seconds to wait for a scheduler to answer before the study fails, naming its address.
CONNECT_TIMEOUT = 10
#: Keys a SLURM settings file takes besides SLURMCluster's own keywords.
SLURM_KEYS = {
    "jobs": "SLURM jobs to start (each runs `processes` Dask workers)",
    "gpus_per_job": "GPUs each job asks for (--gres=gpu:N)",
    "partition": "the SLURM partition (SLURMCluster's `queue`)",
}


#: Keywords of dask-jobqueue's job classes a settings file does not set: filled in by
#: dask-jobqueue itself, or deprecated there.
INTERNAL = (
    "self",
    "scheduler",
    "name",
    "config_name",
    "extra",
    "job_extra",
    "env_extra",
    "security",
)

#: Dask settings for the workers this toolkit starts (the local cluster, SLURM jobs), all
#: measured on ``benchmarks/executors.py`` (30 epochs, 2 cores). Dask's nanny starts each
#: worker with ``MALLOC_TRIM_THRESHOLD_=65536``, so that glibc hands freed memory back to
#: the system at once; a training allocates and frees its batches' tensors all the time,
#: and that made every unit 1.7x as slow as in a plain process (7.8 s instead of 4.6 s):
#: glibc's own default is kept. Dask's statistical profiler (a stack sample every 10 ms)
#: and its memory (100 ms), system (500 ms) and event-loop (20 ms) monitors wake the
#: worker's event loop, which takes the GIL from the unit's training thread: 15 % of a
#: unit's time. Nothing in a study reads them: the dashboard's profile goes blank, and a
#: worker over its memory limit is still caught, at most a second later.
WORKER_SETTINGS = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.tick.interval": "1s",
}


def worker_exports() -> list[str]:
    """:data:`WORKER_SETTINGS` as the shell lines of a job script (Dask reads ``DASK_*``
    variables; a key in capitals, itself a variable's name, goes in its section's value,
    since Dask lower-cases the names)."""
    lines = []
    for key, value in WORKER_SETTINGS.items():
        section, _, name = key.rpartition(".")
        if name != name.lower():
            key, value = section, {name: value}
        variable = "DASK_" + key.upper().replace(".", "__").replace("-", "_")
        text = value if isinstance(value, str) else repr(value).replace("'", '"')
        lines.append(f"export {variable}={shlex.quote(text)}")
    return lines


#: The level of Dask's own log lines in the local cluster's processes (Dask's
#: ``silence_logs``): their stderr is the user's terminal, where the study prints a line
#: per unit, and Dask's INFO lines (a worker's comm closing as it ends) are not the user's
#: business; errors still show.
LOCAL_LOG_LEVEL = logging.ERROR


class LocalWorker(WorkerPlugin):
    """What a worker of the local cluster does beyond Dask's defaults: it logs Dask's
    errors only (:data:`LOCAL_LOG_LEVEL`; Dask's ``silence_logs`` quiets the nanny's
    logger only, and a worker's "Batched Comm Closed" reached the terminal as it ended),
    and its process ends as soon as the worker closes. The study holds every result by
    then, and the interpreter's own teardown of torch, Lightning and braindecode is what
    made closing the local cluster take 4 s (0.2 s with this plugin, on 2 cores). Not for
    workers this toolkit did not start."""

    name = "bci-attn-local-worker"

    def setup(self, worker) -> None:
        logging.getLogger("distributed").setLevel(LOCAL_LOG_LEVEL)

    def teardown(self, worker) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def run_task(task: Task, threads: int | None) -> list[FoldResult]:
    """What a worker runs: :func:`~bci_attn.evaluation.units.execute` with ``threads``
    CPU threads for torch (None: torch's default), without Lightning's progress bar (the
    workers' bars would interleave on the client's terminal, where the study prints a line
    per unit; ``quiet`` changes no result, so the units keep their keys)."""
    from ..quiet import quiet_libraries

    quiet_libraries()
    if threads:
        import torch

        torch.set_num_threads(threads)
    return execute(tuple(replace(unit, config=unit.config.replace(quiet=True)) for unit in task))


def slurm_settings(path: str) -> dict[str, Any]:
    """The SLURMCluster keywords a settings file gives (ValueError naming a wrong key).

    The file holds SLURMCluster's keywords (``queue``, ``cores``, ``memory``,
    ``walltime``, ``processes``, ``job_extra_directives``, ``job_script_prologue``, ...)
    and :data:`SLURM_KEYS`.
    """
    from dask_jobqueue.core import Job
    from dask_jobqueue.slurm import SLURMJob

    from ..config import read_yaml

    document = read_yaml(path)
    keywords = {
        name
        for cls in (SLURMJob, Job)
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if name not in INTERNAL
        and parameter.kind is parameter.KEYWORD_ONLY
        or (name not in INTERNAL and parameter.default is not parameter.empty)
    }
    allowed = sorted(keywords | {"scheduler_options"} | set(SLURM_KEYS))
    for key in document:
        if key not in allowed:
            raise ValueError(
                f"{path}: unknown key '{key}'; a SLURM settings file takes: {', '.join(allowed)}"
            )
    jobs = document.pop("jobs", 1)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"{path}: jobs must be an int >= 1, got {jobs!r}")
    gpus = document.pop("gpus_per_job", None)
    if gpus is not None:
        if not isinstance(gpus, int) or isinstance(gpus, bool) or gpus < 1:
            raise ValueError(f"{path}: gpus_per_job must be an int >= 1, got {gpus!r}")
        directives = list(document.get("job_extra_directives") or [])
        document["job_extra_directives"] = [*directives, f"--gres=gpu:{gpus}"]
    if "partition" in document:
        document["queue"] = document.pop("partition")
    document["job_script_prologue"] = [
        *worker_exports(),
        *(document.get("job_script_prologue") or []),
    ]
    return {"jobs": jobs, **document}


def slurm_cluster(path: str):
    """A :class:`dask_jobqueue.SLURMCluster` from a settings file, its jobs asked for."""
    from dask_jobqueue import SLURMCluster

    settings = slurm_settings(path)
    jobs = settings.pop("jobs")
    settings.setdefault("cores", 1)
    settings.setdefault("memory", "8GB")
    try:
        cluster = SLURMCluster(**settings)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path}: {error}") from None
    cluster.scale(jobs=jobs)
    return cluster


def local_layout(execution: ExecutionConfig) -> tuple[list[dict[str, str]], int]:
    """The local cluster's workers (each one's environment) and torch threads per unit.

    On a GPU machine (and ``accelerator`` not ``cpu``): ``units_per_gpu`` workers per GPU,
    each seeing its GPU only. Otherwise ``cores / threads_per_unit`` workers (default: one
    thread per unit, a unit per core), so that units × threads = cores.
    """
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    gpus = torch.cuda.device_count() if execution.accelerator != "cpu" else 0
    if gpus:
        workers = [
            {"CUDA_VISIBLE_DEVICES": str(gpu)}
            for gpu in range(gpus)
            for _ in range(execution.units_per_gpu)
        ]
        return workers, max(1, (cores or 1) // len(workers))
    threads = execution.threads_per_unit or 1
    count = execution.workers or max(1, (cores or 1) // threads)
    return [{} for _ in range(count)], threads


def local_cluster(execution: ExecutionConfig):
    """A local cluster of worker processes on 127.0.0.1 (:func:`local_layout`)."""
    import dask
    from distributed import Nanny, Scheduler, SpecCluster

    environments, threads = local_layout(execution)
    workers = {
        f"worker-{k}": {
            "cls": Nanny,
            "options": {
                "nthreads": 1,
                "env": {**env, "OMP_NUM_THREADS": str(threads)},
                "host": "127.0.0.1",
                "silence_logs": LOCAL_LOG_LEVEL,
                "plugins": {LocalWorker()},
            },
        }
        for k, env in enumerate(environments)
    }
    scheduler = {
        "cls": Scheduler,
        # the scheduler's HTTP server on a free local port: two studies at once (or a
        # study beside a test) do not fight over Dask's default 8787
        "options": {"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"},
    }
    with dask.config.set(WORKER_SETTINGS):  # read as the cluster starts (workers: at spawn)
        cluster = SpecCluster(workers=workers, scheduler=scheduler, silence_logs=LOCAL_LOG_LEVEL)
    return cluster, threads


class DaskExecutor(Executor):
    """Tasks on Dask workers (see the module's docstring).

    Parameters
    ----------
    execution : ExecutionConfig
        ``cluster``, ``cluster_config``, ``units_per_gpu``, ``workers``,
        ``threads_per_unit``, ``retries``.
    """

    def __init__(self, execution: ExecutionConfig) -> None:
        self.execution = execution
        self.cluster = None
        self.client = None
        self.threads: int | None = execution.threads_per_unit
        self._futures: list = []

    def start(self) -> None:
        self.connect()

    def connect(self):
        """The client, connecting or starting the cluster the first time (ValueError
        naming an address that does not answer)."""
        if self.client is not None:
            return self.client
        from distributed import Client

        where = self.execution.cluster
        if where == "local":
            with _interrupts_deferred():
                self.cluster, self.threads = local_cluster(self.execution)
        elif where == "slurm":
            self.cluster = slurm_cluster(self.execution.cluster_config)
        if self.cluster is not None:
            self.client = Client(self.cluster)
            return self.client
        try:
            self.client = Client(where, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as error:
            raise ConfigError(
                "execution.cluster",
                f"names a Dask scheduler at {where} that did not answer within "
                f"{CONNECT_TIMEOUT} s ({type(error).__name__}); start it (dask scheduler), "
                "or use --cluster local",
            ) from None
        return self.client

    def completed(self, tasks: Sequence[Task]) -> Iterator[tuple[Task, Outcome]]:
        from distributed import as_completed

        if not tasks:
            return
        client = self.connect()
        self._futures = futures = client.map(
            run_task,
            list(tasks),
            threads=self.threads,
            key=[f"unit-{'-'.join(u.key for u in task)}" for task in tasks],
            retries=self.execution.retries,
            pure=False,
        )
        by_key = {future.key: task for future, task in zip(futures, tasks, strict=True)}
        for future in as_completed(futures):
            task = by_key[future.key]
            try:
                yield task, future.result()
            except Exception as error:  # noqa: BLE001  a failed task is reported, the others go on
                message = str(error) if isinstance(error, UnitFailed) else repr(error)
                yield task, Failure(task, message, _traceback(future))

    def running(self, progress: Progress) -> int:
        """How many tasks are being computed now (at most one per worker thread)."""
        pending = sum(future.status == "pending" for future in self._futures)
        return min(pending, sum(self.client.nthreads().values()))

    def close(self) -> None:
        # The local cluster's silence (Dask's ``silence_logs``, on the handlers) ends as
        # its close returns, while the scheduler's comms aborted by that close can still
        # log their end ("Batched Comm Closed", INFO) on the event loop's next turn; the
        # loop's thread is joined by the time the cluster's close returns, so holding
        # Dask's logger at LOCAL_LOG_LEVEL through the whole close quiets them.
        local = self.execution.cluster == "local"
        with _dask_logger_at(LOCAL_LOG_LEVEL) if local else nullcontext():
            for resource in (self.client, self.cluster):
                if resource is not None:
                    resource.close()
        self.client = self.cluster = None


@contextmanager
def _dask_logger_at(level: int) -> Iterator[None]:
    """Dask's logger (``distributed``) at ``level`` for the block, then as it was."""
    logger = logging.getLogger("distributed")
    before = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(before)


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """A signal that raises KeyboardInterrupt (Ctrl-C; SIGTERM under the commands) while
    the block runs raises it when the block ends; other handlers are left as they are. A
    local cluster interrupted as it starts is one that no one holds and that Dask's exit
    handler then fails to close, with a traceback; started, it is the executor's, which
    its study closes. Starting takes seconds (the workers' imports)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers belong to the main thread
        return
    received = []
    before = {
        number: signal.signal(number, lambda number, frame: received.append(number))
        for number in (signal.SIGINT, signal.SIGTERM)
        if signal.getsignal(number) is signal.default_int_handler
    }
    try:
        yield
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
    if received:
        raise KeyboardInterrupt


def _traceback(future) -> str:
    trace = future.traceback()
    return "".join(traceback.format_tb(trace)) if trace is not None else ""
