"""Run store and job runner: round-trip, atomic writes, interrupted runs, cache hits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from dlnn import files, runner
from dlnn.config import RunConfig
from dlnn.runs import RunStore, pid_alive

CONFIG = RunConfig(model="mlp-geron", epochs=1, batch_size=32, seed=4)


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _wait_for(run, statuses: tuple[str, ...], timeout: float = 90) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        status = run.status
        if status in statuses:
            return status
        time.sleep(0.1)
    raise AssertionError(f"run stayed {run.status}; worker log: "
                         f"{(run.path / 'worker.log').read_text(errors='replace')[-2000:]}")


def test_store_round_trip(dlnn_dirs: Path) -> None:
    store = RunStore()
    run = store.create(CONFIG)
    assert run.path.parent == dlnn_dirs / "runs"
    again = store.get(run.run_id)
    assert again.config == CONFIG and again.config_key == CONFIG.key()
    assert again.status == "queued"
    run.log_event({"type": "started", "epochs": 1})
    run.set_status("running", pid=os.getpid())
    run.write_result({"test_accuracy": 0.5})
    assert store.get(run.run_id).events() == [{"type": "started", "epochs": 1}]
    assert store.get(run.run_id).status == "running"
    assert store.get(run.run_id).result() == {"test_accuracy": 0.5}
    assert [r.run_id for r in store.list()] == [run.run_id]
    store.delete(run.run_id)
    assert store.list() == []
    with pytest.raises(KeyError, match=run.run_id):
        store.get(run.run_id)


def test_whole_file_writes_are_atomic(tmp_path: Path) -> None:
    target = tmp_path / "status.json"
    files.write_json(target, {"status": "running"})

    def crash_halfway(handle) -> None:
        handle.write(b'{"status": "fin')
        raise KeyboardInterrupt  # the process is killed mid-write

    with pytest.raises(KeyboardInterrupt):
        files.write_atomic(target, crash_halfway)
    assert json.loads(target.read_text()) == {"status": "running"}
    assert [p.name for p in tmp_path.iterdir()] == ["status.json"]


def test_torn_last_event_line_is_skipped(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    files.append_jsonl(log, {"type": "started"})
    with open(log, "a") as handle:
        handle.write('{"type": "bat')  # killed mid-line
    assert list(files.read_jsonl(log)) == [{"type": "started"}]


def test_dead_worker_reads_as_interrupted(dlnn_dirs: Path) -> None:
    run = RunStore().create(CONFIG)
    run.set_status("running", pid=_dead_pid())
    assert not pid_alive(run.status_record()["pid"])
    assert run.status == "interrupted"
    assert "worker process ended" in run.status_record()["reason"]
    run.set_status("running", pid=os.getpid())
    assert run.status == "running"


def test_queued_run_without_worker_expires(dlnn_dirs: Path) -> None:
    run = RunStore().create(CONFIG)
    record = files.read_json(run.path / "status.json")
    files.write_json(run.path / "status.json", {**record, "created": time.time() - 3600})
    assert run.status == "interrupted"


def test_finished_config_is_reused_without_training(dlnn_dirs: Path, monkeypatch) -> None:
    store = RunStore()
    done = store.create(CONFIG)
    done.set_status("finished")
    monkeypatch.setattr(runner, "_spawn_worker", lambda *a: pytest.fail("trained again"))
    assert runner.start_run(CONFIG, store).run_id == done.run_id
    assert store.find_finished(CONFIG.replace(seed=5)) is None

    spawned = []
    monkeypatch.setattr(runner, "_spawn_worker", lambda store, runs, **_: spawned.extend(runs))
    retrained = runner.start_run(CONFIG, store, retrain=True)
    assert retrained.run_id != done.run_id and spawned == [retrained]


def test_config_arguments_round_trip_through_the_cli() -> None:
    from dlnn.cli import build_parser, config_from_args

    config = RunConfig(model="cnn-keras", dropout=0.3, permute=True, early_stopping=True,
                       restore_best=False, subset=500, learning_rate=0.01)
    args = build_parser().parse_args(["train", *runner.config_arguments(config)])
    assert config_from_args(args) == config


def test_worker_process_trains_and_stops(learnable_data_dir: Path) -> None:
    store = RunStore()
    finished, stopped = runner.start_queue(
        [CONFIG, CONFIG.replace(epochs=200, seed=9)], store
    )
    assert finished.status in ("queued", "running")  # start returns at once
    assert _wait_for(finished, ("finished", "failed")) == "finished"
    assert finished.result()["test_accuracy"] > 0.5
    _wait_for(stopped, ("running",))
    while not [e for e in stopped.events() if e["type"] == "epoch"]:
        time.sleep(0.05)
    requested = time.time()
    runner.stop_run(stopped)
    assert _wait_for(stopped, ("cancelled",), timeout=10) == "cancelled"
    assert time.time() - requested < 2
    assert stopped.events()[-1]["type"] == "cancelled"


def test_killed_worker_is_interrupted_and_keeps_history(learnable_data_dir: Path) -> None:
    run = runner.start_run(CONFIG.replace(epochs=200, seed=11))
    _wait_for(run, ("running",))
    while not [e for e in run.events() if e["type"] == "epoch"]:
        time.sleep(0.05)
    os.kill(run.status_record()["pid"], signal.SIGKILL)
    assert _wait_for(run, ("interrupted",), timeout=10) == "interrupted"
    assert any(e["type"] == "epoch" for e in run.events())


def test_stopping_a_queued_run_cancels_it_at_once(dlnn_dirs: Path) -> None:
    store = RunStore()
    run = store.create(CONFIG)
    run.set_status("queued", pid=os.getpid())  # its worker is still importing TensorFlow
    runner.stop_run(run)
    assert run.status == "cancelled"
    assert runner.work(store, [run.run_id]) == 0  # the worker skips it
    assert run.status == "cancelled" and run.events() == []


def test_damaged_run_is_listed_with_its_file_and_reason(dlnn_dirs: Path) -> None:
    store = RunStore()
    healthy, damaged = store.create(CONFIG), store.create(CONFIG.replace(seed=5))
    (damaged.path / "status.json").write_text('{"status": "runn')
    assert {run.run_id: run.status for run in store.list()} == {
        healthy.run_id: "queued", damaged.run_id: "damaged"}
    assert damaged.problem.startswith("status.json is not valid JSON")
    assert store.repair() == [(damaged.run_id,
                               "rebuilt status.json from the event log: interrupted")]
    assert damaged.status == "interrupted" and healthy.problem is None


def test_a_reused_pid_without_heartbeat_reads_interrupted(dlnn_dirs: Path) -> None:
    run = RunStore().create(CONFIG)
    with run.heartbeat():
        run.set_status("running", pid=os.getpid())
    assert run.status == "running"  # a fresh heartbeat and a live pid
    stale = time.time() - 120
    os.utime(run.heartbeat_path, (stale, stale))
    record = files.read_json(run.path / "status.json")
    files.write_json(run.path / "status.json", {**record, "created": stale, "updated": stale})
    assert run.status == "interrupted"
    assert f"no heartbeat from worker {os.getpid()}" in run.status_record()["reason"]


@pytest.mark.parametrize("run_id", ["/tmp", "../runs", "..", ".standby", "", "a/b"])
def test_run_ids_name_folders_inside_the_store(dlnn_dirs: Path, run_id: str) -> None:
    with pytest.raises(KeyError, match="no run"):
        RunStore().get(run_id)


def test_an_active_configuration_is_joined(dlnn_dirs: Path) -> None:
    store = RunStore()
    first, created = store.create_or_join(CONFIG)
    again, created_again = store.create_or_join(CONFIG, reuse_finished=False)
    assert created and not created_again and again.run_id == first.run_id
