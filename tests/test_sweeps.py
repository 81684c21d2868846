"""Sweeps: axes, grids and seeds; reuse, resume, stop and progress through the run store."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from dlnn import runner, sweeps
from dlnn.config import ConfigError, RunConfig
from dlnn.runs import RunStore
from tests.fake_runs import write_run

BASE = RunConfig(model="cnn-keras", epochs=2, learning_rate=0.05)


def test_vary_changes_one_field_only() -> None:
    configs = sweeps.vary(BASE, "batch_size", [32, 256])
    assert [c.batch_size for c in configs] == [32, 256]
    assert all(c.replace(batch_size=BASE.batch_size) == BASE for c in configs)


def test_optimizer_sweep_uses_each_optimizers_default_rate() -> None:
    configs = sweeps.vary(BASE, "optimizer", ["sgd", "adadelta"])
    assert [c.effective_learning_rate for c in configs] == [0.01, 1.0]


def test_bad_field_or_value_is_named() -> None:
    with pytest.raises(ConfigError, match="^optimiser"):
        sweeps.vary(BASE, "optimiser", ["sgd"])
    with pytest.raises(ConfigError, match="^batch_size"):
        sweeps.vary(BASE, "batch_size", [0])


def test_sweep_runs_finds_finished_over_failed(dlnn_dirs: Path) -> None:
    store = RunStore()
    small, large = sweeps.vary(BASE, "batch_size", [32, 256])
    finished = store.create(small)
    finished.set_status("finished")
    failed = store.create(small)  # newer, but failed
    failed.set_status("failed")
    store.create(BASE.replace(batch_size=64)).set_status("finished")  # not in the sweep
    found = sweeps.sweep_runs(store, BASE, "batch_size", [32, 256])
    assert found[32].run_id == finished.run_id
    assert found[256] is None

    finished.log_event({"type": "epoch", "epoch": 1, "seconds": 1.0,
                        "metrics": {"val_accuracy": 0.9}})
    histories = sweeps.sweep_histories(found, "batch_size")
    assert list(histories) == ["batch_size=32"]
    assert histories["batch_size=32"]["val_accuracy"].tolist() == [0.9]


# -- axes, grids and seeds --------------------------------------------------------------------
def test_a_grid_of_two_axes_over_seeds_expands_in_order() -> None:
    sweep = sweeps.Sweep(BASE, (sweeps.Axis("optimizer", ("sgd", "adam")),
                                sweeps.Axis("batch_size", (32, 64, 128))), seeds=(0, 1))
    members = sweep.members()
    assert len(members) == 2 * 3 * 2
    assert [(m.value("optimizer"), m.value("batch_size"), m.seed) for m in members[:4]] == [
        ("sgd", 32, 0), ("sgd", 32, 1), ("sgd", 64, 0), ("sgd", 64, 1)]
    assert members[0].label == "optimizer=sgd, batch_size=32"
    assert [m.config.seed for m in members[:2]] == [0, 1]
    # Sweeping the optimizer trains each at its own rate; the base's 0.05 is dropped.
    assert {m.config.effective_learning_rate for m in members} == {0.01, 0.001}
    assert len({m.config.key() for m in members}) == 12


def test_an_optimizer_by_learning_rate_grid_keeps_the_swept_rates() -> None:
    sweep = sweeps.Sweep(BASE, (sweeps.Axis("optimizer", ("sgd", "adam")),
                                sweeps.Axis("learning_rate", (0.1, 0.01))))
    assert [m.config.effective_learning_rate for m in sweep.members()] == [0.1, 0.01, 0.1, 0.01]


def test_a_custom_axis_is_parsed_by_its_field() -> None:
    axis = sweeps.Axis.parse("dropout", ["0", "0.25", "none"])
    assert axis == sweeps.Axis("dropout", (0.0, 0.25, None))
    with pytest.raises(ConfigError, match=r"^dropout: 2.0 is not allowed; must be .*0.95"):
        sweeps.Axis.parse("dropout", ["0.1", "2"])
    with pytest.raises(ConfigError, match="^activation: 'relux'"):
        sweeps.Axis.parse("activation", ["relu", "relux"])
    with pytest.raises(ConfigError, match="^colour"):
        sweeps.Axis.parse("colour", ["red"])


def test_a_log_scale_field_is_spaced_geometrically() -> None:
    assert sweeps.Axis.spaced("learning_rate", 1e-4, 1e-2, 5).values == (
        0.0001, 0.000316, 0.001, 0.00316, 0.01)
    assert sweeps.Axis.spaced("batch_size", 32, 128, 4).values == (32, 64, 96, 128)
    with pytest.raises(ConfigError, match="^learning_rate"):
        sweeps.Axis.spaced("learning_rate", 0.1, 0.01, 3)


@pytest.mark.parametrize(("axes", "seeds", "field"), [
    ((), (), "axes"),
    ((sweeps.Axis("optimizer", ("sgd", "sgd")),), (), "optimizer"),
    ((sweeps.Axis("optimizer", ()),), (), "optimizer"),
    ((sweeps.Axis("epochs", (1,)), sweeps.Axis("epochs", (2,))), (), "epochs"),
    ((sweeps.Axis("seed", (1, 2)),), (0, 1), "seed"),
    ((sweeps.Axis("batch_size", (32, 100_000)),), (), "batch_size"),
])
def test_a_malformed_sweep_names_the_field(axes, seeds, field) -> None:
    with pytest.raises(ConfigError) as error:
        sweeps.Sweep(BASE, axes, seeds).members()
    assert error.value.field == field


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


# -- the run store: reuse, resume, stop, progress ------------------------------------------------
SMALL = RunConfig(model="mlp-keras", epochs=2, subset=40, batch_size=8)


def _three(store: RunStore) -> tuple[list[RunConfig], list]:
    configs = sweeps.vary(SMALL, "optimizer", ["sgd", "adam", "nadam"])
    return configs, [write_run(store, config, "finished") for config in configs]


def test_a_finished_sweep_is_never_trained_again(dlnn_dirs: Path, monkeypatch) -> None:
    store = RunStore()
    configs, finished = _three(store)
    monkeypatch.setattr(runner, "_spawn_worker", lambda *a: pytest.fail("trained again"))
    runs = sweeps.launch(configs, store)
    assert [run.run_id for run in runs] == [run.run_id for run in finished]
    from dlnn import training

    monkeypatch.setattr(training, "execute", lambda *a, **k: pytest.fail("trained again"))
    assert [run.run_id for run in sweeps.train_here(configs, store)] == [
        run.run_id for run in finished]


def test_an_interrupted_sweep_resumes_where_it_stopped(dlnn_dirs: Path, monkeypatch) -> None:
    store = RunStore()
    configs = sweeps.vary(SMALL, "optimizer", ["sgd", "adam", "nadam", "adamax", "adagrad"])
    done = write_run(store, configs[0], "finished")
    diverged = write_run(store, configs[1], "failed", reason="the loss became nan")
    stopped = write_run(store, configs[2], "cancelled")
    crashed = store.create(configs[3])
    crashed.set_status("running", pid=_dead_pid())  # its worker was killed
    assert crashed.status == "interrupted"
    queued: list = []
    monkeypatch.setattr(runner, "_spawn_worker", lambda store, runs, **_: queued.extend(runs))
    runs = sweeps.launch(configs, store)
    assert [run.config.optimizer for run in queued] == ["nadam", "adamax", "adagrad"]
    assert runs[0].run_id == done.run_id and runs[1].run_id == diverged.run_id
    assert runs[2:] == queued
    # Launched again while those wait for their worker: they are joined, not queued twice.
    for run in queued:
        run.set_status("queued", pid=os.getpid())
    queued.clear()
    assert [run.run_id for run in sweeps.launch(configs, store)][2:] == [
        run.run_id for run in runs[2:]]
    assert queued == []
    assert stopped.run_id not in [run.run_id for run in runs]


def test_stop_cancels_the_queue_and_stops_the_running_member(dlnn_dirs: Path) -> None:
    store = RunStore()
    configs, _ = _three(store)
    running, *waiting = (store.create(config.replace(seed=5)) for config in configs)
    running.set_status("running", pid=os.getpid())
    for run in waiting:
        run.set_status("queued", pid=os.getpid())
    done = write_run(store, SMALL, "finished")
    assert sweeps.stop([running, *waiting, done, None]) == 3
    assert [run.status for run in waiting] == ["cancelled", "cancelled"]
    assert running.stop_requested() and running.status == "running"  # ends after its batch
    assert not done.stop_requested()
    assert runner.work(store, [run.run_id for run in waiting]) == 0  # the worker skips them
    assert all(run.events() == [] for run in waiting)


def test_progress_counts_members_and_estimates_time_left(dlnn_dirs: Path) -> None:
    store = RunStore()
    configs, (first, second, _) = _three(store)
    for run in (first, second):  # each took 20 s in all
        run.write_result({**run.result(), "timings": {"total_seconds": 20.0}})
    running = store.create(SMALL.replace(seed=1))
    running.set_status("running", pid=os.getpid())
    running.log_event({"type": "started", "time": 100.0, "epochs": 2, "steps_per_epoch": 10})
    running.log_event({"type": "batch", "time": 105.0, "epoch": 1, "batch": 5, "step": 5})
    queued = store.create(SMALL.replace(seed=2))
    queued.set_status("queued", pid=os.getpid())
    state = sweeps.sweep_progress([first, second, running, queued, None], now=105.0)
    assert (state.total, state.finished, state.running, state.queued, state.missing) == (
        5, 2, 1, 1, 1)
    # The running member is a quarter through after 5 s: 15 s left; one queued member, 20 s.
    assert state.eta_seconds == pytest.approx(35.0)
    assert state.text() == "2/5 done · 1 running · 1 queued · 1 to train · about 35 s left"
    assert sweeps.sweep_progress([first, second]).eta_seconds == 0.0


def test_stopping_a_live_sweep_ends_its_member_fast_and_starts_no_other(
    learnable_data_dir: Path,
) -> None:
    configs = sweeps.vary(SMALL.replace(epochs=300, subset=None, batch_size=4), "optimizer",
                          ["sgd", "adam", "nadam"])
    runs = sweeps.launch(configs, RunStore())
    deadline = time.monotonic() + 120
    while not any(event["type"] == "batch" for event in runs[0].events()):
        assert time.monotonic() < deadline, runs[0].status
        time.sleep(0.1)
    asked = time.monotonic()
    sweeps.stop(runs)
    while runs[0].status != "cancelled":
        assert time.monotonic() - asked < 5, runs[0].status
        time.sleep(0.05)
    print(f"stopped after {time.monotonic() - asked:.2f} s")
    assert time.monotonic() - asked < 2
    time.sleep(1.0)
    assert [run.status for run in runs[1:]] == ["cancelled", "cancelled"]
    assert all(run.events() == [] for run in runs[1:])
    assert sweeps.sweep_progress(runs).stopped == 3
