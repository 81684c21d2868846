"""Sweeps: configurations differing in one field, and finding their stored runs again."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlnn import sweeps
from dlnn.config import ConfigError, RunConfig
from dlnn.runs import RunStore

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
