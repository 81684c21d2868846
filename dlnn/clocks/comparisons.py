"""The report's Figures 6 and 7 for clocks: runs that differ in one field, one curve each.

Figure 6 compares batch sizes 32 and 256; Figure 7 the optimizers, activations or
initializers the report tried (`sweeps.REPORT_SWEEPS`). Each is a sweep around one base
configuration (the Clock lab's training setup). `sweep_state` sorts a sweep's values into
finished, training and missing runs (never run, failed or cancelled: those a button can queue),
`CURVES` names the validation curves a figure can show, and `sweep_figure` draws one of them
per run.

Example:
    >>> state = sweep_state(RunStore(), base, FIGURE6)
    >>> state.missing
    [32, 256]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from dlnn import figures, sweeps
from dlnn.config import RunConfig
from dlnn.runs import ACTIVE, Run, RunStore


@dataclass(frozen=True)
class Comparison:
    """One figure: a field and the values whose runs it compares."""

    title: str
    field: str
    values: tuple[Any, ...]


FIGURE6 = Comparison("Figure 6: batch size", "batch_size", sweeps.REPORT_SWEEPS["batch_size"])
FIGURE7_FIELDS = ("optimizer", "activation", "initializer")


@dataclass(frozen=True)
class Curve:
    """A validation curve a figure can show: a short name and what it measures."""

    name: str
    meaning: str


# CSE leads, as everywhere in the lab; the report drew the minute error.
CURVES = {
    "val_cse": Curve("common-sense error", "minutes between the true and the read time, the "
                     "short way round the dial"),
    "val_minute_error": Curve("minute error", "minutes between the true and the read minute "
                              "hand, ignoring the hour (the report's minute MAE)"),
}


def figure7(field: str) -> Comparison:
    """Figure 7 for one of `FIGURE7_FIELDS`, over the values the report tried."""
    if field not in FIGURE7_FIELDS:
        raise ValueError(f"Figure 7 compares one of {', '.join(FIGURE7_FIELDS)}, not {field!r}")
    return Comparison(f"Figure 7: {field}", field, sweeps.REPORT_SWEEPS[field])


@dataclass(frozen=True)
class SweepState:
    """Where each value of a comparison stands in the run store."""

    runs: dict[Any, Run | None]  # value -> its newest run (a finished one first), or None
    finished: list[Any]
    active: list[Any]  # queued or training now
    missing: list[Any]  # no run, or one that failed or was cancelled


def sweep_state(store: RunStore, base: RunConfig, comparison: Comparison) -> SweepState:
    """The runs of a comparison around `base`; raises `ConfigError` if a value does not fit."""
    runs = sweeps.sweep_runs(store, base, comparison.field, comparison.values)
    status = {value: None if run is None else run.status for value, run in runs.items()}
    return SweepState(
        runs=runs,
        finished=[value for value, state in status.items() if state == "finished"],
        active=[value for value, state in status.items() if state in ACTIVE],
        missing=[value for value, state in status.items()
                 if state not in ("finished", *ACTIVE)],
    )


def sweep_figure(state: SweepState, comparison: Comparison, metric: str) -> go.Figure:
    """One curve of `metric` (a key of `CURVES`) per run of the comparison, minutes on y."""
    if metric not in CURVES:
        raise ValueError(f"unknown curve {metric!r}; choose one of {', '.join(CURVES)}")
    histories = sweeps.sweep_histories(state.runs, comparison.field)
    figure = figures.compare_runs(histories, metric, title=comparison.title,
                                  legend_title=comparison.field)
    if figure.data:
        figure.update_yaxes(title_text=f"{CURVES[metric].name} (minutes)", rangemode="tozero")
    return figure
