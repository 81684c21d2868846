"""Keras backends per run, and the runner's executors: who trains what, with which backend."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from dlnn import backends, runner, training
from dlnn.config import ConfigError, RunConfig
from dlnn.runs import RunStore

TINY = RunConfig(model="mlp-geron", epochs=1, batch_size=32, seed=1)


@pytest.fixture
def jax_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Offer the jax backend whether or not it is installed (nothing here trains with it)."""
    monkeypatch.setattr(backends, "installed", lambda: ("tensorflow", "jax"))


def test_the_field_offers_the_installed_backends_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backends, "installed", lambda: ("tensorflow",))
    assert RunConfig().backend == "tensorflow"
    with pytest.raises(ConfigError) as refused:
        TINY.replace(backend="jax").validate()
    assert refused.value.field == "backend" and "choose one of: tensorflow" in str(refused.value)


def test_the_default_backend_keeps_stored_keys(jax_offered: None) -> None:
    assert TINY.replace(backend="tensorflow").key() == TINY.key()
    assert TINY.replace(backend="jax").key() != TINY.key()


def test_a_loaded_keras_cannot_switch_backend() -> None:
    backends.select("tensorflow")  # the one loaded: nothing to do
    with pytest.raises(backends.BackendMismatch, match="loaded Keras with the tensorflow"):
        backends.select("jax")


def test_a_run_of_another_backend_fails_with_the_reason(learnable_data_dir: Path,
                                                        jax_offered: None) -> None:
    run = RunStore().create(TINY.replace(backend="jax"))
    record = training.execute(run)
    assert record["status"] == "failed"
    assert "BackendMismatch" in record["reason"] and "cannot switch to jax" in record["reason"]


def test_results_record_the_backend(learnable_data_dir: Path) -> None:
    run = RunStore().create(TINY)
    training.execute(run)
    assert run.result()["backend"] == "tensorflow"
    assert run.environment()["backend"] == "tensorflow"


def _capture_workers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict]]:
    started: list[tuple[list[str], dict]] = []

    def popen(command: list[str], log_path: Path, environment: dict[str, str]) -> int:
        started.append((command, environment))
        return 4242

    monkeypatch.setattr(runner, "_popen", popen)
    return started


def test_each_backend_gets_a_worker_of_its_own(dlnn_dirs: Path, jax_offered: None,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    started = _capture_workers(monkeypatch)
    runs = runner.start_queue([TINY, TINY.replace(backend="jax"), TINY.replace(seed=2)],
                              RunStore())
    assert [environment["KERAS_BACKEND"] for _, environment in started] == ["tensorflow", "jax"]
    tensorflow_ids = started[0][0][-2:]
    assert tensorflow_ids == [runs[0].run_id, runs[2].run_id]  # one queue, in order
    assert started[1][0][-1] == runs[1].run_id
    assert "--executor" not in started[0][0]


def test_the_ray_executor_starts_one_driver_for_all_runs(dlnn_dirs: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    started = _capture_workers(monkeypatch)
    monkeypatch.setenv(runner.EXECUTOR_VARIABLE, "ray")
    runs = runner.start_queue([TINY, TINY.replace(seed=2)], RunStore())
    (command, _), = started
    assert command[-2:] == ["--executor", "ray"]
    assert [run.run_id for run in runs] == command[-4:-2]
    assert {run.status_record()["pid"] for run in runs} == {4242}


def test_an_unknown_executor_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.executor_name() == "local"
    assert runner.executor_name("ray") == "ray"
    monkeypatch.setenv(runner.EXECUTOR_VARIABLE, "slurm")
    with pytest.raises(ConfigError) as refused:
        runner.executor_name()
    assert refused.value.field == "DLNN_EXECUTOR" and "local, ray" in str(refused.value)


@pytest.mark.jax
def test_a_jax_run_trains_in_a_worker_of_its_own(learnable_data_dir: Path) -> None:
    """The dashboard's way: the runner starts a JAX worker (needs requirements-jax.txt)."""
    pytest.importorskip("jax")
    run = runner.start_run(TINY.replace(backend="jax", epochs=2, optimizer="adam"), RunStore())
    deadline = time.time() + 300
    while run.status in ("queued", "running"):
        assert time.time() < deadline, run.status_record()
        time.sleep(0.5)
    assert run.status == "finished", run.status_record()
    assert run.result()["backend"] == "jax" and run.result()["test_accuracy"] > 0.5
    assert run.environment()["backend"] == "jax"
    assert (run.path / "tensorboard" / "train").is_dir()
