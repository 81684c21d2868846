"""Task 1 reproduced: the report's Figures 1-3 over the four panels, then the best settings.

`reproduce_task1` trains (in this process, one member after another) or loads from the run
store every member of the optimizer, activation and initializer sweeps and of the
architecture sweep, for the four panels, under the report's protocol or the quick one; then
the best-settings runs of each panel (one per schedule, the final fit with its seeds). It
writes the figures (HTML) and tables (CSV) under `<cache>/task1/<protocol>/` and returns a
JSON-ready summary.

Example:
    >>> summary = reproduce_task1(quick=True)
    >>> sorted(summary["figures"])
    ['activations', 'initializers', 'optimizers']
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from dlnn import paths
from dlnn.ensembles import fill_probabilities, missing_probabilities
from dlnn.hparams import plan as plans
from dlnn.hparams.best import (
    BEST_SWEEPS,
    BestSettings,
    best_row,
    choose_best,
    counted_configs,
    counted_runs,
    final_fit,
)
from dlnn.hparams.named import FIGURES, NAMED_SWEEPS
from dlnn.hparams.plots import sweep_figure
from dlnn.hparams.protocols import PANELS, PROTOCOLS, Protocol
from dlnn.hparams.results import display_table, near_chance
from dlnn.report import DONE
from dlnn.runs import Run, RunStore
from dlnn.sweeps import member_runs, train_here

Listener = Callable[[dict[str, Any]], None]


def output_dir(protocol: Protocol) -> Path:
    """Where `reproduce task1` writes its figures and tables."""
    return paths.cache_dir() / "task1" / protocol.name


def task1_plans(protocol: Protocol) -> list[plans.Plan]:
    """The sweeps to run: Figures 1-3, then the architectures, each over the four panels."""
    names = dict.fromkeys((*FIGURES, *BEST_SWEEPS))
    return [plans.Plan(name, protocol, PANELS) for name in names]


def reproduce_task1(
    quick: bool = False,
    store: RunStore | None = None,
    listener: Listener | None = None,
    retrain: bool = False,
    say: Callable[[str], None] | None = None,
    best_full_data: bool = False,
    on_run: Callable[[Run], None] | None = None,
) -> dict[str, Any]:
    """Run or load every sweep and best-settings run of Task 1; write figures and tables.

    `best_full_data`: the best settings train on all training images whatever the protocol.
    `on_run` is told about each run before it trains (Ctrl-C handling stops that run).
    """
    protocol = PROTOCOLS["quick" if quick else "report"]
    store = store or RunStore()
    started = time.perf_counter()
    folder = output_dir(protocol)
    folder.mkdir(parents=True, exist_ok=True)
    summary: dict[str, Any] = {"task": "task1", "protocol": protocol.name,
                               "label": protocol.label, "folder": str(folder), "figures": {},
                               "tables": {}, "near_chance": [], "failed": [], "complete": True}
    for plan in task1_plans(protocol):
        configs = plan.configs()
        runs = _train(configs, store, retrain, listener, say, plan.title, on_run)
        if _stopped(runs):
            return {**summary, "complete": False, "stopped": True}
        # A member that failed (its loss diverged: exponential activations, say) is a result
        # of the sweep too, kept and listed; it is not trained again.
        summary["complete"] &= all(run is not None and run.status in DONE for run in runs)
        field = NAMED_SWEEPS[plan.name].field
        summary["failed"] += [
            {"sweep": plan.name, "panel": panel.name, "value": getattr(member.config, field),
             "reason": run.status_record().get("reason") or "no reason recorded",
             "run_id": run.run_id}
            for (panel, member), run in zip(plan.members(), runs, strict=True)
            if run is not None and run.status == "failed"]
        rows = plans.member_rows(plan, runs)
        summary["near_chance"] += [
            {"sweep": plan.name, "panel": row["panel"], "value": row[NAMED_SWEEPS[plan.name]
                                                                     .field],
             "best_val_accuracy": row["best_val_accuracy"]}
            for _, row in near_chance(rows).iterrows()]
        table = plans.summary(plan, runs)
        table_path = folder / f"{plan.name}.csv"
        table.assign(protocol=protocol.label).to_csv(table_path, index=False)
        summary["tables"][plan.name] = str(table_path)
        if plan.name in FIGURES:
            number = FIGURES.index(plan.name) + 1
            figure = sweep_figure(plans.curves(plan, runs), title=plan.title,
                                  note=protocol.label)
            figure_path = folder / f"figure{number}_{plan.name}.html"
            figure.write_html(figure_path, include_plotlyjs="directory")
            summary["figures"][plan.name] = str(figure_path)
            if say:
                say(f"\n{plan.title} ({protocol.label})\n"
                    + display_table(table)
                    .to_string(index=False))
    best_rows = []
    for panel in PANELS:
        choice = choose_best(panel, protocol, store, full_data=best_full_data)
        runs = _train(list(choice.configs), store, retrain, listener, say,
                      f"best settings, {panel.title}", on_run)
        if _stopped(runs):
            return {**summary, "complete": False, "stopped": True}
        counted = [config for config in counted_configs(choice, store)
                   if config not in choice.configs]
        if counted:  # the picked settings on every training image, once per seed
            title = "final fit" if final_fit(choice, store) is not None else "seeds"
            runs = _train(counted, store, retrain, listener, say,
                          f"best settings, {panel.title}, {title}", on_run)
            if _stopped(runs):
                return {**summary, "complete": False, "stopped": True}
        _fill_outputs(choice, store, say)
        row = best_row(choice, store)
        summary["complete"] &= row["test_accuracy"] is not None
        best_rows.append(row)
    best_path = folder / "best_settings.csv"
    pd.DataFrame(best_rows).to_csv(best_path, index=False)
    summary["tables"]["best_settings"] = str(best_path)
    summary["best"] = best_rows
    summary["wall_seconds"] = round(time.perf_counter() - started, 1)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return summary


def _fill_outputs(choice: BestSettings, store: RunStore,
                  say: Callable[[str], None] | None) -> None:
    """Predict the test set again for runs that count in an ensemble but were trained before
    runs kept their softmax outputs (loads each model once; seconds)."""
    runs = counted_runs(choice, store)
    if runs is None or len(runs) < 2:
        return
    for run in missing_probabilities(runs):
        if say:
            say(f"[best settings, {choice.panel.title}] test-set outputs of {run.run_id} "
                "(trained before runs kept them)")
        try:
            fill_probabilities(run)
        except ValueError as error:  # the row says "ensemble to evaluate"
            if say:
                say(f"[best settings, {choice.panel.title}] {error}")


def _stopped(runs: list[Run | None]) -> bool:
    """Whether the user stopped a member (Ctrl-C): then nothing after it trains."""
    return any(run is not None and run.status == "cancelled" for run in runs)


def _train(configs: list, store: RunStore, retrain: bool, listener: Listener | None,
           say: Callable[[str], None] | None, title: str,
           on_run: Callable[[Run], None] | None = None) -> list[Run | None]:
    """Train what is missing of `configs` here; the stored run of each (None if stopped)."""
    def told(index: int, config: Any, run: Run) -> None:
        if on_run is not None:
            on_run(run)
        if say:
            say(f"[{title}] member {index + 1}/{len(configs)}: {config.model} on "
                f"{config.dataset}, {config.optimizer} lr {config.effective_learning_rate:g}, "
                f"{config.activation}, {config.initializer} -> {run.run_id}")

    train_here(configs, store, retrain=retrain, listener=listener, on_member=told)
    return member_runs(store, configs)


def print_summary(summary: dict[str, Any]) -> None:
    """`reproduce task1`'s closing lines: where the files are, chance members, best settings."""
    print(f"\nTask 1 ({summary['label']}): figures and tables in {summary['folder']}")
    if summary.get("stopped"):
        print("stopped before the end; run the command again to resume")
        return
    for item in summary["failed"]:
        print(f"failed (a result, kept): {item['sweep']} {item['value']} on {item['panel']}: "
              f"{item['reason']}")
    for item in summary["near_chance"]:
        print(f"near chance: {item['sweep']} {item['value']} on {item['panel']} "
              f"(best validation accuracy {item['best_val_accuracy']:.4f})")
    print(f"{'panel':<34} {'test acc.':>9} {'report':>7} {'target':>7} {'epochs':>6} "
          f"{'train s':>8}  settings")
    for row in summary["best"]:
        seeds = f"; seeds {row['seed_test_accuracies']}" if ", " in row[
            "seed_test_accuracies"] else ""
        print(f"{row['panel']:<34} {_number(row['test_accuracy'], 4):>9} "
              f"{_number(row['report_test_accuracy'], 4):>7} {_number(row['target'], 3):>7} "
              f"{row['epochs_run'] or 0:>6} {_number(row['train_seconds'], 0):>8}  "
              f"{row['settings']}{seeds}")
    print(f"wall time {summary['wall_seconds']:.0f} s")


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"

