"""The dial reader on framed any-clock clocks: in-make and held-out-make scores, timed.

Not a test and not part of the lab: one self-contained measurement, made to run where only
Keras and a backend are installed (no TensorFlow, no run store: the lab's clock task is
driven directly, with the callbacks and early stopping a run gets). It

1. generates the any-clock set of `reproduce task3 --preset any-clock --quick`'s model
   (`class_setting("any-clock")`, with `--images` clocks) and the held-out-make test set, and
   times it;
2. frames every picture (`RunConfig.frame_clocks`, the measured centre and radius; in
   `--workers` processes, written where the data set's cache expects it) and times it;
3. trains the dial reader on the framed training makes for up to `--epochs` epochs or
   `--budget` seconds of `model.fit`, whichever ends first, printing every epoch;
4. prints the test scores on the training makes and on the held-out makes, as JSON (also
   written to `--json`).

For diagnosis only (what limits the reader), `--framing true` frames at the generator's own
centre and dial radius instead of the measured ones, `--framing none` not at all, and
`--source-size` draws the pictures at another size than the lab's (twice the image size).

    KERAS_BACKEND=jax python bench/clock_framed_train.py --images 18000 --epochs 40 \
        --budget 400 --workers 16 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def frame_in_parallel(images: np.ndarray, workers: int, size: int | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """`framing.frame_clocks` over chunks of the set in `workers` processes."""
    from dlnn.clocks.framing import frame_clocks

    if workers <= 1:
        return frame_clocks(images, size)
    chunks = np.array_split(np.asarray(images), workers * 4)
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(frame_clocks, chunks, [size] * len(chunks)))
    return (np.concatenate([part[0] for part in parts]),
            np.concatenate([part[1] for part in parts]))


def prepare(config, workers: int) -> dict[str, object]:
    """Generate and frame the run's sets into the data set's cache: the seconds each took,
    how many clocks were framed and in how many no round rim was found."""
    from dlnn.clocks import datasets
    from dlnn.clocks.render import fonts_used

    split = datasets.makes_split(config)
    count = max(1, round(config.clock_images * datasets.TEST_FRACTION))
    style = datasets.picture_style(config)
    timings = {"generate_seconds": 0.0, "frame_seconds": 0.0, "framed": 0, "not_found": 0,
               "fonts": fonts_used(style)}

    def timed_frame(images: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        started = time.perf_counter()
        framed, frames = frame_in_parallel(images, workers, size)
        timings["frame_seconds"] += time.perf_counter() - started
        timings["framed"] += len(images)
        timings["not_found"] += int((frames[:, 3] == 0).sum())
        return framed, frames

    for n, seed, makes in ((config.clock_images, config.seed, split[0]),
                           (count, config.seed + datasets.HELD_OUT_SEED, split[1])):
        started = time.perf_counter()
        datasets.load_or_generate(n, style, seed, makes)
        timings["generate_seconds"] += time.perf_counter() - started
        datasets.load_or_frame(n, style, seed, makes, config.image_size, frame=timed_frame)
    return timings


def prepare_diagnosis(config, framing: str, source_size: int, workers: int) -> dict[str, object]:
    """For diagnosis only, never what the lab does: the run's framed sets made from pictures
    of `source_size` pixels and framed either as measured or at the generator's own centre
    and dial radius (`framing` "true"), written where the data set's cache expects them."""
    import dataclasses

    from dlnn.clocks import datasets
    from dlnn.clocks.framing import ClockFrame, frame_clock
    from dlnn.clocks.render import clock_placements
    from dlnn.files import write_atomic

    split = datasets.makes_split(config)
    count = max(1, round(config.clock_images * datasets.TEST_FRACTION))
    style = datasets.clock_style(config)
    source = dataclasses.replace(style, size=source_size)
    for n, seed, makes in ((config.clock_images, config.seed, split[0]),
                           (count, config.seed + datasets.HELD_OUT_SEED, split[1])):
        pictures, labels = datasets.load_or_generate(n, source, seed, makes)
        if framing == "true":
            centres, radii, _ = clock_placements(n, source, seed)
            framed = np.stack([frame_clock(picture, style.size, ClockFrame(x, y, radius))
                               for picture, (x, y), radius in zip(pictures, centres, radii,
                                                                  strict=True)])
        else:
            framed = frame_in_parallel(pictures, workers, style.size)[0]
        write_atomic(datasets.framed_cache_path(n, datasets.picture_style(config), seed, makes,
                                                style.size),
                     lambda handle, framed=framed, labels=labels: np.savez(
                         handle, images=framed, labels=labels))
    return {"framing": framing, "source_size": source_size}


def any_clock_setting(backend: str):
    """`class_setting("any-clock")` on `backend`. Built before it is validated: where
    TensorFlow is not installed, a configuration on the default backend is not allowed."""
    from dlnn import backends
    from dlnn.clocks import reproduce

    config = reproduce.OUR_BEST.replace(**{**reproduce.FULL_DATA, **reproduce.QUICK_DATA},
                                        dataset=f"clocks-{reproduce.ANY_CLOCK}",
                                        frame_clocks=True, backend=backend)
    if "tensorflow" in backends.installed():
        assert config == reproduce.class_setting(reproduce.ANY_CLOCK).replace(backend=backend)
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=8000)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--budget", type=float, default=3600.0,
                        help="seconds of model.fit after which no new epoch starts")
    parser.add_argument("--workers", type=int, default=1, help="processes that frame")
    parser.add_argument("--json", default=None, help="also write the result here")
    parser.add_argument("--framing", choices=("measured", "true", "none"), default="measured",
                        help="diagnosis: frame at the generator's own placement (true) or not "
                             "at all (none) instead of as measured")
    parser.add_argument("--source-size", type=int, default=None,
                        help="diagnosis: frame pictures of this many pixels (default: the "
                             "lab's, twice the image size)")
    args = parser.parse_args()
    os.environ.setdefault("DLNN_CACHE_DIR", tempfile.mkdtemp(prefix="clock-framed-"))
    backend = os.environ.setdefault("KERAS_BACKEND", "tensorflow")

    config = any_clock_setting(backend).replace(clock_images=args.images, epochs=args.epochs)
    config = config.replace(frame_clocks=args.framing != "none").validate()
    if args.framing == "true" or args.source_size:
        from dlnn.clocks.lab import picture_size

        source = args.source_size or picture_size(config)
        timings = prepare_diagnosis(config, args.framing, source, args.workers)
    else:
        timings = prepare(config, args.workers)
    print(json.dumps({"config": config.to_dict(), **timings}), flush=True)

    import keras

    from dlnn.clocks.task import ClockTask
    from dlnn.training import _early_stopping, _plateaus

    class Progress(keras.callbacks.Callback):
        """Prints every epoch; stops before an epoch that would start past the budget."""

        def on_train_begin(self, logs=None) -> None:
            self.started = self.last = time.perf_counter()
            self.history: list[dict[str, float]] = []

        def on_epoch_end(self, epoch: int, logs=None) -> None:
            now = time.perf_counter()
            row = {"epoch": epoch + 1, "seconds": round(now - self.last, 1),
                   **{key: round(float(logs[key]), 4) for key in
                      ("loss", "val_cse", "val_hour_accuracy", "val_minute_error")
                      if key in (logs or {})}}
            self.history.append(row)
            print(json.dumps(row), flush=True)
            self.last = now
            per_epoch = (now - self.started) / (epoch + 1)
            if now - self.started + per_epoch > args.budget:
                self.model.stop_training = True

    keras.utils.set_random_seed(config.seed)
    task = ClockTask()
    started = time.perf_counter()
    data = task.load_data(config)
    load_seconds = time.perf_counter() - started
    model = task.build_model(config, data)
    progress = Progress()
    started = time.perf_counter()
    model.fit(data.x_train, data.y_train, validation_data=data.validation,
              batch_size=config.batch_size, epochs=config.epochs, shuffle=True, verbose=0,
              callbacks=[*task.callbacks(config, data), *_plateaus(config), progress,
                         *_early_stopping(config)])
    fit_seconds = time.perf_counter() - started
    result, _ = task.evaluate(config, model, data)
    keys = ("test_cse_minutes", "test_cse_median_minutes", "test_hour_accuracy",
            "test_minute_mae", "test_samples", "held_out_cse_minutes",
            "held_out_cse_median_minutes", "held_out_hour_accuracy", "held_out_minute_mae",
            "held_out_samples", "held_out_makes")
    summary = {"backend": keras.backend.backend(), "devices": _devices(),
               "images": config.clock_images, "image_size": config.image_size,
               "epochs_run": len(progress.history), "fit_seconds": round(fit_seconds, 1),
               "load_seconds": round(load_seconds, 1), **timings,
               **{key: result.get(key) for key in keys}, "history": progress.history}
    print(json.dumps(summary), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))


def _devices() -> str:
    """The accelerator the backend trains on, in words."""
    try:
        import jax

        return ", ".join(str(device) for device in jax.devices())
    except ImportError:
        return "unknown"


if __name__ == "__main__":
    main()
