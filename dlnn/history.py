"""Turn a run's event log into tables and a progress summary.

The training engine appends one event per line to a run's `events.jsonl` (`started`, `batch`,
`epoch`, then `finished`, `failed` or `cancelled`). This module reads those events, already
parsed to dicts, into per-batch and per-epoch data frames for the figures, and into a
`Progress` summary (status, fraction done, time left) for the live dashboard. Metric names are
never assumed: multi-output models log keys such as `hour_accuracy` or `val_minute_mae`, and
every table carries whatever keys the events hold.

Example:
    >>> events = [{"type": "started", "time": 0.0, "epochs": 2, "steps_per_epoch": 10},
    ...           {"type": "epoch", "time": 5.0, "epoch": 1, "seconds": 5.0,
    ...            "metrics": {"loss": 0.5, "val_loss": 0.6}}]
    >>> progress(events).fraction
    0.5
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

BATCH_COLUMNS = ("epoch", "batch", "step", "time")
EPOCH_COLUMNS = ("epoch", "seconds", "time")
END_STATUSES = ("finished", "failed", "cancelled")
# Columns of the history tables that describe where a row sits, not how the model did.
_INDEX_COLUMNS = frozenset(BATCH_COLUMNS + EPOCH_COLUMNS)
# Substrings that mark a metric where bigger is better; everything else (loss, mae, cse) is
# minimised. Same rule as Keras' EarlyStopping(mode="auto").
_MAXIMISED = ("acc", "auc", "precision", "recall", "f1")

Event = Mapping[str, Any]


@dataclass(frozen=True)
class Progress:
    """Where a run stands, read from its events."""

    status: str  # queued, running, finished, failed or cancelled
    epoch: int = 0  # current (or last completed) epoch, 1-based; 0 before the first
    epochs: int = 0  # epochs planned; 0 while unknown
    batch: int = 0  # last batch seen within `epoch`, 1-based; 0 before the first
    steps_per_epoch: int = 0  # batches per epoch; 0 while unknown
    fraction: float = 0.0  # share of the planned work done, 0..1 (1 once finished)
    elapsed_seconds: float = 0.0  # since the started event
    eta_seconds: float | None = None  # estimated time left; None until a rate is observed
    metrics: dict[str, float] = field(default_factory=dict)  # latest batch or epoch metrics
    epoch_metrics: dict[str, float] = field(default_factory=dict)  # last completed epoch's
    reason: str = ""  # why the run ended, from the final event

    @property
    def active(self) -> bool:
        """True while the run is queued or running."""
        return self.status not in END_STATUSES


def batch_history(events: Iterable[Event]) -> pd.DataFrame:
    """One row per `batch` event: epoch, batch, step, time, then one column per metric.

    A missing global `step` is filled in from the epoch and batch when the started event gave
    `steps_per_epoch`.
    """
    steps_per_epoch = 0
    rows = []
    for event in events:
        if event.get("type") == "started":
            steps_per_epoch = int(event.get("steps_per_epoch") or 0)
        elif event.get("type") == "batch":
            row = {key: event.get(key) for key in BATCH_COLUMNS}
            if row["step"] is None and steps_per_epoch and row["epoch"] and row["batch"]:
                row["step"] = (row["epoch"] - 1) * steps_per_epoch + row["batch"]
            rows.append({**row, **_metrics(event)})
    return _frame(rows, BATCH_COLUMNS)


def epoch_history(events: Iterable[Event]) -> pd.DataFrame:
    """One row per completed epoch: epoch, seconds, time, then one column per metric.

    If an epoch was logged twice the later event wins.
    """
    rows = [
        {**{key: event.get(key) for key in EPOCH_COLUMNS}, **_metrics(event)}
        for event in events
        if event.get("type") == "epoch"
    ]
    frame = _frame(rows, EPOCH_COLUMNS)
    if frame.empty:
        return frame
    return frame.drop_duplicates("epoch", keep="last").reset_index(drop=True)


def progress(events: Iterable[Event], now: float | None = None) -> Progress:
    """Summarise a run's events: status, position, fraction done and time left.

    The time left extrapolates the rate observed so far (seconds per batch, or per epoch when
    no batch size is known). Passing `now` (a `time.time()` value) counts the time since the
    last event for a running run, so a live view keeps ticking between events.
    """
    events = list(events)
    if not events:
        return Progress(status="queued")
    started = next((e for e in events if e.get("type") == "started"), {})
    epochs = int(started.get("epochs") or 0)
    steps_per_epoch = int(started.get("steps_per_epoch") or 0)
    start_time = started.get("time", events[0].get("time"))
    status, reason = _status(events)

    epoch = batch = completed = 0
    metrics: dict[str, float] = {}
    epoch_metrics: dict[str, float] = {}
    last_progress_time = start_time
    for event in events:
        kind = event.get("type")
        if kind == "batch":
            epoch, batch = int(event.get("epoch") or 0), int(event.get("batch") or 0)
        elif kind == "epoch":
            epoch = completed = int(event.get("epoch") or 0)
            batch = steps_per_epoch
            epoch_metrics = _metrics(event)
        else:
            continue
        metrics = _metrics(event)
        last_progress_time = event.get("time", last_progress_time)

    if steps_per_epoch:
        done = max((epoch - 1) * steps_per_epoch + batch, completed * steps_per_epoch, 0)
        total = epochs * steps_per_epoch
    else:
        done, total = completed, epochs
    fraction = min(done / total, 1.0) if total else 0.0

    end_time = events[-1].get("time", last_progress_time)
    if now is not None and status == "running":
        end_time = now
    elapsed = _seconds_between(start_time, end_time)
    eta = None
    if status == "finished":
        fraction, eta = 1.0, 0.0
    elif status == "running" and done and total:
        per_unit = _seconds_between(start_time, last_progress_time) / done
        since_last = _seconds_between(last_progress_time, end_time)
        eta = max((total - done) * per_unit - since_last, 0.0)
    return Progress(
        status=status,
        epoch=epoch,
        epochs=epochs,
        batch=batch,
        steps_per_epoch=steps_per_epoch,
        fraction=fraction,
        elapsed_seconds=elapsed,
        eta_seconds=eta,
        metrics=metrics,
        epoch_metrics=epoch_metrics,
        reason=reason,
    )


def metric_names(history: pd.DataFrame | Iterable[str]) -> list[str]:
    """Base metric names (without `val_`) in a history table, in column order.

    Accepts a data frame or its column names, e.g. `["loss", "val_hour_accuracy"]` gives
    `["loss", "hour_accuracy"]`.
    """
    columns = history.columns if isinstance(history, pd.DataFrame) else history
    names: list[str] = []
    for column in columns:
        if column in _INDEX_COLUMNS:
            continue
        base = str(column).removeprefix("val_")
        if base not in names:
            names.append(base)
    return names


def metric_mode(metric: str) -> Literal["min", "max"]:
    """Whether a metric improves upwards ("max": accuracy, auc) or downwards ("min")."""
    name = metric.lower()
    return "max" if any(part in name for part in _MAXIMISED) else "min"


def best_value(
    history: pd.DataFrame, metric: str, mode: Literal["auto", "min", "max"] = "auto"
) -> tuple[int, float] | None:
    """The best `(epoch, value)` of `metric` in an epoch history, or None when absent.

    `mode="auto"` maximises accuracy-like metrics and minimises the rest (see `metric_mode`).
    """
    if metric not in history.columns or "epoch" not in history.columns:
        return None
    values = pd.to_numeric(history[metric], errors="coerce")
    if values.isna().all():
        return None
    if mode == "auto":
        mode = metric_mode(metric)
    index = values.idxmax() if mode == "max" else values.idxmin()
    return int(history.loc[index, "epoch"]), float(values[index])


def _metrics(event: Event) -> dict[str, float]:
    """An event's metrics as floats (a missing or non-numeric value becomes NaN)."""
    return {name: _as_float(value) for name, value in (event.get("metrics") or {}).items()}


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _frame(rows: list[dict], leading: tuple[str, ...]) -> pd.DataFrame:
    """A data frame with the `leading` columns first, even when there are no rows."""
    if not rows:
        return pd.DataFrame(columns=list(leading))
    return pd.DataFrame.from_records(rows)


def _status(events: list[Event]) -> tuple[str, str]:
    """The run's status and end reason, from its last recognised event."""
    for event in reversed(events):
        kind = event.get("type")
        if kind in END_STATUSES:
            return kind, str(event.get("reason") or "")
        if kind in ("started", "batch", "epoch"):
            return "running", ""
    return "queued", ""


def _seconds_between(start: Any, end: Any) -> float:
    if start is None or end is None:
        return 0.0
    return max(float(end) - float(start), 0.0)
