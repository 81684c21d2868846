"""One training run's whole configuration, validated in one place.

`RunConfig` is frozen and hashable, so it doubles as a cache key; `to_dict` / `from_dict` give
its JSON form for the run store and the URL of the dashboard. `validate` checks every field and
raises `ConfigError` naming the field, the value and what is allowed. Nothing here imports
TensorFlow: the dashboard validates a form before any training process starts.

Example:
    >>> config = RunConfig(dataset="mnist", model="cnn-keras", epochs=3).validate()
    >>> config.effective_learning_rate
    0.001
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, fields
from typing import Any

from dlnn.models import MODELS

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
MAX_EPOCHS = 1000
MAX_BATCH_SIZE = 65536


# Clock lab limits (Task 3).
MAX_CLOCK_IMAGES = 200_000
IMAGE_SIZES = (16, 256)  # smallest and largest clock image side in pixels
MAX_CONV_BLOCKS = 6
MAX_CONV_FILTERS = 256
# The clock fields; a key leaves them out while they hold their defaults, so the runs stored
# before the clock lab existed keep their keys.
CLOCK_FIELDS = (
    "clock_images", "image_size", "data_path", "conv_blocks", "conv_filters",
    "convs_per_block", "dense_units", "batch_norm", "augment",
)


def registered_datasets() -> tuple[str, ...]:
    """Names of every data set a run can use (image classification and generated clocks)."""
    from dlnn.clocks.datasets import CLOCK_DATASETS
    from dlnn.data import DATASETS

    return (*DATASETS, *CLOCK_DATASETS)


def _is_clock_dataset(name: str) -> bool:
    from dlnn.clocks.datasets import is_clock_dataset

    return is_clock_dataset(name)


class ConfigError(ValueError):
    """A configuration field holds a value that is not allowed.

    Attributes:
        field: the name of the offending field, as in `RunConfig`.
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field}: {value!r} is not allowed; {allowed}")


@dataclass(frozen=True)
class RunConfig:
    """Everything that decides what a training run computes."""

    dataset: str = "mnist"  # a key of dlnn.data.DATASETS
    model: str = "mlp-keras"  # a key of dlnn.models.MODELS
    optimizer: str = "rmsprop"  # a key of OPTIMIZER_DEFAULT_LR
    learning_rate: float | None = None  # None: the optimizer's sensible default
    activation: str = "relu"  # hidden layers; the output layer is always softmax
    initializer: str = "random_uniform"  # kernel initializer of every Dense and Conv layer
    dropout: float | None = None  # every Dropout layer's rate; None: the model's own rates
    pooling: str = "max"  # pooling layers of the CNNs: max or average
    batch_size: int = 128
    epochs: int = 10
    validation_fraction: float = 0.1  # share of the training set held out for validation
    early_stopping: bool = False
    monitor: str = "val_loss"  # metric early stopping watches
    patience: int = 3  # epochs without improvement before early stopping
    restore_best: bool = True  # early stopping restores the best epoch's weights
    seed: int = 0  # weights, shuffling, subset and permutation all follow it
    permute: bool = False  # one fixed random pixel permutation for every image (Task 2)
    subset: int | None = None  # train on this many training images only (quick demos)
    # -- the clock lab (Task 3); ignored by the image classifiers -----------------------------
    clock_images: int = 18000  # size of a generated clock set (train + validation + test)
    image_size: int = 150  # clock images are image_size x image_size (the course's are 150)
    data_path: str | None = None  # folder with images.npy / labels.npy for clocks-course
    conv_blocks: int = 4  # conv blocks of a clock CNN, each ending in 2x2 pooling
    conv_filters: int = 32  # filters of the first block; each later block doubles (max 128)
    convs_per_block: int = 2  # 3x3 convolutions in each block
    dense_units: int = 256  # width of the Dense layer before the output heads
    batch_norm: bool = False  # batch normalisation after every convolution (the report: none)
    augment: float = 0.0  # strength 0-1 of random rotation/translation/zoom/contrast; 0 = off

    # -- derived values -------------------------------------------------------------------
    @property
    def effective_learning_rate(self) -> float:
        """The learning rate training uses: the explicit one or the optimizer's default."""
        if self.learning_rate is not None:
            return self.learning_rate
        return OPTIMIZER_DEFAULT_LR[self.optimizer]

    @property
    def monitor_mode(self) -> str:
        """`min` or `max` for the monitored metric (Keras cannot guess it for every name)."""
        return "max" if "accuracy" in self.monitor else "min"

    # -- serialisation --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        """Build a config from a dict; unknown keys raise `ConfigError` naming them."""
        known = {f.name for f in fields(cls)}
        for key in data:
            if key not in known:
                raise ConfigError(key, data[key], f"unknown field; known fields: {sorted(known)}")
        return cls(**data)

    def key(self) -> str:
        """A stable hash of the configuration: the run store's cache key."""
        data = self.to_dict()
        defaults = RunConfig().to_dict()
        for name in CLOCK_FIELDS:
            if data[name] == defaults[name]:
                del data[name]
        canonical = json.dumps(data, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (not validated)."""
        return dataclasses.replace(self, **changes)

    # -- validation -----------------------------------------------------------------------
    def validate(self) -> RunConfig:
        """Check every field; return self or raise `ConfigError` naming the first bad one."""
        _choice("dataset", self.dataset, registered_datasets())
        _choice("model", self.model, tuple(MODELS))
        _choice("optimizer", self.optimizer, tuple(OPTIMIZER_DEFAULT_LR))
        if self.learning_rate is not None:
            _number("learning_rate", self.learning_rate, low=0, high=10, low_open=True)
        _choice("activation", self.activation, ACTIVATIONS)
        _choice("initializer", self.initializer, INITIALIZERS)
        if self.dropout is not None:
            _number("dropout", self.dropout, low=0, high=1, high_open=True)
        _choice("pooling", self.pooling, POOLINGS)
        _integer("batch_size", self.batch_size, low=1, high=MAX_BATCH_SIZE)
        _integer("epochs", self.epochs, low=1, high=MAX_EPOCHS)
        _number("validation_fraction", self.validation_fraction, low=0, high=0.5)
        _boolean("early_stopping", self.early_stopping)
        _choice("monitor", self.monitor, MONITORS + MODELS[self.model].extra_monitors)
        _integer("patience", self.patience, low=0, high=MAX_EPOCHS)
        _boolean("restore_best", self.restore_best)
        _integer("seed", self.seed, low=0, high=2**31 - 1)
        _boolean("permute", self.permute)
        if self.subset is not None:
            _integer("subset", self.subset, low=10, high=10_000_000)
        if self.early_stopping and self.monitor.startswith("val_") and not self.validation_fraction:
            raise ConfigError(
                "monitor", self.monitor, "a validation metric needs validation_fraction > 0"
            )
        self._validate_clock_fields()
        return self

    def _validate_clock_fields(self) -> None:
        """The clock lab's fields, and that model and data set belong to the same task."""
        clock_model = getattr(MODELS[self.model], "task", "classification") == "clock"
        clock_data = _is_clock_dataset(self.dataset)
        if clock_model != clock_data:
            allowed = tuple(
                name for name in registered_datasets() if _is_clock_dataset(name) == clock_model
            )
            kind = "reads clocks" if clock_model else "classifies images"
            raise ConfigError("dataset", self.dataset,
                              f"model {self.model} {kind}; choose one of: {', '.join(allowed)}")
        _integer("clock_images", self.clock_images, low=20, high=MAX_CLOCK_IMAGES)
        _integer("image_size", self.image_size, low=IMAGE_SIZES[0], high=IMAGE_SIZES[1])
        _integer("conv_blocks", self.conv_blocks, low=1, high=MAX_CONV_BLOCKS)
        if self.image_size < 2 ** (self.conv_blocks + 1):
            raise ConfigError("conv_blocks", self.conv_blocks,
                              f"{self.image_size}-pixel images allow at most "
                              f"{self.image_size.bit_length() - 2} blocks (each halves the size)")
        _integer("conv_filters", self.conv_filters, low=1, high=MAX_CONV_FILTERS)
        _integer("convs_per_block", self.convs_per_block, low=1, high=4)
        _integer("dense_units", self.dense_units, low=1, high=4096)
        _boolean("batch_norm", self.batch_norm)
        _number("augment", self.augment, low=0, high=1)
        if self.dataset == "clocks-course":
            if not isinstance(self.data_path, str) or not self.data_path.strip():
                raise ConfigError("data_path", self.data_path,
                                  "clocks-course needs the folder holding images.npy and "
                                  "labels.npy")
        elif self.data_path is not None:
            raise ConfigError("data_path", self.data_path,
                              "only the clocks-course data set reads a folder; leave it empty")
        if clock_data and self.permute:
            raise ConfigError("permute", self.permute, "clock images are not permuted")


def _choice(field: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(field, value, f"choose one of: {', '.join(allowed)}")


def _integer(field: str, value: Any, *, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(field, value, f"must be a whole number from {low} to {high}")
    if not low <= value <= high:
        raise ConfigError(field, value, f"must be a whole number from {low} to {high}")


def _number(
    field: str,
    value: Any,
    *,
    low: float,
    high: float,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ConfigError(field, value, f"must be a number in {interval}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        raise ConfigError(field, value, f"must be a number in {interval}")


def _boolean(field: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ConfigError(field, value, "must be true or false")
