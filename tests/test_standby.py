"""The warm standby worker: claimed once, handed a job, expires when idle."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from dlnn import runner, standby
from dlnn.config import RunConfig
from dlnn.runs import RunStore

CONFIG = RunConfig(model="mlp-geron", epochs=1, batch_size=32, seed=21)


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_claim_is_exclusive_and_skips_dead_standbys(dlnn_dirs: Path) -> None:
    store = RunStore()
    standby.folder(store).mkdir(parents=True)
    (standby.folder(store) / f"{_dead_pid()}.ready").touch()
    assert not standby.present(store)  # the dead one's file is cleaned up
    (standby.folder(store) / f"{os.getpid()}.ready").touch()
    assert standby.present(store)
    assert standby.claim(store) == os.getpid()
    assert standby.claim(store) is None
    assert not standby.present(store)


def test_serve_trains_the_handed_job_once(dlnn_dirs: Path) -> None:
    store = RunStore()
    done: list[list[str]] = []
    successors: list[bool] = []

    def work(run_ids: list[str]) -> int:
        done.append(run_ids)
        assert standby.present(store)  # busy: the dashboard starts no second standby
        return 0

    server = threading.Thread(target=standby.serve, args=(store, work),
                              kwargs={"successor": lambda: successors.append(True)})
    server.start()
    deadline = time.monotonic() + 5
    while not standby.present(store):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    pid = standby.claim(store)
    standby.hand_over(store, pid, ["run-a", "run-b"])
    server.join(timeout=5)
    assert done == [["run-a", "run-b"]] and successors == [True]
    assert list(standby.folder(store).iterdir()) == []


def test_unclaimed_standby_expires(dlnn_dirs: Path) -> None:
    store = RunStore()
    started = time.monotonic()
    assert standby.serve(store, lambda ids: pytest.fail("no job was handed over"),
                         idle_seconds=0.2) == 0
    assert time.monotonic() - started < 2
    assert list(standby.folder(store).iterdir()) == []


def test_idle_standby_ends_with_its_owner(dlnn_dirs: Path) -> None:
    store = RunStore()
    started = time.monotonic()
    assert standby.serve(store, lambda ids: pytest.fail("no job"), owner=_dead_pid()) == 0
    assert time.monotonic() - started < 2
    assert list(standby.folder(store).iterdir()) == []


def test_dashboard_standby_takes_the_next_run(learnable_data_dir: Path, monkeypatch) -> None:
    monkeypatch.setenv("DLNN_STANDBY_WORKER", "1")
    store = RunStore()
    runner.keep_worker_ready(store)
    runner.keep_worker_ready(store)  # one is starting: no second one
    markers = list(standby.folder(store).glob("*.starting")) + list(
        standby.folder(store).glob("*.ready"))
    assert len(markers) == 1
    pid = int(markers[0].stem)
    deadline = time.monotonic() + 90
    while not (standby.folder(store) / f"{pid}.ready").exists():
        assert time.monotonic() < deadline, "the standby never became ready"
        time.sleep(0.1)

    monkeypatch.setattr(runner, "_popen", lambda *a: pytest.fail("started a cold worker"))
    handed = time.monotonic()
    run = runner.start_run(CONFIG, store)
    while not run.events():
        assert time.monotonic() - handed < 30
        time.sleep(0.05)
    first_event = time.monotonic() - handed
    while run.status in ("queued", "running"):
        assert time.monotonic() - handed < 60
        time.sleep(0.1)
    assert run.status == "finished"
    assert run.status_record()["pid"] == pid
    assert first_event < 3.0  # TensorFlow was already loaded
    deadline = time.monotonic() + 10
    successors: list[int] = []
    # The successor's marker appears a moment after the busy one goes: wait for both.
    while (standby.folder(store) / f"{pid}.busy").exists() or not successors:
        assert time.monotonic() < deadline
        time.sleep(0.05)
        successors = [int(m.stem) for m in standby.folder(store).glob("*.starting")] + [
            int(m.stem) for m in standby.folder(store).glob("*.ready")]
    assert len(successors) == 1 and successors[0] != pid  # one job per standby, then the next
    os.kill(successors[0], signal.SIGTERM)
