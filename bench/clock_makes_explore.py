"""Held-out makes with and without the any-clock geometry: is the pose or the make the hard part?

Not a test and not part of the lab: trains the Clock lab's any-clock class setting (the dial
reader, 8,000 clocks of 64 px, 12 epochs) on a variant of `any-clock` whose makes are the same
but whose clocks sit like course-like ones (centred to 4%, 84% of the picture across, tilted up
to 30 degrees), in a temporary run store, and prints its in-make and held-out-make scores.
The dial reader unrolls the picture about its centre, so this separates reading an unseen make
from finding an off-centre clock (issue 13's centre/radius step).

    python bench/clock_makes_explore.py [--epochs 12] [--images 8000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlnn import registry  # noqa: E402
from dlnn.clocks import lab, render  # noqa: E402
from dlnn.clocks.reproduce import class_setting  # noqa: E402

CENTRED = "any-make-centred"  # the variant's preset and data set name (this process only)


def register_centred() -> None:
    """Add the variant as a preset and a data set of this process."""
    course = render.PRESETS["course-like"]
    render.PRESETS[CENTRED] = dataclasses.replace(
        render.PRESETS["any-clock"], scale=course.scale, scale_jitter=course.scale_jitter,
        shift=course.shift, tilt=course.tilt)
    lab.CLOCK_DATASETS[f"clocks-{CENTRED}"] = CENTRED
    registry.add_dataset(registry.DatasetEntry(
        f"clocks-{CENTRED}", f"Clocks: {CENTRED} (generated)", "clock", lab=lab.LAB,
        train_images=lab._clock_train_images))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--images", type=int, default=8000)
    args = parser.parse_args()
    os.environ.setdefault("DLNN_CACHE_DIR", tempfile.mkdtemp(prefix="clock-makes-"))
    register_centred()
    from dlnn import training
    from dlnn.runs import RunStore

    # unframed, as measured before the framing step: the clocks sit centred already
    config = class_setting("any-clock").replace(
        dataset=f"clocks-{CENTRED}", epochs=args.epochs, clock_images=args.images,
        frame_clocks=False).validate()
    run = RunStore().create(config)
    training.execute(run)
    result = run.result() or {}
    keys = ("test_cse_minutes", "test_hour_accuracy", "test_minute_mae", "held_out_cse_minutes",
            "held_out_hour_accuracy", "held_out_minute_mae", "held_out_cse_median_minutes")
    print(json.dumps({"status": run.status, "run": str(run.path), "epochs": args.epochs,
                      "fit_seconds": (result.get("timings") or {}).get("fit_seconds"),
                      **{key: result.get(key) for key in keys}}))


if __name__ == "__main__":
    main()
