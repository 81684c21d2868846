"""Tests for dlnn.compare: the run table and side-by-side configurations."""

import math

import pytest

from dlnn import compare
from dlnn.runs import RunStore
from tests.fake_runs import write_three_runs


@pytest.fixture
def runs(dlnn_dirs):
    return write_three_runs(RunStore())


def test_runs_table_has_one_row_per_run_with_the_key_numbers(runs):
    table = compare.runs_table(RunStore().list()).set_index("status")
    assert list(table.columns) == list(compare.RUN_COLUMNS[:1] + compare.RUN_COLUMNS[2:])
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
    assert table.empty and list(table.columns) == list(compare.RUN_COLUMNS)


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
    assert table.loc["dropout", "a"] == "default"


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
