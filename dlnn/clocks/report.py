"""Task 3's part of the whole report: the report's clock model against ours, Figures 6 and 7.

`report_part` reads from the run store (it trains nothing) the two runs of `reproduce task3`
(the report's model and ours, on the same generated clocks) and the runs of Figures 6 and 7:
the report's model with batch 32 against 256, and with each optimizer, activation and
initializer the report tried, drawn as validation minute error per epoch like the report's
minute MAE. Those sweeps run on upright (easy) clocks: on course-like clocks the report's model
stays at chance (a CSE of about 180 minutes whatever it is given), so every curve would be
the same flat line. The table puts the report's numbers, the best public result and ours side
by side.

Example:
    >>> part = report_part(RunStore(), quick=True, options={})
    >>> [figure.label for figure in part.figures]
    ['Figure 6', 'Figure 7a', 'Figure 7b', 'Figure 7c']
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import pandas as pd

from dlnn.clocks import comparisons
from dlnn.clocks.reproduce import PRESET, REPORT_BASELINE, REPORTED, headline, task3_configs
from dlnn.clocks.results import describe_data, format_minutes, format_percent
from dlnn.config import RunConfig
from dlnn.report import ReportFigure, ReportPart, ReportTable
from dlnn.runs import RunStore
from dlnn.sweeps import member_runs, vary

# The report's model for Figures 6 and 7, on upright clocks; quick: a class-sized version.
FIGURE_BASE = REPORT_BASELINE.replace(dataset="clocks-easy", image_size=64, clock_images=8000,
                                      epochs=12)
QUICK_FIGURES = {"clock_images": 800, "epochs": 3}
METRIC = "val_minute_error"  # the report drew the minute MAE
# Measured (docs/benchmarks.md): at the quick size every curve stays near chance.
QUICK_NOTE = (" At this class size the report's model has not learnt to read the hands yet "
              "(a minute error near 15 min is chance), so the curves barely differ; under the "
              "full protocol (8,000 clocks, 12 epochs) it learns: with 16 filters instead "
              "of 32 it reads such clocks to 1.4 minutes (docs/benchmarks.md).")


def figure_base(quick: bool) -> RunConfig:
    """The configuration Figures 6 and 7 vary one field of."""
    return FIGURE_BASE.replace(**(QUICK_FIGURES if quick else {})).validate()


def report_part(store: RunStore, quick: bool, options: Mapping[str, Any]) -> ReportPart:
    """The results table and Figures 6-7; `options["preset"]` as `--preset`."""
    preset = options.get("preset") or PRESET
    headline_configs = task3_configs(quick, preset)
    base = figure_base(quick)
    configs = list(headline_configs.values())
    drawn = []
    letters = iter("abc")
    for comparison in (comparisons.FIGURE6,
                       *map(comparisons.figure7, comparisons.FIGURE7_FIELDS)):
        label = "Figure 6" if comparison is comparisons.FIGURE6 else f"Figure 7{next(letters)}"
        configs += vary(base, comparison.field, comparison.values)
        state = comparisons.sweep_state(store, base, comparison)
        draw = (partial(comparisons.sweep_figure, state, comparison, METRIC)
                if state.finished else None)
        drawn.append(ReportFigure(
            label, f"{comparison.field}: validation minute error per epoch (the report's "
            "minute MAE), lower is better", draw, len(comparison.values),
            len(comparison.values) - len(state.finished),
            f"The report's model on {describe_data(base)}, {base.epochs} epochs."
            + (QUICK_NOTE if quick else "")))
    return ReportPart(
        "task3", "Task 3: tell the time from an analog clock",
        f"{'QUICK (class-sized): ' if quick else ''}{describe_data(headline_configs['best'])}"
        f", {headline_configs['baseline'].epochs} epochs for the report's model. The report "
        "trained on the course's 18,000 photographs, which are not here: dlnn draws clocks "
        "with the same difficulties.",
        tuple(configs), tuple(drawn), (results_table(store, headline_configs),))


def results_table(store: RunStore, configs: Mapping[str, RunConfig]) -> ReportTable:
    """The report's numbers, the best public result and ours (where finished), one row each."""
    rows = [{"source": source, "hour accuracy": row["hour_accuracy"],
             "minute error": row["minute_mae"], "common-sense error": row["cse_minutes"]}
            for source, row in REPORTED.items()]
    for role, config in configs.items():
        run = member_runs(store, [config])[0]
        if run is None or run.status != "finished":
            rows.append({"source": f"ours: {_role(role, config)}", "hour accuracy": "missing",
                         "minute error": "missing", "common-sense error": "missing"})
            continue
        found = headline(config.model, run)
        rows.append({"source": f"ours: {_role(role, config)}",
                     "hour accuracy": format_percent(found["hour_accuracy"]),
                     "minute error": format_minutes(found["minute_mae"]),
                     "common-sense error": format_minutes(found["cse_minutes"])})
    return ReportTable(
        "Telling the time: test set", pd.DataFrame(rows),
        "Common-sense error: minutes between the read and the true time, the short way round "
        "the 12-hour dial (chance: 180). Ours are on generated clocks, the report's and the "
        "public result on the course's photographs.")


def _role(role: str, config: RunConfig) -> str:
    who = "the report's model" if role == "baseline" else "our best model"
    return f"{who} ({config.model})"
