"""Benchmark: where a sweep member's time goes besides `model.fit`, in one process.

Trains the quick optimizer sweep (mlp-keras, MNIST, 5,000-image subset, 3 epochs, 7 members)
with `dlnn.training.execute` one member after another in this process, as a worker does, and
prints per member: its wall time, `model.fit`, data load + model build, the test predictions,
the model save, and the rest (run store writes, clear_session).

    DLNN_DATA_DIR=../shared/datasets python bench/sweep_member_costs.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from dlnn import training  # noqa: E402
from dlnn.hparams.named import named_sweep  # noqa: E402
from dlnn.hparams.protocols import PANELS, QUICK  # noqa: E402
from dlnn.runs import RunStore  # noqa: E402


def main() -> None:
    store = RunStore(Path(tempfile.mkdtemp(prefix="dlnn-member-bench-")))
    saves: list[float] = []
    save = keras.Model.save

    def timed_save(model: keras.Model, *args, **kwargs) -> None:
        started = time.perf_counter()
        save(model, *args, **kwargs)
        saves.append(time.perf_counter() - started)

    keras.Model.save = timed_save
    print(f"{'member':<9} {'wall':>6} {'fit':>6} {'load+build':>10} {'predict':>8} "
          f"{'save':>6} {'other':>6} {'beyond fit':>10}  load average")
    for config in named_sweep("optimizers", PANELS[0], QUICK).configs():
        started = time.perf_counter()
        run = store.create(config)
        training.execute(run)
        wall = time.perf_counter() - started
        timings = run.result()["timings"]
        setup = timings["load_seconds"] + timings["build_seconds"]
        other = wall - timings["fit_seconds"] - setup - timings["evaluate_seconds"] - saves[-1]
        print(f"{config.optimizer:<9} {wall:6.2f} {timings['fit_seconds']:6.2f} {setup:10.2f} "
              f"{timings['evaluate_seconds']:8.2f} {saves[-1]:6.2f} {other:6.2f} "
              f"{wall - timings['fit_seconds']:10.2f}  {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
