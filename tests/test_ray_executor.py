"""The Ray executor against two real local Ray instances (marker `ray`; needs requirements-ray).

One instance is started in this process (`ray.init(num_cpus=2)`) and drives runs in-process;
the other is a `ray start --head` cluster on this machine that the runner's driver process
joins through `RAY_ADDRESS`, as a user's would. Each trains a tiny sweep and the store must
hold every member with its history and files; stop, a killed Ray worker and a NaN loss must
end their runs as a local worker would (cancelled, interrupted, failed).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

# dlnn.ray_executor first: it sets Ray's authentication mode before Ray is imported.
ray_executor = pytest.importorskip("dlnn.ray_executor")
import ray  # noqa: E402

from dlnn import runner, tensorboard_logs  # noqa: E402
from dlnn.config import RunConfig  # noqa: E402
from dlnn.runs import ACTIVE, Run, RunStore  # noqa: E402

pytestmark = pytest.mark.ray

TINY = RunConfig(model="mlp-geron", epochs=2, batch_size=32, optimizer="adam", seed=1)
SWEEP = [TINY.replace(optimizer=name) for name in ("adam", "rmsprop")]
WAIT_SECONDS = 240


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    """A private Ray instance in this process, 2 CPUs."""
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.fixture
def head_cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A `ray start --head` cluster of 2 CPUs; its address is in RAY_ADDRESS."""
    with ray_executor.head_node(num_cpus=2) as address:
        monkeypatch.setenv("RAY_ADDRESS", address)
        yield address


def _wait_until_ended(runs: list[Run], seconds: float = WAIT_SECONDS) -> None:
    deadline = time.time() + seconds
    while any(run.status in ACTIVE for run in runs):
        assert time.time() < deadline, [run.status_record() for run in runs]
        time.sleep(0.5)


def _assert_trained(run: Run) -> None:
    """A finished member with its whole history, result, model and TensorBoard logs."""
    assert run.status == "finished", run.status_record()
    events = run.events()
    kinds = [event["type"] for event in events]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert kinds.count("epoch") == 2 and "batch" in kinds
    result = run.result()
    assert result["epochs_run"] == 2 and result["test_accuracy"] > 0.5
    assert result["backend"] == "tensorflow"
    assert run.model_path.stat().st_size > 0 and run.predictions_path.exists()
    assert (tensorboard_logs.log_dir(run.path) / "train").is_dir()
    record = run.status_record()
    assert record["executor"] == "ray" and record["node"]


def test_a_sweep_trains_on_local_ray(learnable_data_dir: Path, local_ray: None) -> None:
    store = RunStore()
    runs = [store.create(config) for config in SWEEP]
    seen: list[dict] = []
    assert ray_executor.work(store, [run.run_id for run in runs], log_every=2,
                             listener=seen.append) == 0
    for run in runs:
        _assert_trained(run)
    assert len(seen) == sum(len(run.events()) for run in runs)
    # Ray's workers were started before DLNN_DATA_DIR was set (the instance is module-wide),
    # so they can only have had the data from the object store.


def test_stop_and_nan_behave_as_local(learnable_data_dir: Path, local_ray: None) -> None:
    store = RunStore()
    slow = store.create(TINY.replace(epochs=200, seed=2))
    diverging = store.create(TINY.replace(optimizer="sgd", learning_rate=10.0,
                                          initializer="ones", activation="exponential"))
    waiting = store.create(TINY.replace(seed=3))
    waiting.request_stop()  # stopped before it started: cancelled at once

    def stop_when_training(event: dict) -> None:
        if event["type"] == "epoch" and event["epoch"] == 2:
            slow.request_stop()

    ray_executor.work(store, [slow.run_id, diverging.run_id, waiting.run_id], log_every=1,
                      listener=stop_when_training)
    assert slow.status == "cancelled" and "stopped by request" in slow.status_record()["reason"]
    assert slow.events()[-1]["type"] == "cancelled" and slow.epochs_run() >= 2
    assert diverging.status == "failed"
    assert "loss became" in diverging.status_record()["reason"]
    assert waiting.status == "cancelled" and not waiting.events()


def test_a_killed_ray_worker_leaves_its_run_interrupted(learnable_data_dir: Path,
                                                        local_ray: None) -> None:
    store = RunStore()
    run = store.create(TINY.replace(epochs=300, seed=4))

    def kill_worker(event: dict) -> None:
        if event["type"] == "epoch" and event["epoch"] == 1:
            os.kill(run.status_record()["ray_pid"], signal.SIGKILL)

    ray_executor.work(store, [run.run_id], log_every=1, listener=kill_worker)
    record = run.status_record()
    assert record["status"] == "interrupted"
    assert "Ray worker ended" in record["reason"]
    assert run.epochs_run() >= 1  # what it streamed before it died is kept


def test_a_sweep_trains_on_a_ray_start_cluster(learnable_data_dir: Path,
                                               head_cluster: str) -> None:
    store = RunStore()
    runs = runner.start_queue(SWEEP, store, executor="ray")
    assert all(run.status_record()["pid"] for run in runs)  # the driver holds them
    _wait_until_ended(runs)
    for run in runs:
        _assert_trained(run)
    log = (runs[0].path / "worker.log").read_text()
    assert "Traceback" not in log
