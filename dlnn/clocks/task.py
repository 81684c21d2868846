"""The clock task: what `dlnn.training.execute` needs to train a clock model.

`ClockTask` loads a generated or course clock set (shuffled 80/10/10 with the run's seed),
encodes the labels for the model's heads, compiles it with per-head losses and metrics, and
adds two callbacks: `ValidationCSE`, which decodes the validation predictions after every
epoch and puts `val_cse` (mean common-sense error, minutes) and `val_hour_accuracy` into the
epoch's logs (with `val_minute_error`, the cyclic minute MAE in minutes), so the live chart
and early stopping see the number that matters; and `HalveLearningRate`, which halves the
learning rate when `val_cse` stalls for two epochs once the model reads clocks (regression
heads need small steps at the end to get single minutes right). The test evaluation stores
predictions as (N, 2) [hour, minute], the time a person would read off the predicted hands;
a run on a pool of makes (`any-clock`) is also scored on clocks of the makes it never trained
on (`held_out_*` in its result).

Example:
    >>> config = RunConfig(dataset="clocks-easy", model="clock-hands", clock_images=200,
    ...                    image_size=48, epochs=1)
    >>> training.execute(RunStore().create(config))["status"]
    'finished'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from dlnn.clocks.datasets import (
    clock_split,
    held_out_clocks,
    locator_result,
    makes_split,
    model_input,
    resize_images,
)
from dlnn.clocks.dial import average_outputs, dial_views, register_layers
from dlnn.clocks.lab import CLOCK_MODELS
from dlnn.clocks.metrics import (
    common_sense_error,
    cyclic_minute_mae,
    error_distribution,
    hour_accuracy,
    minutes_to_time,
)
from dlnn.clocks.models import (
    CLOCK_MODEL_ENCODINGS,
    ClockOptions,
    build_clock_model,
    compile_clock_model,
    decode_outputs,
    encoding_of,
)
from dlnn.config import RunConfig
from dlnn.runs import Run
from dlnn.training import TrainingData, load_run_model, make_optimizer

PREDICT_BATCH = 256
READ_CHUNK = 2048  # images `read_times` resizes and converts to float at once
LR_PATIENCE = 2  # epochs without a better val_cse before the learning rate halves
MIN_LEARNING_RATE = 1e-5
# Clock models sit at chance (CSE ~180) for a while before they "click"; the learning rate is
# only lowered once the model reads clocks (CSE below this), never during that first plateau.
READING_CSE = 60.0


def predict_times(model_name: str, model: keras.Model, images: np.ndarray,
                  views: bool = True) -> np.ndarray:
    """(N, 2) int [hour, minute] read by `model` from model-ready images (N, H, W, 1).

    With `views`, the dial reader (`clock-dial`) answers for the average of its readings of
    each picture and its mirror image (`dial_views`); other models, and the per-epoch
    validation, read each picture once.
    """
    if views and CLOCK_MODEL_ENCODINGS[model_name] == "dial":
        outputs = average_outputs([model.predict(view, batch_size=PREDICT_BATCH, verbose=0)
                                   for view in dial_views(images)])
    else:
        outputs = model.predict(images, batch_size=PREDICT_BATCH, verbose=0)
    hour, minute = minutes_to_time(decode_outputs(model_name, outputs))
    return np.stack([hour, minute], axis=1).astype(np.int16)


def clock_scores(labels: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    """CSE (mean, median, distribution), hour accuracy and cyclic minute MAE of predictions.

    Args:
        labels: (N, 2) true [hour, minute].
        predicted: (N, 2) predicted [hour, minute].
    """
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    cse = common_sense_error(labels[:, 0], labels[:, 1], predicted[:, 0], predicted[:, 1])
    distribution = error_distribution(cse)
    return {
        "cse_minutes": distribution["mean"],
        "cse_median_minutes": distribution["median"],
        "hour_accuracy": hour_accuracy(labels[:, 0], predicted[:, 0]),
        "minute_mae": cyclic_minute_mae(labels[:, 1], predicted[:, 1]),
        "cse_distribution": distribution,
    }


class ValidationCSE(keras.callbacks.Callback):
    """Adds validation scores of the decoded times to every epoch's logs.

    `val_cse`: mean common-sense error in minutes; `val_minute_error`: cyclic minute MAE in
    minutes (the report's "minute MAE", comparable across encodings); `val_hour_accuracy`,
    unless Keras already logs it for an hour head.

    Args:
        model_name: the clock model (its encoding decodes the outputs).
        images: validation images, model-ready.
        labels: their (N, 2) [hour, minute] labels.
    """

    def __init__(self, model_name: str, images: np.ndarray, labels: np.ndarray) -> None:
        super().__init__()
        self.model_name = model_name
        self.images = images
        self.labels = np.asarray(labels)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None or len(self.images) == 0:
            return
        scores = clock_scores(self.labels, predict_times(self.model_name, self.model,
                                                         self.images, views=False))
        logs["val_cse"] = scores["cse_minutes"]
        logs["val_minute_error"] = scores["minute_mae"]
        logs.setdefault("val_hour_accuracy", scores["hour_accuracy"])


class HalveLearningRate(keras.callbacks.Callback):
    """Halves the learning rate when `val_cse` has not improved for `patience` epochs.

    Unlike `ReduceLROnPlateau` it waits until the model reads clocks (`val_cse` below
    READING_CSE): lowering the rate on the first plateau at chance delays the moment the model
    starts to read the dial. Runs after `ValidationCSE`; logs `learning_rate`.
    """

    def __init__(self, patience: int = LR_PATIENCE, min_rate: float = MIN_LEARNING_RATE) -> None:
        super().__init__()
        self.patience = patience
        self.min_rate = min_rate
        self.best = float("inf")
        self.wait = 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None or "val_cse" not in logs:
            return
        optimizer = self.model.optimizer
        rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        if logs["val_cse"] < self.best:
            self.best, self.wait = logs["val_cse"], 0
        elif self.best < READING_CSE:
            self.wait += 1
            if self.wait >= self.patience:
                rate, self.wait = max(rate / 2, self.min_rate), 0
                optimizer.learning_rate = rate
        logs["learning_rate"] = rate


def clock_options(config: RunConfig) -> ClockOptions:
    """The model options a run configuration asks for."""
    return ClockOptions(
        input_shape=(config.image_size, config.image_size, 1),
        activation=config.activation,
        initializer=config.initializer,
        dropout=0.2 if config.dropout is None else config.dropout,
        pooling=config.pooling,
        conv_blocks=config.conv_blocks,
        first_filters=config.conv_filters,
        convs_per_block=config.convs_per_block,
        dense_units=config.dense_units,
        batch_norm=config.batch_norm,
        augment=config.augment,
    )


@dataclass
class ClockData(TrainingData):
    """Training data of a clock run, with the (N, 2) [hour, minute] labels kept for scoring."""

    val_labels: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    test_labels: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    # Clocks of makes the run never trains on (sets drawn from a pool of makes), model-ready.
    x_held_out: np.ndarray | None = None
    held_out_labels: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))


class ClockTask:
    """Reading the time from analog clock images (SPEC.md, Task 3)."""

    def load_data(self, config: RunConfig) -> ClockData:
        split = clock_split(config)
        train_images, train_labels = split.train_images, split.train_labels
        if config.subset is not None:
            train_images, train_labels = train_images[:config.subset], train_labels[:config.subset]
        encode = encoding_of(config.model).encode
        held_out = held_out_clocks(config)
        return ClockData(
            model_input(train_images), encode(train_labels),
            model_input(split.val_images), encode(split.val_labels),
            model_input(split.test_images), encode(split.test_labels),
            val_labels=split.val_labels, test_labels=split.test_labels,
            x_held_out=None if held_out is None else model_input(held_out[0]),
            held_out_labels=np.zeros((0, 2), np.int64) if held_out is None else held_out[1],
        )

    def build_model(self, config: RunConfig, data: ClockData) -> keras.Model:
        model = self.model_for_summary(config)
        return compile_clock_model(model, config.model, make_optimizer(config))

    def model_for_summary(self, config: RunConfig) -> keras.Model:
        return build_clock_model(config.model, clock_options(config))

    def callbacks(self, config: RunConfig, data: ClockData) -> list[keras.callbacks.Callback]:
        if data.validation is None:
            return []
        return [
            ValidationCSE(config.model, data.x_val, data.val_labels),
            HalveLearningRate(),
        ]

    def evaluate(
        self, config: RunConfig, model: keras.Model, data: ClockData
    ) -> tuple[dict[str, Any], np.ndarray]:
        losses = model.evaluate(data.x_test, data.y_test, batch_size=PREDICT_BATCH, verbose=0,
                                return_dict=True)
        labels = data.test_labels
        predicted = predict_times(config.model, model, data.x_test)
        scores = clock_scores(labels, predicted)
        result = {
            "task": "clock",
            "test_loss": float(losses["loss"]),
            "test_losses": {name: float(value) for name, value in losses.items()},
            # The generic views show `test_accuracy`; for a clock that is the hour accuracy.
            "test_accuracy": scores["hour_accuracy"],
            **{f"test_{name}": value for name, value in scores.items()},
            "test_samples": len(labels),
        }
        if data.x_held_out is not None:
            result.update(held_out_result(config, model, data))
        if config.learned_framing:
            result["locator"] = locator_result(config)
        return result, predicted


def held_out_result(config: RunConfig, model: keras.Model, data: ClockData) -> dict[str, Any]:
    """Scores on the makes the run never saw (`held_out_*`) and which makes those were."""
    scores = clock_scores(data.held_out_labels,
                          predict_times(config.model, model, data.x_held_out))
    split = makes_split(config)
    return {
        **{f"held_out_{name}": value for name, value in scores.items()},
        "held_out_samples": len(data.held_out_labels),
        "training_makes": list(split[0]) if split else [],
        "held_out_makes": list(split[1]) if split else [],
    }


def read_times(run: Run, images: np.ndarray) -> np.ndarray:
    """(N, 2) [hour, minute] that a stored clock run's model reads from grey uint8 images.

    Images of another size are resized to the run's `image_size` first, a chunk at a time,
    so the float copies the model reads stay small whatever N is.
    """
    config = run.config
    if config.model not in CLOCK_MODELS:
        raise ValueError(f"run {run.run_id} trained {config.model}, not a clock model")
    model = load_run_model(run)
    images = np.asarray(images, dtype=np.uint8)
    parts = [predict_times(config.model, model,
                           model_input(resize_images(images[start:start + READ_CHUNK],
                                                     config.image_size)))
             for start in range(0, len(images), READ_CHUNK)]
    return np.concatenate([np.zeros((0, 2), np.int16), *parts])


register_layers()  # so that stored dial readers load in any process that imports the task
