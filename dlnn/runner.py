"""The job runner: trains runs in worker processes, never inside the caller.

TensorFlow is not thread-safe, keeps per-thread global state and can crash or leak; a run in
its own process keeps the dashboard alive whatever happens to it, and lets two runs go at
once. The worker (`python -m dlnn worker RUN_ID ...`) writes everything into the run store;
callers only read the store. A queue of runs goes to one worker, which trains them in turn
and pays TensorFlow's import once; the dashboard also keeps a warm standby worker
(`dlnn.standby`) so that a run starts without waiting for that import. A worker loads one
Keras backend (`dlnn.backends`), so runs of another backend get a worker of their own.

Two executors train the queue: `local` (the worker above) and `ray`, chosen by `executor=`,
else `$DLNN_EXECUTOR` (default local). With Ray the worker process is a driver that sends
each run to the Ray cluster of `$RAY_ADDRESS` and writes what comes back into the store
(`dlnn.ray_executor`); to the store and its readers it looks the same as a local worker.

This module does not import TensorFlow.

Example:
    >>> run = start_run(RunConfig(model="cnn-keras", epochs=2, subset=2000))
    >>> run.status in ("queued", "running", "finished")
    True
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from dlnn import backends, standby
from dlnn.config import RunConfig
from dlnn.fields import ConfigError
from dlnn.runs import Run, RunStore, heartbeat

EXECUTOR_VARIABLE = "DLNN_EXECUTOR"
LOCAL, RAY = "local", "ray"
EXECUTORS = (LOCAL, RAY)
# Popen handles of started workers, kept so finished workers get reaped (no zombies).
_workers: list[subprocess.Popen] = []


def executor_name(name: str | None = None) -> str:
    """The executor to use: `name`, else `$DLNN_EXECUTOR`, else local; refuses unknown ones."""
    chosen = name or os.environ.get(EXECUTOR_VARIABLE) or LOCAL
    if chosen not in EXECUTORS:
        source = "executor" if name else EXECUTOR_VARIABLE
        raise ConfigError(source, chosen, f"choose one of: {', '.join(EXECUTORS)}")
    return chosen


def start_run(
    config: RunConfig, store: RunStore | None = None, *, retrain: bool = False,
    executor: str | None = None,
) -> Run:
    """Start training `config` in a worker and return its run at once.

    A configuration that already finished returns the stored run without training, unless
    `retrain` is set; one that is training right now returns that live run (it is joined,
    never trained twice at once).
    """
    return start_queue([config], store, retrain=retrain, executor=executor)[0]


def start_queue(
    configs: Sequence[RunConfig], store: RunStore | None = None, *, retrain: bool = False,
    executor: str | None = None,
) -> list[Run]:
    """Train `configs`; finished and active ones are reused.

    Locally one worker per backend trains its runs in order; on Ray every run is a task of
    its own and they train in parallel as far as the cluster's CPUs go.
    """
    chosen = executor_name(executor)
    store = store or RunStore()
    runs: list[Run] = []
    pending: list[Run] = []
    for config in configs:
        config.validate()
        run, created = store.create_or_join(config, reuse_finished=not retrain)
        runs.append(run)
        if created:
            pending.append(run)
    if pending and chosen == RAY:
        _spawn_worker(store, pending, executor=RAY)
    elif pending:
        by_backend: dict[str, list[Run]] = {}
        for run in pending:
            by_backend.setdefault(run.config.backend, []).append(run)
        for backend, group in by_backend.items():
            _spawn_worker(store, group, backend=backend)
    return runs


def _spawn_worker(store: RunStore, runs: list[Run], *, backend: str = backends.DEFAULT,
                  executor: str = LOCAL) -> None:
    run_ids = [run.run_id for run in runs]
    # The standby loaded the default backend; a Ray driver loads none.
    can_hand_over = executor == LOCAL and backend == backends.DEFAULT and standby.enabled()
    warm = standby.claim(store) if can_hand_over else None
    command = [*_worker_command(store), *run_ids]
    if executor != LOCAL:
        command += ["--executor", executor]
    environment = backends.worker_environment(backend)
    pid = warm or _popen(command, runs[0].path / "worker.log", environment)
    for run in runs:
        # The worker rewrites this with its own pid when it starts each run.
        run.set_status("queued", pid=pid)
    if warm is not None:
        standby.hand_over(store, warm, run_ids)


def keep_worker_ready(store: RunStore | None = None, owner: int | None = None) -> None:
    """Keep one idle worker with TensorFlow loaded, so the next run starts at once.

    The dashboard calls this on its training pages; `DLNN_STANDBY_WORKER=0` turns it off.
    The standby exits when idle and the `owner` process (default: the caller) has ended.
    """
    store = store or RunStore()
    if standby.enabled() and not standby.present(store):
        standby.folder(store).mkdir(parents=True, exist_ok=True)
        command = [*_worker_command(store), "--standby", "--owner", str(owner or os.getpid())]
        pid = _popen(command, standby.folder(store) / "worker.log",
                     backends.worker_environment(backends.DEFAULT))
        standby.starting(store, pid)


def _worker_command(store: RunStore) -> list[str]:
    return [sys.executable, "-m", "dlnn", "worker", "--store", str(store.root)]


def _popen(command: list[str], log_path: Path, environment: dict[str, str]) -> int:
    _reap()
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **environment},
        )
    _workers.append(process)
    return process.pid


def stop_run(run: Run) -> None:
    """Ask a run to stop; its worker ends it as cancelled after the current batch.

    A run still waiting for its worker (TensorFlow takes seconds to import) is marked
    cancelled at once; the worker skips it when it gets there.
    """
    run.request_stop()
    if run.status == "queued":
        run.set_status("cancelled", reason="stopped before it started")


def _reap() -> None:
    _workers[:] = [process for process in _workers if process.poll() is None]


def config_arguments(config: RunConfig) -> list[str]:
    """CLI options that reproduce `config` (`python -m dlnn train <these>`)."""
    arguments: list[str] = []
    for name, value in config.to_dict().items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            arguments.append(flag if value else "--no-" + flag[2:])
        elif value is not None:
            arguments += [flag, str(value)]
    return arguments


def work(store: RunStore, run_ids: Sequence[str], log_every: int | None = None) -> int:
    """The worker's body: train each queued run in turn. Returns an exit code.

    The runs' heartbeats beat from the start (before TensorFlow loads), so a waiting run
    whose worker dies is seen as interrupted. SIGTERM cancels the current run after its batch
    and the ones still waiting, keeping their logs.
    """
    with holding(store, run_ids) as runs:
        from dlnn import training

        every = log_every or training.DEFAULT_LOG_EVERY
        for run in runs:
            if run.stop_requested():
                if run.status != "cancelled":
                    run.set_status("cancelled", reason="stopped before it started")
                continue
            training.execute(run, log_every=every)
    return 0


@contextlib.contextmanager
def holding(store: RunStore, run_ids: Sequence[str]) -> Iterator[list[Run]]:
    """A worker's hold on its runs: their heartbeats beat, and SIGTERM asks each to stop.

    Yields the runs that still exist (a run deleted before its turn is skipped).
    """
    runs: list[Run] = []
    for run_id in run_ids:
        with contextlib.suppress(KeyError):
            runs.append(store.get(run_id))

    def cancel_all(*_: Any) -> None:
        for run in runs:
            with contextlib.suppress(OSError):
                run.request_stop()

    with _on_sigterm(cancel_all), heartbeat(runs):
        yield runs


@contextlib.contextmanager
def _on_sigterm(handler: Callable[..., None]) -> Iterator[None]:
    """Call `handler` on SIGTERM while the block runs (main thread only, as Python allows)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
