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
`average_outputs` average each picture's reading with its mirror image's.

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
def _register(cls: type) -> type:
    import keras

    return keras.saving.register_keras_serializable(package="dlnn")(cls)


def _polar_taps(height: int, width: int, radii: int, angles: int, extent: float):
    """Flat pixel indices (4, radii * angles) and bilinear weights of the polar grid."""
    radius = (np.arange(radii) + 0.5) / radii * extent * min(height, width)
    theta = np.arange(angles) * 2 * np.pi / angles
    x = (width - 1) / 2 + radius[:, None] * np.sin(theta)[None, :]
    y = (height - 1) / 2 - radius[:, None] * np.cos(theta)[None, :]
    x = np.clip(x, 0, width - 1.001).ravel()
    y = np.clip(y, 0, height - 1.001).ravel()
    x0, y0 = np.floor(x).astype(np.int32), np.floor(y).astype(np.int32)
    fx, fy = x - x0, y - y0
    indices = np.stack([y0 * width + x0, y0 * width + x0 + 1,
                        (y0 + 1) * width + x0, (y0 + 1) * width + x0 + 1])
    weights = np.stack([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy])
    return indices.astype(np.int32), weights.astype(np.float32)


def register_layers() -> dict[str, type]:
    """The custom layers by name, defined and registered with Keras on first use.

    Importing this module needs no Keras; loading a stored `clock-dial` model needs this
    called first (`dlnn.clocks.task` does on import).
    """
    if _REGISTERED:
        return _REGISTERED
    import keras
    from keras import ops

    class PolarSampling(keras.layers.Layer):
        """(B, H, W, 1) images -> (B, radii, angles, 1): the picture unrolled around its centre.

        Row r is the circle at radius (r + 0.5) / radii * extent * side; column a the direction
        a * 360 / angles degrees clockwise from the image's top. Bilinear, no weights.
        """

        def __init__(self, radii: int = POLAR_RADII, angles: int = POLAR_ANGLES,
                     extent: float = POLAR_EXTENT, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.radii, self.angles, self.extent = radii, angles, extent

        def build(self, input_shape: tuple) -> None:
            height, width = int(input_shape[1]), int(input_shape[2])
            self.taps = _polar_taps(height, width, self.radii, self.angles, self.extent)

        def call(self, images: Any) -> Any:
            indices, weights = self.taps
            flat = ops.reshape(images, (ops.shape(images)[0], -1))
            picked = ops.take(flat, ops.convert_to_tensor(indices.ravel()), axis=1)
            picked = ops.reshape(picked, (-1, 4, indices.shape[1]))
            polar = ops.sum(picked * ops.convert_to_tensor(weights)[None], axis=1)
            return ops.reshape(polar, (-1, self.radii, self.angles, 1))

        def compute_output_shape(self, input_shape: tuple) -> tuple:
            return (input_shape[0], self.radii, self.angles, 1)

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "radii": self.radii, "angles": self.angles,
                    "extent": self.extent}

    class CircularPad(keras.layers.Layer):
        """Pads the angle axis (axis 2 of (B, R, A, C), axis 1 of (B, A, C)) by wrapping round,
        and the radius axis of 4-D inputs with zeros, for a 'valid' convolution after it."""

        def __init__(self, width: int = 1, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.width = width

        def call(self, x: Any) -> Any:
            w = self.width
            axis = 2 if len(x.shape) == 4 else 1
            size = x.shape[axis]
            head = ops.take(x, list(range(size - w, size)), axis=axis)
            tail = ops.take(x, list(range(w)), axis=axis)
            x = ops.concatenate([head, x, tail], axis=axis)
            if axis == 2:
                x = ops.pad(x, [(0, 0), (w, w), (0, 0), (0, 0)])
            return x

        def compute_output_shape(self, input_shape: tuple) -> tuple:
            shape = list(input_shape)
            if len(shape) == 4:
                shape[1] = None if shape[1] is None else shape[1] + 2 * self.width
                shape[2] = None if shape[2] is None else shape[2] + 2 * self.width
            else:
                shape[1] = None if shape[1] is None else shape[1] + 2 * self.width
            return tuple(shape)

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "width": self.width}

    class TurnAndFlip(keras.layers.Layer):
        """Training only: turns each unrolled dial by a random angle and mirrors half of them.

        Both keep the true time (the numerals turn and flip with the hands), so they are exact
        augmentations: the convolutions see every orientation and as many mirrored dials as
        upright ones. At inference it passes the input through.
        """

        def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.seed = seed
            self.generator = keras.random.SeedGenerator(seed)

        def call(self, x: Any, training: bool | None = None) -> Any:
            if not training:
                return x
            batch, angles = ops.shape(x)[0], x.shape[2]
            turn = keras.random.randint((batch, 1), 0, angles, seed=self.generator)
            flip = keras.random.randint((batch, 1), 0, 2, seed=self.generator) * 2 - 1
            columns = ops.mod(flip * ops.arange(angles)[None, :] + turn, angles)
            return ops.take_along_axis(x, columns[:, None, :, None], axis=2)

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "seed": self.seed}

    class DialReadout(keras.layers.Layer):
        """Maps (B, bins, 3) logits of the 12, hour hand and minute hand, and a (B, 1) mirror
        logit -> three (B, bins) distributions: the hour hand's and the minute hand's angle
        from the 12, and the minute hand's from the hour hand, on an upright dial."""

        def build(self, input_shape: Any) -> None:
            bins = int(input_shape[0][1])
            shift = (np.arange(bins)[:, None] + np.arange(bins)[None, :]) % bins
            back = (np.arange(bins)[None, :] - np.arange(bins)[:, None]) % bins
            self.shifts = shift.astype(np.int32), back.astype(np.int32)  # [gap, position]

        def call(self, inputs: Any) -> Any:
            logits, mirror_logit = inputs
            maps = ops.softmax(logits, axis=1)
            twelve, hour, minute = maps[:, :, 0], maps[:, :, 1], maps[:, :, 2]
            mirrored = ops.sigmoid(mirror_logit)

            def angle_between(origin: Any, target: Any) -> Any:
                # sum over directions a of origin(a) * target(a + gap), and (a - gap) mirrored
                forward, backward = (
                    ops.sum(origin[:, None, :] * ops.take(target, ops.convert_to_tensor(s),
                                                          axis=1), axis=2)
                    for s in self.shifts
                )
                return (1.0 - mirrored) * forward + mirrored * backward

            return (angle_between(twelve, hour), angle_between(twelve, minute),
                    angle_between(hour, minute))

        def compute_output_shape(self, input_shape: Any) -> tuple:
            shape = (input_shape[0][0], input_shape[0][1])
            return shape, shape, shape

    _REGISTERED.update(PolarSampling=_register(PolarSampling), CircularPad=_register(CircularPad),
                       TurnAndFlip=_register(TurnAndFlip), DialReadout=_register(DialReadout))
    return _REGISTERED


_REGISTERED: dict[str, type] = {}


# -- the network ------------------------------------------------------------------------------
def _conv(x: Any, filters: int, options: ClockOptions, kernel: int = 3, dilation: int = 1) -> Any:
    """A wrap-around convolution along the angle axis (2-D on the dial, 1-D once collapsed)."""
    from keras import layers

    pad = register_layers()["CircularPad"]
    x = pad((kernel // 2) * dilation)(x)
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

    custom = register_layers()
    inputs = keras.Input(options.input_shape, name="image")
    x = custom["PolarSampling"]()(inputs)
    if options.augment > 0:
        x = custom["TurnAndFlip"]()(x)
    filters = options.first_filters
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
    hour, minute, gap = custom["DialReadout"](name="readout")([logits, mirror])
    outputs = {
        "hour_hand": layers.Identity(name="hour_hand")(hour),
        "minute_hand": layers.Identity(name="minute_hand")(minute),
        "hand_gap": layers.Identity(name="hand_gap")(gap),
    }
    return keras.Model(inputs, outputs, name=name.replace("-", "_"))
