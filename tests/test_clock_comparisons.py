"""Figures 6 and 7 for clocks: which runs exist, which are missing, what the figure shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlnn.clocks import comparisons
from dlnn.config import ConfigError, RunConfig
from dlnn.runs import RunStore
from tests.fake_runs import write_run

BASE = RunConfig(dataset="clocks-easy", model="clock-hands", clock_images=400, image_size=32,
                 conv_blocks=2, epochs=3, batch_size=16)


def test_figures_compare_the_values_the_report_tried() -> None:
    assert (comparisons.FIGURE6.field, comparisons.FIGURE6.values) == ("batch_size", (32, 256))
    optimizers = comparisons.figure7("optimizer")
    assert optimizers.title == "Figure 7: optimizer" and "adadelta" in optimizers.values
    with pytest.raises(ValueError, match="Figure 7 compares one of"):
        comparisons.figure7("batch_size")


def test_sweep_state_sorts_values_into_finished_active_and_missing(dlnn_dirs: Path) -> None:
    store = RunStore()
    figure = comparisons.Comparison("Figure 7: activation", "activation",
                                    ("relu", "tanh", "elu", "sigmoid", "linear"))
    write_run(store, BASE.replace(activation="relu"), "finished", epochs_done=3)
    store.create(BASE.replace(activation="tanh"))  # queued
    write_run(store, BASE.replace(activation="elu"), "failed", epochs_done=1)
    write_run(store, BASE.replace(activation="sigmoid"), "cancelled", epochs_done=1)
    state = comparisons.sweep_state(store, BASE, figure)
    assert state.finished == ["relu"]
    assert state.active == ["tanh"]
    assert state.missing == ["elu", "sigmoid", "linear"]
    assert state.runs["linear"] is None and state.runs["relu"].status == "finished"


def test_a_value_that_does_not_fit_the_base_is_named(dlnn_dirs: Path) -> None:
    too_big = comparisons.Comparison("Figure 6: batch size", "batch_size", (32, 100_000))
    with pytest.raises(ConfigError) as error:
        comparisons.sweep_state(RunStore(), BASE, too_big)
    assert error.value.field == "batch_size"


def test_sweep_figure_draws_the_chosen_curve_in_minutes(dlnn_dirs: Path) -> None:
    store = RunStore()
    run = store.create(BASE.replace(batch_size=32))
    for epoch, (cse, minute) in enumerate([(170.0, 14.0), (20.0, 3.0)], start=1):
        run.log_event({"type": "epoch", "time": float(epoch), "epoch": epoch, "seconds": 1.0,
                       "metrics": {"val_cse": cse, "val_minute_error": minute}})
    run.set_status("finished")
    state = comparisons.sweep_state(store, BASE, comparisons.FIGURE6)
    figure = comparisons.sweep_figure(state, comparisons.FIGURE6, "val_cse")
    assert [trace.name for trace in figure.data] == ["batch_size=32"]
    assert list(figure.data[0].y) == [170.0, 20.0]
    assert figure.layout.yaxis.title.text == "common-sense error (minutes)"
    minutes = comparisons.sweep_figure(state, comparisons.FIGURE6, "val_minute_error")
    assert list(minutes.data[0].y) == [14.0, 3.0]
    assert minutes.layout.yaxis.title.text == "minute error (minutes)"
    with pytest.raises(ValueError, match="unknown curve"):
        comparisons.sweep_figure(state, comparisons.FIGURE6, "val_loss")
