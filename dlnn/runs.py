"""The run store: every training run as a folder under `cache/runs/<run_id>/`.

A run folder holds:
    config.json       the RunConfig (plus its cache key)
    status.json       status, worker pid, timestamps, reason; rewritten atomically
    heartbeat         touched every few seconds by the worker while it holds the run
    events.jsonl      append-only event log written while training (a crash keeps it)
    result.json       test metrics, per-class accuracy, confusion matrix, timings
    environment.json  library versions and machine
    predictions.npy   predicted test labels (for galleries of mistakes)
    probabilities.npy a classifier's softmax outputs on the test set (for ensembles)
    model.keras       the trained model
    stop              present when someone asked the run to stop

Status moves queued -> running -> finished | failed | cancelled. A queued or running run whose
worker is gone reads as `interrupted`: its pid has ended, or its heartbeat has gone quiet (a
pid alone can be reused by an unrelated process after a crash or a reboot). A folder whose
files cannot be read (torn, empty, garbled, missing) reads as `damaged`, with the file and the
reason; it never stops the rest of the store from working, and `RunStore.repair` clears it.

Example:
    >>> store = RunStore()
    >>> run = store.create(RunConfig(epochs=1))
    >>> store.get(run.run_id).status
    'queued'
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlnn import files, paths, registry
from dlnn.config import RunConfig

ACTIVE = ("queued", "running")
DONE = ("finished", "failed", "cancelled", "interrupted")
DAMAGED = "damaged"
_KIND_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
ENDED = ("finished", "failed", "cancelled")  # the statuses a worker ends a run with
# A queued run whose worker never showed a sign of life within this time is treated as lost.
QUEUE_GRACE_SECONDS = 120.0
HEARTBEAT_SECONDS = 5.0  # how often a worker touches the heartbeat of the runs it holds
# A running run whose heartbeat is older than this has lost its worker, whatever its pid says.
HEARTBEAT_TIMEOUT_SECONDS = 30.0
_TIMES = ("created", "updated", "started", "finished")  # numeric fields of status.json


class RunDamaged(ValueError):
    """A file of a run folder cannot be read.

    Attributes:
        file: the file's name inside the run folder, e.g. `status.json`.
    """

    def __init__(self, file: str, reason: str) -> None:
        self.file = file
        super().__init__(f"{file} {reason}")


def pid_alive(pid: int | None) -> bool:
    """True when process `pid` exists and is not a zombie."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): trust kill(0)
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def run_id_error(run_id: str) -> str | None:
    """Why `run_id` cannot name a run folder (a path, hidden or empty), or None when it can."""
    if not isinstance(run_id, str) or not run_id.strip():
        return "a run id cannot be empty"
    if run_id != Path(run_id).name or "\\" in run_id or "\0" in run_id:
        return "a run id is a folder name inside the store, not a path"
    if run_id.startswith("."):
        return "a run id cannot start with '.'"
    return None


@dataclass
class Run:
    """A handle on one run folder; every read goes to disk, so it is always current."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    # -- reading ------------------------------------------------------------------------
    def _read(self, name: str, *, required: bool = False) -> dict[str, Any] | None:
        """The JSON object in file `name`; raises `RunDamaged` when it cannot be read."""
        try:
            data = files.read_json_object(self.path / name)
        except ValueError as error:
            raise RunDamaged(name, str(error)) from None
        if data is None and required:
            raise RunDamaged(name, "is missing")
        return data

    @property
    def config(self) -> RunConfig:
        """The run's configuration; raises `RunDamaged` when config.json cannot be read."""
        config = self._read("config.json", required=True).get("config")
        if not isinstance(config, dict):
            raise RunDamaged("config.json", 'holds no "config" object')
        try:
            loaded = RunConfig.from_dict(config)
        except (TypeError, ValueError) as error:  # ConfigError: an unknown field
            raise RunDamaged("config.json", f"holds an unusable configuration ({error})") from None
        for name, declared in registry.fields().items():
            if not declared.has_kind(getattr(loaded, name)):
                raise RunDamaged("config.json", f"holds an unusable configuration ({name} = "
                                 f"{getattr(loaded, name)!r} is not {_KIND_WORDS[declared.kind]})")
        return loaded

    @property
    def config_key(self) -> str:
        """The configuration's cache key; raises `RunDamaged` like `config`."""
        key = self._read("config.json", required=True).get("key")
        if not isinstance(key, str):
            raise RunDamaged("config.json", 'holds no "key" string')
        return key

    @property
    def label(self) -> str:
        """A short human name of the run, e.g. `cnn-keras / mnist / adam`."""
        try:
            config = self.config
        except RunDamaged:
            return f"damaged run ({self.run_id[-6:]})"
        return f"{config.model} / {config.dataset} / {config.optimizer} ({self.run_id[-6:]})"

    def _inspect(self) -> tuple[dict[str, Any], RunDamaged | None]:
        """status.json as written, or a `damaged` record and the damage found."""
        try:
            self.config_key  # noqa: B018  (reading is the check)
            self.config  # noqa: B018
            record = self._read("status.json", required=True)
            _check_status(record)
            self._read("result.json")
            if record["status"] == "finished" and self.model_path.exists() and not _is_zip(
                    self.model_path):
                raise RunDamaged("model.keras", "is not a Keras archive (damaged or cut short)")
        except RunDamaged as damage:
            return {"status": DAMAGED, "reason": str(damage)}, damage
        return record, None

    @property
    def problem(self) -> str | None:
        """Which file of the folder cannot be read and why, or None when all can."""
        damage = self._inspect()[1]
        return None if damage is None else str(damage)

    def status_record(self) -> dict[str, Any]:
        """status.json as the run stands now; never raises.

        A damaged folder reads `damaged` with the file and the reason; a queued or running
        run whose worker is gone reads `interrupted` with the reason.
        """
        record, _ = self._inspect()
        if record["status"] in ACTIVE:
            lost = self._worker_lost(record)
            if lost:
                record = {**record, "status": "interrupted", "reason": lost}
        return record

    @property
    def status(self) -> str:
        return self.status_record()["status"]

    def _worker_lost(self, record: dict[str, Any]) -> str | None:
        """Why the worker of an active run is gone, or None while it shows signs of life."""
        pid = record.get("pid")
        if pid and not pid_alive(pid):
            return "the worker process ended without finishing the run"
        silent = time.time() - self._last_sign_of_life(record)
        running = record["status"] == "running"
        if silent <= (HEARTBEAT_TIMEOUT_SECONDS if running else QUEUE_GRACE_SECONDS):
            return None
        if pid:
            return (f"no heartbeat from worker {pid} for {silent:.0f} s: the worker is gone "
                    "(its pid now belongs to another process)")
        return f"no worker has shown a sign of life for {silent:.0f} s"

    def _last_sign_of_life(self, record: dict[str, Any]) -> float:
        moments = [record[name] for name in ("created", "updated") if record.get(name)]
        with contextlib.suppress(OSError):
            moments.append(self.heartbeat_path.stat().st_mtime)
        return max(moments, default=0.0)

    def events(self) -> list[dict[str, Any]]:
        return list(files.read_jsonl(self.path / "events.jsonl"))

    def follow(self, poll_seconds: float = 0.5) -> Iterator[dict[str, Any]]:
        """Yield the run's events as they are written, until it has ended (any status)."""
        seen = 0
        while True:
            active = self.status in ACTIVE  # read before the events: none is missed at the end
            events = self.events()
            yield from events[seen:]
            seen = len(events)
            if not active:
                return
            time.sleep(poll_seconds)

    def epochs_run(self) -> int:
        """Epochs completed, counted from the event log (an interrupted run has no result)."""
        epochs = {event.get("epoch") for event in self.events() if event.get("type") == "epoch"}
        if epochs:
            return len(epochs)
        value = (self.result() or {}).get("epochs_run")
        return value if isinstance(value, int) else 0

    def result(self) -> dict[str, Any] | None:
        """result.json, or None when there is none (or it is damaged: see `problem`)."""
        with contextlib.suppress(RunDamaged):
            return self._read("result.json")
        return None

    def environment(self) -> dict[str, Any] | None:
        """environment.json, or None when there is none or it cannot be read."""
        with contextlib.suppress(RunDamaged):
            return self._read("environment.json")
        return None

    @property
    def model_path(self) -> Path:
        return self.path / "model.keras"

    @property
    def predictions_path(self) -> Path:
        return self.path / "predictions.npy"

    @property
    def probabilities_path(self) -> Path:
        return self.path / "probabilities.npy"

    @property
    def heartbeat_path(self) -> Path:
        return self.path / "heartbeat"

    # -- writing (the worker) ------------------------------------------------------------
    # A run deleted while its worker trains stays deleted: writes into a folder that is gone
    # are dropped instead of creating it again.
    def set_status(self, status: str, **fields: Any) -> None:
        try:
            record = self._read("status.json") or {}
        except RunDamaged:
            record = {}  # the worker's fresh record replaces a damaged one
        record.update(fields, status=status, updated=time.time())
        self._write("status.json", record)

    def log_event(self, event: dict[str, Any]) -> None:
        with contextlib.suppress(FileNotFoundError):
            files.append_jsonl(self.path / "events.jsonl", event)

    def write_result(self, result: dict[str, Any]) -> None:
        self._write("result.json", result)

    def write_environment(self, environment: dict[str, Any]) -> None:
        self._write("environment.json", environment)

    def _write(self, name: str, data: dict[str, Any]) -> None:
        if self.path.is_dir():
            files.write_json(self.path / name, data)

    def heartbeat(self) -> contextlib.AbstractContextManager[None]:
        """Keep this run's heartbeat fresh while the block runs (see `heartbeat`)."""
        return heartbeat([self])

    # -- stopping -------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Ask the worker to stop; it ends the run as cancelled within one batch."""
        (self.path / "stop").touch()

    def stop_requested(self) -> bool:
        return (self.path / "stop").exists()


def _check_status(record: dict[str, Any]) -> None:
    """Raise `RunDamaged` unless status.json holds a status, a pid and times we can use."""
    status = record.get("status")
    if status not in (*ACTIVE, *DONE):
        raise RunDamaged("status.json", f"holds an unknown status {status!r}")
    pid = record.get("pid")
    if pid is not None and (type(pid) is not int or pid < 0):
        raise RunDamaged("status.json", f"holds an unusable pid {pid!r}")
    for name in _TIMES:
        value = record.get(name)
        if value is not None and (type(value) not in (int, float) or value != value):
            raise RunDamaged("status.json", f"holds an unusable {name} time {value!r}")


def _is_zip(path: Path) -> bool:
    try:
        return zipfile.is_zipfile(path)
    except OSError:
        return False


@contextlib.contextmanager
def heartbeat(runs: Sequence[Run], every: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    """Touch each run's `heartbeat` file now and every `every` seconds until the block ends.

    A daemon thread does it, so it beats while the caller trains and dies with the process.
    """
    stop = threading.Event()

    def touch() -> None:
        for run in runs:
            with contextlib.suppress(OSError):  # the run was deleted meanwhile
                run.heartbeat_path.touch()

    def beat() -> None:
        while not stop.wait(every):
            touch()

    touch()
    thread = threading.Thread(target=beat, name="dlnn-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class RunStore:
    """All runs under one folder (default `cache/runs`)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else paths.runs_dir()

    def create(self, config: RunConfig) -> Run:
        """A new queued run folder for `config` (validated first).

        The folder is filled under a hidden name and renamed into place, so a reader never
        sees a run without its config.json and status.json.
        """
        config.validate()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        run_id = f"{stamp}-{config.model}-{config.dataset}-{uuid.uuid4().hex[:6]}"
        staging = self.root / f".new-{run_id}"
        staging.mkdir(parents=True)
        files.write_json(staging / "config.json", {"config": config.to_dict(), "key": config.key()})
        files.write_json(staging / "status.json", {"status": "queued", "created": time.time()})
        os.rename(staging, self.root / run_id)
        return Run(self.root / run_id)

    def get(self, run_id: str) -> Run:
        """The run `run_id`, a folder directly inside the store; KeyError when there is none.

        Paths (`/some/dir`, `../x`) and hidden names are refused, so a run id never reaches
        outside the store. A damaged run is returned too: its status says what is wrong.
        """
        error = run_id_error(run_id)
        if error is not None:
            raise KeyError(f"no run {run_id!r} in {self.root}: {error}")
        path = self.root / run_id
        if path.is_symlink() or not path.is_dir():
            raise KeyError(f"no run {run_id!r} in {self.root}")
        return Run(path)

    def list(self) -> list[Run]:
        """Every run folder, newest first, damaged ones included; never raises."""
        try:
            entries = list(self.root.iterdir())
        except OSError:  # no store yet, or an unreadable one
            return []
        runs = [Run(path) for path in entries
                if not path.name.startswith(".") and path.is_dir() and not path.is_symlink()]
        return sorted(runs, key=lambda run: run.run_id, reverse=True)

    def _runs_of(self, config: RunConfig) -> Iterator[Run]:
        """The readable runs of exactly this configuration, newest first."""
        key = config.key()
        for run in self.list():
            with contextlib.suppress(RunDamaged):
                if run.config_key == key:
                    yield run

    def find_finished(self, config: RunConfig) -> Run | None:
        """The newest finished run of exactly this configuration, if any."""
        return next((run for run in self._runs_of(config) if run.status == "finished"), None)

    def find_active(self, config: RunConfig) -> Run | None:
        """The newest queued or running run of this configuration whose worker is alive."""
        return next((run for run in self._runs_of(config) if run.status in ACTIVE), None)

    def create_or_join(self, config: RunConfig, *, reuse_finished: bool = True
                       ) -> tuple[Run, bool]:
        """The run that trains `config`, and whether it is new (the caller must train it).

        A finished run is reused (unless `reuse_finished` is off), and an active one is joined:
        the same configuration started twice at once trains once. A lock file per
        configuration makes the look-up and the creation one step across processes.
        """
        locks = self.root / ".locks"
        locks.mkdir(parents=True, exist_ok=True)
        with open(locks / f"{config.key()}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            run = (self.find_finished(config) if reuse_finished else None) or self.find_active(
                config)
            if run is not None:
                return run, False
            return self.create(config), True

    def delete(self, run_id: str) -> None:
        """Remove a run folder (damaged ones too); an active run is asked to stop first."""
        run = self.get(run_id)
        if run.status in ACTIVE:
            run.request_stop()
        shutil.rmtree(run.path, ignore_errors=True)

    def repair(self, run_id: str | None = None) -> list[tuple[str, str]]:
        """Deal with the damaged runs (all, or only `run_id`); returns (run id, what was done).

        A run whose only fault is its status.json gets a new one, rebuilt from the event log
        (the status the log ends with, else `interrupted`). Any other damaged run is moved to
        `<store>/.damaged/`, where it is kept for a look but no longer listed.
        """
        runs = [self.get(run_id)] if run_id is not None else self.list()
        done = []
        for run in runs:
            damage = run._inspect()[1]
            if damage is not None and damage.file == "status.json":
                status = _rebuild_status(run)
                damage = run._inspect()[1]
                if damage is None:
                    done.append((run.run_id, f"rebuilt status.json from the event log: {status}"))
            if damage is not None:
                done.append((run.run_id, f"moved to {self._quarantine(run)} ({damage})"))
        return done

    def _quarantine(self, run: Run) -> Path:
        target = self.root / ".damaged" / run.run_id
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            target = target.with_name(f"{run.run_id}-{uuid.uuid4().hex[:6]}")
        os.rename(run.path, target)
        return target


def _rebuild_status(run: Run) -> str:
    """Write status.json anew from the run's event log; returns the status written."""
    ending = next((event for event in reversed(run.events()) if event.get("type") in ENDED),
                  None)
    if ending is not None:
        status, reason = ending["type"], str(ending.get("reason") or "")
    else:
        status, reason = "interrupted", "status.json was unreadable and the log has no ending"
    files.write_json(run.path / "status.json", {
        "status": status, "reason": reason, "updated": time.time(),
        "created": run.path.stat().st_mtime, "repaired": True,
    })
    return status
