"""The study plan: which runs Task 2 trains, in what order, and finding them again."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlnn.config import ConfigError
from dlnn.permlab.study import (
    QUICK_CHANGES,
    REPORT_MODELS,
    STUDY_BASE,
    RunKey,
    describe_base,
    start_study,
    study_plan,
    study_runs,
)
from dlnn.runs import RunStore
from tests.fake_runs import write_run
from tests.permlab_runs import tiny_plan, write_study


def test_the_report_study_is_four_runs_per_data_set_and_seed():
    plan = study_plan()
    assert plan.cells == (("mnist", "mlp-keras"), ("mnist", "cnn-keras"),
                          ("fashion-mnist", "mlp-keras"), ("fashion-mnist", "cnn-fashion"))
    assert plan.seeds == (0, 1, 2)
    configs = plan.configs()
    assert len(configs) == 24 == len(set(configs))
    assert [config.seed for config in configs] == [0] * 8 + [1] * 8 + [2] * 8
    for original, permuted in zip(configs[::2], configs[1::2], strict=True):
        assert not original.permute and permuted.permute
        assert permuted == original.replace(permute=True)  # nothing else differs
    assert all(config.early_stopping and config.subset is None for config in configs)


def test_quick_is_the_class_sized_study_with_one_seed():
    plan = study_plan(quick=True)
    assert plan.seeds == (0,)
    assert len(plan.configs()) == 8
    for config in plan.configs():
        assert (config.subset, config.epochs, config.batch_size) == (10_000, 3, 64)
        assert config.optimizer == STUDY_BASE.optimizer
    assert QUICK_CHANGES["subset"] == 10_000
    assert study_plan(quick=True, seeds=3, first_seed=5).seeds == (5, 6, 7)


def test_any_zoo_model_can_be_studied():
    plan = study_plan(models={"fashion-mnist": ["mlp-geron", "cnn-geron"]}, seeds=1)
    assert plan.datasets == ("fashion-mnist",)
    assert [key.model for key in plan.keys()] == ["mlp-geron"] * 2 + ["cnn-geron"] * 2
    assert set(REPORT_MODELS) == {"mnist", "fashion-mnist"}


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"seeds": 0}, "seeds"),
    ({"seeds": 11}, "seeds"),
    ({"models": {"mnist": ["clock-dial"]}}, "model"),
    ({"models": {"mnist": ["resnet"]}}, "model"),
    ({"models": {}}, "dataset"),
    ({"base": STUDY_BASE.replace(batch_size=0)}, "batch_size"),
])
def test_a_bad_plan_names_the_field(kwargs, field):
    with pytest.raises(ConfigError) as error:
        study_plan(**kwargs)
    assert error.value.field == field


def test_study_runs_finds_each_run_and_prefers_a_finished_one(dlnn_dirs: Path):
    store = RunStore()
    plan = tiny_plan(seeds=2)
    written = write_study(store, plan, lambda key: 0.9,
                          skip=lambda key: key == RunKey("mnist", "cnn-keras", True, 1))
    newer_failure = write_run(store, plan.config("mnist", "mlp-geron", False, 0), "failed")
    found = study_runs(plan, store)
    assert list(found) == plan.keys()
    assert found[RunKey("mnist", "cnn-keras", True, 1)] is None
    assert found[RunKey("mnist", "mlp-geron", False, 0)].run_id == \
        written[RunKey("mnist", "mlp-geron", False, 0)].run_id != newer_failure.run_id
    assert sum(run is not None for run in found.values()) == 7


def test_starting_a_trained_study_reuses_every_run(dlnn_dirs: Path):
    store = RunStore()
    plan = tiny_plan()
    written = write_study(store, plan, lambda key: 0.8)
    runs = start_study(plan, store)
    assert {key: run.run_id for key, run in runs.items()} == \
        {key: run.run_id for key, run in written.items()}
    assert len(store.list()) == len(plan.keys())  # no new run folder


def test_keys_and_the_shared_configuration_read_in_words():
    assert RunKey("mnist", "cnn-keras", True, 2).label == \
        "cnn-keras on mnist, permuted pixels, seed 2"
    assert describe_base(study_plan(quick=True).base) == (
        "rmsprop lr 0.001 · glorot_uniform · batch 64 · up to 3 epochs · early stopping on "
        "val_loss (patience 3, best weights restored) · 10,000 images (10% for validation)")
    assert "all images" in describe_base(STUDY_BASE)
