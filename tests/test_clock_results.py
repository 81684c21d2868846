"""A clock run's results in words: lead curves, titles, tiles, the run list, mistakes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlnn.clocks import results
from dlnn.config import RunConfig
from dlnn.history import Progress
from dlnn.runs import Run, RunStore

# What a clock-hands run logs per epoch (tests/test_clock_task.py trains one).
LOGGED = ["hour_hand_loss", "hour_hand_mae", "loss", "minute_loss", "minute_mae", "cse",
          "minute_error", "hour_accuracy", "learning_rate"]
CLOCKS = RunConfig(dataset="clocks-course-like", model="clock-dial", clock_images=8000,
                   image_size=64, conv_blocks=4)
RESULT = {
    "test_cse_minutes": 0.4133, "test_cse_median_minutes": 0.0, "test_hour_accuracy": 0.99875,
    "test_minute_mae": 0.2, "test_loss": 1.25, "test_samples": 800,
    "test_cse_distribution": {"within_1": 0.9625, "max": 61.0},
    "timings": {"fit_seconds": 301.4},
}


def finished_run(store: RunStore, config: RunConfig, result: dict) -> Run:
    """A finished run with `result`, written as the worker writes it (no training)."""
    run = store.create(config)
    run.write_result({"status": "finished", **result})
    run.set_status("finished")
    return run


@pytest.mark.parametrize(("value", "text"), [
    (0.4133, "0.41 min"), (180.0, "180.00 min"), (None, "—"), (float("nan"), "—"),
])
def test_format_minutes(value: float | None, text: str) -> None:
    assert results.format_minutes(value) == text


@pytest.mark.parametrize(("share", "text"), [
    (0.99875, "99.9%"), (1.0, "100.0%"), (0.0794, "7.9%"), (None, "—"),
])
def test_format_percent(share: float | None, text: str) -> None:
    assert results.format_percent(share) == text


def test_cse_and_hour_accuracy_lead_and_the_loss_heads_the_rest() -> None:
    lead, rest = results.curve_groups(LOGGED)
    assert lead == ["cse", "hour_accuracy"]
    assert rest == ["loss", "hour_hand_loss", "hour_hand_mae", "minute_loss", "minute_mae",
                    "minute_error", "learning_rate"]
    assert results.curve_groups(["loss", "accuracy"]) == ([], ["loss", "accuracy"])


@pytest.mark.parametrize(("metric", "title"), [
    ("val_cse", "Common-sense error (minutes, chance: 180)"),
    ("hour_accuracy", "Hour accuracy (share of clocks with the right hour)"),
    ("minute_mae", "Minute head: mean absolute error, in the head's own units, not minutes"),
    ("hour_hand_loss", "Hour hand head: loss"),
    ("val_minute_error", "Minute error (minutes, the short way round the hour; the report's "
                         "minute MAE)"),
    ("learning_rate", "Learning rate (halved when the validation CSE stalls)"),
    ("something_new", "Something new"),
])
def test_every_curve_has_a_title_in_words(metric: str, title: str) -> None:
    assert results.curve_title(metric) == title


def test_curve_figures_show_minutes_and_percent() -> None:
    epochs = pd.DataFrame({"epoch": [1, 2], "val_cse": [150.0, 3.0],
                           "val_hour_accuracy": [0.1, 0.97]})
    cse = results.curve_figure(epochs, pd.DataFrame(), "cse")
    assert cse.layout.title.text == results.CURVE_TITLES["cse"]
    assert cse.layout.yaxis.title.text == "minutes" and cse.layout.yaxis.rangemode == "tozero"
    assert list(cse.data[0].y) == [150.0, 3.0]
    hours = results.curve_figure(epochs, pd.DataFrame(), "hour_accuracy")
    assert hours.layout.yaxis.tickformat == ".0%"
    assert tuple(hours.layout.yaxis.range) == (0, 1.02)
    assert list(hours.data[0].y) == [0.1, 0.97]


def test_headline_leads_with_cse_and_hour_accuracy() -> None:
    tiles = results.headline(RESULT)
    assert [(tile.label, tile.value) for tile in tiles] == [
        ("Common-sense error", "0.41 min"), ("Hour accuracy", "99.9%"),
        ("Read within a minute", "96.2%"), ("Median error", "0.0 min"),
    ]
    assert "800 test clocks" in tiles[1].help
    others = {tile.label: tile.value for tile in results.other_scores(RESULT)}
    assert others == {"Minute error": "0.20 min", "Worst error": "61 min",
                      "Test loss": "1.2500", "Training time": "301 s"}
    assert [tile.value for tile in results.headline({})] == ["—"] * 4


def test_live_tiles_show_the_last_epochs_cse_not_a_head_loss() -> None:
    waiting = results.live_tiles(Progress("running", epoch=1, metrics={"loss": 2.5,
                                                                       "hour_hand_loss": 1.0}))
    assert [(tile.label, tile.value) for tile in waiting] == [
        ("Common-sense error", "—"), ("Hour accuracy", "—"), ("Loss", "2.5000")]
    assert "after the first epoch" in waiting[0].help
    later = results.live_tiles(Progress(
        "running", epoch=3, metrics={"loss": 0.5},
        epoch_metrics={"val_cse": 12.34, "val_hour_accuracy": 0.8, "val_loss": 0.7}))
    assert [tile.value for tile in later] == ["12.3 min", "80.0%", "0.5000"]


def test_finished_clock_runs_come_best_first(dlnn_dirs: Path) -> None:
    store = RunStore()
    worse = finished_run(store, CLOCKS, {"test_cse_minutes": 20.0})
    best = finished_run(store, CLOCKS.replace(seed=1), {"test_cse_minutes": 0.5})
    no_score = finished_run(store, CLOCKS.replace(seed=2), {})
    store.create(CLOCKS.replace(seed=3))  # queued: not listed
    finished_run(store, RunConfig(model="mlp-keras"), {"test_accuracy": 0.9})  # not a clock
    assert [run.run_id for run in results.finished_clock_runs(store)] == [
        best.run_id, worse.run_id, no_score.run_id]
    assert results.run_choice(best).endswith("64 px · CSE 0.50 min")


@pytest.mark.parametrize(("config", "words"), [
    (RunConfig(dataset="clocks-easy", clock_images=64, image_size=48),
     "64 generated easy clocks (upright) at 48 px"),
    (RunConfig(dataset="clocks-medium", clock_images=1000, image_size=64),
     "1,000 generated medium clocks (turned up to 45°) at 64 px"),
    (CLOCKS, "8,000 generated course-like clocks (turned any way round, 25% mirrored) at "
             "64 px"),
    (RunConfig(dataset="clocks-course", data_path="/data/clocks", image_size=150),
     "the course's photographs from /data/clocks, at 150 px"),
])
def test_describe_data(config: RunConfig, words: str) -> None:
    assert results.describe_data(config) == words


def test_describe_model_and_setting(dlnn_dirs: Path) -> None:
    run = finished_run(RunStore(), CLOCKS.replace(model="clock-dial", epochs=12), RESULT)
    assert results.describe_model(run) == (
        "clock-dial · dial reader (unrolled dial, hands from the 12), trained on 8,000 "
        "generated course-like clocks (turned any way round, 25% mirrored) at 64 px; on its "
        "test clocks it is 0.41 min off on average and reads the right hour 99.9% of the time.")
    assert results.describe_setting(run.config) == (
        "clock-dial on course-like clocks, 64 px, 8,000 clocks, 12 epochs")
    assert results.describe_setting(RunConfig(dataset="clocks-course", data_path="/d",
                                              model="clock-hands", epochs=5)) == (
        "clock-hands on the course's photographs, 150 px, 5 epochs")


def test_mistakes_are_the_clocks_read_wrong_largest_first() -> None:
    labels = np.array([[11, 58], [5, 59], [3, 0], [6, 30]])
    predicted = np.array([[0, 2], [5, 1], [3, 0], [0, 30]])  # errors 4, 58, 0, 360
    assert results.mistakes(labels, predicted, 6).tolist() == [3, 1, 0]
    assert results.mistakes(labels, predicted, 2).tolist() == [3, 1]
    assert results.mistakes(labels, labels, 6).tolist() == []


def test_held_out_makes_show_when_measured(dlnn_dirs: Path) -> None:
    assert results.held_out_tiles(RESULT) == []
    held = {**RESULT, "held_out_cse_minutes": 4.5, "held_out_hour_accuracy": 0.955,
            "held_out_cse_median_minutes": 1.0, "held_out_samples": 800,
            "held_out_makes": [1, 2, 3]}
    tiles = results.held_out_tiles(held)
    assert [(tile.label, tile.value) for tile in tiles] == [
        ("Held-out makes: CSE", "4.50 min"), ("Held-out makes: hour accuracy", "95.5%"),
        ("Held-out makes: median error", "1.0 min")]
    assert "800 clocks of 3 makes kept out of training" in tiles[0].help
    any_clock = CLOCKS.replace(dataset="clocks-any-clock", model="clock-dial", epochs=12)
    run = finished_run(RunStore(), any_clock, held)
    assert results.describe_model(run).endswith(
        "(turned any way round, 25% mirrored, 38 of 48 makes) at 64 px; on its test clocks it "
        "is 0.41 min off on average and reads the right hour 99.9% of the time; on clocks of "
        "makes it never saw, 4.50 min and 95.5%.")


def test_photo_models_offer_the_models_of_many_makes_first(dlnn_dirs: Path) -> None:
    store = RunStore()
    best = finished_run(store, CLOCKS, {"test_cse_minutes": 0.1})
    any_clock = CLOCKS.replace(dataset="clocks-any-clock")
    worse_any = finished_run(store, any_clock, {"test_cse_minutes": 2.0,
                                                "held_out_cse_minutes": 9.0})
    better_any = finished_run(store, any_clock.replace(seed=1), {
        "test_cse_minutes": 3.0, "held_out_cse_minutes": 4.0})
    assert results.reads_many_makes(better_any) and not results.reads_many_makes(best)
    assert [run.run_id for run in results.photo_models(store)] == [
        better_any.run_id, worse_any.run_id, best.run_id]


def test_a_learned_locator_shows_how_well_it_found_the_clocks() -> None:
    assert results.locator_tiles(RESULT) == []
    located = {**RESULT, "locator": {
        "images": 8000, "epochs": 16, "fit_seconds": 424.6,
        "run_set": {"centre_error_median": 0.0448, "missed": 0.0029},
        "held_out": {"centre_error_median": 0.0425, "missed": 0.0075}}}
    tiles = results.locator_tiles(located)
    assert [(tile.label, tile.value) for tile in tiles] == [
        ("Locator: centre off by", "0.043 radii"), ("Locator: clocks missed", "0.8%"),
        ("Locator: training", "425 s")]
    assert "held-out makes" in tiles[0].help and "8,000 pictures" in tiles[2].help
    without_held_out = {**RESULT, "locator": {**located["locator"], "held_out": None}}
    assert results.locator_tiles(without_held_out)[0].value == "0.045 radii"
