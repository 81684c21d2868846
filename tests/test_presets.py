"""Tests for dlnn.presets: the quick first run, the report's settings, and links naming them."""

import pytest

from dlnn import presets
from dlnn.config import RunConfig


def test_the_report_preset_is_the_declared_defaults():
    report = presets.PRESETS["report"].apply()
    assert report == RunConfig()
    assert (report.model, report.optimizer, report.initializer, report.epochs,
            report.subset) == ("mlp-keras", "rmsprop", "random_uniform", 10, None)


def test_the_quick_preset_is_a_small_valid_cnn_run():
    quick = presets.PRESETS["quick"].apply().validate()
    assert (quick.dataset, quick.model, quick.optimizer, quick.initializer) == (
        "mnist", "cnn-keras", "adam", "glorot_uniform")
    assert quick.epochs == 3 and quick.subset == 10_000
    assert quick.key() != RunConfig().key()


def test_a_preset_keeps_a_data_set_its_models_train_on():
    quick = presets.PRESETS["quick"]
    assert quick.apply(RunConfig(dataset="fashion-mnist")).dataset == "fashion-mnist"
    clocks = RunConfig(dataset="clocks-easy", model="clock-hands")
    assert quick.apply(clocks).dataset == "mnist"  # cnn-keras does not read clocks


def test_matching_preset():
    assert presets.matching_preset(RunConfig()).name == "report"
    quick = presets.PRESETS["quick"].apply(RunConfig(dataset="fashion-mnist"))
    assert presets.matching_preset(quick).name == "quick"
    assert presets.matching_preset(quick.replace(epochs=4)) is None


@pytest.mark.parametrize(("params", "expected"), [
    ({}, presets.PRESETS["quick"].apply()),
    ({"preset": "report"}, RunConfig()),
    ({"preset": "quick"}, presets.PRESETS["quick"].apply()),
    ({"epochs": "3"}, RunConfig(epochs=3)),  # fields count from the declared defaults
    ({"run": "some-run"}, RunConfig()),  # the run brings its configuration
])
def test_config_from_link(params, expected):
    config, errors = presets.config_from_link(params)
    assert config == expected and errors == []


def test_an_unknown_preset_is_named_and_the_quick_one_used():
    config, errors = presets.config_from_link({"preset": "fast"})
    assert config == presets.PRESETS["quick"].apply()
    assert [(error.field, error.value) for error in errors] == [("preset", "fast")]


@pytest.mark.parametrize("config", [
    RunConfig(), RunConfig(epochs=3), presets.PRESETS["quick"].apply(),
    RunConfig(dataset="fashion-mnist"),
])
def test_link_round_trip(config):
    assert presets.config_from_link(presets.link_from_config(config))[0] == config
