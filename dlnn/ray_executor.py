"""The Ray executor: runs train as Ray tasks on a cluster; the run store stays on this machine.

The driver (`work`: the worker process the runner starts with `--executor ray`, or the CLI's
`sweep` itself) connects to the cluster of `$RAY_ADDRESS` (none set: a cluster started here
with `ray start --head`, else a private one) and submits each run as one Ray task needing
`$DLNN_RAY_CPUS` CPUs (default 1) and `$DLNN_RAY_GPUS` GPUs (default 0), so a sweep's
members train in parallel as far as the cluster's resources go.

Ray workers never write the store (they may be on other machines). A task trains its run with
the ordinary `training.execute` in a temporary folder of its own and streams every event to an
`EventChannel` actor; the driver drains the channel into the run's `events.jsonl` a few times a
second, so live curves work as with local workers. At the end the task returns its folder's
files (result, environment, model, predictions, TensorBoard logs) as bytes and the driver
writes them into the run, then its final status. To the store the driver is the runs' worker:
its pid and heartbeat keep them alive, a stop request reaches the task through the channel
(a run not yet started is cancelled at once), and a task whose Ray worker or node died leaves
its run `interrupted` with what it had streamed. The data sets go to the object store once per
driver, so tasks never read data files (`dlnn.data.provide`).

Only this module imports Ray (an optional extra: `requirements-ray.txt`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

AUTH_MODE_VARIABLE = "RAY_AUTH_MODE"
TOKEN_FILE = Path.home() / ".ray" / "auth_token"  # where `ray start` keeps the cluster's token
# `ray start` turns token authentication on where TOKEN_FILE exists, but Ray 2.60's clients
# send the token only when RAY_AUTH_MODE says so, which Ray reads when it is imported.
if AUTH_MODE_VARIABLE not in os.environ and TOKEN_FILE.exists():
    os.environ[AUTH_MODE_VARIABLE] = "token"

import ray  # noqa: E402

from dlnn import backends, files, registry  # noqa: E402
from dlnn.runs import ENDED, Run, RunStore  # noqa: E402

CPUS_VARIABLE = "DLNN_RAY_CPUS"
GPUS_VARIABLE = "DLNN_RAY_GPUS"
DRAIN_SECONDS = 0.25  # how often the driver moves streamed events into the store
STOP_POLL_SECONDS = 0.5  # how often a task asks whether its run should stop
# Files the driver writes itself; the task's copies of them are not sent back.
DRIVER_FILES = frozenset({"config.json", "status.json", "events.jsonl", "heartbeat", "stop"})
PACKAGE = Path(__file__).resolve().parent

EventSink = Callable[[dict[str, Any]], None]


@ray.remote(num_cpus=0)
class EventChannel:
    """Where tasks leave their runs' events and the driver leaves stop requests."""

    def __init__(self) -> None:
        self._events: list[tuple[str, dict[str, Any]]] = []
        self._began: list[tuple[str, dict[str, Any]]] = []
        self._stopped: set[str] = set()

    def begin(self, run_id: str, where: dict[str, Any]) -> None:
        self._began.append((run_id, where))

    def push(self, run_id: str, event: dict[str, Any]) -> None:
        self._events.append((run_id, event))

    def drain(self) -> tuple[list[tuple[str, dict[str, Any]]], list[tuple[str, dict[str, Any]]]]:
        """What arrived since the last drain: (run id, where it began) and (run id, event)."""
        began, events = self._began, self._events
        self._began, self._events = [], []
        return began, events

    def stop(self, run_id: str) -> None:
        self._stopped.add(run_id)

    def stopped(self, run_id: str) -> bool:
        return run_id in self._stopped


def train_task(run_id: str, folder_files: dict[str, bytes], channel: Any, log_every: int,
               raw: Any) -> dict[str, Any]:
    """A Ray task's body: train one run in a temporary folder; return its status and files."""
    import socket

    from dlnn import data

    if raw is not None:
        data.provide(raw)
    channel.begin.remote(run_id, {"node": socket.gethostname(), "ray_pid": os.getpid()})
    with tempfile.TemporaryDirectory(prefix="dlnn-ray-") as temporary:
        folder = Path(temporary) / run_id
        folder.mkdir()
        for name, content in folder_files.items():
            (folder / name).write_bytes(content)
        run = Run(folder)
        done = threading.Event()
        watcher = threading.Thread(target=_watch_stop, args=(channel, run, done), daemon=True)
        watcher.start()
        try:
            from dlnn import training

            record = training.execute(run, log_every=log_every,
                                      listener=lambda event: _forward(channel, run_id, event))
        finally:
            done.set()
        return {"status": record, "files": _folder_files(folder)}


_remote_train_task = ray.remote(train_task)


def _forward(channel: Any, run_id: str, event: dict[str, Any]) -> None:
    pushed = channel.push.remote(run_id, event)
    if event.get("type") in ENDED:  # the last event: it must be in before the task returns
        ray.get(pushed)


def _watch_stop(channel: Any, run: Run, done: threading.Event) -> None:
    """Turn the driver's stop request into the run's stop file (the training loop reads it)."""
    while not done.wait(STOP_POLL_SECONDS):
        with contextlib.suppress(ray.exceptions.RayError):
            if ray.get(channel.stopped.remote(run.run_id)):
                run.request_stop()
                return


def _folder_files(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*"))
            if path.is_file() and path.relative_to(folder).parts[0] not in DRIVER_FILES}


# -- a cluster on this machine (tests and benchmarks) -----------------------------------------
@contextlib.contextmanager
def head_node(num_cpus: int, start_seconds: float = 120) -> Iterator[str]:
    """`ray start --head --block` as a process group of our own; yields its address.

    Ends the group (and only it) afterwards, so other Ray instances on the machine live on.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block",
         f"--port={port}", f"--num-cpus={num_cpus}", "--include-dashboard=false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for_port(port, process, start_seconds)
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _wait_for_port(port: int, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ray start exited with status {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"ray start --head did not open port {port} in {seconds:.0f} s")


# -- the driver ------------------------------------------------------------------------------
def connect() -> None:
    """Join the cluster of `$RAY_ADDRESS` (or a local one) unless this process already has.

    The `dlnn` package travels with the job, so the cluster's nodes need only its
    dependencies installed (requirements.txt), not this checkout.
    """
    if not ray.is_initialized():
        ray.init(address=os.environ.get("RAY_ADDRESS") or None, log_to_driver=False,
                 logging_level="ERROR", runtime_env={"py_modules": [str(PACKAGE)]})


def work(store: RunStore, run_ids: Sequence[str], *, log_every: int | None = None,
         listener: EventSink | None = None) -> int:
    """Train the queued runs `run_ids` on the Ray cluster; returns an exit code.

    Runs until every run has ended; `listener` also receives every event (the CLI prints
    them). SIGTERM asks every run to stop, as for a local worker.
    """
    from dlnn.runner import holding

    with holding(store, run_ids) as runs:
        connect()
        Driver(runs, log_every or _default_log_every(), listener).run()
    return 0


def _default_log_every() -> int:
    from dlnn.cli import LOG_EVERY

    return LOG_EVERY.default


class Driver:
    """Submits runs as tasks, drains their events into the store, writes what they return."""

    def __init__(self, runs: list[Run], log_every: int, listener: EventSink | None) -> None:
        self.runs = {run.run_id: run for run in runs}
        self.log_every = log_every
        self.listener = listener
        self.channel = EventChannel.remote()
        self.data: dict[str, Any] = {}  # data set name -> object ref of its RawDataset
        self.pending: dict[Any, Run] = {}  # task ref -> its run
        self.began: set[str] = set()
        self.stopping: set[str] = set()

    def run(self) -> None:
        for run in self.runs.values():
            if run.stop_requested():
                run.set_status("cancelled", reason="stopped before it started")
            else:
                self.pending[self._submit(run)] = run
        while self.pending:
            ready, _ = ray.wait(list(self.pending), num_returns=1, timeout=DRAIN_SECONDS)
            self._drain()
            self._forward_stops()
            for ref in ready:
                self._finish(self.pending.pop(ref), ref)

    def _submit(self, run: Run) -> Any:
        config = run.config
        environment = {**backends.worker_environment(config.backend),
                       "TF_CPP_MIN_LOG_LEVEL": "2"}
        task = _remote_train_task.options(
            num_cpus=float(os.environ.get(CPUS_VARIABLE, "1")),
            num_gpus=float(os.environ.get(GPUS_VARIABLE, "0")),
            max_retries=0,  # a lost worker leaves the run interrupted; it is never re-run
            runtime_env={"env_vars": environment},
        )
        sent = {name: (run.path / name).read_bytes() for name in ("config.json", "status.json")}
        return task.remote(run.run_id, sent, self.channel, self.log_every,
                           self._data_ref(config.dataset))

    def _data_ref(self, dataset: str) -> Any:
        """The data set in the object store (put there once), or None for a lab's own data."""
        from dlnn import data

        if dataset not in data.DATASETS or registry.datasets()[dataset].task != "classification":
            return None
        if dataset not in self.data:
            self.data[dataset] = ray.put(data.load_raw(dataset))
        return self.data[dataset]

    def _drain(self) -> None:
        began, events = ray.get(self.channel.drain.remote())
        for run_id, where in began:
            self.began.add(run_id)
            self.runs[run_id].set_status("running", pid=os.getpid(), started=time.time(),
                                         executor="ray", **where)
        for run_id, event in events:
            self.runs[run_id].log_event(event)
            if self.listener is not None:
                self.listener(event)

    def _forward_stops(self) -> None:
        for ref, run in self.pending.items():
            if run.run_id not in self.stopping and run.stop_requested():
                self.stopping.add(run.run_id)
                self.channel.stop.remote(run.run_id)
                if run.run_id not in self.began:
                    ray.cancel(ref)

    def _finish(self, run: Run, ref: Any) -> None:
        try:
            answer = ray.get(ref)
        except ray.exceptions.TaskCancelledError:
            self._drain()
            run.set_status("cancelled", finished=time.time(), reason="stopped before it started")
            return
        except ray.exceptions.RayError as error:
            self._drain()  # keep everything it streamed before it died
            run.set_status("interrupted", finished=time.time(),
                           reason=f"the Ray worker ended without finishing the run "
                                  f"({type(error).__name__}: {str(error).splitlines()[0]})")
            return
        self._drain()
        for name, content in answer["files"].items():
            files.write_atomic(run.path / name, lambda handle, data=content: handle.write(data))
        record = answer["status"]
        run.set_status(record["status"], finished=record.get("finished", time.time()),
                       reason=record.get("reason", ""))
