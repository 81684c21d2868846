"""Tests for dlnn.compare: the run table and side-by-side configurations."""

import math

import pytest

from dlnn import compare
from dlnn.runs import RunStore
from tests.fake_runs import write_clock_run, write_three_runs


@pytest.fixture
def runs(dlnn_dirs):
    return write_three_runs(RunStore())


def test_runs_table_has_one_row_per_run_with_the_key_numbers(runs):
    table = compare.runs_table(RunStore().list()).set_index("status")
    columns = compare.table_columns()
    assert list(table.columns) == columns[:1] + columns[2:]
    assert sorted(table.index) == ["cancelled", "failed", "finished"]
    finished = table.loc["finished"]
    assert finished["best_val_accuracy"] == pytest.approx(0.6)  # best of 0.5, 0.6
    assert finished["test_accuracy"] == pytest.approx(13 / 20)  # every third of 20 wrong
    assert finished["epochs_run"] == 2 and finished["seconds"] == 12.5
    assert finished["learning_rate"] == 0.001  # rmsprop's default, the rate used
    assert table.loc["failed", "learning_rate"] == 5.0
    assert math.isnan(table.loc["cancelled", "test_accuracy"])
    assert table.loc["cancelled", "model"] == "cnn-keras"


def test_empty_store_gives_an_empty_table_with_the_columns(dlnn_dirs):
    table = compare.runs_table(RunStore().list())
    assert table.empty and list(table.columns) == compare.table_columns()
    assert compare.headline_columns(table) == {}


def test_runs_table_shows_each_task_its_own_headline_metrics(runs):
    clock = write_clock_run(RunStore())
    table = compare.runs_table(RunStore().list()).set_index("run_id")
    row = table.loc[clock.run_id]
    assert row["task"] == "clock"
    assert row["test_cse_minutes"] == 12.5 and row["test_minute_mae"] == 3.25
    assert row["test_hour_accuracy"] == 0.875
    assert row["best_val_cse"] == 40.0  # the lowest of 150, 40, 55
    # The hour accuracy the clock task also stores as test_accuracy is no test accuracy.
    assert math.isnan(row["test_accuracy"]) and math.isnan(row["best_val_accuracy"])
    classifier = table.loc[runs["finished"].run_id]
    assert classifier["task"] == "classification" and math.isnan(classifier["best_val_cse"])
    shown = compare.headline_columns(table.reset_index())
    assert list(shown) == ["test_accuracy", "test_loss", "best_val_accuracy",
                           "test_cse_minutes", "test_hour_accuracy", "test_minute_mae",
                           "best_val_cse"]
    assert shown["test_cse_minutes"].format(12.5) == "12.5 min"
    only_classifiers = table[table["task"] == "classification"].reset_index()
    assert list(compare.headline_columns(only_classifiers)) == [
        "test_accuracy", "test_loss", "best_val_accuracy"]


def test_filter_runs(runs):
    table = compare.runs_table(RunStore().list())
    assert len(compare.filter_runs(table)) == 3
    assert compare.filter_runs(table, statuses=["failed", "cancelled"])["status"].tolist() in (
        ["failed", "cancelled"], ["cancelled", "failed"])
    assert compare.filter_runs(table, models=["cnn-keras"])["status"].tolist() == ["cancelled"]
    assert compare.filter_runs(table, datasets=["fashion-mnist"]).empty


def test_config_table_marks_exactly_the_differing_fields(runs):
    table = compare.config_table([runs["finished"], runs["failed"]], labels=["a", "b"])
    assert list(table.columns) == ["a", "b", "differs"]
    assert table.index[table["differs"]].tolist() == ["optimizer", "learning_rate"]
    assert table.loc["learning_rate", "a"] == "0.001"
    assert table.loc["dropout", "a"] == "the model's own rates"
    assert table.loc["permute", "a"] == "false"


def test_config_table_lists_only_the_fields_that_matter_for_the_runs(runs):
    mlp = compare.config_table([runs["finished"]]).index.tolist()
    assert "pooling" not in mlp and "kernel_size" not in mlp  # an MLP has no pooling
    assert "image_size" not in mlp and "patience" not in mlp  # no clocks, no early stopping
    assert "validation_fraction" in mlp and "subset" in mlp
    both = compare.config_table([runs["finished"], runs["cancelled"]]).index.tolist()
    assert "pooling" in both  # the cancelled run is a CNN
    clock = write_clock_run(RunStore())
    mixed = compare.config_table([runs["finished"], clock])
    assert mixed.loc["image_size", "differs"] and "permute" in mixed.index


def test_config_table_of_one_run_differs_nowhere(runs):
    table = compare.config_table([runs["finished"]])
    assert not table["differs"].any()


def test_config_table_checks_labels(runs):
    with pytest.raises(ValueError, match="labels"):
        compare.config_table([runs["finished"]], labels=["a", "b"])


def test_epoch_histories(runs):
    histories = compare.epoch_histories([runs["finished"], runs["cancelled"]], ["f", "c"])
    assert list(histories) == ["f", "c"]
    assert histories["f"]["val_accuracy"].tolist() == [0.5, 0.6]
    assert len(histories["c"]) == 1


def test_comparison_labels_name_what_differs(runs):
    finished, failed = runs["finished"], runs["failed"]
    labels = compare.comparison_labels([finished, failed])
    assert labels == [
        f"mlp-keras / mnist · optimizer=rmsprop, learning_rate=0.001 ({finished.run_id[-6:]})",
        f"mlp-keras / mnist · optimizer=sgd, learning_rate=5.0 ({failed.run_id[-6:]})",
    ]
    assert compare.comparison_labels([finished]) == [
        f"mlp-keras / mnist ({finished.run_id[-6:]})"]
    assert compare.comparison_labels([]) == []


def test_comparison_labels_leave_out_fields_that_do_not_apply(runs):
    finished, clock = runs["finished"], write_clock_run(RunStore())
    mnist_label, clock_label = compare.comparison_labels([finished, clock])
    assert "image_size" not in mnist_label and "image_size=48" in clock_label
    assert "batch_size" not in mnist_label and "epochs=2" in mnist_label  # batch 16 in both


def test_the_ensemble_of_selected_classifiers_beside_each_run(tiny_data_dir):
    from dlnn.config import RunConfig
    from tests.fake_runs import write_run

    store = RunStore()
    base = RunConfig(epochs=2, subset=40, batch_size=16)
    runs = [write_run(store, base.replace(seed=seed), "finished", wrong_from=seed)
            for seed in range(3)]
    failed = write_run(store, base.replace(seed=5), "failed")
    assert compare.ensemble_text([*runs, failed]) == (
        "Averaged, the 3 finished runs' softmax outputs classify 1.0000 of the 20 test images "
        "correctly (an ensemble; each run alone: 0.6500, 0.6500, 0.7000).")
    assert compare.ensemble_text([runs[0], failed]) is None  # one finished run
    fashion = write_run(store, base.replace(dataset="fashion-mnist"), "finished")
    assert compare.ensemble_text([runs[0], fashion]) is None  # two data sets
    assert compare.ensemble_text([runs[0], write_clock_run(store)]) is None
    runs[1].probabilities_path.unlink()
    assert "some kept no test-set outputs" in compare.ensemble_text(runs)
