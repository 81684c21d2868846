"""Test-time views for a stored clock run: its test split read once, and averaged over views.

Not a test: loads a finished clock run from the store, reads its own test split (the same
seeded 80/10/10 split it was trained on) once per picture and, for the dial reader, averaged
over each picture and its mirror image (`dlnn.clocks.dial.dial_views`), and prints the
scores of both as JSON, with the seconds each reading took on this machine.

    python bench/clock_views.py RUN_ID
"""

from __future__ import annotations

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402

from dlnn.clocks.datasets import clock_split, model_input  # noqa: E402
from dlnn.clocks.task import clock_scores, predict_times  # noqa: E402
from dlnn.runs import RunStore  # noqa: E402


def main(run_id: str) -> None:
    run = RunStore().get(run_id)
    model = keras.saving.load_model(run.model_path)
    split = clock_split(run.config)
    images = model_input(split.test_images)
    for views in (False, True):
        start = time.perf_counter()
        predicted = predict_times(run.config.model, model, images, views=views)
        seconds = time.perf_counter() - start
        scores = clock_scores(split.test_labels, predicted)
        scores.pop("cse_distribution")
        print(json.dumps({"run_id": run_id, "views": 2 if views else 1,
                          "test_images": len(images), "seconds": round(seconds, 1),
                          **{key: round(value, 4) for key, value in scores.items()}}))


if __name__ == "__main__":
    main(sys.argv[1])
