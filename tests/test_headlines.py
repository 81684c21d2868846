"""Tests for dlnn.headlines: each task's headline numbers, from a run's result and history."""

import pandas as pd
import pytest

from dlnn import headlines, history
from dlnn.config import RunConfig
from dlnn.runs import RunStore
from tests.fake_runs import CLOCK_CONFIG, write_clock_run, write_three_runs


@pytest.mark.parametrize(("unit", "value", "text"), [
    ("accuracy", 0.98314, "0.9831"),
    ("percent", 0.9312, "93.1%"),
    ("minutes", 4.25, "4.2 min"),
    ("loss", 1.5, "1.5000"),
    ("minutes", None, "—"),
    ("accuracy", float("nan"), "—"),
])
def test_metric_format(unit, value, text):
    assert headlines.Metric("x", "X", unit).format(value) == text


def test_each_task_has_its_own_headline():
    assert headlines.task_of(RunConfig(dataset="fashion-mnist")) == "classification"
    assert headlines.task_of(CLOCK_CONFIG) == "clock"
    clock = headlines.for_config(CLOCK_CONFIG)
    assert [metric.name for metric in clock.test] == [
        "test_cse_minutes", "test_hour_accuracy", "test_minute_mae"]
    assert clock.best.name == "val_cse" and clock.best.mode == "min"
    assert headlines.for_config(RunConfig()).best.mode == "max"
    assert headlines.for_task("no-such-task") is headlines.for_task("classification")


def test_headline_values_of_a_classifier_and_a_clock_run(dlnn_dirs):
    finished = write_three_runs(RunStore())["finished"]
    values = headlines.headline_values(finished.config, finished.result(),
                                       history.epoch_history(finished.events()))
    assert values == {"test_accuracy": pytest.approx(0.65), "test_loss": 0.42,
                      "best_val_accuracy": 0.6}
    clock = write_clock_run(RunStore())
    epochs = history.epoch_history(clock.events())
    assert headlines.headline_values(clock.config, clock.result(), epochs) == {
        "test_cse_minutes": 12.5, "test_hour_accuracy": 0.875, "test_minute_mae": 3.25,
        "best_val_cse": 40.0}
    assert headlines.best_epoch(clock.config, epochs) == 2
    running = headlines.headline_values(clock.config, None, pd.DataFrame(columns=["epoch"]))
    assert set(running.values()) == {None}


def test_live_tiles_keep_their_places_before_the_first_epoch(dlnn_dirs):
    clock = write_clock_run(RunStore())
    events = clock.events()
    first_batch = events[:2]  # started, one batch: no validation numbers yet
    early = headlines.live_values(clock.config, history.progress(first_batch))
    late = headlines.live_values(clock.config, history.progress(events))
    assert [metric.label for metric, _ in early] == [metric.label for metric, _ in late] == [
        "Loss", "Val. CSE", "Val. hour accuracy", "Val. minute error"]
    assert [text for _, text in early] == ["2.0000", "—", "—", "—"]
    assert [text for _, text in late] == ["0.6667", "55.0 min", "69.4%", "5.5 min"]


def test_each_task_draws_its_own_curves_first():
    clock = headlines.for_config(CLOCK_CONFIG)
    history_metrics = ["hour_hand_loss", "loss", "minute_mae", "cse", "minute_error",
                       "hour_accuracy", "learning_rate"]
    assert clock.split_curves(history_metrics) == (
        ["cse", "hour_accuracy"],
        ["hour_hand_loss", "loss", "minute_mae", "minute_error", "learning_rate"])
    classifier = headlines.for_config(RunConfig())
    assert classifier.split_curves(["accuracy", "loss"]) == (["loss", "accuracy"], [])
