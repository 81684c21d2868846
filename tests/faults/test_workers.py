"""Workers that die, hang, are killed, are started twice or lose their store."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from dlnn import files, runner, standby
from dlnn.cli import main
from dlnn.config import RunConfig
from dlnn.runs import (
    HEARTBEAT_TIMEOUT_SECONDS,
    QUEUE_GRACE_SECONDS,
    Run,
    RunStore,
    heartbeat,
    pid_alive,
)

pytestmark = pytest.mark.faults

CONFIG = RunConfig(model="mlp-geron", epochs=2, batch_size=32, seed=31)
LONG = CONFIG.replace(epochs=300, seed=32)  # trains until it is stopped


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _wait_for(condition, timeout: float, what: str) -> float:
    """Poll `condition()` until it is true; returns the seconds it took."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"timed out waiting for {what}"
        time.sleep(0.05)
    return time.monotonic() - started


def _epochs_logged(run: Run) -> int:
    return sum(event["type"] == "epoch" for event in run.events())


def _age(run: Run, seconds: float, *, heartbeat_age: float | None) -> None:
    """Make the run's status (and heartbeat, unless None: none at all) look `seconds` old."""
    record = files.read_json(run.path / "status.json")
    then = time.time() - seconds
    files.write_json(run.path / "status.json", {**record, "created": then, "updated": then})
    run.heartbeat_path.unlink(missing_ok=True)
    if heartbeat_age is not None:
        run.heartbeat_path.touch()
        beat = time.time() - heartbeat_age
        os.utime(run.heartbeat_path, (beat, beat))


# (case, status, pid: "self" a live unrelated process / "dead" / None, status age, heartbeat
#  age or None for no heartbeat file, status read, words of the reason)
LIVENESS = [
    ("stale heartbeat, live unrelated pid", "running", "self", 60, 60, "interrupted",
     "no heartbeat from worker"),
    ("no heartbeat file, live unrelated pid", "running", "self", 60, None, "interrupted",
     "no heartbeat from worker"),
    ("fresh heartbeat", "running", "self", 600, 1, "running", ""),
    ("dead pid, fresh heartbeat", "running", "dead", 1, 1, "interrupted",
     "worker process ended"),
    ("queued, worker importing", "queued", "self", QUEUE_GRACE_SECONDS - 30, None, "queued", ""),
    ("queued, pid reused", "queued", "self", QUEUE_GRACE_SECONDS + 30, None, "interrupted",
     "no heartbeat from worker"),
    ("queued, no worker ever", "queued", None, QUEUE_GRACE_SECONDS + 30, None, "interrupted",
     "no worker has shown a sign of life"),
    ("running without pid, silent", "running", None, HEARTBEAT_TIMEOUT_SECONDS + 10, None,
     "interrupted", "no worker has shown a sign of life"),
]


@pytest.mark.parametrize(("case", "status", "pid", "age", "beat", "expected", "reason"),
                         LIVENESS, ids=[case for case, *_ in LIVENESS])
def test_status_comes_from_pid_and_heartbeat(
        dlnn_dirs: Path, capsys, case: str, status: str, pid: str | None, age: float,
        beat: float | None, expected: str, reason: str) -> None:
    run = RunStore().create(CONFIG)
    run.set_status(status, pid={"self": os.getpid(), "dead": _dead_pid(), None: None}[pid])
    _age(run, age, heartbeat_age=beat)
    record = run.status_record()
    assert record["status"] == expected and reason in record.get("reason", "")
    assert main(["runs", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == expected


def test_heartbeat_beats_until_the_block_ends(dlnn_dirs: Path) -> None:
    store = RunStore()
    kept, deleted = store.create(CONFIG), store.create(CONFIG.replace(seed=2))
    with heartbeat([kept, deleted], every=0.05):
        first = kept.heartbeat_path.stat().st_mtime_ns
        shutil.rmtree(deleted.path)  # a run deleted while its worker holds it
        _wait_for(lambda: kept.heartbeat_path.stat().st_mtime_ns > first, 2, "a heartbeat")
    last = kept.heartbeat_path.stat().st_mtime_ns
    time.sleep(0.2)
    assert kept.heartbeat_path.stat().st_mtime_ns == last
    assert not deleted.path.exists()  # the heartbeat did not bring it back
    assert [t.name for t in threading.enumerate() if t.name == "dlnn-heartbeat"] == []


# -- the same configuration twice at once ----------------------------------------------------
def test_start_run_twice_trains_once(dlnn_dirs: Path, monkeypatch) -> None:
    spawned: list[list[Run]] = []
    monkeypatch.setattr(runner, "_spawn_worker", lambda store, runs, **_: spawned.append(runs))
    store = RunStore()
    first = runner.start_run(CONFIG, store)
    second = runner.start_run(CONFIG, store)
    again = runner.start_run(CONFIG, store, retrain=True)  # retraining joins a live run too
    assert first.run_id == second.run_id == again.run_id
    assert [[run.run_id for run in runs] for runs in spawned] == [[first.run_id]]
    assert len(store.list()) == 1


def test_concurrent_starts_create_one_run(dlnn_dirs: Path) -> None:
    store = RunStore()
    results: list[tuple[Run, bool]] = []
    barrier = threading.Barrier(6)

    def start() -> None:
        barrier.wait()
        results.append(store.create_or_join(CONFIG))

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(created for _, created in results) == 1
    assert len({run.run_id for run, _ in results}) == 1 and len(store.list()) == 1


def test_two_cli_trainings_at_once_train_once(learnable_data_dir: Path) -> None:
    command = [sys.executable, "-m", "dlnn", "train", *runner.config_arguments(CONFIG)]
    processes = [subprocess.Popen(command + extra, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for extra in (["--json"], [])]
    outputs = [process.communicate(timeout=180) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    summary = json.loads(outputs[0][0].splitlines()[-1])
    assert summary["status"] == "finished" and summary["epochs_run"] == 2
    assert len(RunStore().list()) == 1
    text = outputs[1][0]
    assert f"run {summary['run_id']} finished" in text
    # Whichever came second joined the first and printed its progress, or found it finished.
    assert "joining run" in text or "epoch 2/2" in text or "reusing finished run" in text


# -- killed, terminated and failing workers --------------------------------------------------
def test_killed_and_terminated_workers_keep_their_history(learnable_data_dir: Path) -> None:
    store = RunStore()
    killed = runner.start_run(LONG, store)
    terminated, waiting = runner.start_queue([LONG.replace(seed=33), CONFIG], store)
    for run in (killed, terminated):
        _wait_for(lambda run=run: _epochs_logged(run) >= 1, 120, "a first epoch")
    os.kill(killed.status_record()["pid"], signal.SIGKILL)
    worker = terminated.status_record()["pid"]
    os.kill(worker, signal.SIGTERM)
    _wait_for(lambda: killed.status == "interrupted", 5, "the killed run to be interrupted")
    _wait_for(lambda: terminated.status == "cancelled", 10, "the terminated run to cancel")
    _wait_for(lambda: waiting.status == "cancelled", 10, "the waiting run to cancel")
    assert "worker process ended" in killed.status_record()["reason"]
    assert terminated.status_record()["reason"].startswith("stopped by request at epoch")
    assert waiting.status_record()["reason"] == "stopped before it started"
    _wait_for(lambda: pid_alive(worker) is False, 10, "the worker to exit")
    for run in (killed, terminated):
        assert run.epochs_run() >= 1 and run.epochs_run() == _epochs_logged(run)
    summaries = {s["run_id"]: s for s in _runs_json()}
    assert summaries[killed.run_id]["epochs_run"] == killed.epochs_run()
    assert summaries[terminated.run_id]["epochs_run"] == terminated.epochs_run()
    assert waiting.events() == []


def _runs_json() -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "dlnn", "runs", "--json"], capture_output=True,
                          text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_nan_loss_fails_the_run_and_keeps_its_log(learnable_data_dir: Path, monkeypatch) -> None:
    from dlnn import training

    real_load = training.ClassificationTask.load_data

    def poisoned(self, config: RunConfig) -> training.TrainingData:
        data = real_load(self, config)
        data.x_train = data.x_train * np.float32(3e38)  # the first batch overflows
        return data

    monkeypatch.setattr(training.ClassificationTask, "load_data", poisoned)
    run = RunStore().create(CONFIG)
    record = training.execute(run, log_every=1)
    assert record["status"] == "failed"
    assert re.search(r"the loss became (nan|inf) at epoch 1, batch \d+", record["reason"])
    kinds = [event["type"] for event in run.events()]
    assert kinds[0] == "started" and kinds[-1] == "failed"
    assert _runs_json()[0]["status"] == "failed"


# -- closed pipes ------------------------------------------------------------------------------
def test_runs_into_a_closed_pipe_is_quiet(dlnn_dirs: Path) -> None:
    for seed in range(3):
        RunStore().create(CONFIG.replace(seed=seed))
    process = subprocess.Popen([sys.executable, "-m", "dlnn", "runs"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdout.close()  # `| head` that has already exited
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1 and err == b""


def test_train_into_a_closed_pipe_finishes_the_run(learnable_data_dir: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "dlnn", "train", *runner.config_arguments(CONFIG),
         "--log-every", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = process.stdout.readline()
    process.stdout.close()  # `| head -1`
    _, err = process.communicate(timeout=180)
    assert first.startswith("run ") and process.returncode == 0
    assert "Traceback" not in err and "BrokenPipe" not in err
    (run,) = RunStore().list()
    assert run.status == "finished" and run.epochs_run() == 2


# -- a standby whose store or owner goes away --------------------------------------------------
SERVE = ("import sys; from pathlib import Path; from dlnn import standby; "
         "from dlnn.runs import RunStore; sys.exit(standby.serve(RunStore(Path(sys.argv[1])), "
         "lambda ids: 3, owner=int(sys.argv[2])))")
STANDBY_CASES = [("store deleted", True, False), ("store deleted, owner gone", True, True),
                 ("owner gone", False, True)]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize(("case", "delete_store", "end_owner"), STANDBY_CASES,
                         ids=[case for case, *_ in STANDBY_CASES])
def test_standby_exits_when_its_store_or_owner_is_gone(
        tmp_path: Path, case: str, delete_store: bool, end_owner: bool) -> None:
    store = RunStore(tmp_path / "runs")
    owner = subprocess.Popen(["sleep", "600"])
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(store.root), str(owner.pid)])
    try:
        ready = standby.folder(store) / f"{process.pid}.ready"
        _wait_for(ready.exists, 30, "the standby to be ready")
        idle_cpu = _cpu_seconds(process.pid)
        time.sleep(1.0)
        gone_cpu = _cpu_seconds(process.pid)
        assert gone_cpu - idle_cpu < 0.1  # idle polling costs < 10% of a core
        if delete_store:
            shutil.rmtree(store.root)
        if end_owner:
            owner.kill()
            owner.wait()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        took = _wait_for(lambda: process.poll() is not None, 3, "the standby to exit")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # now with the standby's CPU
    finally:
        for child in (process, owner):
            if child.poll() is None:
                child.kill()
                child.wait()
    assert process.returncode == 0 and took < 3
    lifetime_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert lifetime_cpu - gone_cpu < 0.3  # no spinning once its store or owner was gone
    assert not store.root.exists() if delete_store else not list(
        standby.folder(store).iterdir())
