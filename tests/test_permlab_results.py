"""Task 2's table: paired differences, their spread over seeds, the verdict, the report's."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from dlnn.permlab.results import (
    PUBLIC,
    comparison_table,
    curve_histories,
    measured_table,
    model_kind,
    seed_table,
    status_table,
    summary_json,
    summary_table,
    verdict,
)
from dlnn.permlab.study import RunKey
from dlnn.runs import RunStore
from tests.permlab_runs import tiny_plan, write_study

# Test accuracies by (model, permuted, seed): the MLP's difference is +0.001, -0.002, +0.001
# (noise); the CNN's -0.050, -0.040, -0.060 (an effect).
ACCURACY = {
    ("mlp-geron", False): (0.970, 0.972, 0.969), ("mlp-geron", True): (0.971, 0.970, 0.970),
    ("cnn-keras", False): (0.985, 0.987, 0.986), ("cnn-keras", True): (0.935, 0.947, 0.926),
}


def accuracy(key: RunKey) -> float:
    return ACCURACY[(key.model, key.permuted)][key.seed]


@pytest.fixture
def study(dlnn_dirs: Path):
    store = RunStore()
    plan = tiny_plan(seeds=3)
    write_study(store, plan, accuracy,
                skip=lambda key: key == RunKey("mnist", "mlp-geron", True, 2))
    from dlnn.permlab.study import study_runs

    return plan, study_runs(plan, store)


def test_seed_table_pairs_the_runs_of_each_seed(study):
    plan, runs = study
    table = seed_table(plan, runs)
    assert len(table) == 6
    cnn = table[table["model"] == "cnn-keras"].set_index("seed")
    assert cnn.loc[1, "original"] == pytest.approx(0.987)
    assert cnn.loc[1, "permuted"] == pytest.approx(0.947)
    assert cnn["difference"].tolist() == pytest.approx([-0.05, -0.04, -0.06])
    assert cnn.loc[0, "original_run"] == runs[RunKey("mnist", "cnn-keras", False, 0)].run_id
    assert (cnn["original_epochs"] == 2).all()
    missing = table[(table["model"] == "mlp-geron") & (table["seed"] == 2)].iloc[0]
    assert missing["original"] == pytest.approx(0.969)
    assert math.isnan(missing["permuted"]) and math.isnan(missing["difference"])


def test_summary_averages_finished_pairs_and_tells_noise_from_effect(study):
    plan, runs = study
    summary = summary_table(seed_table(plan, runs)).set_index("model")
    mlp, cnn = summary.loc["mlp-geron"], summary.loc["cnn-keras"]
    assert mlp["seeds"] == 2  # seed 2's permuted run is missing: that pair does not count
    assert mlp["difference"] == pytest.approx(-0.0005)
    assert mlp["difference_std"] == pytest.approx(0.0021213, abs=1e-6)
    assert mlp["verdict"] == "noise"
    assert cnn["seeds"] == 3
    assert cnn["original"] == pytest.approx(0.986)
    assert cnn["difference"] == pytest.approx(-0.05)
    assert cnn["difference_std"] == pytest.approx(0.01)
    assert cnn["verdict"] == "effect"
    assert cnn["sentence"] == ("cnn-keras on mnist: the difference is -0.0500 ± 0.0100 over 3 "
                               "seeds, 5.0 times its spread: a drop caused by the permutation, "
                               "not noise.")


@pytest.mark.parametrize(("mean", "std", "seeds", "kind"), [
    (-0.05, 0.01, 3, "effect"),
    (0.03, 0.01, 3, "effect"),
    (0.0005, 0.002, 3, "noise"),
    (-0.002, 0.002, 3, "noise"),
    (-0.003, 0.002, 3, "unclear"),
    (-0.01, 0.0, 2, "effect"),
    (0.0, 0.0, 2, "noise"),
    (-0.01, math.nan, 1, "one seed"),
    (math.nan, math.nan, 0, "no runs"),
])
def test_verdict(mean, std, seeds, kind):
    assert verdict(mean, std, seeds).kind == kind


def test_the_report_numbers_sit_beside_ours(study):
    plan, runs = study
    table = comparison_table(summary_table(seed_table(plan, runs))).set_index("model")
    # mlp-geron is an MLP: the report's MLP numbers on MNIST go beside it.
    assert table.loc["mlp-geron", "report's model"] == "mlp-keras"
    assert table.loc["mlp-geron", "report original"] == 0.9831
    assert table.loc["mlp-geron", "report permuted"] == 0.9836
    assert table.loc["cnn-keras", "report difference"] == -0.005
    assert math.isnan(table.loc["cnn-keras", "report original"])  # the report gives none
    assert PUBLIC[0]["original"] == 0.9897 and PUBLIC[0]["permuted"] == 0.9533
    assert (model_kind("mlp-keras"), model_kind("cnn-fashion")) == ("mlp", "cnn")


def test_json_has_the_spread_only_with_more_than_one_seed(study):
    plan, runs = study
    out = summary_json(summary_table(seed_table(plan, runs)))
    cnn = out["mnist"]["cnn-keras"]
    assert cnn["original"] == pytest.approx(0.986) and cnn["difference"] == pytest.approx(-0.05)
    assert cnn["spread"]["difference_std"] == pytest.approx(0.01)
    assert cnn["spread"]["verdict"] == "effect"
    one_seed = summary_json(summary_table(seed_table(plan, runs).query("seed == 0")))
    assert "spread" not in one_seed["mnist"]["cnn-keras"]
    assert one_seed["mnist"]["mlp-geron"]["difference"] == pytest.approx(0.001)


def test_curve_histories_are_one_seeds_epochs(study):
    plan, runs = study
    histories = curve_histories(plan, runs, seed=1)
    assert list(histories) == [("mnist", "mlp-geron"), ("mnist", "cnn-keras")]
    permuted = histories[("mnist", "cnn-keras")]["permuted"]
    assert permuted["epoch"].tolist() == [1, 2]
    assert permuted["val_accuracy"].tolist() == pytest.approx([0.847, 0.947])
    assert curve_histories(plan, runs, seed=2)[("mnist", "mlp-geron")]["permuted"] is None


def test_status_table_lists_every_run_of_the_study(study):
    plan, runs = study
    table = status_table(runs)
    assert len(table) == 12
    missing = table[(table["model"] == "mlp-geron") & (table["pixels"] == "permuted")
                    & (table["seed"] == 2)].iloc[0]
    assert missing["status"] == "not started" and pd.isna(missing["run"])
    assert table["test accuracy"].iloc[1] == pytest.approx(0.971)


def test_the_measured_full_study_reads_as_the_docs_say():
    table = measured_table().set_index(["dataset", "model"])
    assert table["verdict"].to_dict() == {
        ("mnist", "mlp-keras"): "noise", ("mnist", "cnn-keras"): "effect",
        ("fashion-mnist", "mlp-keras"): "unclear", ("fashion-mnist", "cnn-fashion"): "effect"}
    differences = table["permuted"] - table["original"]
    assert (differences - table["difference"]).abs().max() < 1e-9
