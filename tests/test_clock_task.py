"""The clock task: configuration, data sets, the validation CSE callback, a tiny run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dlnn.clocks.course import save_course_data
from dlnn.clocks.datasets import clock_split, photo_to_clock, resize_images
from dlnn.clocks.render import generate_clocks
from dlnn.config import ConfigError, RunConfig
from tests.clock_runs import TINY_CLOCKS, train_tiny_clock_run

keras = pytest.importorskip("keras")

BAD_CLOCK_CONFIGS = [
    ({"clock_images": 5}, "clock_images"),
    ({"image_size": 8}, "image_size"),
    ({"image_size": 1000}, "image_size"),
    ({"conv_blocks": 0}, "conv_blocks"),
    ({"conv_blocks": 5}, "conv_blocks"),  # 48-pixel images allow 4
    ({"conv_filters": 0}, "conv_filters"),
    ({"convs_per_block": 9}, "convs_per_block"),
    ({"dense_units": 0}, "dense_units"),
    ({"batch_norm": "yes"}, "batch_norm"),
    ({"augment": 1.5}, "augment"),
    ({"data_path": "/somewhere"}, "data_path"),  # only clocks-course reads a folder
    ({"dataset": "clocks-course"}, "data_path"),  # ... and it needs one
    ({"dataset": "mnist"}, "model"),  # a clock model on MNIST
    ({"permute": True}, "permute"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_CLOCK_CONFIGS)
def test_bad_clock_fields_are_named(changes: dict, field: str) -> None:
    with pytest.raises(ConfigError) as error:
        TINY_CLOCKS.replace(**changes).validate()
    assert error.value.field == field


def test_image_model_on_clocks_names_the_clock_models() -> None:
    with pytest.raises(ConfigError) as error:
        RunConfig(model="cnn-keras", dataset="clocks-easy").validate()
    assert error.value.field == "model" and "clock-hands" in str(error.value)
    assert "cnn-keras," not in str(error.value)


def test_clock_fields_at_their_defaults_leave_old_keys_alone() -> None:
    """Keys as the store made them before the lab registry (computed with that code)."""
    assert RunConfig().key() == "5fe45d4276665b75"
    assert RunConfig(model="cnn-keras", epochs=3).key() == "e320a1b6ab06f880"
    assert RunConfig(dataset="clocks-easy", model="clock-hands", image_size=64).key() == \
        "fe4eaf79dfae138d"
    assert TINY_CLOCKS.key() != TINY_CLOCKS.replace(image_size=64).key()


def test_split_is_80_10_10_and_seeded(dlnn_dirs: Path) -> None:
    split = clock_split(TINY_CLOCKS.replace(clock_images=100))
    assert (len(split.train_images), len(split.val_images), len(split.test_images)) == (80, 10, 10)
    assert split.test_images.shape[1:] == (48, 48) and split.test_images.dtype == np.uint8
    again = clock_split(TINY_CLOCKS.replace(clock_images=100))
    assert np.array_equal(split.test_labels, again.test_labels)


def test_course_folder_is_read_and_resized(dlnn_dirs: Path, tmp_path: Path) -> None:
    images, labels = generate_clocks(40, "easy", seed=3)  # 150 pixels, as the course's
    save_course_data(tmp_path / "course", images, labels)
    config = TINY_CLOCKS.replace(dataset="clocks-course", data_path=str(tmp_path / "course"))
    split = clock_split(config.validate())
    assert split.train_images.shape == (32, 48, 48)
    assert sorted(map(tuple, np.concatenate([split.train_labels, split.val_labels,
                                             split.test_labels]))) == sorted(map(tuple, labels))


def test_photos_become_grey_squares() -> None:
    photo = np.zeros((120, 200, 3), dtype=np.uint8)
    photo[:, 100:] = 255
    clock = photo_to_clock(photo, 50)
    assert clock.shape == (50, 50) and clock.dtype == np.uint8
    assert resize_images(np.zeros((2, 30, 30), np.uint8), 30).shape == (2, 30, 30)


class _FixedModel:
    """Stands in for a Keras model: `predict` returns fixed two-head outputs."""

    def __init__(self, outputs: dict[str, np.ndarray]) -> None:
        self.outputs = outputs

    def predict(self, images: np.ndarray, **_: object) -> dict[str, np.ndarray]:
        return self.outputs


def test_validation_cse_callback_adds_the_right_numbers() -> None:
    from dlnn.clocks.task import ValidationCSE

    labels = np.array([[11, 58], [5, 59], [3, 0]])
    read = np.array([[0, 2], [5, 1], [3, 0]])  # errors 4, 58 and 0 minutes
    outputs = {"hour": np.eye(12)[read[:, 0]], "minute": (read[:, 1] / 60.0)[:, None]}
    callback = ValidationCSE("clock-two-head", np.zeros((3, 8, 8, 1)), labels)
    callback.set_model(_FixedModel(outputs))
    logs: dict = {}
    callback.on_epoch_end(0, logs)
    assert logs["val_cse"] == pytest.approx((4 + 58 + 0) / 3)
    assert logs["val_hour_accuracy"] == pytest.approx(2 / 3)
    assert logs["val_minute_error"] == pytest.approx((4 + 2 + 0) / 3)  # 58 vs 2: 4 min


def test_tiny_clock_run_finishes_with_cse_everywhere(dlnn_dirs: Path) -> None:
    config = TINY_CLOCKS.replace(early_stopping=True, monitor="val_cse", patience=5)
    assert config.validate().monitor_mode == "min"
    run = train_tiny_clock_run(config)
    assert run.status == "finished", (run.result() or {}).get("traceback")
    epochs = [event for event in run.events() if event["type"] == "epoch"]
    assert len(epochs) == 2
    assert {"val_cse", "val_minute_error", "val_hour_accuracy", "val_hour_hand_loss",
            "minute_mae"} <= set(epochs[-1]["metrics"])
    result = run.result()
    assert result["task"] == "clock" and result["test_samples"] == 7
    assert 0 <= result["test_cse_minutes"] <= 360
    assert result["test_accuracy"] == result["test_hour_accuracy"]
    assert set(result["test_cse_distribution"]) >= {"mean", "median", "p90", "within_5"}
    predictions = np.load(run.predictions_path)
    assert predictions.shape == (7, 2)
    assert predictions[:, 0].max() < 12 and predictions[:, 1].max() < 60


def test_a_run_on_many_makes_is_tested_on_the_makes_it_never_saw(dlnn_dirs: Path) -> None:
    from dlnn.clocks.render import split_makes
    from dlnn.clocks.task import clock_scores, read_times

    config = TINY_CLOCKS.replace(dataset="clocks-any-clock", epochs=1)
    run = train_tiny_clock_run(config)
    assert run.status == "finished", (run.result() or {}).get("traceback")
    result = run.result()
    train, held = split_makes("any-clock", config.seed)
    assert (result["training_makes"], result["held_out_makes"]) == (list(train), list(held))
    assert result["held_out_samples"] == 6  # as many as the test split (a tenth of 64)
    assert 0 <= result["held_out_cse_minutes"] <= 360
    # The stored numbers are the model's readings of the held-out clocks.
    from dlnn.clocks.datasets import held_out_clocks

    images, labels = held_out_clocks(config)
    again = clock_scores(labels, read_times(run, images))
    assert again["cse_minutes"] == pytest.approx(result["held_out_cse_minutes"])
    assert again["hour_accuracy"] == pytest.approx(result["held_out_hour_accuracy"])


class _ModelWithOptimizer:
    def __init__(self) -> None:
        self.optimizer = keras.optimizers.Adam(0.01)


def test_learning_rate_halves_only_once_the_model_reads_clocks() -> None:
    from dlnn.clocks.task import HalveLearningRate

    callback = HalveLearningRate(patience=2)
    callback.set_model(_ModelWithOptimizer())
    rates = []
    for cse in (180, 181, 182, 183, 30, 31, 32, 33, 34):  # a plateau at chance, then reading
        logs = {"val_cse": cse}
        callback.on_epoch_end(0, logs)
        rates.append(logs["learning_rate"])
    assert rates[:6] == pytest.approx([0.01] * 6)
    assert rates[6:] == pytest.approx([0.005, 0.005, 0.0025])
