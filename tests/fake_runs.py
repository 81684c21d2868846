"""Hand-made runs in a run store, written the way the training worker writes them.

The dashboard and comparison tests need finished, failed and cancelled runs without paying for
TensorFlow; these helpers write the same files (`status.json`, `events.jsonl`, `result.json`,
`predictions.npy`, `probabilities.npy`) that `dlnn.training.execute` leaves behind.
"""

from __future__ import annotations

import numpy as np

from dlnn.config import RunConfig
from dlnn.runs import Run, RunStore

STEPS = 4  # batches per epoch in the fake logs
CLASSES = [str(digit) for digit in range(10)]


def write_run(
    store: RunStore,
    config: RunConfig,
    status: str,
    *,
    epochs_done: int = 2,
    test_size: int = 20,
    reason: str = "",
    val_accuracies: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9),
    wrong_from: int = 0,
) -> Run:
    """A run of `config` that ended with `status` after `epochs_done` epochs.

    A finished run gets test metrics, a confusion matrix, predictions and softmax outputs
    (0.9 on the predicted class) for a test set of `test_size` images whose labels are
    `arange(test_size)[::-1] % 10` (as the synthetic IDX data sets of conftest.py have); every
    third prediction is wrong, from image `wrong_from` on.
    """
    return fill_run(store.create(config), status, epochs_done=epochs_done, test_size=test_size,
                    reason=reason, val_accuracies=val_accuracies, wrong_from=wrong_from)


def fill_run(
    run: Run,
    status: str,
    *,
    epochs_done: int = 2,
    test_size: int = 20,
    reason: str = "",
    val_accuracies: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8, 0.9),
    extra_metrics: dict[str, float] | None = None,
    wrong_from: int = 0,
) -> Run:
    """Write into an existing (new) run what `write_run` writes; `extra_metrics` join every
    epoch's metrics (a clock run's `val_minute_error`, say)."""
    config = run.config
    run.set_status("running", pid=None, started=1000.0)
    run.log_event({"type": "started", "time": 1000.0, "epochs": config.epochs,
                   "steps_per_epoch": STEPS, "train_samples": 64})
    step = 0
    for epoch in range(1, epochs_done + 1):
        for batch in range(1, STEPS + 1):
            step += 1
            run.log_event({"type": "batch", "time": 1000.0 + step, "epoch": epoch,
                           "batch": batch, "step": step,
                           "metrics": {"loss": 2.0 / step, "accuracy": 0.1 + step / 100}})
        run.log_event({"type": "epoch", "time": 1000.0 + step, "epoch": epoch,
                       "seconds": float(STEPS),
                       "metrics": {"loss": 1.0 / epoch, "accuracy": 0.5 + epoch / 10,
                                   "val_loss": 1.2 / epoch,
                                   "val_accuracy": val_accuracies[epoch - 1],
                                   **(extra_metrics or {})}})
    result: dict = {"epochs_run": epochs_done, "status": status,
                    "epoch_seconds": [float(STEPS)] * epochs_done,
                    "seconds_per_epoch": float(STEPS) if epochs_done else None,
                    "timings": {"total_seconds": 12.5}}
    if status == "finished":
        truth = np.arange(test_size)[::-1] % 10
        predicted = truth.copy()
        predicted[wrong_from::3] = (predicted[wrong_from::3] + 1) % 10
        matrix = np.zeros((10, 10), dtype=int)
        np.add.at(matrix, (truth, predicted), 1)
        per_class = (np.diag(matrix) / np.maximum(matrix.sum(axis=1), 1)).tolist()
        result.update(test_loss=0.42, test_accuracy=float((truth == predicted).mean()),
                      confusion_matrix=matrix.tolist(), per_class_accuracy=per_class,
                      class_names=CLASSES)
        np.save(run.predictions_path, predicted.astype(np.int16))
        probabilities = np.full((test_size, 10), 0.1 / 9, dtype=np.float32)
        probabilities[np.arange(test_size), predicted] = 0.9
        np.save(run.probabilities_path, probabilities)
    run.write_result(result)
    run.log_event({"type": status, "time": 1000.0 + step + 1, "reason": reason})
    run.set_status(status, finished=1012.5, reason=reason)
    return run


def write_three_runs(store: RunStore) -> dict[str, Run]:
    """A finished, a failed and a cancelled tiny run, keyed by status."""
    base = RunConfig(model="mlp-keras", epochs=2, subset=40, batch_size=16)
    return {
        "finished": write_run(store, base, "finished"),
        "failed": write_run(store, base.replace(optimizer="sgd", learning_rate=5.0), "failed",
                            epochs_done=1,
                            reason="the loss became nan at epoch 1, batch 3; try a smaller "
                                   "learning rate"),
        "cancelled": write_run(store, base.replace(model="cnn-keras"), "cancelled",
                               epochs_done=1, reason="stopped by request at epoch 2, batch 1"),
    }


# A tiny clock configuration (the fake clock run never trains it).
CLOCK_CONFIG = RunConfig(dataset="clocks-easy", model="clock-hands", clock_images=64,
                         image_size=48, conv_blocks=3, epochs=3, batch_size=16)


def write_clock_run(store: RunStore, config: RunConfig = CLOCK_CONFIG,
                    val_cse: tuple[float, ...] = (150.0, 40.0, 55.0)) -> Run:
    """A finished clock run logged the way `dlnn.clocks.task.ClockTask` logs one.

    Its epochs report `val_cse` (best 40 minutes at epoch 2), `val_hour_accuracy` and
    `val_minute_error`; its result has CSE 12.5 min, hour accuracy 0.875 (also written as
    `test_accuracy`, as the clock task does) and minute error 3.25 min.
    """
    run = store.create(config)
    run.set_status("running", pid=None, started=1000.0)
    run.log_event({"type": "started", "time": 1000.0, "epochs": config.epochs,
                   "steps_per_epoch": STEPS, "train_samples": 51})
    for epoch, cse in enumerate(val_cse, start=1):
        for batch in range(1, STEPS + 1):
            run.log_event({"type": "batch", "time": 1000.0 + epoch, "epoch": epoch,
                           "batch": batch, "metrics": {"loss": 2.0 / epoch,
                                                       "hour_hand_loss": 1.0 / epoch}})
        run.log_event({"type": "epoch", "time": 1000.0 + epoch, "epoch": epoch,
                       "seconds": 1.0,
                       "metrics": {"loss": 2.0 / epoch, "val_loss": 2.2 / epoch,
                                   "hour_hand_loss": 1.0 / epoch, "val_cse": cse,
                                   "val_hour_accuracy": 1.0 - cse / 180,
                                   "val_minute_error": cse / 10,
                                   "learning_rate": 0.001}})
    run.write_result({"task": "clock", "status": "finished", "epochs_run": len(val_cse),
                      "seconds_per_epoch": 1.0, "timings": {"total_seconds": 3.0},
                      "test_loss": 0.3, "test_accuracy": 0.875, "test_hour_accuracy": 0.875,
                      "test_cse_minutes": 12.5, "test_minute_mae": 3.25, "test_samples": 8})
    np.save(run.predictions_path, np.zeros((8, 2), dtype=np.int16))
    run.log_event({"type": "finished", "time": 1000.0 + len(val_cse) + 1, "reason": ""})
    run.set_status("finished", finished=1003.0)
    return run
