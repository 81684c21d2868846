"""A run store holding every run of the whole report, hand-made with known numbers.

`fill_report_store` asks the labs' report hooks which runs they need (the quick protocol) and
writes a fake finished run for each, again until none is missing (Task 1's best settings are
only known once its sweeps are there). `finish_run` is also the fake trainer the resume tests
put in place of `dlnn.training.execute`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from dlnn import report
from dlnn.config import RunConfig
from dlnn.runs import Run, RunStore
from tests.fake_runs import fill_run

# The numbers the fake runs carry, so that tests can find them in the report.
BEST_ACCURACY = 0.9876  # a Task 1 best-settings run (early stopping on)
SWEEP_ACCURACY = 0.9  # every Task 1 sweep member
ORIGINAL, PERMUTED = 0.97, 0.95  # Task 2 test accuracies
BASELINE_CSE, OURS_CSE = 176.75, 0.5  # Task 3: the report's clock model and ours
FIGURE_MINUTE_ERROR = 3.25  # every Figure 6-7 run's validation minute error


def is_task2(config: RunConfig) -> bool:
    """Whether `config` is a run of the permutation study (early stopping on the loss)."""
    return config.early_stopping and config.monitor == "val_loss"


def finish_run(run: Run, *_: object) -> None:
    """Write a finished run's files into `run`, with the numbers above."""
    config = run.config
    if config.dataset.startswith("clocks"):
        _finish_clock_run(run, config)
        return
    accuracy = (SWEEP_ACCURACY if not config.early_stopping  # Task 1's sweeps
                else BEST_ACCURACY if config.monitor == "val_accuracy"  # Task 1's best settings
                else PERMUTED if config.permute else ORIGINAL)  # Task 2
    fill_run(run, "finished", val_accuracies=(accuracy - 0.1, accuracy))
    run.write_result({**run.result(), "test_accuracy": accuracy})


def _finish_clock_run(run: Run, config: RunConfig) -> None:
    fill_run(run, "finished", extra_metrics={"val_minute_error": FIGURE_MINUTE_ERROR,
                                             "val_cse": FIGURE_MINUTE_ERROR})
    cse = BASELINE_CSE if config.model == "clock-two-head" else OURS_CSE
    run.write_result({**run.result(), "test_cse_minutes": cse, "test_minute_mae": cse / 10,
                      "test_hour_accuracy": 0.08 if cse > 100 else 1.0})


def fill_report_store(store: RunStore, skip: Callable[[RunConfig], bool] = lambda _: False
                      ) -> int:
    """A finished fake run for every run the quick report needs (but those `skip` names);
    returns how many were written."""
    written = 0
    while True:
        parts = report.collect_parts(store, quick=True)
        missing = [config for state in report.overview(parts, store).states.values()
                   for config in state.missing if not skip(config)]
        if not missing:
            return written
        for config in missing:
            finish_run(store.create(config))
            written += 1


def make_old_report(folder: Path) -> None:
    """Turn a written report into one of those written before the Report page could show it
    itself: no figure JSON, no protocol, tables or figures in `index.json`."""
    for path in folder.glob("figure-*.json"):
        path.unlink()
    state = json.loads((folder / "index.json").read_text())
    for part in state["parts"]:
        for key in ("protocol", "tables", "figures"):
            del part[key]
    (folder / "index.json").write_text(json.dumps(state))
