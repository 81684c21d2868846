"""Architecture search for the clock models: train several settings on one generated set.

Not a test and not part of the lab: a script that trains each setting of a JSON list on the
same `course-like` set (80/10/10, seeded) and prints one JSON line per epoch and per setting
(validation and test CSE, hour accuracy, seconds). Backend-agnostic Keras, so it also runs
with `KERAS_BACKEND=torch` on a machine with a GPU.

    python bench/clock_explore.py '[{"model": "clock-hands", "size": 96, "epochs": 20}]'
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time

import keras
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dlnn.clocks.course import split_course_data  # noqa: E402
from dlnn.clocks.metrics import (  # noqa: E402
    common_sense_error,
    hour_accuracy,
    minutes_to_time,
)
from dlnn.clocks.models import (  # noqa: E402
    ClockOptions,
    build_clock_model,
    compile_clock_model,
    encoding_of,
)
from dlnn.clocks.render import PRESETS, generate_clocks  # noqa: E402

DEFAULTS = {"model": "clock-hands", "size": 96, "n": 18000, "preset": "course-like",
            "blocks": 5, "first": 16, "max_filters": 128, "convs": 1, "bn": True,
            "dense": 256, "augment": 0.0, "lr": 0.001, "batch": 64, "epochs": 20,
            "budget_s": 600, "optimizer": "adam", "init": "glorot_uniform", "dropout": 0.2}


def cse_of(model_name: str, model: keras.Model, x: np.ndarray, labels: np.ndarray) -> tuple:
    outputs = model.predict(x, batch_size=512, verbose=0)
    hour, minute = minutes_to_time(encoding_of(model_name).decode(outputs))
    cse = common_sense_error(labels[:, 0], labels[:, 1], hour, minute)
    return float(cse.mean()), float(np.median(cse)), hour_accuracy(labels[:, 0], hour)


def main(settings: list[dict]) -> None:
    sets: dict = {}
    for raw in settings:
        s = {**DEFAULTS, **raw}
        key = (s["n"], s["preset"], s["size"])
        if key not in sets:
            started = time.time()
            style = dataclasses.replace(PRESETS[s["preset"]], size=s["size"])
            images, labels = generate_clocks(s["n"], style, 0)
            split = split_course_data(images, labels, 0)
            sets[key] = split
            print(json.dumps({"generated": key, "seconds": time.time() - started}), flush=True)
        split = sets[key]
        x = {name: (getattr(split, f"{name}_images")[..., None] / 255.0).astype("float32")
             for name in ("train", "val", "test")}
        keras.utils.set_random_seed(0)
        options = ClockOptions((s["size"], s["size"], 1), conv_blocks=s["blocks"],
                               first_filters=s["first"], max_filters=s["max_filters"],
                               convs_per_block=s["convs"], batch_norm=s["bn"],
                               dense_units=s["dense"], augment=s["augment"],
                               initializer=s["init"], dropout=s["dropout"])
        model = build_clock_model(s["model"], options)
        optimizer = keras.optimizers.get({"class_name": s["optimizer"],
                                          "config": {"learning_rate": s["lr"]}})
        compile_clock_model(model, s["model"], optimizer)
        encode = encoding_of(s["model"]).encode
        y_train, y_val = encode(split.train_labels), encode(split.val_labels)
        started, best = time.time(), 1e9
        plateau = keras.callbacks.ReduceLROnPlateau("val_loss", factor=0.5, patience=2,
                                                    min_lr=1e-5)
        for epoch in range(s["epochs"]):
            model.fit(x["train"], y_train, validation_data=(x["val"], y_val),
                      batch_size=s["batch"], epochs=epoch + 1, initial_epoch=epoch,
                      verbose=0, callbacks=[plateau])
            val = cse_of(s["model"], model, x["val"], split.val_labels)
            best = min(best, val[0])
            print(json.dumps({"setting": raw, "epoch": epoch + 1, "val_cse": round(val[0], 2),
                              "val_median": val[1], "val_hour_acc": round(val[2], 4),
                              "seconds": round(time.time() - started, 1),
                              "params": model.count_params()}), flush=True)
            if time.time() - started > s["budget_s"]:
                break
        test = cse_of(s["model"], model, x["test"], split.test_labels)
        print(json.dumps({"setting": raw, "final": True, "test_cse": round(test[0], 2),
                          "test_median": test[1], "test_hour_acc": round(test[2], 4),
                          "best_val_cse": round(best, 2),
                          "seconds": round(time.time() - started, 1)}), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
