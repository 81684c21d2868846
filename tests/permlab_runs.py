"""Hand-made permutation studies in a run store: finished runs with chosen test accuracies."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from dlnn.permlab.study import RunKey, StudyPlan, study_plan
from dlnn.runs import Run, RunStore
from tests.fake_runs import write_run

# A two-cell study small enough to train in tests on the synthetic data sets.
TINY_MODELS = {"mnist": ("mlp-geron", "cnn-keras")}


def tiny_plan(seeds: int = 1) -> StudyPlan:
    """mlp-geron and cnn-keras on mnist: 40 images (36 train), 2 epochs, batch 8."""
    from dlnn.permlab.study import STUDY_BASE

    base = STUDY_BASE.replace(subset=40, epochs=2, batch_size=8)
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


def trained_tiny_study(tmp_path_factory) -> Iterator[tuple[StudyPlan, dict[RunKey, Run]]]:
    """Body of a module-scoped fixture: the tiny plan trained on learnable synthetic data.

    `DLNN_CACHE_DIR` and `DLNN_DATA_DIR` stay pointed at its folders while the module runs.
    """
    import pytest

    from dlnn import data
    from dlnn.permlab.study import train_study
    from tests.synthetic import learnable_arrays, write_idx_files

    root = tmp_path_factory.mktemp("permlab")
    for seed, info in enumerate(data.DATASETS.values()):
        write_idx_files(root / "data" / info.folder, learnable_arrays(400, 100, seed))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLNN_CACHE_DIR", str(root / "cache"))
        patch.setenv("DLNN_DATA_DIR", str(root / "data"))
        patch.setenv("DLNN_STANDBY_WORKER", "0")
        data.clear_memory_cache()
        plan = tiny_plan()
        yield plan, train_study(plan, RunStore())
    data.clear_memory_cache()
