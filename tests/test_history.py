"""Tests for dlnn.history: event logs read into tables and a progress summary."""

import math

import pandas as pd
import pytest

from dlnn import history

STEPS = 4  # batches per epoch in the hand-made logs
EPOCHS = 3


def make_events(epochs_done: int, batches_into_next: int = 0, end: str | None = None) -> list:
    """A log of a run started at t=100 that takes exactly one second per batch."""
    events = [{"type": "started", "time": 100.0, "epochs": EPOCHS,
               "steps_per_epoch": STEPS, "train_samples": 64}]
    step = 0
    for epoch in range(1, epochs_done + 2):
        last_batch = STEPS if epoch <= epochs_done else batches_into_next
        for batch in range(1, last_batch + 1):
            step += 1
            events.append({"type": "batch", "time": 100.0 + step, "epoch": epoch,
                           "batch": batch, "step": step,
                           "metrics": {"loss": 1.0 / step, "accuracy": step / 100}})
        if epoch <= epochs_done:
            events.append({"type": "epoch", "time": 100.0 + step, "epoch": epoch,
                           "seconds": float(STEPS),
                           "metrics": {"loss": 0.5 / epoch, "accuracy": 0.8 + epoch / 100,
                                       "val_loss": 0.6 / epoch,
                                       "val_accuracy": 0.7 + epoch / 100}})
    if end:
        events.append({"type": end, "time": 100.0 + step + 1, "reason": f"{end} on purpose"})
    return events


CLOCK_EVENTS = [
    {"type": "started", "time": 0.0, "epochs": 2, "steps_per_epoch": 2},
    {"type": "batch", "time": 1.0, "epoch": 1, "batch": 1, "step": 1,
     "metrics": {"loss": 3.0, "hour_loss": 2.0, "hour_accuracy": 0.1, "minute_mae": 0.2}},
    {"type": "epoch", "time": 2.0, "epoch": 1, "seconds": 2.0,
     "metrics": {"loss": 2.5, "hour_loss": 1.8, "hour_accuracy": 0.2, "minute_mae": 0.18,
                 "val_loss": 2.7, "val_hour_accuracy": 0.15, "val_minute_mae": 0.2,
                 "val_cse": 150.0}},
]


def test_batch_history_has_one_row_per_batch_in_order():
    table = history.batch_history(make_events(epochs_done=1, batches_into_next=2))
    assert list(table.columns) == ["epoch", "batch", "step", "time", "loss", "accuracy"]
    assert table["step"].tolist() == [1, 2, 3, 4, 5, 6]
    assert table["epoch"].tolist() == [1, 1, 1, 1, 2, 2]
    assert table["batch"].tolist() == [1, 2, 3, 4, 1, 2]
    assert table["loss"].tolist() == pytest.approx([1 / s for s in range(1, 7)])


def test_batch_history_fills_missing_step_from_epoch_and_batch():
    events = [{"type": "started", "time": 0.0, "epochs": 2, "steps_per_epoch": 10},
              {"type": "batch", "time": 1.0, "epoch": 2, "batch": 3, "metrics": {"loss": 1.0}}]
    assert history.batch_history(events)["step"].tolist() == [13]


def test_epoch_history_keeps_every_metric_and_the_last_duplicate():
    events = make_events(epochs_done=2)
    events.append({**events[-1], "metrics": {"loss": 0.01, "val_loss": 0.02}})
    table = history.epoch_history(events)
    assert list(table.columns[:3]) == ["epoch", "seconds", "time"]
    assert table["epoch"].tolist() == [1, 2]
    assert table["val_accuracy"].tolist()[0] == pytest.approx(0.71)
    assert table["loss"].tolist() == pytest.approx([0.5, 0.01])


@pytest.mark.parametrize("build", [history.batch_history, history.epoch_history])
def test_tables_of_an_empty_log_are_empty_with_index_columns(build):
    table = build([])
    assert table.empty
    assert "epoch" in table.columns and "time" in table.columns


def test_multi_output_metric_names_are_kept_as_logged():
    epochs = history.epoch_history(CLOCK_EVENTS)
    assert history.metric_names(epochs) == [
        "loss", "hour_loss", "hour_accuracy", "minute_mae", "cse"]
    assert history.metric_names(history.batch_history(CLOCK_EVENTS)) == [
        "loss", "hour_loss", "hour_accuracy", "minute_mae"]
    assert history.metric_names(["epoch", "val_x", "x"]) == ["x"]


@pytest.mark.parametrize(
    "events, status, fraction, eta",
    [
        ([], "queued", 0.0, None),
        (make_events(0)[:1], "running", 0.0, None),
        # 6 of 12 batches in 6 s: 6 s left.
        (make_events(1, 2), "running", 0.5, 6.0),
        # 3 of 12 batches in 3 s: 9 s left.
        (make_events(0, 3), "running", 0.25, 9.0),
        (make_events(3, end="finished"), "finished", 1.0, 0.0),
        # Early stopping after 2 of 3 epochs still counts as done.
        (make_events(2, end="finished"), "finished", 1.0, 0.0),
        (make_events(1, 2, end="cancelled"), "cancelled", 0.5, None),
        (make_events(0, 1, end="failed"), "failed", 1 / 12, None),
    ],
)
def test_progress_status_fraction_and_eta(events, status, fraction, eta):
    result = history.progress(events)
    assert result.status == status
    assert result.fraction == pytest.approx(fraction)
    assert result.eta_seconds == (None if eta is None else pytest.approx(eta))
    assert result.active == (status in ("queued", "running"))


def test_progress_position_timing_and_metrics():
    result = history.progress(make_events(1, 2))
    assert (result.epoch, result.batch, result.epochs, result.steps_per_epoch) == (2, 2, 3, 4)
    assert result.elapsed_seconds == pytest.approx(6.0)
    assert result.metrics == {"loss": pytest.approx(1 / 6), "accuracy": pytest.approx(0.06)}
    assert result.epoch_metrics["val_accuracy"] == pytest.approx(0.71)


def test_progress_counts_time_since_the_last_event_when_given_now():
    result = history.progress(make_events(1, 2), now=108.0)
    assert result.elapsed_seconds == pytest.approx(8.0)
    assert result.eta_seconds == pytest.approx(4.0)


def test_progress_without_steps_per_epoch_counts_epochs():
    events = [{"type": "started", "time": 0.0, "epochs": 4},
              {"type": "epoch", "time": 10.0, "epoch": 1, "seconds": 10.0,
               "metrics": {"loss": 1.0}}]
    result = history.progress(events)
    assert result.fraction == pytest.approx(0.25)
    assert result.eta_seconds == pytest.approx(30.0)


def test_progress_reports_the_end_reason():
    assert history.progress(make_events(1, end="failed")).reason == "failed on purpose"


@pytest.mark.parametrize(
    "metric, mode, expected",
    [
        ("val_accuracy", "auto", (3, 0.73)),
        ("val_loss", "auto", (3, 0.2)),
        ("val_loss", "max", (1, 0.6)),
        ("val_accuracy", "min", (1, 0.71)),
    ],
)
def test_best_value(metric, mode, expected):
    epochs = history.epoch_history(make_events(3))
    epoch, value = history.best_value(epochs, metric, mode)
    assert epoch == expected[0]
    assert value == pytest.approx(expected[1])


def test_best_value_of_a_missing_metric_is_none():
    assert history.best_value(history.epoch_history([]), "val_loss") is None
    assert history.best_value(pd.DataFrame({"epoch": [1], "x": [math.nan]}), "x") is None


@pytest.mark.parametrize(
    "metric, mode",
    [("val_accuracy", "max"), ("hour_accuracy", "max"), ("loss", "min"),
     ("val_minute_mae", "min"), ("val_cse", "min")],
)
def test_metric_mode(metric, mode):
    assert history.metric_mode(metric) == mode
