"""Benchmark: dlnn's training wrapper against a plain `model.fit`, back to back.

For each model, the same data, architecture, optimizer and batch size are trained by
`dlnn.training.execute` (event log, stop checks, NaN checks, run store) and by a plain Keras
`model.fit(..., verbose=0)`. Both are timed as fit wall seconds per epoch, validation included;
rounds alternate which goes first. Prints both (the fastest round of each) and the ratio
dlnn / plain (target <= 1.03).

    DLNN_DATA_DIR=../shared/datasets python bench/training_overhead.py [--epochs 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from dlnn import training  # noqa: E402
from dlnn.config import RunConfig  # noqa: E402
from dlnn.runs import RunStore  # noqa: E402


def plain_seconds_per_epoch(config: RunConfig) -> float:
    """A plain Keras script: load, build, compile, fit; wall seconds per epoch of the fit."""
    task = training.ClassificationTask()
    keras.utils.set_random_seed(config.seed)
    data = task.load_data(config)
    model = task.build_model(config, data)
    started = time.perf_counter()
    model.fit(data.x_train, data.y_train, validation_data=data.validation,
              batch_size=config.batch_size, epochs=config.epochs, verbose=0)
    return (time.perf_counter() - started) / config.epochs


def dlnn_seconds_per_epoch(config: RunConfig, store: RunStore) -> float:
    """The same configuration through dlnn's run machinery; fit wall seconds per epoch."""
    run = store.create(config)
    record = training.execute(run)
    if record["status"] != "finished":
        raise RuntimeError(f"dlnn run {record['status']}: {record.get('reason')}")
    return run.result()["timings"]["fit_seconds"] / config.epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=["mlp-keras", "cnn-keras"])
    args = parser.parse_args()
    store = RunStore(Path(tempfile.mkdtemp(prefix="dlnn-bench-")))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"keras {keras.__version__}; full MNIST, {args.epochs} epochs x {args.rounds} rounds")
    for model in args.models:
        config = RunConfig(dataset="mnist", model=model, epochs=args.epochs, seed=0).validate()
        plain, wrapped = [], []
        for round_ in range(args.rounds):
            order = ("plain", "dlnn") if round_ % 2 == 0 else ("dlnn", "plain")
            for which in order:
                if which == "plain":
                    plain.append(plain_seconds_per_epoch(config))
                else:
                    wrapped.append(dlnn_seconds_per_epoch(config, store))
        # The fastest round is the least disturbed by other load; the median is shown too.
        p, d = min(plain), min(wrapped)
        ratio_median = statistics.median(wrapped) / statistics.median(plain)
        print(f"{model:<10} plain {p:6.2f} s/epoch  dlnn {d:6.2f} s/epoch  ratio {d / p:.3f} "
              f"(best rounds; medians give {ratio_median:.3f})  "
              f"plain {[round(x, 2) for x in plain]}, dlnn {[round(x, 2) for x in wrapped]}")


if __name__ == "__main__":
    main()
