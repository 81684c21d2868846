"""Task 2 reproduced: `python -m dlnn reproduce task2 [--quick] [--seeds K]`.

Trains the study's missing runs in this process, one after the other (finished ones come from
the run store, so a second call, or one after Ctrl-C, picks up where the last stopped), then
returns the test-accuracy table as JSON-ready data and writes the figures as HTML files under
`<cache>/reproduce/task2/<full|quick>/`: training and validation accuracy per epoch (the
report's Figures 4 and 5) and the differences over seeds.

Example:
    >>> summary, complete = reproduce_task2(quick=True)
    >>> sorted(summary["mnist"]["mlp-keras"])
    ['difference', 'original', 'permuted', 'seeds', 'sentence']
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dlnn import paths
from dlnn.permlab import figures
from dlnn.permlab.results import curve_histories, seed_table, summary_json, summary_table
from dlnn.permlab.study import RunKey, StudyPlan, study_plan, study_runs, train_study
from dlnn.runs import Run, RunStore

FIGURE_TITLES = {
    "training_accuracy": "Training accuracy per epoch, original vs permuted pixels "
                         "(report Figures 4-5)",
    "validation_accuracy": "Validation accuracy per epoch, original vs permuted pixels",
    "differences": "Permuted minus original test accuracy, per seed and mean ± std",
}


def figures_folder(quick: bool) -> Path:
    """Where `reproduce task2` writes its HTML figures."""
    return paths.cache_dir() / "reproduce" / "task2" / ("quick" if quick else "full")


def write_figures(plan: StudyPlan, runs: dict[RunKey, Run | None], folder: Path
                  ) -> dict[str, str]:
    """The study's figures as HTML files (plotly.js once beside them); name -> path."""
    seeds = seed_table(plan, runs)
    histories = curve_histories(plan, runs)
    built = {
        "training_accuracy": figures.curve_panels(histories, "accuracy",
                                                  FIGURE_TITLES["training_accuracy"]),
        "validation_accuracy": figures.curve_panels(histories, "val_accuracy",
                                                    FIGURE_TITLES["validation_accuracy"]),
        "differences": figures.difference_figure(seeds, summary_table(seeds),
                                                 FIGURE_TITLES["differences"]),
    }
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, figure in built.items():
        path = folder / f"{name}.html"
        figure.write_html(path, include_plotlyjs="directory")
        written[name] = str(path)
    return written


def reproduce_task2(
    quick: bool = False,
    seeds: int | None = None,
    store: RunStore | None = None,
    listener: Callable[[dict[str, Any]], None] | None = None,
    retrain: bool = False,
    on_run: Callable[[RunKey, Run], None] | None = None,
    plan: StudyPlan | None = None,
) -> tuple[dict[str, Any], bool]:
    """Train (or reuse) the study; its table, verdicts and figure files, and whether all finished.

    Args:
        quick: the class-sized study (10,000 images, 3 epochs, one seed unless `seeds`).
        seeds: k, the seeds per run (default 3, quick 1).
        store: the run store (default `cache/runs`).
        listener: receives every training event (the CLI's progress printer).
        retrain: train again even where a finished run exists.
        on_run: called with each run before it trains.
        plan: a plan of one's own instead of `study_plan(quick, seeds)`.
    """
    store = store or RunStore()
    plan = plan or study_plan(quick=quick, seeds=seeds)
    started = time.perf_counter()
    train_study(plan, store, listener=listener, retrain=retrain, on_run=on_run)
    runs = study_runs(plan, store)
    table = summary_table(seed_table(plan, runs))
    finished = sum(run is not None and run.status == "finished" for run in runs.values())
    summary = {
        "task": "task2", "quick": quick, "seeds": list(plan.seeds),
        "datasets": list(plan.datasets), **summary_json(table),
        "finished_runs": finished, "planned_runs": len(runs),
        "seconds": round(time.perf_counter() - started, 1),
        "figures": write_figures(plan, runs, figures_folder(quick)),
    }
    return summary, finished == len(runs)
