"""Task 1's part of the whole report: Figures 1-3 and the best settings, from the run store.

`report_part` reads the sweeps `reproduce task1` trains (the optimizers, activations and
initializers of Figures 1-3 and the architectures, over the four panels) and, once every sweep
has ended, the best-settings run of each panel; it trains nothing. The best-settings table puts
the report's test accuracy, the best public number for the same kind of network and ours side
by side.

Example:
    >>> part = report_part(RunStore(), quick=True, options={})
    >>> [figure.label for figure in part.figures]
    ['Figure 1', 'Figure 2', 'Figure 3']
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import pandas as pd

from dlnn.hparams import plan as plans
from dlnn.hparams.best import BEST_SWEEPS, best_row, choose_best, wanted_configs
from dlnn.hparams.named import FIGURES, NAMED_SWEEPS
from dlnn.hparams.plots import sweep_figure
from dlnn.hparams.protocols import PANELS, PROTOCOLS
from dlnn.hparams.reproduce import task1_plans
from dlnn.hparams.results import display_table
from dlnn.report import DONE, NOT_GIVEN, ReportFigure, ReportPart, ReportTable
from dlnn.runs import Run, RunStore
from dlnn.sweeps import member_runs

# The best public numbers for each panel's kind of network (SPEC.md, Task 1).
PUBLIC: dict[str, str] = {
    "mlp-keras/mnist": "0.9840 (Keras mnist_mlp.py: RMSprop, batch 128, 20 epochs)",
    "cnn-keras/mnist": "0.9925 (Keras mnist_cnn.py, a larger CNN: our cnn-keras-example)",
    "mlp-keras/fashion-mnist": NOT_GIVEN,
    "cnn-fashion/fashion-mnist": "above 0.92 (Geron 2019 p.461, a larger CNN: our cnn-geron)",
}


def report_part(store: RunStore, quick: bool, options: Mapping[str, Any]) -> ReportPart:
    """Figures 1-3, their tables and the best settings, for the quick or the report protocol."""
    protocol = PROTOCOLS["quick" if quick else "report"]
    configs, figures, tables = [], [], []
    sweeps_done = True
    for plan in task1_plans(protocol):
        planned = plan.configs()
        runs = member_runs(store, planned)
        configs += planned
        sweeps_done &= all(_done(run) for run in runs)
        if plan.name not in FIGURES:
            continue
        label = f"Figure {FIGURES.index(plan.name) + 1}"
        finished = [run for run in runs if run is not None and run.status == "finished"]
        draw = partial(_figure, plan, runs, protocol.label) if finished else None
        numbers = ReportTable(
            "its numbers: best validation accuracy per option (the report gives none, only "
            "the curves)", display_table(plans.summary(plan, runs))) if finished else None
        figures.append(ReportFigure(
            label, f"{NAMED_SWEEPS[plan.name].field}s: validation accuracy per epoch, one "
            "panel per model and data set", draw, len(planned), len(planned) - len(finished),
            protocol.label, numbers))
    waiting: tuple[str, ...] = ()
    if sweeps_done:
        best, best_configs = _best_settings(store, protocol)
        configs += best_configs
        tables.append(best)
    else:
        runs = len(protocol.best_variants)
        waiting = (f"the best-settings runs of each panel ({runs} per panel"
                   f"{', then a final fit' if protocol.final_fit else ''}"
                   f"{f' of {protocol.final_seeds} seeds' if protocol.final_seeds > 1 else ''})"
                   ", once the sweeps "
                   f"({', '.join(BEST_SWEEPS)}) have ended",)
    return ReportPart(
        "task1", "Task 1: Keras basics on MNIST and Fashion-MNIST",
        f"{protocol.label}. The report trained every sweep member on all 54,000 training "
        "images for 10 epochs; the best settings train with early stopping "
        f"(up to {protocol.best_epochs} epochs, patience {protocol.best_patience}, "
        f"{'all' if protocol.best_subset is None else f'{protocol.best_subset:,}'} images).",
        tuple(configs), tuple(figures), tuple(tables), waiting)


def _figure(plan: plans.Plan, runs: list[Run | None], note: str) -> Any:
    return sweep_figure(plans.curves(plan, runs), title=plan.title, note=note)


def _done(run: Run | None) -> bool:
    return run is not None and run.status in DONE


def _best_settings(store: RunStore, protocol: Any) -> tuple[ReportTable, list]:
    """The best-settings table (ours beside the report's and the best public) and its runs."""
    rows, configs = [], []
    for panel in PANELS:
        choice = choose_best(panel, protocol, store)
        configs.extend(wanted_configs(choice, store))
        found = best_row(choice, store)
        rows.append({
            "panel": found["panel"], "settings (chosen by the sweeps)": found["settings"],
            "the report": found["report_test_accuracy"]
            if found["report_test_accuracy"] is not None else NOT_GIVEN,
            "best public": PUBLIC.get(panel.name, NOT_GIVEN),
            "ours": found["test_accuracy"], "each seed": found["seed_test_accuracies"],
            "epochs": found["epochs_run"], "status": found["status"],
        })
    seeds = (f" Ours: the final fit's {protocol.final_seeds} seeds with their softmax outputs "
             "averaged; each seed's own beside it.") if protocol.final_seeds > 1 else ""
    return ReportTable("Best settings: test accuracy", pd.DataFrame(rows),
                       "The report gives test accuracies for the MLPs only (in Task 2); "
                       "the public numbers are for the networks named." + seeds), configs
