"""Units on real Dask clusters (every socket on 127.0.0.1): the same results as in one
process, workers killed mid-unit, a client killed mid-study, a scheduler started apart,
SLURM job scripts, and clear errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bci_attn.config import Layer
from bci_attn.evaluation.dask import WORKER_SETTINGS, DaskExecutor, slurm_settings
from bci_attn.studies.grid import Sweep

ROOT = Path(__file__).resolve().parents[2]

SPEC = """
out: {out}
settings:
  data: {{dataset: synthetic, subjects: 1-3, n_classes: 2, tmax: 1.0}}
  training: {{max_epochs: {epochs}}}
  recipe: plain
grid:
  attention: [none, se]
  seeds: [0, 1]
"""


def sweep_file(tmp_path: Path, name: str, epochs: int = 1) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(SPEC.format(out=tmp_path / name, epochs=epochs))
    return path


def execution(**options) -> Layer:
    layer = Layer()
    for key, value in options.items():
        layer.set(f"execution.{key}", value)
    return layer


def fold_results(folder: Path) -> dict[str, dict]:
    return {
        f"{run.name}/{path.name}": json.loads(path.read_text())
        for run in sorted((folder / "runs").iterdir())
        for path in sorted(run.glob("folds/*.json"))
    }


def scores(folder: Path) -> dict[str, list]:
    return {name: r["rows"][0]["probabilities"] for name, r in fold_results(folder).items()}


@pytest.mark.slow
def test_a_local_cluster_gives_the_results_of_one_process(tmp_path):
    local = Sweep(
        str(sweep_file(tmp_path, "local")),
        echo=lambda *a: None,
        overrides=execution(executor="dask", workers=2, threads_per_unit=1),
    )
    local.run()
    alone = Sweep(
        str(sweep_file(tmp_path, "alone")),
        echo=lambda *a: None,
        overrides=execution(executor="sequential", threads_per_unit=1),
    )
    alone.run()
    assert len(scores(tmp_path / "local")) == 12  # 2 cells x 3 folds x 2 seeds
    assert scores(tmp_path / "local") == scores(tmp_path / "alone")
    local_table = (tmp_path / "local" / "summary.md").read_text()
    assert local_table == (tmp_path / "alone" / "summary.md").read_text()
    devices = {r["trained_with"]["threads"] for r in fold_results(tmp_path / "local").values()}
    assert devices == {1}


@pytest.mark.slow
def test_a_worker_killed_mid_unit_costs_only_that_unit(tmp_path):
    sweep = Sweep(
        str(sweep_file(tmp_path, "killed", epochs=4)),
        echo=lambda *a: None,
        overrides=execution(executor="dask", workers=2, threads_per_unit=1, retries=0),
    )
    killed: list[int] = []

    def kill_a_busy_worker() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            executor = sweep._executor
            client = getattr(executor, "client", None)
            if client is not None:
                busy = [w for w, keys in client.processing().items() if keys]
                if busy:
                    pids = client.run(os.getpid, workers=busy[:1])
                    pid = next(iter(pids.values()))
                    time.sleep(1.0)  # into the unit's training
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
            time.sleep(0.2)

    killer = threading.Thread(target=kill_a_busy_worker, daemon=True)
    killer.start()
    sweep.run()
    killer.join(timeout=5)
    assert killed, "no worker was busy within the time allowed"
    results = fold_results(tmp_path / "killed")
    assert len(results) == 12
    units = [r["unit"] for r in results.values()]
    assert len(set(units)) == len(units)  # none lost, none written twice


@pytest.mark.slow
def test_a_client_killed_mid_study_resumes_with_the_units_left(tmp_path):
    spec = sweep_file(tmp_path, "client", epochs=3)
    command = [sys.executable, "-m", "bci_attn.sweep", str(spec), "--workers", "2"]
    first = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    folds = tmp_path / "client" / "runs"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and first.poll() is None:
        if len(list(folds.glob("*/folds/*.json"))) >= 2:
            break
        time.sleep(0.5)
    os.killpg(first.pid, signal.SIGKILL)  # the client and its local workers, at once
    first.wait(timeout=30)
    finished = {p: p.stat().st_mtime_ns for p in folds.glob("*/folds/*.json")}
    assert 2 <= len(finished) < 12
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("done before, resumed") == len(finished)
    assert len(fold_results(tmp_path / "client")) == 12
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in finished.items())


@pytest.fixture
def scheduler(tmp_path):
    """A Dask scheduler and two workers, started apart, on 127.0.0.1."""
    address_file = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def start(module: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", f"distributed.cli.{module}", *args, "--no-dashboard"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    processes = [
        start(
            "dask_scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--scheduler-file",
            str(address_file),
        )
    ]
    deadline = time.monotonic() + 60
    while not address_file.is_file() and time.monotonic() < deadline:
        time.sleep(0.2)
    address = json.loads(address_file.read_text())["address"]
    for _ in range(2):
        processes.append(start("dask_worker", address, "--host", "127.0.0.1", "--nthreads", "1"))
    yield address
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


@pytest.mark.slow
def test_a_scheduler_started_apart_runs_the_units(tmp_path, scheduler):
    spec = sweep_file(tmp_path, "remote")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bci_attn.sweep",
            str(spec),
            "--cluster",
            scheduler,
            "--threads-per-unit",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert len(fold_results(tmp_path / "remote")) == 12
    assert "[12/12 done, 0 running, 0 failed]" in done.stdout


def test_an_unreachable_scheduler_is_named_and_nothing_is_written(tmp_path):
    spec = sweep_file(tmp_path, "unreachable")
    done = subprocess.run(
        [sys.executable, "-m", "bci_attn.sweep", str(spec), "--cluster", "tcp://127.0.0.1:9"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "--cluster names a Dask scheduler at tcp://127.0.0.1:9 that did not answer" in (
        done.stderr
    )
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "unreachable").exists()


def test_slurm_settings_make_a_job_script(tmp_path):
    from dask_jobqueue import SLURMCluster

    settings_file = tmp_path / "slurm.yaml"
    settings_file.write_text(
        "jobs: 3\npartition: gpu\ncores: 8\nmemory: 32GB\nwalltime: '04:00:00'\n"
        "processes: 4\ngpus_per_job: 1\njob_script_prologue: ['source ~/venv/bin/activate']\n"
    )
    settings = slurm_settings(str(settings_file))
    assert settings.pop("jobs") == 3
    cluster = SLURMCluster(**settings, scheduler_options={"host": "127.0.0.1"})
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    for line in (
        "#SBATCH -p gpu",
        "#SBATCH --gres=gpu:1",
        "#SBATCH -t 04:00:00",
        "#SBATCH --cpus-per-task=8",
        "source ~/venv/bin/activate",
        "--nworkers 4",
    ):
        assert line in script
    assert script.index("export DASK_") < script.index("source ~/venv/bin/activate")
    exports = "\n".join(line for line in script.splitlines() if "export DASK_" in line)
    assert worker_settings(exports) == worker_settings("")


def worker_settings(exports: str) -> dict:
    """The WORKER_SETTINGS keys as Dask reads them after the shell lines ``exports`` (none:
    as this toolkit's local cluster sets them)."""
    import dask

    if not exports:
        with dask.config.set(WORKER_SETTINGS):
            return {key: dask.config.get(key) for key in WORKER_SETTINGS}
    script = f"{exports}\n{sys.executable} -c 'import json, sys, dask, distributed; "
    script += "print(json.dumps({k: dask.config.get(k) for k in sys.argv[1:]}))' "
    script += " ".join(WORKER_SETTINGS)
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    return json.loads(done.stdout)


def test_local_workers_keep_glibc_memory_defaults_log_errors_only_and_end_with_the_cluster():
    """Dask's MALLOC_TRIM_THRESHOLD_ and profiler made a unit 1.7x slower (dask.py); Dask's
    INFO lines (a comm closing as a worker ends) stay off the user's terminal; the workers
    end at once when the cluster closes, and none is left behind."""
    import logging

    import dask

    from bci_attn.config.sections import ExecutionConfig

    executor = DaskExecutor(ExecutionConfig(workers=1))
    try:
        client = executor.connect()
        seen = client.run(
            lambda: (
                os.environ.get("MALLOC_TRIM_THRESHOLD_"),
                os.environ.get("OMP_NUM_THREADS"),
                dask.config.get("distributed.worker.profile.enabled"),
                logging.getLogger("distributed.batched").getEffectiveLevel(),
                os.getpid(),
            )
        )
    finally:
        executor.close()
    [(malloc, threads, profiled, log_level, pid)] = seen.values()
    assert (malloc, threads, profiled, log_level) == (None, "1", False, logging.ERROR)
    assert "MALLOC_TRIM_THRESHOLD_" not in os.environ  # this process's own is untouched
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)


def test_the_local_cluster_closes_with_dask_logging_errors_only_in_this_process():
    """The scheduler's comms, aborted as the local cluster closes, log their end ("Batched
    Comm Closed", INFO) on the event loop's next turn, after the cluster's own silence has
    ended: Dask's logger is held at errors through the executor's whole close (as the
    scheduler closes, say), and is as it was afterwards."""
    import logging

    from distributed.diagnostics.plugin import SchedulerPlugin

    from bci_attn.config.sections import ExecutionConfig

    levels = []

    class Closing(SchedulerPlugin):
        async def close(self) -> None:
            levels.append(logging.getLogger("distributed.batched").getEffectiveLevel())

    before = logging.getLogger("distributed").level
    executor = DaskExecutor(ExecutionConfig(workers=1))
    executor.connect()
    executor.cluster.scheduler.add_plugin(Closing())
    executor.close()
    assert levels == [logging.ERROR]
    assert logging.getLogger("distributed").level == before


def test_an_interrupt_as_the_local_cluster_starts_comes_once_the_executor_holds_it():
    """Ctrl-C or SIGTERM while the workers start: raised once the cluster is started and
    the executor's, so that closing the study closes it (interrupted mid-start, no one held
    it, and Dask's exit handler failed to close it, with a traceback)."""
    import signal

    from bci_attn.config.sections import ExecutionConfig

    before = signal.signal(signal.SIGTERM, signal.default_int_handler)  # as the commands do
    executor = DaskExecutor(ExecutionConfig(workers=1))
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
    try:
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            executor.connect()
            time.sleep(10)  # reached only if the start took less than 0.2 s
        assert executor.cluster is not None and executor.client is None
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, before)
        executor.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_wrong_slurm_setting_is_named(tmp_path):
    settings_file = tmp_path / "slurm.yaml"
    settings_file.write_text("jobs: 2\ngpus: 1\n")
    with pytest.raises(ValueError, match="unknown key 'gpus'; a SLURM settings file takes: "):
        slurm_settings(str(settings_file))
    settings_file.write_text("jobs: none\n")
    with pytest.raises(ValueError, match="jobs must be an int >= 1"):
        slurm_settings(str(settings_file))


def test_a_worker_trains_without_progress_bars(tiny, tmp_path, capfd):
    """Lightning's bars from several workers would interleave on the client's terminal."""
    from bci_attn.evaluation.dask import run_task
    from bci_attn.evaluation.preparation import prepared
    from bci_attn.evaluation.units import Unit

    config = tiny(quiet=False)
    unit = Unit(config, prepared(config).folds[0], 0, str(tmp_path))
    [result] = run_task((unit,), threads=1)
    printed = capfd.readouterr()
    assert result.unit == unit.key
    assert "Epoch 0" not in printed.out + printed.err
