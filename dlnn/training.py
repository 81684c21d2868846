"""Training runs: `model.fit` with a callback that streams events into the run store.

`execute(run)` trains the run's configuration and leaves everything in its folder: the event
log as it goes (started, batch metrics every N batches, epoch metrics with validation, then
finished / failed / cancelled with the reason), and at the end the test metrics, per-class
accuracy, confusion matrix, timings, predictions (a classifier also keeps its test-set
softmax outputs, so that runs can be averaged into an ensemble) and the `.keras` model.

What is trained is decided by a `Task` (the registry's entry named by the model's zoo entry):
it loads the data, builds and compiles the model, adds its own callbacks (a custom validation
metric, say) and evaluates. Image classification is the task here; a lab registers its own
(the clock lab's has several named outputs), so the loop below never assumes one output or a
metric name.

A stop request (the run folder's `stop` file) ends training after the current batch; a NaN
loss ends it as failed. Both keep the history so far.
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import platform
import sys
import time
import traceback
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from dlnn import backends, registry, tensorboard_logs
from dlnn.config import MIN_PLATEAU_RATE, PLATEAU_PATIENCE, RunConfig
from dlnn.runs import Run

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402  (TF_CPP_MIN_LOG_LEVEL must be set before TensorFlow loads)

EventSink = Callable[[dict[str, Any]], None]
Arrays = dict[str, np.ndarray] | np.ndarray | None
DEFAULT_LOG_EVERY = 5
EPSILON = 1e-7  # Keras clips probabilities to this before the log in cross-entropy
PREDICT_BATCH = 1024


class RunCancelled(Exception):
    """The user asked the run to stop."""


class RunFailed(Exception):
    """Training cannot go on (e.g. the loss became NaN)."""


@dataclass
class TrainingData:
    """Arrays a task trains on. `y_*` may be dicts keyed by output name."""

    x_train: Any
    y_train: Any
    x_val: Any
    y_val: Any
    x_test: Any
    y_test: Any
    class_names: list[str] = field(default_factory=list)

    @property
    def validation(self) -> tuple[Any, Any] | None:
        if self.x_val is None or len(self.x_val) == 0:
            return None
        return self.x_val, self.y_val


class Task(Protocol):
    """What a kind of experiment supplies to the training loop."""

    def load_data(self, config: RunConfig) -> TrainingData: ...

    def build_model(self, config: RunConfig, data: TrainingData) -> keras.Model:
        """The compiled model."""
        ...

    def model_for_summary(self, config: RunConfig) -> keras.Model:
        """The same architecture without loading any data (for model summaries)."""
        ...

    def callbacks(self, config: RunConfig, data: TrainingData) -> list[keras.callbacks.Callback]:
        """Extra callbacks that run before the event logger (they may add to epoch logs)."""
        ...

    def evaluate(
        self, config: RunConfig, model: keras.Model, data: TrainingData
    ) -> tuple[dict[str, Any], Arrays]:
        """Test metrics for result.json, and arrays to store in the run folder: by name
        (`{"predictions": ..., "probabilities": ...}`, each kept as `<name>.npy`), one
        array (the predictions) or None."""
        ...


def make_optimizer(config: RunConfig) -> keras.optimizers.Optimizer:
    """The configured optimizer at its effective learning rate."""
    return keras.optimizers.get(
        {"class_name": config.optimizer,
         "config": {"learning_rate": config.effective_learning_rate}}
    )


class ClassificationTask:
    """Image classification on MNIST-like data with a zoo model."""

    def load_data(self, config: RunConfig) -> TrainingData:
        from dlnn.data import load_splits
        from dlnn.permutation import permutation_seed

        splits = load_splits(
            config.dataset,
            validation_fraction=config.validation_fraction,
            subset=config.subset,
            seed=config.seed,
            permute=config.permute,
            permutation_seed=permutation_seed(config),
            channels=registry.models()[config.model].channels,
        )
        return TrainingData(
            splits.x_train, splits.y_train, splits.x_val, splits.y_val,
            splits.x_test, splits.y_test, list(splits.class_names),
        )

    def build_model(self, config: RunConfig, data: TrainingData) -> keras.Model:
        model = self._model(config, data.x_train.shape[1:], len(data.class_names))
        model.compile(
            optimizer=make_optimizer(config),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    def model_for_summary(self, config: RunConfig) -> keras.Model:
        from dlnn.data import DATASETS

        info = DATASETS[config.dataset]
        channels = (1,) if registry.models()[config.model].channels else ()
        return self._model(config, (*info.image_shape, *channels), info.num_classes)

    @staticmethod
    def _model(config: RunConfig, input_shape: tuple[int, ...], num_classes: int
               ) -> keras.Model:
        from dlnn.models import build_model

        return build_model(
            config.model,
            input_shape=input_shape,
            num_classes=num_classes,
            activation=config.activation,
            initializer=config.initializer,
            dropout=config.dropout,
            pooling=config.pooling,
            kernel_size=config.kernel_size,
        )

    def callbacks(self, config: RunConfig, data: TrainingData) -> list[keras.callbacks.Callback]:
        return []

    def evaluate(
        self, config: RunConfig, model: keras.Model, data: TrainingData
    ) -> tuple[dict[str, Any], Arrays]:
        probabilities = predict_eagerly(model, data.x_test)
        predicted = probabilities.argmax(axis=1).astype(np.int16)
        truth = np.asarray(data.y_test, dtype=np.int64)
        picked = probabilities[np.arange(len(truth)), truth].astype(np.float64)
        result = {
            "test_loss": float(-np.log(np.clip(picked, EPSILON, 1.0)).mean()),
            "test_accuracy": float((predicted == truth).mean()),
            **classification_report(data.y_test, predicted, len(data.class_names)),
            "class_names": data.class_names,
        }
        return result, {"predictions": predicted,
                        "probabilities": probabilities.astype(np.float32)}


def load_run_model(run: Run) -> keras.Model:
    """The run's saved model; a ValueError says when it is missing or damaged."""
    if not run.model_path.exists():
        raise ValueError(f"run {run.run_id} has no saved model (status {run.status})")
    if not zipfile.is_zipfile(run.model_path):
        raise ValueError(f"run {run.run_id}: model.keras is damaged (not a Keras archive, "
                         "perhaps cut short); train the configuration again")
    try:
        return keras.saving.load_model(run.model_path)
    except Exception as error:  # Keras raises many kinds for a bad archive
        raise ValueError(f"run {run.run_id}: model.keras cannot be loaded "
                         f"({type(error).__name__}: {error})") from None


def _store_arrays(run: Run, arrays: Arrays) -> None:
    """A task's arrays as `<name>.npy` in the run folder (one array: the predictions)."""
    if arrays is None:
        return
    named = arrays if isinstance(arrays, dict) else {"predictions": arrays}
    for name, array in named.items():
        np.save(run.path / f"{name}.npy", array)


def predict_eagerly(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """The model's outputs for `images`, in eager batches of `PREDICT_BATCH`.

    One pass over the test set gives the predictions and, from them, the test loss and
    accuracy. `model.predict` and `model.evaluate` would each trace a new graph for every
    new model, which cost a sweep member seconds beyond its training.
    """
    batches = [keras.ops.convert_to_numpy(model(images[start:start + PREDICT_BATCH],
                                                training=False))
               for start in range(0, len(images), PREDICT_BATCH)]
    return np.concatenate(batches)


def classification_report(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> dict:
    """Confusion matrix (rows true, columns predicted) and per-class accuracy."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(y_true, int), np.asarray(y_pred, int)), 1)
    totals = matrix.sum(axis=1)
    per_class = np.divide(
        np.diag(matrix), totals, out=np.zeros(num_classes), where=totals > 0
    )
    return {"confusion_matrix": matrix.tolist(), "per_class_accuracy": per_class.tolist()}


def task_for(config: RunConfig) -> Task:
    """The registered task that trains `config.model` (a lab's task is imported on first use)."""
    return registry.task(registry.models()[config.model].task)


class EventLogger(keras.callbacks.Callback):
    """Writes training events to the run and honours stop requests and NaN losses.

    Args:
        emit: called with every event dict (the run's log plus any live listener).
        stop_requested: polled after every batch; True ends the run as cancelled.
        log_every: a batch event every this many batches (and at each epoch's last batch).
    """

    def __init__(
        self, emit: EventSink, stop_requested: Callable[[], bool], log_every: int
    ) -> None:
        super().__init__()
        self.emit = emit
        self.stop_requested = stop_requested
        self.log_every = max(1, log_every)
        self.epoch = 0
        self.step = 0
        self.epoch_started = 0.0
        self.epoch_seconds: list[float] = []

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch + 1
        self.epoch_started = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.step += 1
        logs = logs or {}
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise RunFailed(
                f"the loss became {float(loss)} at epoch {self.epoch}, batch {batch + 1}; "
                "try a smaller learning rate"
            )
        steps = self.params.get("steps") or 0
        if (batch + 1) % self.log_every == 0 or batch + 1 == steps:
            self.emit({
                "type": "batch", "time": time.time(), "epoch": self.epoch,
                "batch": batch + 1, "step": self.step, "metrics": _floats(logs),
            })
        if self.stop_requested():
            raise RunCancelled(f"stopped by request at epoch {self.epoch}, batch {batch + 1}")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        seconds = time.perf_counter() - self.epoch_started
        self.epoch_seconds.append(seconds)
        self.emit({
            "type": "epoch", "time": time.time(), "epoch": epoch + 1,
            "seconds": seconds, "metrics": _floats(logs or {}),
        })


def _floats(logs: dict) -> dict[str, float]:
    return {name: float(value) for name, value in logs.items() if np.ndim(value) == 0}


def environment() -> dict[str, Any]:
    """Library versions and machine facts recorded with every run (read from the installed
    packages: a run on the JAX backend does not import TensorFlow for this, and a machine
    without it says so)."""
    import dlnn

    return {
        "python": sys.version.split()[0],
        "dlnn": dlnn.__version__,
        "tensorflow": _installed_version("tensorflow"),
        **({"jax": _installed_version("jax")} if keras.backend.backend() == "jax" else {}),
        "keras": keras.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "backend": keras.backend.backend(),
    }


def _installed_version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def execute(run: Run, *, log_every: int = DEFAULT_LOG_EVERY, listener: EventSink | None = None
            ) -> dict[str, Any]:
    """Train `run` to the end and record everything in its folder.

    Returns the final status record. Never raises for a failed or cancelled run: the failure
    is the run's status. `listener` also receives every event (the CLI prints them). The run's
    heartbeat beats meanwhile, so readers can tell a live worker from a reused pid.
    """
    with run.heartbeat():
        return _train(run, log_every, listener)


def _train(run: Run, log_every: int, listener: EventSink | None) -> dict[str, Any]:
    sinks: list[EventSink] = [run.log_event]
    if listener is not None:
        sinks.append(listener)

    def emit(event: dict[str, Any]) -> None:
        for sink in sinks:
            sink(event)

    timings: dict[str, float] = {}
    started = time.perf_counter()
    run.set_status("running", pid=os.getpid(), started=time.time())
    run.write_environment(environment())
    logger = EventLogger(emit, run.stop_requested, log_every)
    try:
        config = run.config.validate()
        backends.check_loaded(config.backend)
        board = _tensorboard(run, config)
        if board is not None:
            sinks.append(board)
        task = task_for(config)
        # A worker trains a sweep's members one after another: each starts from a clean
        # Keras state (no layer-name counters or graphs left from the last one). Without
        # the full garbage collection (0.2-0.7 s here); Python's own collector runs anyway.
        keras.backend.clear_session(free_memory=False)
        keras.utils.set_random_seed(config.seed)
        data = _timed(timings, "load_seconds", lambda: task.load_data(config))
        model = _timed(timings, "build_seconds", lambda: task.build_model(config, data))
        if board is not None:
            board.write_graph(model)
        callbacks = [*task.callbacks(config, data), *_schedule(config), *_plateaus(config), logger,
                     *_early_stopping(config)]
        steps = math.ceil(len(data.x_train) / config.batch_size)
        emit({"type": "started", "time": time.time(), "epochs": config.epochs,
              "steps_per_epoch": steps, "train_samples": len(data.x_train),
              "parameters": int(model.count_params())})
        fit_started = time.perf_counter()
        model.fit(
            data.x_train, data.y_train, validation_data=data.validation,
            batch_size=config.batch_size, epochs=config.epochs, shuffle=True,
            callbacks=callbacks, verbose=0,
        )
        timings["fit_seconds"] = time.perf_counter() - fit_started
        result, arrays = _timed(
            timings, "evaluate_seconds", lambda: task.evaluate(config, model, data)
        )
        model.save(run.model_path)
        _store_arrays(run, arrays)
        outcome, reason = "finished", ""
    except RunCancelled as stop:
        outcome, reason, result = "cancelled", str(stop), {}
    except RunFailed as failure:
        outcome, reason, result = "failed", str(failure), {}
    except Exception as error:  # a crash of any kind is the run's outcome, kept with its log
        outcome, result = "failed", {}
        reason = f"{type(error).__name__}: {error}"
        result["traceback"] = traceback.format_exc()
    timings["total_seconds"] = time.perf_counter() - started
    result.update(_epoch_timings(logger.epoch_seconds), timings=timings,
                  epochs_run=len(logger.epoch_seconds), status=outcome,
                  backend=keras.backend.backend())
    run.write_result(result)
    emit({"type": outcome, "time": time.time(), "reason": reason})
    run.set_status(outcome, finished=time.time(), reason=reason)
    return run.status_record()


def _tensorboard(run: Run, config: RunConfig) -> tensorboard_logs.TensorBoardWriter | None:
    """The run's TensorBoard writer, or None where TensorBoard is not installed."""
    if not tensorboard_logs.available():
        return None
    return tensorboard_logs.TensorBoardWriter(tensorboard_logs.log_dir(run.path), run.run_id,
                                              config)


def _timed(timings: dict[str, float], name: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    value = work()
    timings[name] = time.perf_counter() - started
    return value


def _epoch_timings(epoch_seconds: list[float]) -> dict[str, Any]:
    mean = sum(epoch_seconds) / len(epoch_seconds) if epoch_seconds else None
    return {"epoch_seconds": epoch_seconds, "seconds_per_epoch": mean}


def _plateaus(config: RunConfig) -> list[keras.callbacks.Callback]:
    """`reduce_lr`: halve the rate on plateaus; before the event logger, which then records
    the rate of every epoch (`learning_rate`)."""
    if not (config.early_stopping and config.reduce_lr):
        return []
    return [keras.callbacks.ReduceLROnPlateau(
        monitor=config.monitor, mode=config.monitor_mode, factor=0.5,
        patience=PLATEAU_PATIENCE, min_lr=MIN_PLATEAU_RATE,
    )]


def _schedule(config: RunConfig) -> list[keras.callbacks.Callback]:
    """`lr_schedule`: set each epoch's rate; before the event logger, which then records it
    (`learning_rate`)."""
    if config.lr_schedule == "constant":
        return []
    return [keras.callbacks.LearningRateScheduler(lambda epoch, _rate: config.rate_at(epoch))]


def _early_stopping(config: RunConfig) -> list[keras.callbacks.Callback]:
    if not config.early_stopping:
        return []
    return [keras.callbacks.EarlyStopping(
        monitor=config.monitor, mode=config.monitor_mode, patience=config.patience,
        restore_best_weights=config.restore_best,
    )]
