"""Hand-made permutation studies in a run store: finished runs with chosen test accuracies."""

from __future__ import annotations

from collections.abc import Callable

from dlnn.permlab.study import RunKey, StudyPlan, study_plan
from dlnn.runs import Run, RunStore
from tests.fake_runs import write_run

# A two-cell study small enough to train in tests on the synthetic data sets.
TINY_MODELS = {"mnist": ("mlp-geron", "cnn-keras")}


def tiny_plan(seeds: int = 1) -> StudyPlan:
    """mlp-geron and cnn-keras on mnist: 40 images, 2 epochs, batch 8."""
    from dlnn.permlab.study import STUDY_BASE

    base = STUDY_BASE.replace(subset=40, epochs=2, batch_size=8, validation_fraction=0.2)
    return study_plan(seeds=seeds, models=TINY_MODELS, base=base)


def write_study(store: RunStore, plan: StudyPlan, accuracy: Callable[[RunKey], float],
                skip: Callable[[RunKey], bool] = lambda key: False) -> dict[RunKey, Run]:
    """A finished fake run for each key of `plan` (but those `skip` names), its test accuracy
    set to `accuracy(key)` and its history's validation accuracy rising to it."""
    runs = {}
    for key, config in zip(plan.keys(), plan.configs(), strict=True):
        if skip(key):
            continue
        value = accuracy(key)
        run = write_run(store, config, "finished", epochs_done=2,
                        val_accuracies=(value - 0.1, value))
        run.write_result({**run.result(), "test_accuracy": value})
        runs[key] = run
    return runs
