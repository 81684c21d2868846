"""The run store: every training run as a folder under `cache/runs/<run_id>/`.

A run folder holds:
    config.json       the RunConfig (plus its cache key)
    status.json       status, worker pid, timestamps, reason; rewritten atomically
    events.jsonl      append-only event log written while training (a crash keeps it)
    result.json       test metrics, per-class accuracy, confusion matrix, timings
    environment.json  library versions and machine
    predictions.npy   predicted test labels (for galleries of mistakes)
    model.keras       the trained model
    stop              present when someone asked the run to stop

Status moves queued -> running -> finished | failed | cancelled. A queued or running run whose
worker process is gone reads as `interrupted`, so a killed worker never looks alive forever.

Example:
    >>> store = RunStore()
    >>> run = store.create(RunConfig(epochs=1))
    >>> store.get(run.run_id).status
    'queued'
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlnn import files, paths
from dlnn.config import RunConfig

ACTIVE = ("queued", "running")
DONE = ("finished", "failed", "cancelled", "interrupted")
# A queued run whose worker never reported a pid within this time is treated as lost.
QUEUE_GRACE_SECONDS = 120.0


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


@dataclass
class Run:
    """A handle on one run folder; every read goes to disk, so it is always current."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    # -- reading ------------------------------------------------------------------------
    @property
    def config(self) -> RunConfig:
        return RunConfig.from_dict(files.read_json(self.path / "config.json")["config"])

    @property
    def config_key(self) -> str:
        return files.read_json(self.path / "config.json")["key"]

    @property
    def label(self) -> str:
        """A short human name of the run, e.g. `cnn-keras / mnist / adam`."""
        config = self.config
        return f"{config.model} / {config.dataset} / {config.optimizer} ({self.run_id[-6:]})"

    def status_record(self) -> dict[str, Any]:
        """status.json with `interrupted` substituted for a dead worker's active status."""
        record = files.read_json(self.path / "status.json", default={"status": "queued"})
        if record.get("status") in ACTIVE and self._worker_lost(record):
            record = {**record, "status": "interrupted",
                      "reason": "the worker process ended without finishing the run"}
        return record

    @property
    def status(self) -> str:
        return self.status_record()["status"]

    def _worker_lost(self, record: dict[str, Any]) -> bool:
        pid = record.get("pid")
        if pid:
            return not pid_alive(pid)
        return time.time() - record.get("created", time.time()) > QUEUE_GRACE_SECONDS

    def events(self) -> list[dict[str, Any]]:
        return list(files.read_jsonl(self.path / "events.jsonl"))

    def result(self) -> dict[str, Any] | None:
        return files.read_json(self.path / "result.json")

    def environment(self) -> dict[str, Any] | None:
        return files.read_json(self.path / "environment.json")

    @property
    def model_path(self) -> Path:
        return self.path / "model.keras"

    @property
    def predictions_path(self) -> Path:
        return self.path / "predictions.npy"

    # -- writing (the worker) ------------------------------------------------------------
    def set_status(self, status: str, **fields: Any) -> None:
        record = files.read_json(self.path / "status.json", default={})
        record.update(fields, status=status, updated=time.time())
        files.write_json(self.path / "status.json", record)

    def log_event(self, event: dict[str, Any]) -> None:
        files.append_jsonl(self.path / "events.jsonl", event)

    def write_result(self, result: dict[str, Any]) -> None:
        files.write_json(self.path / "result.json", result)

    def write_environment(self, environment: dict[str, Any]) -> None:
        files.write_json(self.path / "environment.json", environment)

    # -- stopping -------------------------------------------------------------------------
    def request_stop(self) -> None:
        """Ask the worker to stop; it ends the run as cancelled within one batch."""
        (self.path / "stop").touch()

    def stop_requested(self) -> bool:
        return (self.path / "stop").exists()


class RunStore:
    """All runs under one folder (default `cache/runs`)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else paths.runs_dir()

    def create(self, config: RunConfig) -> Run:
        """A new queued run folder for `config` (validated first)."""
        config.validate()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        run_id = f"{stamp}-{config.model}-{config.dataset}-{uuid.uuid4().hex[:6]}"
        path = self.root / run_id
        path.mkdir(parents=True)
        files.write_json(path / "config.json", {"config": config.to_dict(), "key": config.key()})
        files.write_json(path / "status.json", {"status": "queued", "created": time.time()})
        return Run(path)

    def get(self, run_id: str) -> Run:
        path = self.root / run_id
        if not (path / "config.json").exists():
            raise KeyError(f"no run {run_id!r} in {self.root}")
        return Run(path)

    def list(self) -> list[Run]:
        """All runs, newest first; folders without a config are skipped."""
        if not self.root.exists():
            return []
        runs = [Run(p) for p in self.root.iterdir() if (p / "config.json").exists()]
        return sorted(runs, key=lambda run: run.run_id, reverse=True)

    def find_finished(self, config: RunConfig) -> Run | None:
        """The newest finished run of exactly this configuration, if any."""
        key = config.key()
        for run in self.list():
            if run.config_key == key and run.status == "finished":
                return run
        return None

    def delete(self, run_id: str) -> None:
        """Remove a run folder; an active run is asked to stop first."""
        run = self.get(run_id)
        if run.status in ACTIVE:
            run.request_stop()
        shutil.rmtree(run.path, ignore_errors=True)
