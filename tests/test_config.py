"""RunConfig: defaults, serialisation, cache keys, and one clear error per bad field."""

from __future__ import annotations

import pytest

from dlnn.config import OPTIMIZER_DEFAULT_LR, ConfigError, RunConfig

BAD_VALUES = [
    ("dataset", "cifar10"),
    ("model", "resnet"),
    ("optimizer", "lbfgs"),
    ("learning_rate", 0.0),
    ("learning_rate", -0.1),
    ("learning_rate", float("nan")),
    ("activation", "relu6x"),
    ("initializer", "orthogonalish"),
    ("dropout", 1.0),
    ("dropout", -0.2),
    ("pooling", "min"),
    ("batch_size", 0),
    ("batch_size", 32.5),
    ("epochs", -1),
    ("epochs", 0),
    ("epochs", "3"),
    ("epochs", True),
    ("validation_fraction", 0.9),
    ("validation_fraction", -0.1),
    ("monitor", "val_f1"),
    ("patience", -2),
    ("seed", -5),
    ("subset", 3),
    ("permute", "yes"),
    ("early_stopping", 1),
    ("restore_best", None),
]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_bad_value_names_its_field(field: str, value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        RunConfig(**{field: value}).validate()
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert "allowed" in str(caught.value) or "must be" in str(caught.value)


def test_validation_monitor_needs_validation_data() -> None:
    config = RunConfig(early_stopping=True, monitor="val_loss", validation_fraction=0.0)
    with pytest.raises(ConfigError, match="validation_fraction > 0") as caught:
        config.validate()
    assert caught.value.field == "monitor"


def test_defaults_are_valid_and_follow_the_report() -> None:
    config = RunConfig().validate()
    assert (config.optimizer, config.activation, config.initializer) == (
        "rmsprop", "relu", "random_uniform")
    assert config.effective_learning_rate == 0.001


def test_learning_rate_defaults_per_optimizer_train() -> None:
    # Keras' own Adadelta default (0.001) barely trains; ours is the classic 1.0.
    assert RunConfig(optimizer="adadelta").effective_learning_rate == 1.0
    assert RunConfig(optimizer="sgd", learning_rate=0.3).effective_learning_rate == 0.3
    for name in OPTIMIZER_DEFAULT_LR:
        RunConfig(optimizer=name).validate()


def test_monitor_mode_is_explicit() -> None:
    assert RunConfig(monitor="val_accuracy").monitor_mode == "max"
    assert RunConfig(monitor="val_loss").monitor_mode == "min"


def test_round_trip_and_key() -> None:
    config = RunConfig(model="cnn-keras", epochs=3, subset=500, dropout=0.3, permute=True)
    again = RunConfig.from_dict(config.to_dict())
    assert again == config
    assert hash(again) == hash(config)
    assert again.key() == config.key()
    assert config.replace(seed=1).key() != config.key()


def test_unknown_field_in_dict_is_named() -> None:
    with pytest.raises(ConfigError, match="^epochz: "):
        RunConfig.from_dict({"epochz": 3})


def test_every_field_says_in_one_line_what_it_changes_and_what_the_report_used() -> None:
    from dlnn import registry

    for name, declared in registry.fields().items():
        assert "\n" not in declared.help and len(declared.help) < 160, name
        assert "report" in declared.help, f"{name}: {declared.help}"


def test_a_lab_field_that_changes_nothing_for_the_data_set_is_named() -> None:
    with pytest.raises(ConfigError) as error:
        RunConfig(dataset="mnist", frame_clocks=True).validate()
    assert error.value.field == "frame_clocks"
    assert "changes nothing for the mnist data set" in str(error.value)
    with pytest.raises(ConfigError) as error:
        RunConfig(dataset="fashion-mnist", image_size=64).validate()
    assert error.value.field == "image_size"
    # At its default it is fine, and on a clock data set it applies.
    RunConfig(dataset="mnist").validate()
    RunConfig(dataset="clocks-easy", model="clock-hands", image_size=64,
              frame_clocks=True).validate()
