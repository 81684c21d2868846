"""Training runs: events, results, stop within one batch, NaN failures, reproducibility."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from dlnn import training
from dlnn.config import ConfigError, RunConfig
from dlnn.permutation import make_permutation, permute_pixels, unpermute_pixels
from dlnn.runs import RunStore

TINY = RunConfig(model="mlp-geron", epochs=2, batch_size=32, optimizer="adam", seed=1)


def _execute(config: RunConfig, **kwargs: object) -> tuple[object, dict]:
    run = RunStore().create(config)
    record = training.execute(run, **kwargs)
    return run, record


def test_finished_run_records_everything(learnable_data_dir: Path) -> None:
    run, record = _execute(TINY, log_every=2)
    assert record["status"] == "finished"
    events = run.events()
    kinds = [event["type"] for event in events]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert kinds.count("epoch") == 2
    started = events[0]
    assert started["train_samples"] == 360 and started["steps_per_epoch"] == 12
    batches = [e for e in events if e["type"] == "batch"]
    assert [b["batch"] for b in batches[:6]] == [2, 4, 6, 8, 10, 12]
    assert set(batches[0]["metrics"]) == {"loss", "accuracy"}
    epoch = [e for e in events if e["type"] == "epoch"][-1]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(epoch["metrics"])

    result = run.result()
    assert result["test_accuracy"] > 0.9  # the synthetic classes are easy
    matrix = np.array(result["confusion_matrix"])
    assert matrix.shape == (10, 10) and matrix.sum() == 100
    assert result["test_accuracy"] == pytest.approx(np.trace(matrix) / 100, abs=1e-6)
    assert len(result["per_class_accuracy"]) == 10
    assert result["epochs_run"] == 2
    assert result["seconds_per_epoch"] == pytest.approx(np.mean(result["epoch_seconds"]))
    assert np.load(run.predictions_path).shape == (100,)
    assert run.model_path.stat().st_size > 0
    environment = run.environment()
    assert environment["keras"].startswith("3.") and environment["tensorflow"]


def test_stop_ends_within_one_batch(learnable_data_dir: Path) -> None:
    store = RunStore()
    run = store.create(TINY.replace(epochs=5))

    def stop_at_third_batch(event: dict) -> None:
        if event["type"] == "batch" and event["step"] == 3:
            run.request_stop()

    record = training.execute(run, log_every=1, listener=stop_at_third_batch)
    assert record["status"] == "cancelled"
    assert "epoch 1, batch 3" in record["reason"]
    batches = [e for e in run.events() if e["type"] == "batch"]
    assert batches[-1]["step"] == 3
    assert run.events()[-1]["type"] == "cancelled"


def test_non_finite_loss_fails_and_keeps_the_run(learnable_data_dir: Path, monkeypatch) -> None:
    real_load = training.ClassificationTask.load_data

    def poisoned(self, config):
        data = real_load(self, config)
        data.x_train = data.x_train.copy()
        data.x_train *= np.float32(3e38)
        return data

    monkeypatch.setattr(training.ClassificationTask, "load_data", poisoned)
    run, record = _execute(TINY, log_every=1)
    assert record["status"] == "failed"
    assert re.search(r"loss became (nan|inf) at epoch 1, batch \d", record["reason"])
    assert RunStore().get(run.run_id).status == "failed"
    kinds = [e["type"] for e in run.events()]
    assert kinds[0] == "started" and kinds[-1] == "failed" and "epoch" not in kinds


def test_a_crash_is_a_failed_run_with_its_reason(learnable_data_dir: Path, monkeypatch) -> None:
    def explode(self, config, data):
        raise MemoryError("simulated out of memory")

    monkeypatch.setattr(training.ClassificationTask, "build_model", explode)
    run, record = _execute(TINY)
    assert record["status"] == "failed"
    assert record["reason"] == "MemoryError: simulated out of memory"
    assert "Traceback" in run.result()["traceback"]


def test_same_config_and_seed_same_first_epoch(learnable_data_dir: Path) -> None:
    config = TINY.replace(epochs=1, model="cnn-keras")
    first, _ = _execute(config)
    second, _ = _execute(config)
    other, _ = _execute(config.replace(seed=2))

    def metrics(run):
        return [e for e in run.events() if e["type"] == "epoch"][0]["metrics"]

    assert metrics(first) == pytest.approx(metrics(second), rel=1e-6)
    assert metrics(first)["loss"] != pytest.approx(metrics(other)["loss"], rel=1e-6)


def test_early_stopping_stops_and_records_epochs(learnable_data_dir: Path) -> None:
    # patience 0 on validation accuracy at the smallest learning rate: no improvement after
    # the first epoch.
    config = TINY.replace(epochs=6, optimizer="sgd", learning_rate=1e-6, early_stopping=True,
                          monitor="val_accuracy", patience=0)
    run, record = _execute(config)
    assert record["status"] == "finished"
    assert run.result()["epochs_run"] < 6


def test_reduce_lr_halves_the_rate_on_a_plateau_and_logs_it(learnable_data_dir: Path) -> None:
    # At a tiny learning rate validation loss barely moves: with min_delta's default of 1e-4
    # every epoch after the first is a plateau, so the rate halves after every
    # PLATEAU_PATIENCE of them. Each epoch logs the rate it trained with.
    config = TINY.replace(epochs=6, optimizer="sgd", learning_rate=1e-4, early_stopping=True,
                          monitor="val_loss", patience=10, reduce_lr=True)
    run, record = _execute(config)
    assert record["status"] == "finished"
    rates = [e["metrics"]["learning_rate"] for e in run.events() if e["type"] == "epoch"]
    assert rates == pytest.approx([1e-4, 1e-4, 1e-4, 5e-5, 5e-5, 2.5e-5], rel=1e-4)
    without, _ = _execute(config.replace(reduce_lr=False))
    assert [e["metrics"].get("learning_rate") for e in without.events()
            if e["type"] == "epoch"] == [None] * 6


def test_cosine_schedule_decays_the_rate_every_epoch_and_logs_it(learnable_data_dir: Path
                                                                 ) -> None:
    config = TINY.replace(epochs=4, optimizer="adam", learning_rate=0.01, lr_schedule="cosine")
    run, record = _execute(config)
    assert record["status"] == "finished"
    rates = [e["metrics"]["learning_rate"] for e in run.events() if e["type"] == "epoch"]
    # 0.01 * (1 + cos(pi * epoch / 4)) / 2 for epochs 0-3
    assert rates == pytest.approx([0.01, 0.0085355, 0.005, 0.0014645], rel=1e-4)


def test_cosine_schedule_and_halving_on_plateaus_are_one_too_many() -> None:
    config = TINY.replace(lr_schedule="cosine", early_stopping=True, reduce_lr=True)
    with pytest.raises(ConfigError) as caught:
        config.validate()
    assert caught.value.field == "lr_schedule" and "reduce_lr" in caught.value.reason
    assert config.replace(reduce_lr=False).validate().lr_schedule == "cosine"
    with pytest.raises(ConfigError, match="constant, cosine"):
        TINY.replace(lr_schedule="step").validate()


def test_permuted_run_trains_on_one_permutation_of_the_images(
    learnable_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_load = training.ClassificationTask.load_data
    loaded = []

    def recorded(self, config):
        loaded.append(real_load(self, config))
        return loaded[-1]

    monkeypatch.setattr(training.ClassificationTask, "load_data", recorded)
    config = TINY.replace(permute=True, epochs=1)
    _, record = _execute(config)
    assert record["status"] == "finished" and len(loaded) == 1
    permuted = loaded[0]
    original = real_load(training.ClassificationTask(), config.replace(permute=False))
    # one permutation, seeded by the run's seed, for the training, validation and test images
    permutation = make_permutation(28 * 28, seed=config.seed)
    for split in ("x_train", "x_val", "x_test"):
        images, scrambled = getattr(original, split), getattr(permuted, split)
        assert len(images) > 0 and scrambled.shape == images.shape
        assert (scrambled != images).mean() > 0.9  # the noise pixels moved
        assert np.array_equal(scrambled, permute_pixels(images, permutation))
        assert np.array_equal(unpermute_pixels(scrambled, permutation), images)
    for split in ("y_train", "y_val", "y_test"):
        assert np.array_equal(getattr(permuted, split), getattr(original, split))
