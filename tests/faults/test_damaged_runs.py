"""One damaged run folder: listed as damaged with its file and reason, the rest keeps working."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from dlnn import compare, files
from dlnn.cli import main
from dlnn.config import RunConfig
from dlnn.runs import Run, RunStore
from tests.fake_runs import write_run, write_three_runs

pytestmark = pytest.mark.faults

GARBAGE = bytes(range(256)) * 4
DAMAGED_CONFIG = RunConfig(model="cnn-keras", epochs=3, subset=40, seed=8, batch_size=16)


def _write(name: str, content: bytes) -> Callable[[Run], None]:
    def damage(run: Run) -> None:
        (run.path / name).write_bytes(content)
    return damage


def _remove(name: str) -> Callable[[Run], None]:
    return lambda run: (run.path / name).unlink()


def _unknown_config_key(run: Run) -> None:
    record = files.read_json(run.path / "config.json")
    record["config"]["colour"] = "red"  # a field this version does not know
    files.write_json(run.path / "config.json", record)


def _config_value(**values: object) -> Callable[[Run], None]:
    def damage(run: Run) -> None:
        record = files.read_json(run.path / "config.json")
        record["config"].update(values)
        files.write_json(run.path / "config.json", record)
    return damage


def _status(**record: object) -> Callable[[Run], None]:
    return lambda run: files.write_json(run.path / "status.json", record)


# (case, damage done to a finished run, the file named, words of the reason)
DAMAGES = [
    ("status truncated", _write("status.json", b'{"status": "fin'), "status.json",
     "is not valid JSON"),
    ("status empty", _write("status.json", b""), "status.json", "is empty"),
    ("status garbage", _write("status.json", GARBAGE), "status.json", "is not valid JSON"),
    ("status list", _write("status.json", b"[1, 2]"), "status.json", "holds a JSON list"),
    ("status nested", _write("status.json", b"[" * 100_000), "status.json",
     "is not valid JSON"),
    ("status unknown", _status(status="bogus"), "status.json", "unknown status 'bogus'"),
    ("status bad pid", _status(status="running", pid="abc"), "status.json", "unusable pid"),
    ("status bad time", _status(status="queued", created="yesterday"), "status.json",
     "unusable created time"),
    ("status missing", _remove("status.json"), "status.json", "is missing"),
    ("result truncated", _write("result.json", b'{"test_accuracy": 0.'), "result.json",
     "is not valid JSON"),
    ("result empty", _write("result.json", b""), "result.json", "is empty"),
    ("result garbage", _write("result.json", GARBAGE), "result.json", "is not valid JSON"),
    ("result list", _write("result.json", b"[]"), "result.json", "holds a JSON list"),
    ("config truncated", _write("config.json", b'{"config": {"da'), "config.json",
     "is not valid JSON"),
    ("config empty", _write("config.json", b"  \n"), "config.json", "is empty"),
    ("config garbage", _write("config.json", GARBAGE), "config.json", "is not valid JSON"),
    ("config list", _write("config.json", b'["mnist"]'), "config.json", "holds a JSON list"),
    ("config no key", _write("config.json", b'{"config": {}}'), "config.json",
     'holds no "key"'),
    ("config unknown field", _unknown_config_key, "config.json", "colour"),
    ("config missing", _remove("config.json"), "config.json", "is missing"),
    ("config text epochs", _config_value(epochs="ten"), "config.json",
     "epochs = 'ten' is not a whole number"),
    ("config null model", _config_value(model=None), "config.json", "model = None"),
    ("config bool rate", _config_value(learning_rate=True), "config.json", "learning_rate"),
    ("model damaged", _write("model.keras", b"PK\x03\x04 cut short"), "model.keras",
     "not a Keras archive"),
]


@pytest.fixture
def store(dlnn_dirs: Path) -> RunStore:
    """Three healthy runs (finished, failed, cancelled) and room for a damaged one."""
    store = RunStore()
    write_three_runs(store)
    return store


def _damaged_run(store: RunStore, damage: Callable[[Run], None]) -> Run:
    run = write_run(store, DAMAGED_CONFIG, "finished")
    damage(run)
    return run


@pytest.mark.parametrize(("case", "damage", "file", "reason"), DAMAGES,
                         ids=[case for case, *_ in DAMAGES])
def test_store_api_lists_a_damaged_run_and_keeps_the_rest(
        store: RunStore, case: str, damage: Callable[[Run], None], file: str, reason: str
) -> None:
    run = _damaged_run(store, damage)
    listed = {r.run_id: r.status for r in store.list()}
    assert len(listed) == 4 and listed[run.run_id] == "damaged"
    assert sorted(status for run_id, status in listed.items() if run_id != run.run_id) == [
        "cancelled", "failed", "finished"]
    assert run.problem.startswith(file) and reason in run.problem
    assert run.status_record() == {"status": "damaged", "reason": run.problem}
    assert run.label.endswith(f"({run.run_id[-6:]})")
    table = compare.runs_table(store.list())
    assert table.set_index("run_id").loc[run.run_id, "status"] == "damaged"
    # Training goes on: a healthy configuration is still found, a damaged one trains anew.
    healthy = RunConfig(model="mlp-keras", epochs=2, subset=40, batch_size=16)
    assert store.find_finished(healthy) is not None
    fresh, created = store.create_or_join(DAMAGED_CONFIG)
    assert created and fresh.run_id != run.run_id and fresh.status == "queued"


@pytest.mark.parametrize(("case", "damage", "file", "reason"), DAMAGES,
                         ids=[case for case, *_ in DAMAGES])
def test_cli_lists_shows_and_repairs_a_damaged_run(
        store: RunStore, capsys, case: str, damage: Callable[[Run], None], file: str,
        reason: str
) -> None:
    run = _damaged_run(store, damage)
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith(run.run_id))
    assert row.split()[1] == "damaged"
    assert f"{run.run_id} is damaged: {file}" in out and reason in out
    assert main(["runs", "--json"]) == 0
    summaries = {s["run_id"]: s for s in json.loads(capsys.readouterr().out)}
    assert summaries[run.run_id]["status"] == "damaged"
    assert reason in summaries[run.run_id]["reason"]
    assert main(["runs", "show", run.run_id]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["status"] == "damaged" and shown["reason"].startswith(file)

    assert main(["runs", "repair"]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"{run.run_id}: ")
    if file == "status.json":
        # The log ends with `finished`: the status is rebuilt from it.
        assert "rebuilt status.json from the event log: finished" in said
        assert store.get(run.run_id).status == "finished"
    else:
        assert "moved to" in said and (store.root / ".damaged" / run.run_id).is_dir()
    assert "damaged" not in {r.status for r in store.list()}
    assert main(["runs", "repair"]) == 0
    assert capsys.readouterr().out == "no run is damaged: nothing to repair\n"


def test_repair_of_one_run_leaves_the_others(store: RunStore, capsys) -> None:
    first = _damaged_run(store, _remove("status.json"))
    second = _damaged_run(store, _write("result.json", GARBAGE))
    assert main(["runs", "repair", first.run_id]) == 0
    assert capsys.readouterr().out == (
        f"{first.run_id}: rebuilt status.json from the event log: finished\n")
    assert first.status == "finished" and second.status == "damaged"
    assert main(["runs", "repair", first.run_id]) == 0
    assert capsys.readouterr().out == f"{first.run_id} is not damaged: nothing to repair\n"


def test_delete_removes_a_damaged_run(store: RunStore, capsys) -> None:
    run = _damaged_run(store, _write("config.json", GARBAGE))
    assert main(["runs", "delete", run.run_id]) == 0
    assert capsys.readouterr().out == f"deleted {run.run_id}\n"
    assert not run.path.exists() and len(store.list()) == 3


def test_garbled_event_lines_are_skipped(store: RunStore) -> None:
    run = write_run(store, DAMAGED_CONFIG, "finished", epochs_done=2)
    kept = run.events()
    with open(run.path / "events.jsonl", "ab") as log:
        log.write(GARBAGE[:200] + b"\n[1, 2]\n42\n")
    assert run.events() == kept and run.status == "finished" and run.epochs_run() == 2


def test_stray_folder_and_files_in_the_store(store: RunStore, capsys) -> None:
    (store.root / "notes.txt").write_text("not a run")
    (store.root / "empty-folder").mkdir()
    listed = {run.run_id: run.status for run in store.list()}
    assert listed["empty-folder"] == "damaged" and "notes.txt" not in listed
    assert store.get("empty-folder").problem == "config.json is missing"
    assert main(["runs", "show", "empty-folder"]) == 0
    assert json.loads(capsys.readouterr().out)["config"] is None


def test_a_worker_overwrites_a_damaged_status(store: RunStore) -> None:
    run = _damaged_run(store, _write("status.json", GARBAGE))
    run.set_status("cancelled", reason="stopped")
    assert run.status == "cancelled" and run.problem is None


def test_unreadable_store_lists_nothing(dlnn_dirs: Path) -> None:
    dlnn_dirs.mkdir(parents=True)
    (dlnn_dirs / "runs").write_text("a file where the store should be")
    assert RunStore().list() == []
