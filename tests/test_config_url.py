"""Tests for dlnn.config_url: RunConfig to URL query parameters and back."""

import pytest

from dlnn import registry
from dlnn.config import ConfigError, RunConfig
from dlnn.config_url import config_from_query, query_from_config

ROUND_TRIPS = [
    RunConfig(),
    RunConfig(model="cnn-keras", dataset="fashion-mnist", epochs=3, subset=2000),
    RunConfig(optimizer="adadelta", learning_rate=0.5, dropout=0.0, pooling="average"),
    RunConfig(early_stopping=True, monitor="val_accuracy", patience=1, restore_best=False),
    RunConfig(permute=True, seed=7, validation_fraction=0.0, batch_size=32,
              activation="tanh", initializer="zeros"),
]


@pytest.mark.parametrize("config", ROUND_TRIPS)
def test_round_trip(config):
    query = query_from_config(config)
    assert all(isinstance(value, str) for value in query.values())
    restored, errors = config_from_query(query)
    assert errors == []
    assert restored == config


def test_only_non_defaults_are_in_the_url():
    assert query_from_config(RunConfig()) == {}
    assert query_from_config(RunConfig(epochs=3, permute=True)) == {
        "epochs": "3", "permute": "true"}


@pytest.mark.parametrize("params, field", [
    ({"epochs": "-1"}, "epochs"),
    ({"epochs": "three"}, "epochs"),
    ({"batch_size": "0"}, "batch_size"),
    ({"learning_rate": "fast"}, "learning_rate"),
    ({"learning_rate": "0"}, "learning_rate"),
    ({"dropout": "1.0"}, "dropout"),
    ({"optimizer": "lbfgs"}, "optimizer"),
    ({"model": "resnet"}, "model"),
    ({"permute": "maybe"}, "permute"),
    ({"subset": "5"}, "subset"),
    ({"monitor": "hour_accuracy"}, "monitor"),
])
def test_a_bad_value_is_named_and_left_at_its_default(params, field):
    config, errors = config_from_query({**params, "seed": "3"})
    assert [error.field for error in errors] == [field]
    assert field in str(errors[0])
    assert getattr(config, field) == getattr(RunConfig(), field)
    assert config.seed == 3  # the good values still count


def test_several_bad_values_are_all_reported():
    config, errors = config_from_query({"epochs": "0", "model": "x", "optimizer": "adam"})
    assert sorted(error.field for error in errors) == ["epochs", "model"]
    assert config == RunConfig(optimizer="adam")


def test_unknown_parameters_are_ignored_and_lists_take_the_last_value():
    config, errors = config_from_query({"run": "abc", "epochs": ["2", "4"]})
    assert errors == [] and config.epochs == 4


@pytest.mark.parametrize("name, raw, value", [
    ("subset", "none", None), ("subset", "500", 500), ("dropout", "", None),
    ("dropout", "0.25", 0.25), ("permute", "TRUE", True), ("permute", "0", False),
    ("model", "cnn-keras", "cnn-keras"),
])
def test_parse_value(name, raw, value):
    assert registry.field_named(name).parse(raw) == value


@pytest.mark.parametrize("name, raw", [
    ("epochs", "1_0"), ("epochs", "1e1"), ("epochs", "2.0"), ("learning_rate", "nan"),
    ("learning_rate", "inf"), ("permute", "maybe"), ("subset", "10k"),
])
def test_parse_refuses_what_the_user_did_not_write(name, raw):
    with pytest.raises(ConfigError) as error:
        registry.field_named(name).parse(raw)
    assert error.value.field == name


def test_format_value():
    field = registry.field_named("learning_rate")
    assert [field.format(v) for v in (None, True, False, 0.001, 3)] == [
        "none", "true", "false", "0.001", "3"]
