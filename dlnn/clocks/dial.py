"""`clock-dial`: a clock reader built around the dial's geometry.

A rotated clock is the same clock with its angles shifted, and a mirrored one has them
reversed. So this model first unrolls the image around its centre into polar coordinates
(`PolarSampling`: radius down, angle clockwise from the image's "up" across), where an in-plane
rotation is a cyclic shift along the angle axis. Its convolutions wrap around that axis
(`CircularPad`), so whatever they find turns with the clock instead of having to be learnt at
every orientation. From the unrolled dial the network marks, for every direction, where the
12, the hour hand and the minute hand point (three distributions over `DIAL_BINS`
directions), and says whether the dial is mirrored. `DialReadout` turns those into the time:
the hands' angles measured from the 12 (clockwise, or anticlockwise on a mirrored dial) are
cyclic cross-correlations of the distributions, mixed by the mirror probability.

Heads (all distributions over `DIAL_BINS` angles, trained with cross-entropy on a narrow
Gaussian bump around the true angle):

- `hour_hand`: the hour hand's angle on the dial, 30 * (hour + minute / 60) degrees;
- `minute_hand`: the minute hand's angle on the dial, 6 * minute degrees;
- `hand_gap`: the minute hand's angle minus the hour hand's. It needs no numerals (it does not
  change when the clock turns), so it teaches the network to find the hands from the first
  batches on, before it can read the dial; the other two heads then only have to learn where
  the 12 is.

The readout is differentiable end to end and has no weights: what is learnt is the three maps
and the mirror flag. The unrolled dial assumes the clock roughly fills and is centred in the
picture, as in the course's photographs and the generated sets. In training, `TurnAndFlip`
turns and mirrors the unrolled dials (exact augmentations); at test time `dial_views` and
`average_outputs` average each picture's reading with its mirror image's. The four custom
layers live in `dlnn.clocks.dial_layers`, imported only when a network is built, so importing
this module needs no Keras.

Example:
    >>> targets = encode_dial(np.array([[3, 0]]))
    >>> int(np.argmax(targets["minute_hand"])), int(np.argmax(targets["hour_hand"]))
    (0, 24)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from dlnn.clocks.metrics import MINUTES_PER_HOUR

if TYPE_CHECKING:
    import keras

    from dlnn.clocks.models import ClockOptions

DIAL_BINS = 96  # directions the maps and heads resolve: 3.75 degrees, 0.625 minute-hand minutes
POLAR_RADII = 32  # rows of the unrolled dial, centre to rim
POLAR_ANGLES = 2 * DIAL_BINS  # its columns; the first block pools them to DIAL_BINS
POLAR_EXTENT = 0.48  # outermost radius sampled, as a fraction of the image side
TARGET_SIGMA = 1.0  # width of the target bump, in bins
READ_WINDOW = 3  # bins either side of the peak averaged to read an angle between bins


# -- targets and reading them back ----------------------------------------------------------
def _bump(degrees: np.ndarray) -> np.ndarray:
    """(N, DIAL_BINS) Gaussian bumps on the circle around each angle, each summing to 1."""
    centres = np.arange(DIAL_BINS) * 360.0 / DIAL_BINS
    offset = np.mod(centres[None, :] - np.asarray(degrees, float)[:, None] + 180.0, 360.0) - 180
    weights = np.exp(-0.5 * (offset * DIAL_BINS / 360.0 / TARGET_SIGMA) ** 2)
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)


def encode_dial(labels: np.ndarray) -> dict[str, np.ndarray]:
    """Targets of the three heads from (N, 2) [hour, minute] labels."""
    labels = np.asarray(labels, dtype=np.float64)
    hour, minute = labels[:, 0], labels[:, 1]
    hour_angle = 30.0 * (np.mod(hour, 12) + minute / MINUTES_PER_HOUR)
    minute_angle = 6.0 * minute
    return {
        "hour_hand": _bump(hour_angle),
        "minute_hand": _bump(minute_angle),
        "hand_gap": _bump(minute_angle - hour_angle),
    }


def read_angle(distribution: np.ndarray) -> np.ndarray:
    """Angles in degrees [0, 360) of (N, DIAL_BINS) distributions: their peak, refined.

    The peak bin and READ_WINDOW bins either side are averaged as unit vectors weighted by
    their probability, so a reading can fall between bins; far-off secondary peaks are ignored.
    """
    distribution = np.asarray(distribution, dtype=np.float64)
    peak = np.argmax(distribution, axis=1)
    offsets = np.arange(-READ_WINDOW, READ_WINDOW + 1)
    bins = np.mod(peak[:, None] + offsets[None, :], DIAL_BINS)
    weights = np.take_along_axis(distribution, bins, axis=1)
    radians = offsets * 2 * np.pi / DIAL_BINS
    shift = np.arctan2(weights @ np.sin(radians), weights @ np.cos(radians))
    angle = np.mod(peak * 360.0 / DIAL_BINS + np.degrees(shift), 360.0)
    return np.where(angle >= 360.0, 0.0, angle)  # a hair below 0 rounds up to 360.0


def decode_dial(outputs: Any) -> np.ndarray:
    """Minutes on the dial (N,) float: the minute hand's reading, the hour from the hour hand."""
    from dlnn.clocks.models import combine_hands

    minute = read_angle(outputs["minute_hand"]) / 6.0
    return combine_hands(read_angle(outputs["hour_hand"]) * 2.0, minute)


def dial_views(images: np.ndarray) -> list[np.ndarray]:
    """(N, H, W, C) images and their mirror images: both show the same time.

    The dial reader is equivariant to turns (a turned picture gives the same answer), but not
    to mirroring: its mirror detector and the maps it draws differ on a mirror image. Averaging
    its distributions over both (`average_outputs`) is test-time augmentation that needs no
    new pixels.
    """
    images = np.asarray(images)
    return [images, images[:, :, ::-1]]


def average_outputs(outputs: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Head by head mean of several `predict` answers (dicts of distributions)."""
    return {name: np.mean([np.asarray(output[name]) for output in outputs], axis=0)
            for name in outputs[0]}


# -- layers -----------------------------------------------------------------------------------
def register_layers() -> dict[str, type]:
    """The custom layers by name (`dlnn.clocks.dial_layers`), registered with Keras.

    Importing this module needs no Keras; loading a stored `clock-dial` model needs this
    called first (`dlnn.clocks.task` does on import).
    """
    from dlnn.clocks.dial_layers import LAYERS

    return LAYERS


# -- the network ------------------------------------------------------------------------------
def _conv(x: Any, filters: int, options: ClockOptions, kernel: int = 3, dilation: int = 1) -> Any:
    """A wrap-around convolution along the angle axis (2-D on the dial, 1-D once collapsed)."""
    from keras import layers

    from dlnn.clocks.dial_layers import CircularPad

    x = CircularPad((kernel // 2) * dilation)(x)
    conv = layers.Conv2D if len(x.shape) == 4 else layers.Conv1D
    x = conv(filters, kernel, dilation_rate=dilation, padding="valid",
             kernel_initializer=options.initializer, use_bias=not options.batch_norm)(x)
    if options.batch_norm:
        x = layers.BatchNormalization()(x)
    return layers.Activation(options.activation)(x)


def build_dial_network(name: str, options: ClockOptions) -> keras.Model:
    """The polar clock reader; `options.conv_blocks` 2-D blocks from `options.first_filters`.

    Each block is `convs_per_block` wrap-around 3x3 convolutions and a pooling that halves the
    radius (and, in the first block, the angle, to DIAL_BINS columns). The radius is then
    folded into the channels and three dilated wrap-around 1-D convolutions look along the
    rim (a numeral spans several columns; which numeral is which needs its neighbours).
    """
    import keras
    from keras import layers

    from dlnn.clocks.dial_layers import DialReadout, PolarSampling, TurnAndFlip

    inputs = keras.Input(options.input_shape, name="image")
    x = PolarSampling()(inputs)
    if options.augment > 0:
        x = TurnAndFlip()(x)
    for block in range(options.conv_blocks):
        filters = min(options.first_filters * 2**block, options.max_filters)
        for _ in range(options.convs_per_block):
            x = _conv(x, filters, options)
        x = layers.MaxPooling2D((2, 2) if block == 0 else (2, 1))(x)
    # (B, radii, angles, C) -> (B, angles, radii * C): the remaining radii become channels
    x = layers.Reshape((DIAL_BINS, -1))(layers.Permute((2, 1, 3))(x))
    width = max(options.dense_units // 4, 32)
    for dilation in (1, 2, 4):
        x = _conv(x, width, options, kernel=5, dilation=dilation)
    x = layers.Dropout(options.dropout)(x)
    logits = layers.Conv1D(3, 1, name="maps")(x)
    mirror = layers.Dense(1, name="mirror")(layers.GlobalAveragePooling1D()(x))
    hour, minute, gap = DialReadout(name="readout")([logits, mirror])
    outputs = {
        "hour_hand": layers.Identity(name="hour_hand")(hour),
        "minute_hand": layers.Identity(name="minute_hand")(minute),
        "hand_gap": layers.Identity(name="hand_gap")(gap),
    }
    return keras.Model(inputs, outputs, name=name.replace("-", "_"))
