"""Calibrating the `report-like` preset: the report's model on variants of `course-like` clocks.

Not a test and not part of the lab: a script that trains the report's own configuration
(`reproduce.REPORT_BASELINE`: hour softmax + minute/60 regression, Adam, RandomUniform, batch
32, no batch norm) through the lab's clock task (same model, callbacks and scores as a run) on
generated sets whose style differs from a preset in a few fields, and prints one JSON line per
setting: test hour accuracy, minute MAE, CSE and seconds.

    python bench/clock_calibrate.py '[{"preset": "course-like", "rotation_degrees": 30,
                                       "mirror_probability": 0, "n": 6000, "size": 64}]'

Keys besides the `ClockStyle` fields: preset (the style to start from), n (clocks), size
(pixels), epochs, batch (batch size), seed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RUN_KEYS = {"preset": "course-like", "n": 6000, "size": 64, "epochs": 12, "batch": 32,
            "seed": 0}


def calibrate(setting: dict) -> dict:
    """Train the report's model on one style; its test scores."""
    import keras

    from dlnn.clocks.course import split_course_data
    from dlnn.clocks.datasets import model_input
    from dlnn.clocks.models import encoding_of
    from dlnn.clocks.render import PRESETS, generate_clocks
    from dlnn.clocks.reproduce import REPORT_BASELINE
    from dlnn.clocks.task import ClockData, ClockTask

    run = {**RUN_KEYS, **{key: value for key, value in setting.items() if key in RUN_KEYS}}
    style_changes = {key: value for key, value in setting.items() if key not in RUN_KEYS}
    style = dataclasses.replace(PRESETS[run["preset"]], size=run["size"], **style_changes)
    started = time.time()
    images, labels = generate_clocks(run["n"], style, run["seed"])
    split = split_course_data(images, labels, run["seed"])
    config = REPORT_BASELINE.replace(image_size=run["size"], clock_images=run["n"],
                                     epochs=run["epochs"], batch_size=run["batch"],
                                     seed=run["seed"]).validate()
    encode = encoding_of(config.model).encode
    data = ClockData(
        model_input(split.train_images), encode(split.train_labels),
        model_input(split.val_images), encode(split.val_labels),
        model_input(split.test_images), encode(split.test_labels),
        val_labels=split.val_labels, test_labels=split.test_labels)
    keras.utils.set_random_seed(run["seed"])
    task = ClockTask()
    model = task.build_model(config, data)
    fit_started = time.time()
    history = model.fit(data.x_train, data.y_train, validation_data=data.validation,
                        batch_size=config.batch_size, epochs=config.epochs, verbose=0,
                        callbacks=task.callbacks(config, data))
    result, _ = task.evaluate(config, model, data)
    return {
        "setting": setting,
        "hour_accuracy": round(result["test_hour_accuracy"], 4),
        "minute_mae": round(result["test_minute_mae"], 2),
        "cse": round(result["test_cse_minutes"], 2),
        "val_cse_by_epoch": [round(value, 1) for value in history.history.get("val_cse", [])],
        "fit_seconds": round(time.time() - fit_started, 1),
        "seconds": round(time.time() - started, 1),
    }


if __name__ == "__main__":
    for one in json.loads(sys.argv[1]):
        print(json.dumps(calibrate(one)), flush=True)
