"""Each task's headline metrics: the few numbers that say how a run did.

A classifier is judged by its test accuracy; a clock reader by its common-sense error (CSE) in
minutes, its hour accuracy and its minute error. The views (the Runs table, a run's result, the
comparison of runs, the tiles of a live run) ask here which numbers to show instead of assuming
accuracy. The core declares the classification task's metrics below; a lab declares its own
task's with `add_task_metrics` when it is imported.

Example:
    >>> metrics = for_config(RunConfig())
    >>> [metric.label for metric in metrics.test]
    ['Test accuracy', 'Test loss']
    >>> metrics.test[0].format(0.98314)
    '0.9831'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from dlnn import history, registry
from dlnn.config import RunConfig

MISSING = "—"  # how every view shows a number that does not exist (yet)
Unit = Literal["accuracy", "percent", "minutes", "loss"]
DEFAULT_TASK = "classification"


@dataclass(frozen=True)
class Metric:
    """One number a view shows.

    Attributes:
        name: its key: `test_*` in a run's result.json, or a metric of its event log.
        label: the words shown with it, e.g. `Test CSE`.
        unit: how it reads: `accuracy` (0-1, four decimals), `percent` (0-1 as 93.1%),
            `minutes` (one decimal and "min") or `loss` (four decimals).
        help: one line for a tooltip: what the number means.
    """

    name: str
    label: str
    unit: Unit
    help: str = ""

    def format(self, value: Any) -> str:
        """`value` as the views show it; None or NaN as `MISSING`."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return MISSING
        value = float(value)
        if self.unit == "percent":
            return f"{value:.1%}"
        if self.unit == "minutes":
            return f"{value:.1f} min"
        return f"{value:.4f}"

    @property
    def column_format(self) -> str:
        """The number format of a table column holding it (Streamlit's `NumberColumn`)."""
        return {"percent": "percent", "minutes": "%.1f min"}.get(self.unit, "%.4f")

    @property
    def mode(self) -> Literal["min", "max"]:
        """Whether bigger is better (`max`) or smaller (`min`)."""
        return history.metric_mode(self.name)


@dataclass(frozen=True)
class TaskMetrics:
    """The headline metrics of one task.

    Attributes:
        task: the registered task (`classification`, `clock`, ...).
        test: from the result, the most important first.
        best: a validation metric of the epoch history; views show its best epoch.
        live: the tiles of a running run, read from its latest metrics.
        curves: the base names of the learning curves a view draws first (the others wait
            behind a switch).
    """

    task: str
    test: tuple[Metric, ...]
    best: Metric
    live: tuple[Metric, ...]
    curves: tuple[str, ...] = ("loss",)

    def split_curves(self, metrics: list[str]) -> tuple[list[str], list[str]]:
        """`metrics` (base names of a history) as (drawn first, the rest), in that order."""
        first = [name for name in self.curves if name in metrics]
        return first, [name for name in metrics if name not in first]

    @property
    def best_column(self) -> str:
        """The name of the best validation value in tables, e.g. `best_val_accuracy`."""
        return f"best_{self.best.name}"

    def columns(self) -> dict[str, Metric]:
        """Table column name -> metric, for the test metrics and the best validation value."""
        return {**{metric.name: metric for metric in self.test}, self.best_column: self.best}


_TASKS: dict[str, TaskMetrics] = {}


def add_task_metrics(metrics: TaskMetrics) -> None:
    """Declare a task's headline metrics (a lab calls this when it is imported)."""
    _TASKS[metrics.task] = metrics


def all_task_metrics() -> dict[str, TaskMetrics]:
    """Every task's headline metrics, the core's first."""
    registry.load_labs()
    return _TASKS


def for_task(task: str) -> TaskMetrics:
    """A task's headline metrics; a task that declared none is shown as a classifier."""
    return all_task_metrics().get(task, _TASKS[DEFAULT_TASK])


def task_of(config: RunConfig) -> str:
    """The task that trains `config` (read from its data set)."""
    entry = registry.datasets().get(config.dataset)
    return entry.task if entry is not None else DEFAULT_TASK


def for_config(config: RunConfig) -> TaskMetrics:
    """The headline metrics of `config`'s task."""
    return for_task(task_of(config))


def headline_values(config: RunConfig, result: Mapping[str, Any] | None,
                    epochs: pd.DataFrame) -> dict[str, float | None]:
    """A run's headline numbers keyed like `TaskMetrics.columns`; None where there is none.

    Args:
        config: the run's configuration (its data set gives the task).
        result: its result.json (None while it runs).
        epochs: its `history.epoch_history`.
    """
    metrics = for_config(config)
    result = result or {}
    values: dict[str, float | None] = {metric.name: _number(result.get(metric.name))
                                       for metric in metrics.test}
    best = history.best_value(epochs, metrics.best.name, metrics.best.mode)
    values[metrics.best_column] = best[1] if best else None
    return values


def best_epoch(config: RunConfig, epochs: pd.DataFrame) -> int | None:
    """The epoch of the best validation value (see `TaskMetrics.best`), if any."""
    metrics = for_config(config)
    best = history.best_value(epochs, metrics.best.name, metrics.best.mode)
    return best[0] if best else None


def live_values(config: RunConfig, progress: history.Progress) -> list[tuple[Metric, str]]:
    """The live tiles of a running run: always the same metrics, `MISSING` until known.

    A tile shows the latest value: the last batch's for training metrics, the last epoch's
    for validation metrics (batches carry none).
    """
    latest = {**progress.epoch_metrics, **progress.metrics}
    return [(metric, metric.format(latest.get(metric.name)))
            for metric in for_config(config).live]


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


add_task_metrics(TaskMetrics(
    "classification",
    test=(
        Metric("test_accuracy", "Test accuracy", "accuracy",
               "share of the test images classified correctly"),
        Metric("test_loss", "Test loss", "loss", "cross-entropy on the test images"),
    ),
    best=Metric("val_accuracy", "Best val. accuracy", "accuracy",
                "the best validation accuracy of any epoch"),
    live=(
        Metric("loss", "Loss", "loss", "training loss, averaged over the epoch so far"),
        Metric("accuracy", "Accuracy", "accuracy",
               "training accuracy, averaged over the epoch so far"),
        Metric("val_loss", "Val. loss", "loss", "validation loss after the latest epoch"),
        Metric("val_accuracy", "Val. accuracy", "accuracy",
               "validation accuracy after the latest epoch"),
    ),
    curves=("loss", "accuracy"),
))
