"""One training run's whole configuration, validated in one place.

`RunConfig` is an immutable, hashable set of field values, so it doubles as a cache key;
`to_dict` / `from_dict` give its JSON form for the run store and the URL of the dashboard.
Its fields are declared as `dlnn.fields.Field`s in the registry: the core's below, each lab's
in the lab (the clock lab adds image size, conv blocks, ...). A configuration reads any
declared field as an attribute, `config.epochs` or `config.image_size`; a field nobody set has
its declared default. `validate` checks every field and the rules across fields and raises
`ConfigError` naming the field, the value and what is allowed. Nothing here imports
TensorFlow or a lab.

Example:
    >>> config = RunConfig(dataset="mnist", model="cnn-keras", epochs=3).validate()
    >>> config.effective_learning_rate
    0.001
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Iterator
from typing import Any

from dlnn import backends, registry
from dlnn.fields import ConfigError, Field

__all__ = ["ConfigError", "RunConfig", "OPTIMIZER_DEFAULT_LR"]

# Learning rates that actually train each optimizer on the course's models. Keras' own default
# for Adadelta (0.001) barely moves in 10 epochs; the original Keras examples used 1.0.
OPTIMIZER_DEFAULT_LR: dict[str, float] = {
    "sgd": 0.01,
    "rmsprop": 0.001,
    "adagrad": 0.01,
    "adadelta": 1.0,
    "adam": 0.001,
    "adamax": 0.002,
    "nadam": 0.001,
}
ACTIVATIONS = (
    "relu", "tanh", "elu", "sigmoid", "hard_sigmoid", "exponential", "linear",
    "selu", "softplus", "swish", "gelu",
)
INITIALIZERS = (
    "random_uniform", "random_normal", "glorot_uniform", "glorot_normal",
    "he_uniform", "he_normal", "lecun_normal", "zeros", "ones",
)
POOLINGS = ("max", "average")
MONITORS = ("val_loss", "val_accuracy", "loss", "accuracy")
MIN_TRAIN_IMAGES = 10  # fewer leaves nothing to learn from


class RunConfig:
    """Everything that decides what a training run computes.

    Built with keyword arguments, one per declared field (`RunConfig(model="cnn-keras")`);
    an unknown name raises `ConfigError`. Immutable: `replace` gives a changed copy.
    """

    __slots__ = ("_values",)

    def __init__(self, **values: Any) -> None:
        for name in values:
            registry.field_named(name)
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        declared = registry.known_field(name)
        if declared is None:
            raise AttributeError(f"RunConfig has no field {name!r}")
        return declared.default

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("RunConfig is immutable; use replace()")

    def __reduce__(self) -> tuple[Any, ...]:
        return (_from_values, (self._values,))

    # -- identity -------------------------------------------------------------------------
    def _canonical(self) -> tuple[tuple[str, Any], ...]:
        """The values that differ from their defaults (equal configurations share these)."""
        return tuple(sorted(
            (name, value) for name, value in self._values.items()
            if value != registry.field_named(name).default
        ))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RunConfig) and self._canonical() == other._canonical()

    def __hash__(self) -> int:
        return hash(self._canonical())

    def __repr__(self) -> str:
        changed = ", ".join(f"{name}={value!r}" for name, value in self._canonical())
        return f"RunConfig({changed})"

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.to_dict().items())

    # -- derived values -------------------------------------------------------------------
    @property
    def effective_learning_rate(self) -> float:
        """The learning rate training uses: the explicit one or the optimizer's default."""
        if self.learning_rate is not None:
            return self.learning_rate
        return OPTIMIZER_DEFAULT_LR[self.optimizer]

    def rate_at(self, epoch: int) -> float:
        """The learning rate of epoch `epoch` (from 0): with `lr_schedule` cosine, from the
        effective rate at the first epoch down to near 0 at the last; else constant."""
        rate = self.effective_learning_rate
        if self.lr_schedule != "cosine":
            return rate
        return rate * 0.5 * (1.0 + math.cos(math.pi * min(epoch, self.epochs) / self.epochs))

    @property
    def monitor_mode(self) -> str:
        """`min` or `max` for the monitored metric (Keras cannot guess it for every name)."""
        return "max" if "accuracy" in self.monitor else "min"

    # -- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Every declared field's value, as a plain JSON-ready dict."""
        return {name: getattr(self, name) for name in registry.fields()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Build a config from a dict; unknown keys raise `ConfigError` naming them."""
        if not isinstance(data, dict):
            raise ConfigError("config", data, "must be a JSON object of field values")
        return cls(**data)

    def key(self) -> str:
        """A stable hash of the configuration: the run store's cache key.

        Fields declared `always_keyed` enter it always, the others only when they differ from
        their default, so a field added later leaves the keys of stored runs unchanged.
        """
        data = {
            name: getattr(self, name)
            for name, declared in registry.fields().items()
            if declared.always_keyed or getattr(self, name) != declared.default
        }
        canonical = json.dumps(data, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (not validated)."""
        return RunConfig(**{**self._values, **changes})

    # -- validation -----------------------------------------------------------------------
    def validate(self) -> RunConfig:
        """Check every field and rule; return self or raise `ConfigError` naming the field."""
        for name, declared in registry.fields().items():
            declared.check(getattr(self, name))
        for check in registry.validators():
            check(self)
        self._check_lab_fields()
        return self

    def _check_lab_fields(self) -> None:
        """A lab's field set away from its default where it changes nothing (a clock field on
        MNIST, say) is a mistake the run would silently ignore: name it."""
        for name, declared in registry.fields().items():
            if (declared.lab not in (None, "core") and getattr(self, name) != declared.default
                    and not declared.relevant(self)):
                raise ConfigError(name, getattr(self, name),
                                  f"a {declared.lab} lab field, it changes nothing for the "
                                  f"{self.dataset} data set (leave it at "
                                  f"{declared.format(declared.default)})")


def _from_values(values: dict[str, Any]) -> RunConfig:
    return RunConfig(**values)


# -- the core's fields ------------------------------------------------------------------------
def _model_spec(config: RunConfig) -> Any:
    return registry.models().get(config.model)


def _pooled(config: RunConfig) -> bool:
    """The model has pooling layers (every model that reads images with a channel axis)."""
    spec = _model_spec(config)
    return spec is not None and spec.channels


def _convolutional(config: RunConfig) -> bool:
    """A zoo CNN (its convolutions take `kernel_size`)."""
    spec = _model_spec(config)
    return spec is not None and spec.channels and spec.builder is not None


def _classification(config: RunConfig) -> bool:
    entry = registry.datasets().get(config.dataset)
    return entry is not None and entry.task == "classification"


def _all_monitors() -> tuple[str, ...]:
    extra = [m for spec in registry.models().values() for m in spec.extra_monitors]
    return tuple(dict.fromkeys((*MONITORS, *extra)))


LR_SCHEDULES = ("constant", "cosine")
# `reduce_lr`: epochs without improvement before the learning rate halves, and its floor.
PLATEAU_PATIENCE = 2
MIN_PLATEAU_RATE = 1e-5


def _stopping(config: RunConfig) -> bool:
    return bool(config.early_stopping)


CORE_FIELDS = (
    Field("dataset", str, "mnist", "the images to learn from (the report: MNIST and Fashion-MNIST)",
          label="Data set",
          choices=lambda: tuple(registry.datasets())),
    Field("model", str, "mlp-keras", "the network architecture from the zoo (the report: "
          "mlp-keras and cnn-keras on MNIST, cnn-fashion on Fashion-MNIST)",
          choices=lambda: tuple(registry.models())),
    Field("optimizer", str, "rmsprop", "how the weights are updated from the gradients "
          "(the report: rmsprop)", choices=tuple(OPTIMIZER_DEFAULT_LR)),
    Field("learning_rate", float, None, "step size of every update; too large diverges, too "
          "small crawls (the report: 0.001, RMSprop's default)", optional=True,
          none_means="the optimizer's default", low=1e-6, high=10.0, step=0.0001, log_scale=True),
    Field("lr_schedule", str, "constant", "constant, or cosine decay from the rate at the "
          "first epoch to near 0 at the last, which steadies the last epochs (the report: "
          "constant)",
          label="Rate schedule", choices=LR_SCHEDULES),
    Field("activation", str, "relu", "the hidden layers' non-linearity (the output is always "
          "softmax; the report: relu)", choices=ACTIVATIONS),
    Field("initializer", str, "random_uniform", "starting weights of every Dense and Conv "
          "layer; zeros or ones cannot break symmetry (the report: random_uniform)",
          choices=INITIALIZERS),
    Field("dropout", float, None, "share of units every Dropout layer silences while "
          "training; above 0.5 hurts (the report: 0.2)", optional=True,
          none_means="the model's own rates", low=0.0, high=0.95, step=0.05),
    Field("pooling", str, "max", "how the CNN's pooling layers shrink feature maps (the "
          "report: max; average did worse)",
          choices=POOLINGS, applies=_pooled),
    Field("kernel_size", int, None, "side of every convolution's filters (the report: 3)",
          label="Kernel size", optional=True, none_means="the model's own sizes", low=1,
          high=9, step=1, applies=_convolutional),
    Field("batch_size", int, 128, "images per weight update; smaller is noisier and slower "
          "per epoch (the report: 128)", low=1, high=8192, step=32),
    Field("epochs", int, 10, "passes over the training data (the report: 10)", low=1,
          high=500, step=1),
    Field("validation_fraction", float, 0.1, "share of the training images held out to "
          "score each epoch (the report does not say; 0.1 here)", label="Validation fraction",
          low=0.0, high=0.5, step=0.05),
    Field("early_stopping", bool, False, "stop when the monitored metric stops improving "
          "(the report: on in Task 2, off in the Task 1 sweeps)"),
    Field("monitor", str, "val_loss", "the metric early stopping watches (the report "
          "does not say)",
          choices=_all_monitors, applies=_stopping),
    Field("patience", int, 3, "epochs without improvement before early stopping ends the "
          "run (the report does not say)", low=0, high=100, step=1, applies=_stopping),
    Field("restore_best", bool, True, "early stopping goes back to the best epoch's weights "
          "(not in the report)",
          label="Restore best weights", applies=_stopping),
    Field("reduce_lr", bool, False, "halve the learning rate when the monitored metric has not "
          f"improved for {PLATEAU_PATIENCE} epochs, down to {MIN_PLATEAU_RATE:g} (Keras "
          "ReduceLROnPlateau; not in the report)",
          label="Halve the rate on plateaus", applies=_stopping),
    Field("seed", int, 0, "random seed of the weights, the shuffling, the subset and the "
          "permutation (the report fixed none)", low=0, high=2**31 - 1, step=1),
    Field("permute", bool, False, "one fixed random pixel permutation for every image, train "
          "and test alike (the report: Task 2 only)", label="Permute pixels",
          applies=_classification),
    Field("subset", int, None, "train on this many training images only, for a quick demo "
          "(the report: all of them)",
          optional=True, none_means="all of them", low=MIN_TRAIN_IMAGES, high=1_000_000,
          step=1000),
    Field("backend", str, backends.DEFAULT, "the engine Keras trains with; on a CPU "
          "tensorflow trains CNNs ~14x faster than jax, MLPs alike (the report: tensorflow)",
          label="Keras backend", choices=lambda: backends.installed()),
)
# The fields the store's keys were first made of: they enter every key (see RunConfig.key).
_FIRST_KEYED = {
    "dataset", "model", "optimizer", "learning_rate", "activation", "initializer", "dropout",
    "pooling", "batch_size", "epochs", "validation_fraction", "early_stopping", "monitor",
    "patience", "restore_best", "seed", "permute", "subset",
}


def _check_task(config: RunConfig) -> None:
    """Model and data set belong to the same task."""
    spec = _model_spec(config)
    entry = registry.datasets()[config.dataset]
    if spec.task != entry.task:
        fitting = ", ".join(registry.models_for(config.dataset))
        raise ConfigError("model", config.model,
                          f"it does not train on {config.dataset}; choose one of: {fitting}")


def _check_permute(config: RunConfig) -> None:
    if config.permute and not _classification(config):
        raise ConfigError("permute", config.permute,
                          f"only image classification data are permuted, not {config.dataset}")


def _check_monitor(config: RunConfig) -> None:
    allowed = (*MONITORS, *_model_spec(config).extra_monitors)
    if config.monitor not in allowed:
        raise ConfigError("monitor", config.monitor,
                          f"{config.model} can watch: {', '.join(allowed)}")
    if config.early_stopping and config.monitor.startswith("val_") and not \
            config.validation_fraction:
        raise ConfigError("monitor", config.monitor,
                          "a validation metric needs validation_fraction > 0")


def _check_schedule(config: RunConfig) -> None:
    """Cosine decay sets the rate of every epoch; halving on plateaus would fight it."""
    if config.lr_schedule != "constant" and config.early_stopping and config.reduce_lr:
        raise ConfigError("lr_schedule", config.lr_schedule,
                          "it sets the rate of every epoch; turn reduce_lr (halve the rate on "
                          "plateaus) off, or keep the schedule constant")


def _check_sizes(config: RunConfig) -> None:
    """Enough training images after the validation split, and no batch larger than them."""
    entry = registry.datasets()[config.dataset]
    if entry.train_images is None:
        return
    available = entry.train_images(config)
    if config.subset is not None and config.subset > available:
        raise ConfigError("subset", config.subset,
                          f"{config.dataset} has {available} training images")
    total = min(config.subset or available, available)
    train = total - round(total * config.validation_fraction)
    if train < MIN_TRAIN_IMAGES:
        culprit = "subset" if config.subset is not None else "validation_fraction"
        raise ConfigError(culprit, getattr(config, culprit),
                          f"it leaves {train} training images after the validation split; "
                          f"at least {MIN_TRAIN_IMAGES} are needed")
    if config.batch_size > train:
        raise ConfigError("batch_size", config.batch_size,
                          f"larger than the {train} training images; at most {train}")


for _declared in CORE_FIELDS:
    registry.add_field(dataclasses.replace(_declared,
                                           always_keyed=_declared.name in _FIRST_KEYED))
for _check in (_check_task, _check_permute, _check_monitor, _check_schedule, _check_sizes):
    registry.add_validator(_check)
registry.add_task("classification", "dlnn.training:ClassificationTask")
