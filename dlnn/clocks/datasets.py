"""The clock data sets a run can name, and their images as a model sees them.

`clocks-<preset>` is a generated set (`render.PRESETS`: easy, medium, hard, course-like,
any-clock, report-like) of `RunConfig.clock_images` clocks at `RunConfig.image_size` pixels,
drawn with the run's seed and cached under `cache/clocks/`; a preset with a pool of makes
(`any-clock`) is drawn only from the run's training makes, and `held_out_clocks` gives a test
set of the makes kept out (`render.split_makes`, seeded by the run's seed); `clocks-course` is a
folder in the course's format
(`RunConfig.data_path`: `images.npy` and `labels.npy`), resized to `image_size` when needed.
With `RunConfig.frame_clocks` every picture (training, validation, test and held-out alike)
is framed before the model sees it: drawn at `lab.FRAMED_PICTURE_SCALE` times the image size
(a photo is larger than what the model reads), the clock's centre and radius measured on the
picture (`dlnn.clocks.framing`) and the picture cropped round it and scaled down to the image
size, the clock centred as large as the generator draws it, as a photo is on "Your photo";
framed sets are cached too (`load_or_frame`).
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
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dlnn.clocks.course import CourseSplit, load_course_data, split_course_data
from dlnn.clocks.framing import FRAMING_VERSION, ClockFrame, frame_clock, frame_clocks
from dlnn.clocks.lab import CLOCK_DATASETS, TEST_FRACTION, picture_size
from dlnn.clocks.render import (
    PRESETS,
    ClockStyle,
    cache_path,
    clock_placements,
    load_or_generate,
    make_ids,
    split_makes,
)
from dlnn.files import write_atomic

if TYPE_CHECKING:
    from dlnn.clocks.locator import Locator
    from dlnn.config import RunConfig

HELD_OUT_SEED = 7919  # added to a run's seed to draw its held-out-make test set
_LOCATORS: dict[tuple, Locator] = {}  # the learned locator of the run this process trains

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
    """All images (N, size, size) uint8 and labels (N, 2) [hour, minute] of the run's set,
    framed (`RunConfig.frame_clocks`) when the run asks."""
    if CLOCK_DATASETS[config.dataset] is None:
        images, labels = load_course_data(config.data_path or "")
        if config.frame_clocks:
            return frame_clocks(images, config.image_size)[0], labels
        return resize_images(images, config.image_size), labels
    return _generated(config, config.clock_images, config.seed, training_makes(config))


def _generated(config: RunConfig, n: int, seed: int, makes: tuple[int, ...] | None
               ) -> tuple[np.ndarray, np.ndarray]:
    """`n` clocks of the run's style, through the caches; framed when the run asks."""
    if not config.frame_clocks:
        return load_or_generate(n, clock_style(config), seed, makes)
    if config.learned_framing:
        return load_or_locate(config, n, seed, makes)
    return load_or_frame(n, picture_style(config), seed, makes, size=config.image_size)


def run_locator(config: RunConfig) -> Locator:
    """The learned locator of a run with `learned_framing`: trained (or loaded from the cache)
    on pictures of the run's training makes that are not the run's own."""
    from dlnn.clocks.locator import load_or_train_locator

    key = _locator_spec(config)
    if key not in _LOCATORS:
        _LOCATORS.clear()  # one run's locator at a time
        _LOCATORS[key] = load_or_train_locator(*key)
    return _LOCATORS[key]


def stored_locator(config: RunConfig) -> Locator:
    """The learned locator a finished run with `learned_framing` framed its clocks with, from
    the cache (reading a photo never trains one). Raises ValueError when it is not there."""
    from dlnn.clocks.locator import load_locator, locator_path

    path = locator_path(*_locator_spec(config))
    locator = load_locator(path)
    if locator is None:
        raise ValueError(f"the run's learned locator {path} is missing or damaged; train "
                         "the run again (--retrain) to rebuild it")
    return locator


def load_or_locate(config: RunConfig, n: int, seed: int, makes: tuple[int, ...] | None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """`load_or_frame`'s set, each clock framed where the run's learned locator finds it
    (`dlnn.clocks.locator`) instead of where the rim finder does; cached apart from it."""
    def locate(pictures: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        frames = run_locator(config).locate(pictures)
        framed = np.stack([frame_clock(picture, size, ClockFrame(*frame[:3]))
                           for picture, frame in zip(pictures, frames, strict=True)])
        return framed, frames

    return load_or_frame(n, picture_style(config), seed, makes, size=config.image_size,
                         frame=locate, method=_located_method(config))


def _locator_spec(config: RunConfig) -> tuple[ClockStyle, tuple[int, ...] | None, int, int]:
    """What a run's learned locator is trained on: its pictures' style, its training makes,
    its seed and how many pictures."""
    from dlnn.clocks.locator import LOCATOR_IMAGES

    return (picture_style(config), training_makes(config), config.seed,
            min(LOCATOR_IMAGES, config.clock_images))


def _located_method(config: RunConfig) -> str:
    """The name of a run's located sets in the cache: after its locator's file."""
    from dlnn.clocks.locator import locator_path

    return f"located-{locator_path(*_locator_spec(config)).stem}"


def locator_result(config: RunConfig) -> dict[str, Any]:
    """What a run with `learned_framing` records about its locator: its training (`images`,
    `epochs`, `fit_seconds`, errors on its own validation pictures) and how far the frames it
    found on the run's set and on the held-out makes are from the generator's own
    (`locator.frame_errors`; measured only, never shown to a model)."""
    from dlnn.clocks.locator import frame_errors

    result: dict[str, Any] = dict(run_locator(config).report)
    style = picture_style(config)
    split = makes_split(config)
    sets = {"run_set": (config.clock_images, config.seed, training_makes(config))}
    if split is not None:
        sets["held_out"] = (max(1, round(config.clock_images * TEST_FRACTION)),
                            config.seed + HELD_OUT_SEED, split[1])
    for name, (n, seed, makes) in sets.items():
        path = framed_cache_path(n, style, seed, makes, config.image_size,
                                 method=_located_method(config))
        try:
            with np.load(path, allow_pickle=False) as stored:
                frames = stored["frames"]
        except (FileNotFoundError, ValueError, KeyError, OSError):
            continue
        centres, radii, _ = clock_placements(n, style, seed)
        result[name] = frame_errors(frames, centres, radii)
    return result


def picture_style(config: RunConfig) -> ClockStyle:
    """The style of a generated set's pictures: `clock_style`, drawn at `lab.picture_size`
    (larger than the image size when they are framed)."""
    return dataclasses.replace(clock_style(config), size=picture_size(config))


def framed_cache_path(n: int, style: ClockStyle, seed: int, makes: tuple[int, ...] | None = None,
                      size: int | None = None, method: str | None = None) -> Path:
    """Where `load_or_frame` keeps a framed set: beside the generated one, named after it,
    the framing (`method`; default the rim finder and its version) and the framed size."""
    generated = cache_path(n, style, seed, makes)
    method = method or f"framed{FRAMING_VERSION}"
    return generated.with_name(f"{generated.stem}-{method}-{size or style.size}.npz")


def load_or_frame(n: int, style: ClockStyle, seed: int = 0,
                  makes: tuple[int, ...] | None = None, size: int | None = None,
                  frame: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]] | None = None,
                  method: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`load_or_generate`'s set with every picture framed by `framing.frame_clocks` to `size`
    pixels (default: the pictures' own), cached.

    Each clock's centre and radius are measured on its picture (`find_clock`), as they are
    on a photo, never taken from the generator. The file also holds the frames found
    (`frames`: x, y, radius, found). The labels are the generated set's, unchanged. `frame`
    replaces `frame_clocks` when the set is not cached yet (the same framing, in parallel,
    say, or another one, named by `method` in the cache).
    """
    size = size or style.size
    path = framed_cache_path(n, style, seed, makes, size, method)
    try:
        with np.load(path, allow_pickle=False) as stored:
            images, labels = stored["images"], stored["labels"]
    except (FileNotFoundError, ValueError, KeyError, OSError):
        generated, labels = load_or_generate(n, style, seed, makes)
        images, frames = (frame or frame_clocks)(generated, size)

        def write(handle: io.BufferedIOBase) -> None:
            np.savez(handle, images=images, labels=labels, frames=frames)

        write_atomic(path, write)
    images.flags.writeable = False
    return images, labels


def makes_split(config: RunConfig) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(training make ids, held-out make ids) of a set drawn from a pool of makes, else None."""
    if CLOCK_DATASETS[config.dataset] is None:
        return None
    style = clock_style(config)
    return split_makes(style, config.seed) if style.makes else None


def training_makes(config: RunConfig) -> tuple[int, ...] | None:
    """The make ids the run's set is drawn from (None: the preset's one make)."""
    split = makes_split(config)
    return None if split is None else split[0]


def clock_make_ids(config: RunConfig) -> np.ndarray:
    """(N,) the make id of each image of `load_clock_images(config)` (zeros: one make)."""
    if CLOCK_DATASETS[config.dataset] is None:
        return np.zeros(config.clock_images, dtype=np.int64)
    return make_ids(config.clock_images, clock_style(config), config.seed,
                    training_makes(config))


def held_out_clocks(config: RunConfig) -> tuple[np.ndarray, np.ndarray] | None:
    """Images and labels of makes the run never trains on, as many as its test split; None
    unless its set is drawn from a pool of makes."""
    split = makes_split(config)
    if split is None:
        return None
    count = max(1, round(config.clock_images * TEST_FRACTION))
    return _generated(config, count, config.seed + HELD_OUT_SEED, split[1])


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
    return frame_clock(np.asarray(image), size)

