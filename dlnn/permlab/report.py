"""Task 2's part of the whole report: Figures 4 and 5 and the test-accuracy table.

`report_part` reads the permutation study `reproduce task2` trains (original and permuted
pixels, the report's MLPs and CNNs, one run per seed) from the run store; it trains nothing.
Figure 4 is MNIST, Figure 5 Fashion-MNIST: training accuracy per epoch, original against
permuted, as the report drew them. The table puts the report's test accuracies, the best public
re-implementation's and ours side by side.

Example:
    >>> part = report_part(RunStore(), quick=True, options={})
    >>> [figure.label for figure in part.figures]
    ['Figure 4', 'Figure 5']
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import pandas as pd

from dlnn.permlab import figures
from dlnn.permlab.results import (
    PUBLIC,
    comparison_table,
    curve_histories,
    model_kind,
    seed_table,
    summary_table,
)
from dlnn.permlab.study import describe_base, study_plan, study_runs
from dlnn.report import NOT_GIVEN, ReportFigure, ReportPart, ReportTable
from dlnn.runs import RunStore

FIGURES = {"mnist": ("Figure 4", "MNIST"), "fashion-mnist": ("Figure 5", "Fashion-MNIST")}


def report_part(store: RunStore, quick: bool, options: Mapping[str, Any]) -> ReportPart:
    """Figures 4-5 and the test-accuracy table; `options["seeds"]` as `--seeds`."""
    plan = study_plan(quick=quick, seeds=options.get("seeds"))
    runs = study_runs(plan, store)
    histories = curve_histories(plan, runs)
    drawn = []
    for dataset, (label, name) in FIGURES.items():
        mine = {cell: pair for cell, pair in histories.items() if cell[0] == dataset}
        keys = [key for key in runs if key.dataset == dataset and key.seed == plan.seeds[0]]
        missing = sum(runs[key] is None or runs[key].status != "finished" for key in keys)
        draw = (partial(figures.curve_panels, mine, "accuracy",
                        f"Training accuracy on {name}, original vs permuted pixels")
                if keys and missing < len(keys) else None)
        drawn.append(ReportFigure(
            label, f"Training accuracy on permuted and non-permuted {name} data", draw,
            len(keys), missing, f"seed {plan.seeds[0]}; {describe_base(plan.base)}"))
    summary = summary_table(seed_table(plan, runs)).dropna(subset=["original", "permuted"])
    table = ReportTable(
        "Test accuracy, original vs permuted pixels",
        with_public(comparison_table(summary)) if not summary.empty else pd.DataFrame(),
        "Difference = permuted minus original. The report gives the CNNs' differences only. "
        "An MLP is exactly invariant to one fixed permutation: its differences are noise.")
    return ReportPart(
        "task2", "Task 2: one fixed random pixel permutation",
        f"{'QUICK study (class-sized): ' if quick else 'Full study: '}"
        f"{describe_base(plan.base)}; seeds {', '.join(map(str, plan.seeds))}. "
        "The report trained on all images with early stopping, one seed.",
        tuple(plan.configs()), tuple(drawn), (table,))


def with_public(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table with the best public re-implementation's numbers per row."""
    public = []
    for dataset, model in zip(table["data set"], table["model"], strict=True):
        found = [entry for entry in PUBLIC
                 if entry["dataset"] == dataset and model_kind(model) == "cnn"]
        public.append("; ".join(
            f"{entry['original']:.4f} → {entry['permuted']:.4f} ({entry['difference']:+.4f}, "
            f"{entry['source']})" for entry in found) or NOT_GIVEN)
    return table.assign(**{"best public": public})
