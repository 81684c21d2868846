"""How a clock sits in its picture: where its 12 points, whether it is mirrored, where it is.

A `DialPose` is what it takes to draw a time over a clock's own hands: a hand at `degrees` on
the dial (clockwise from the 12) points at `twelve_degrees + degrees` in the picture (clockwise
from the picture's top), or `twelve_degrees - degrees` on a mirrored clock; the hands start at
the centre and their length follows the dial radius. The default pose is the upright, centred
clock the generator draws.

The dial reader (`dlnn.clocks.dial`) knows the pose: its `maps` layer marks, for each
direction in the picture, where the 12 points, and its `mirror` logit says whether the dial is
mirrored. `pose_from_maps` reads them (numpy); `read_poses` asks a loaded dial reader (Keras,
imported only there). Other clock models have no idea of the pose: their hands are drawn
upright.

Example:
    >>> DialPose(twelve_degrees=90.0, mirrored=True).picture_degrees(30.0)
    60.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dlnn.clocks.dial import DIAL_BINS, POLAR_ANGLES, read_angle

if TYPE_CHECKING:
    import keras

# Map bin b pools the unrolled dial's columns 2b and 2b + 1: its direction is half a column on.
MAP_OFFSET_DEGREES = 0.5 * 360.0 / POLAR_ANGLES * (POLAR_ANGLES // DIAL_BINS - 1)


@dataclass(frozen=True)
class DialPose:
    """A clock's pose in its picture.

    twelve_degrees: the direction of the 12, clockwise from the picture's top.
    mirrored: whether the dial is seen in a mirror (its numbers run anticlockwise).
    centre: (x, y) of the dial's centre in pixels; None: the picture's centre.
    radius: the dial's radius in pixels; None: the generator's (CANONICAL_RADIUS of the side).
    """

    twelve_degrees: float = 0.0
    mirrored: bool = False
    centre: tuple[float, float] | None = None
    radius: float | None = None

    def picture_degrees(self, dial_degrees: float) -> float:
        """The direction in the picture (clockwise from its top) of an angle on the dial."""
        sign = -1.0 if self.mirrored else 1.0
        return float(np.mod(self.twelve_degrees + sign * dial_degrees, 360.0))


def pose_from_maps(logits: np.ndarray, mirror_logit: np.ndarray) -> list[DialPose]:
    """Poses from the dial reader's (N, DIAL_BINS, 3) map logits and (N, 1) mirror logits."""
    logits = np.asarray(logits, dtype=np.float64)
    twelve = logits[:, :, 0] - logits[:, :, 0].max(axis=1, keepdims=True)
    twelve = np.exp(twelve) / np.exp(twelve).sum(axis=1, keepdims=True)
    degrees = np.mod(read_angle(twelve) + MAP_OFFSET_DEGREES, 360.0)
    mirrored = np.asarray(mirror_logit, dtype=np.float64).reshape(-1) > 0.0
    return [DialPose(float(angle), bool(flag)) for angle, flag in zip(degrees, mirrored,
                                                                       strict=True)]


def read_poses(model: keras.Model, images: np.ndarray) -> list[DialPose]:
    """The poses a loaded dial reader (`clock-dial`) sees in model-ready (N, H, W, 1) images."""
    import keras

    probe = keras.Model(model.inputs, [model.get_layer("maps").output,
                                       model.get_layer("mirror").output])
    logits, mirror = probe.predict(images, verbose=0)
    return pose_from_maps(logits, mirror)
