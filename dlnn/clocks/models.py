"""Clock-reading CNNs: one convolutional body, several ways to encode the time.

Every clock model is the same body (`conv_blocks` blocks of `convs_per_block` 3x3 convolutions,
filters doubling from `first_filters` up to 128, optional batch norm, and pooling; then Flatten,
Dropout and a Dense layer of `dense_units`) with its own named output heads. What differs is the
encoding of the time, `ClockEncoding`: the targets each head learns (`encode`) and how the
heads' outputs are read back as minutes on the 12-hour dial (`decode`). The report's model is
`clock-two-head`: hour as a 12-class softmax and minute as linear regression of minute/60. The
others avoid its two weak spots, the jump from 59 to 0 minutes (sin/cos of the minute) and an
hour that disagrees with the minute near the full hour (`clock-hands` reads the hour hand's
angle only to pick the hour around the minute hand's reading).

`clock-dial` has its own network (`dlnn.clocks.dial`): it unrolls the picture around its centre
and convolves round the dial, so a turned clock needs no new learning; it is the one that reads
turned and mirrored clocks (the `course-like` preset).

Augmentation (`augment` > 0) adds Keras' random layers before the body, active in training
only: translation, zoom and contrast scaled by the strength, and in-plane rotation of at most
`augment * MAX_AUGMENT_ROTATION` degrees. Rotation keeps the true time (hands and numerals
turn together) but an upright model reads the hands against the image's "up", so rotation is
kept small; on `course-like` clocks, rotated anyway, it adds nothing but also costs nothing.
Mirror flips are left out: they would need the model to read mirrored numerals.

Example:
    >>> model = build_clock_model("clock-hands", ClockOptions(input_shape=(64, 64, 1)))
    >>> sorted(model.output_names)
    ['hour_hand', 'minute']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dlnn.clocks.dial import DIAL_BINS, build_dial_network, decode_dial, encode_dial
from dlnn.clocks.lab import CLOCK_MODELS
from dlnn.clocks.metrics import (
    MINUTES_PER_DIAL,
    MINUTES_PER_HOUR,
    decode_minute_sincos,
    decode_time_angle,
    decode_time_bins,
    encode_minute_sincos,
    encode_time_angle,
    encode_time_bins,
    time_to_minutes,
)

if TYPE_CHECKING:
    import keras

MAX_AUGMENT_ROTATION = 10.0  # degrees of random rotation at augment = 1
FIRST_FILTERS = 16  # filters of the first conv block; each later block doubles, up to 128
MAX_FILTERS = 128  # more costs CPU time for little gain on 2 cores
Outputs = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Head:
    """One named output of a clock model."""

    name: str  # output layer name, e.g. "hour"; Keras logs "hour_accuracy", "val_hour_loss"
    units: int
    activation: str  # "softmax" for classes, "linear" for regression targets
    loss: str
    metrics: tuple[str, ...]
    weight: float = 1.0  # its share of the total loss


@dataclass(frozen=True)
class ClockEncoding:
    """How a model's heads encode the time and how their outputs are read back.

    `encode(labels)` maps (N, 2) [hour, minute] labels to a dict of targets per head;
    `decode(outputs)` maps a dict of head outputs to (N,) float minutes on the dial [0, 720).
    """

    heads: tuple[Head, ...]
    encode: Callable[[np.ndarray], dict[str, np.ndarray]]
    decode: Callable[[Outputs], np.ndarray]


@dataclass(frozen=True)
class ClockOptions:
    """Everything a clock model's layers depend on."""

    input_shape: tuple[int, int, int]
    activation: str = "relu"
    initializer: str = "glorot_uniform"
    dropout: float = 0.2
    pooling: str = "max"
    conv_blocks: int = 4
    dense_units: int = 256
    batch_norm: bool = False
    augment: float = 0.0
    first_filters: int = FIRST_FILTERS  # filters of the first block; each later one doubles
    convs_per_block: int = 1  # 3x3 convolutions before each pooling
    max_filters: int = MAX_FILTERS


# -- encodings ------------------------------------------------------------------------------
HOUR = Head("hour", 12, "softmax", "sparse_categorical_crossentropy", ("accuracy",))


def _hours(labels: np.ndarray) -> np.ndarray:
    return np.asarray(labels)[:, 0].astype(np.int64)


def _minutes(labels: np.ndarray) -> np.ndarray:
    return np.asarray(labels)[:, 1].astype(np.float64)


def combine_hands(dial_minutes: np.ndarray, minute: np.ndarray) -> np.ndarray:
    """The time on the dial whose minute is `minute` and which lies nearest `dial_minutes`.

    The hour hand alone gives a coarse time (half a degree per minute); the minute hand gives
    the minute six times more precisely. Reading the hour as the one whose hour hand sits
    closest keeps 3:59 from becoming 4:59 whenever the coarse reading is within 30 minutes.

    Example:
        >>> combine_hands(np.array([242.0]), np.array([58.0]))  # hour hand says ~4:02
        array([238.])
    """
    dial_minutes, minute = np.asarray(dial_minutes, float), np.asarray(minute, float)
    hour = np.rint((dial_minutes - minute) / MINUTES_PER_HOUR)
    return np.mod(hour * MINUTES_PER_HOUR + minute, MINUTES_PER_DIAL)


def _two_head_decode(outputs: Outputs) -> np.ndarray:
    minute = np.clip(np.asarray(outputs["minute"]).reshape(-1) * MINUTES_PER_HOUR, 0, 59.999)
    return time_to_minutes(np.argmax(outputs["hour"], axis=-1), minute)


def _sincos_decode(outputs: Outputs) -> np.ndarray:
    return time_to_minutes(np.argmax(outputs["hour"], axis=-1),
                           decode_minute_sincos(outputs["minute"]))


def _hands_decode(outputs: Outputs) -> np.ndarray:
    return combine_hands(decode_time_angle(outputs["hour_hand"]),
                         decode_minute_sincos(outputs["minute"]))


def _bins_encoding(n_bins: int) -> ClockEncoding:
    head = Head("time", n_bins, "softmax", "sparse_categorical_crossentropy", ("accuracy",))
    return ClockEncoding(
        (head,),
        lambda labels: {"time": encode_time_bins(_hours(labels), _minutes(labels), n_bins)},
        lambda outputs: decode_time_bins(np.argmax(outputs["time"], axis=-1), n_bins),
    )


ENCODINGS: dict[str, ClockEncoding] = {
    # The report's: hour class + minute/60 by linear regression (59 and 0 are far apart).
    "two-head": ClockEncoding(
        (HOUR, Head("minute", 1, "linear", "mse", ("mae",), weight=10.0)),
        lambda labels: {"hour": _hours(labels),
                        "minute": (_minutes(labels) / MINUTES_PER_HOUR)[:, None]},
        _two_head_decode,
    ),
    "minute-sincos": ClockEncoding(
        (HOUR, Head("minute", 2, "linear", "mse", ("mae",), weight=5.0)),
        lambda labels: {"hour": _hours(labels),
                        "minute": encode_minute_sincos(_minutes(labels))},
        _sincos_decode,
    ),
    "angle": ClockEncoding(
        (Head("time", 2, "linear", "mse", ("mae",)),),
        lambda labels: {"time": encode_time_angle(_hours(labels), _minutes(labels))},
        lambda outputs: decode_time_angle(outputs["time"]),
    ),
    "hands": ClockEncoding(
        (Head("hour_hand", 2, "linear", "mse", ("mae",)),
         Head("minute", 2, "linear", "mse", ("mae",))),
        lambda labels: {"hour_hand": encode_time_angle(_hours(labels), _minutes(labels)),
                        "minute": encode_minute_sincos(_minutes(labels))},
        _hands_decode,
    ),
    **{f"bins-{n}": _bins_encoding(n) for n in (24, 72, 720)},
    # dlnn's dial reader (dlnn.clocks.dial): three angle distributions read off an unrolled dial.
    "dial": ClockEncoding(
        tuple(Head(name, DIAL_BINS, "softmax", "categorical_crossentropy", ())
              for name in ("hour_hand", "minute_hand", "hand_gap")),
        encode_dial,
        decode_dial,
    ),
}


def encoding_of(model: str) -> ClockEncoding:
    """The encoding of clock model `model` (e.g. `clock-two-head` -> `two-head`)."""
    return ENCODINGS[CLOCK_MODEL_ENCODINGS[model]]


def decode_outputs(model: str, outputs: Outputs | list | np.ndarray) -> np.ndarray:
    """Minutes on the dial (N,) float from a Keras `predict` answer of clock model `model`."""
    encoding = encoding_of(model)
    if not isinstance(outputs, Mapping):  # one output, or a list in head order
        listed = outputs if isinstance(outputs, list | tuple) else [outputs]
        outputs = {head.name: value for head, value in zip(encoding.heads, listed, strict=True)}
    return encoding.decode(outputs)


# -- the network ----------------------------------------------------------------------------
def _augmentation(strength: float) -> list[Any]:
    from keras import layers

    return [
        layers.RandomRotation(strength * MAX_AUGMENT_ROTATION / 360.0, fill_mode="reflect"),
        layers.RandomTranslation(0.08 * strength, 0.08 * strength, fill_mode="reflect"),
        layers.RandomZoom(0.12 * strength, fill_mode="reflect"),
        layers.RandomContrast(0.3 * strength),
    ]


def _conv_block(x: Any, filters: int, options: ClockOptions) -> Any:
    from keras import layers

    for _ in range(options.convs_per_block):
        x = layers.Conv2D(filters, 3, padding="same", kernel_initializer=options.initializer,
                          use_bias=not options.batch_norm)(x)
        if options.batch_norm:
            x = layers.BatchNormalization()(x)
        x = layers.Activation(options.activation)(x)
    pool = layers.MaxPooling2D if options.pooling == "max" else layers.AveragePooling2D
    return pool(2)(x)


def build_clock_network(
    name: str, encoding: ClockEncoding, options: ClockOptions
) -> keras.Model:
    """The conv body with the encoding's heads, as a functional model with dict outputs."""
    import keras
    from keras import layers

    inputs = keras.Input(options.input_shape, name="image")
    x = inputs
    if options.augment > 0:
        for layer in _augmentation(options.augment):
            x = layer(x)
    for block in range(options.conv_blocks):
        x = _conv_block(x, min(options.first_filters * 2**block, options.max_filters), options)
    x = layers.Flatten()(x)
    x = layers.Dropout(options.dropout)(x)
    x = layers.Dense(options.dense_units, activation=options.activation,
                     kernel_initializer=options.initializer)(x)
    outputs = {
        head.name: layers.Dense(head.units, activation=head.activation, name=head.name,
                                kernel_initializer=options.initializer)(x)
        for head in encoding.heads
    }
    return keras.Model(inputs, outputs, name=name.replace("-", "_"))


def build_clock_model(name: str, options: ClockOptions) -> keras.Model:
    """Clock model `name` (a key of `dlnn.clocks.lab.CLOCK_MODELS`), uncompiled."""
    if CLOCK_MODEL_ENCODINGS[name] == "dial":
        return build_dial_network(name, options)
    return build_clock_network(name, encoding_of(name), options)


def compile_clock_model(model: keras.Model, name: str, optimizer: Any) -> keras.Model:
    """Compile with the encoding's per-head losses, metrics and loss weights."""
    heads = encoding_of(name).heads
    model.compile(
        optimizer=optimizer,
        loss={head.name: head.loss for head in heads},
        loss_weights={head.name: head.weight for head in heads},
        metrics={head.name: list(head.metrics) for head in heads},
    )
    return model


CLOCK_MODEL_ENCODINGS: dict[str, str] = {
    name: encoding for name, (encoding, _title, _source) in CLOCK_MODELS.items()
}
