"""The clock data sets a run can name, and their images as a model sees them.

`clocks-<preset>` is a generated set (`render.PRESETS`: easy, medium, hard, course-like,
report-like) of `RunConfig.clock_images` clocks at `RunConfig.image_size` pixels, drawn with
the run's seed and cached under `cache/clocks/`; `clocks-course` is a folder in the course's format
(`RunConfig.data_path`: `images.npy` and `labels.npy`), resized to `image_size` when needed.
Either way the set is shuffled with the seed and cut 80/10/10 (the validation share is
`RunConfig.validation_fraction`). Only numpy and Pillow here: the dashboard draws test clocks
without TensorFlow.

Example:
    >>> config = RunConfig(dataset="clocks-easy", model="clock-two-head", clock_images=200,
    ...                    image_size=48)
    >>> clock_split(config).test_images.shape
    (20, 48, 48)
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from dlnn.clocks.course import CourseSplit, load_course_data, split_course_data
from dlnn.clocks.lab import CLOCK_DATASETS, TEST_FRACTION
from dlnn.clocks.render import PRESETS, ClockStyle, load_or_generate

if TYPE_CHECKING:
    from dlnn.config import RunConfig

def clock_style(config: RunConfig) -> ClockStyle:
    """The generator style of a generated clock data set, at the run's image size."""
    preset = CLOCK_DATASETS[config.dataset]
    if preset is None:
        raise ValueError(f"{config.dataset} is read from files, not generated")
    return dataclasses.replace(PRESETS[preset], size=config.image_size)


def resize_images(images: np.ndarray, size: int) -> np.ndarray:
    """(N, H, W) uint8 images resized to (N, size, size) (bilinear; unchanged if they fit)."""
    if images.shape[1:] == (size, size):
        return images
    from PIL import Image

    out = np.empty((len(images), size, size), dtype=np.uint8)
    for index, image in enumerate(images):
        out[index] = np.asarray(Image.fromarray(image).resize((size, size), Image.BILINEAR))
    return out


def load_clock_images(config: RunConfig) -> tuple[np.ndarray, np.ndarray]:
    """All images (N, size, size) uint8 and labels (N, 2) [hour, minute] of the run's set."""
    if CLOCK_DATASETS[config.dataset] is None:
        images, labels = load_course_data(config.data_path or "")
        return resize_images(images, config.image_size), labels
    return load_or_generate(config.clock_images, clock_style(config), config.seed)


def clock_split(config: RunConfig) -> CourseSplit:
    """The run's train / validation / test split, shuffled with its seed."""
    images, labels = load_clock_images(config)
    validation = config.validation_fraction
    return split_course_data(
        images, labels, config.seed,
        fractions=(1.0 - validation - TEST_FRACTION, validation, TEST_FRACTION),
    )


def model_input(images: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W) images as the models take them: float32 in [0, 1], (N, H, W, 1)."""
    return (np.asarray(images, dtype=np.float32) / 255.0)[..., np.newaxis]


def photo_to_clock(image: np.ndarray, size: int) -> np.ndarray:
    """Any decoded photo (H, W) or (H, W, 3|4) as a grey (size, size) uint8 clock image.

    The clock is found in the photo and the photo cropped around it, so that it sits centred
    and as large as the generator draws it (`dlnn.clocks.framing.frame_clock`; without a
    round rim: the central square). A photo still in a file or an upload goes through
    `dlnn.clocks.photo.read_clock_photo`, which checks its size and pixel format first.
    """
    from dlnn.clocks.framing import frame_clock

    return frame_clock(np.asarray(image), size)

