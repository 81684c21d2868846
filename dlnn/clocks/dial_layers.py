"""The dial reader's custom Keras layers, registered for saving under `dlnn>ClassName`.

`dlnn.clocks.dial` describes the network and imports this module only when it builds one (or
`register_layers` is called), so that importing the model zoo needs no Keras. Importing this
module registers the layers: a stored `clock-dial` model loads in any process that has done so.
The registered names are what stored `.keras` files refer to, so they must not change.

Example:
    >>> images = np.ones((1, 48, 48, 1), np.float32)
    >>> tuple(PolarSampling(radii=16, angles=96)(images).shape)
    (1, 16, 96, 1)
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from dlnn.clocks.dial import POLAR_ANGLES, POLAR_EXTENT, POLAR_RADII

_register = keras.saving.register_keras_serializable(package="dlnn")


def _polar_taps(height: int, width: int, radii: int, angles: int,
               extent: float) -> tuple[np.ndarray, np.ndarray]:
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


@_register
class PolarSampling(keras.layers.Layer):
    """(B, H, W, 1) images -> (B, radii, angles, 1): the picture unrolled around its centre.

    Row r is the circle at radius (r + 0.5) / radii * extent * side; column a the direction
    a * 360 / angles degrees clockwise from the image's top. Bilinear, no weights.

    Args:
        radii: rows of the unrolled dial, centre to rim.
        angles: its columns, evenly spaced round the circle.
        extent: outermost radius sampled, as a fraction of the image's shorter side.
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


@_register
class CircularPad(keras.layers.Layer):
    """Pads the angle axis by wrapping round, for a 'valid' convolution after it.

    The angle axis is axis 2 of (B, R, A, C) inputs and axis 1 of (B, A, C) ones; the radius
    axis of 4-D inputs is padded with zeros (the centre and the rim do not meet).

    Args:
        width: columns added on each side.
    """

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
        padded_axes = (1, 2) if len(shape) == 4 else (1,)
        for axis in padded_axes:
            shape[axis] = None if shape[axis] is None else shape[axis] + 2 * self.width
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "width": self.width}


@_register
class TurnAndFlip(keras.layers.Layer):
    """Training only: turns each unrolled dial by a random angle and mirrors half of them.

    Both keep the true time (the numerals turn and flip with the hands), so they are exact
    augmentations: the convolutions see every orientation and as many mirrored dials as
    upright ones. At inference it passes the input through.

    Args:
        seed: seed of the random turns and flips; None draws a fresh one.
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


@_register
class DialReadout(keras.layers.Layer):
    """The time's three angles from the dial's maps, on an upright dial. No weights.

    Takes (B, bins, 3) logits of where the 12, the hour hand and the minute hand point, and a
    (B, 1) mirror logit. Returns three (B, bins) distributions: the hour hand's and the minute
    hand's angle from the 12, and the minute hand's from the hour hand. Each is the cyclic
    cross-correlation of two maps, measured clockwise on an upright dial and anticlockwise on
    a mirrored one, mixed by the mirror probability.
    """

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
        return (self._angle_between(twelve, hour, mirrored),
                self._angle_between(twelve, minute, mirrored),
                self._angle_between(hour, minute, mirrored))

    def _angle_between(self, origin: Any, target: Any, mirrored: Any) -> Any:
        """(B, bins) distribution of the angle from `origin` to `target`."""
        # sum over directions a of origin(a) * target(a + gap), and (a - gap) mirrored
        forward, backward = (
            ops.sum(origin[:, None, :] * ops.take(target, ops.convert_to_tensor(s), axis=1),
                    axis=2)
            for s in self.shifts
        )
        return (1.0 - mirrored) * forward + mirrored * backward

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = (input_shape[0][0], input_shape[0][1])
        return shape, shape, shape


LAYERS: dict[str, type[keras.layers.Layer]] = {
    layer.__name__: layer for layer in (PolarSampling, CircularPad, TurnAndFlip, DialReadout)
}
