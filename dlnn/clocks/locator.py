"""A learned clock locator: where a clock's hands turn and how large its dial is.

`framing.find_clock` measures the rim, and a rim seen in perspective is an ellipse whose centre
is not where the hands turn: at the generator's 50 degrees of tilt the two are up to 0.13 dial
radii apart, and on any-clock clocks (bezels, dark faces, rims cut by the picture's edge) the
finder is off by more than a quarter of the radius, or a fifth in size, on 11-14% of the
clocks. The dial reader unrolls the picture about its centre, so those clocks are misread.

The locator learns the frame instead. A small fully convolutional network reads the picture at
`INPUT` pixels and puts out, on a grid of `CELLS` x `CELLS` cells, a score for "the hands turn
here" and a dial radius; the centre is the score-weighted mean of the cells' positions (a soft
argmax, finer than one cell) and the radius the score-weighted mean radius. Being convolutional
it finds a clock anywhere in the picture the same way. A second network of the same kind then
takes a second look (`refine_frames`): the picture cropped round the first look's frame at
`INPUT` pixels, where the clock is as large as the dial reader sees it, and finds the clock
again there; it trains on crops round the true frame moved and scaled at random by about the
first look's errors. Both train on their own generated set of
the run's training makes (`LOCATOR_SEED` apart from the run's seed, never the run's images and
never a held-out make), labelled with the generator's own centre and radius
(`render.clock_placements`), with the picture flipped and transposed at random (the frame flips
with it). `RunConfig.learned_framing` frames a run's clocks with it
(`datasets.load_or_locate`); trained locators are cached beside the generated sets.

Keras is imported only to build, train or run a locator.

Example:
    >>> locator = load_or_train_locator(style, makes=(0, 1, 2), seed=0, images=2000)
    >>> frames = locator.locate(pictures)  # (N, 4): x, y, radius, found
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dlnn.clocks.framing import ClockFrame, crop_box, frame_clock
from dlnn.clocks.render import (
    ClockStyle,
    cache_key,
    clock_placements,
    load_or_generate,
)
from dlnn.files import write_atomic

if TYPE_CHECKING:
    import keras

LOCATOR_VERSION = 2  # bump when the network or its training changes: cached locators retrain
INPUT = 64  # side of the picture the locator reads
CELLS = INPUT // 4  # the score grid: two 2x2 poolings
WIDTH = 16  # filters of the first convolutions; twice as many after the first pooling
DILATIONS = (1, 2, 4, 8)  # the grid's convolutions: together they see the whole picture
SCALE = 10.0  # frames are learned in tenths of the picture's side (losses of order one)
LOCATOR_SEED = 104_729  # added to the run's seed to draw the locator's own training set
LOCATOR_IMAGES = 8000  # pictures it trains on (fewer when the run's set is smaller)
LOCATOR_EPOCHS = 16
BATCH = 64
VALIDATION_FRACTION = 0.1
PREDICT_BATCH = 256
# The second look: a second network of the same kind reads the picture cropped round the first
# look's frame (at INPUT pixels, the clock as large as the dial reader sees it) and finds the
# clock again there. It trains on crops round the true frame moved and scaled at random by
# about the first look's errors: normal, per axis, this share of the dial radius; the radius
# by this relative share.
REFINE_CENTRE_JITTER = 0.06
REFINE_RADIUS_JITTER = 0.06


def _register() -> None:
    """Registers the soft-argmax layer with Keras (a stored locator refers to it by name)."""
    _soft_argmax_layer()


def _soft_argmax_layer() -> type:
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="dlnn", name="ClockSoftArgmax")
    class ClockSoftArgmax(keras.layers.Layer):
        """(N, cells, cells, 2) scores and radii -> (N, 3) centre x, y and radius, in tenths
        of the picture's side about its middle (x, y) and from zero (radius)."""

        def call(self, inputs):
            cells = inputs.shape[1]
            scores = ops.reshape(inputs[..., 0], (-1, cells * cells))
            radii = ops.reshape(inputs[..., 1], (-1, cells * cells))
            weights = ops.softmax(scores, axis=-1)
            grid = ((np.arange(cells, dtype="float32") + 0.5) / cells - 0.5) * SCALE
            x = ops.convert_to_tensor(np.tile(grid, cells))
            y = ops.convert_to_tensor(np.repeat(grid, cells))
            return ops.stack([ops.sum(weights * x, axis=-1), ops.sum(weights * y, axis=-1),
                              ops.sum(weights * radii, axis=-1)], axis=-1)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 3)

    return ClockSoftArgmax


def build_locator(seed: int = 0) -> keras.Model:
    """The untrained locator: (N, INPUT, INPUT, 1) pictures in [0, 1] -> (N, 3) frames."""
    import keras

    keras.utils.set_random_seed(seed)

    def convolution(tensor, filters: int, dilation: int = 1):
        tensor = keras.layers.Conv2D(filters, 3, padding="same", dilation_rate=dilation,
                                     use_bias=False)(tensor)
        return keras.layers.ReLU()(keras.layers.BatchNormalization()(tensor))

    pictures = keras.Input((INPUT, INPUT, 1))
    tensor = convolution(convolution(pictures, WIDTH), WIDTH)
    tensor = keras.layers.MaxPooling2D()(tensor)
    tensor = convolution(convolution(tensor, 2 * WIDTH), 2 * WIDTH)
    tensor = keras.layers.MaxPooling2D()(tensor)
    for dilation in DILATIONS:
        tensor = convolution(tensor, 2 * WIDTH, dilation)
    frames = _soft_argmax_layer()()(keras.layers.Conv2D(2, 1)(tensor))
    model = keras.Model(pictures, frames, name="clock_locator")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return model


def locator_input(pictures: np.ndarray) -> np.ndarray:
    """(N, H, W) uint8 square pictures -> (N, INPUT, INPUT, 1) float32 in [0, 1]."""
    from dlnn.clocks.datasets import resize_images

    small = resize_images(np.asarray(pictures, dtype=np.uint8), INPUT)
    return (small.astype(np.float32) / 255.0)[..., np.newaxis]


def frame_targets(centres: np.ndarray, radii: np.ndarray, side: int) -> np.ndarray:
    """Frames in pixels of a `side`-pixel picture -> what the locator learns (N, 3)."""
    x, y = ((np.asarray(centres, dtype=np.float64) + 0.5) / side - 0.5).T
    return (np.stack([x, y, np.asarray(radii) / side], axis=1) * SCALE).astype(np.float32)


def target_frames(targets: np.ndarray, side: int) -> np.ndarray:
    """What the locator puts out -> (N, 4) frames in pixels: x, y, radius, found (1)."""
    targets = np.asarray(targets, dtype=np.float64) / SCALE
    x, y = ((targets[:, :2] + 0.5) * side - 0.5).T
    radius = np.maximum(targets[:, 2] * side, 1.0)
    return np.stack([x, y, radius, np.ones(len(targets))], axis=1)


def _dihedral_batches(x: np.ndarray, y: np.ndarray, batch: int, seed: int) -> Any:
    """The training pictures in shuffled batches, each flipped left-right, upside down and
    transposed at random, its frames with it."""
    import keras

    class Batches(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__()
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(x))

        def __len__(self) -> int:
            return max(1, len(x) // batch)

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(x))

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            chosen = self.order[index * batch:(index + 1) * batch]
            pictures, frames = x[chosen], y[chosen].copy()
            if self.rng.random() < 0.5:
                pictures, frames[:, 0] = pictures[:, :, ::-1], -frames[:, 0]
            if self.rng.random() < 0.5:
                pictures, frames[:, 1] = pictures[:, ::-1], -frames[:, 1]
            if self.rng.random() < 0.5:
                pictures, frames[:, :2] = pictures.transpose(0, 2, 1, 3), frames[:, 1::-1]
            return np.ascontiguousarray(pictures), frames

    return Batches()


def frame_errors(frames: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> dict[str, float]:
    """How far found frames are from the generator's: centre error in dial radii (median,
    90th percentile), radius found / true (5th, 95th percentile), and the share missed (centre
    off by more than a quarter of the radius or radius by more than a fifth)."""
    error = np.hypot(frames[:, 0] - centres[:, 0], frames[:, 1] - centres[:, 1]) / radii
    ratio = frames[:, 2] / radii
    return {
        "centre_error_median": round(float(np.median(error)), 4),
        "centre_error_p90": round(float(np.quantile(error, 0.9)), 4),
        "radius_ratio_p5": round(float(np.quantile(ratio, 0.05)), 4),
        "radius_ratio_p95": round(float(np.quantile(ratio, 0.95)), 4),
        "missed": round(float(np.mean((error > 0.25) | (np.abs(ratio - 1) > 0.2))), 4),
    }


@dataclass
class Locator:
    """A trained locator: the first look (`model`, the whole picture), the second look
    (`refiner`, the picture cropped round the first look's frame) and what their training
    measured (`report`: images, epochs, seconds, frame errors on its own validation pictures
    after the first look and after both)."""

    model: keras.Model
    refiner: keras.Model
    report: dict[str, Any]

    def locate(self, pictures: np.ndarray) -> np.ndarray:
        """(N, 4) frames (x, y, radius in the pictures' pixels, found 1) of square pictures:
        the first look's, refined by the second."""
        first = locate_clocks(self.model, pictures)
        return refine_frames(self.refiner, pictures, first)


def _crop_boxes(frames: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where `framing.frame_clock` cuts each frame's square out of a picture (left and top
    pixel edges, whole pixels: `framing.crop_box`) and how much it scales it to `size` pixels."""
    boxes = np.array([crop_box(ClockFrame(*frame[:3])) for frame in frames], dtype=np.float64)
    boxes = boxes.reshape(-1, 3)
    return boxes[:, 0], boxes[:, 1], size / boxes[:, 2]


def to_crop(frames: np.ndarray, used: np.ndarray, size: int) -> np.ndarray:
    """Frames (x, y, radius in picture pixels) as seen in the crops framed at `used`."""
    left, top, scale = _crop_boxes(used, size)
    return np.stack([(frames[:, 0] + 0.5 - left) * scale - 0.5,
                     (frames[:, 1] + 0.5 - top) * scale - 0.5, frames[:, 2] * scale], axis=1)


def from_crop(found: np.ndarray, used: np.ndarray, size: int) -> np.ndarray:
    """`to_crop` undone: frames found in the crops, in the pictures' pixels."""
    left, top, scale = _crop_boxes(used, size)
    return np.stack([(found[:, 0] + 0.5) / scale + left - 0.5,
                     (found[:, 1] + 0.5) / scale + top - 0.5, found[:, 2] / scale], axis=1)


def crop_pictures(pictures: np.ndarray, frames: np.ndarray, size: int = INPUT) -> np.ndarray:
    """Each picture framed at its frame (`framing.frame_clock`) to (size, size)."""
    return np.stack([frame_clock(picture, size, ClockFrame(*frame[:3]))
                     for picture, frame in zip(pictures, frames, strict=True)])


def refine_frames(refiner: keras.Model, pictures: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """The second look: each picture cropped round its frame, the clock's centre found again
    there. The radius stays the first look's: the second look's came out about 5% small on
    its own validation pictures (0.89-1.00 of the true one, against 0.93-1.08), while its
    centre is closer (median 0.033 radii against 0.044, none missed)."""
    crops = crop_pictures(pictures, frames)
    found = target_frames(refiner.predict(locator_input(crops), batch_size=PREDICT_BATCH,
                                          verbose=0), INPUT)
    refined = from_crop(found[:, :3], frames, INPUT)
    return np.concatenate([refined[:, :2], frames[:, 2:3], np.ones((len(refined), 1))], axis=1)


def locator_path(style: ClockStyle, makes: tuple[int, ...] | None, seed: int, images: int,
                 epochs: int = LOCATOR_EPOCHS) -> Path:
    """Where the locator trained on these pictures is cached: beside the generated sets."""
    from dlnn.clocks.render import cache_path

    key = cache_key(images, style, seed + LOCATOR_SEED, makes)
    folder = cache_path(images, style, seed, makes).parent
    return folder / f"locator{LOCATOR_VERSION}-{key}-{epochs}.keras"


def train_locator(style: ClockStyle, makes: tuple[int, ...] | None, seed: int, images: int,
                  epochs: int = LOCATOR_EPOCHS) -> Locator:
    """A locator trained on `images` pictures of `style` and `makes` drawn with `seed` +
    LOCATOR_SEED (the run's own pictures are never among them)."""
    import keras

    pictures, _ = load_or_generate(images, style, seed + LOCATOR_SEED, makes)
    centres, radii, _ = clock_placements(images, style, seed + LOCATOR_SEED)
    truth = np.concatenate([centres, radii[:, None]], axis=1)
    cut = max(1, round(images * (1 - VALIDATION_FRACTION)))

    def fit(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
        started = time.perf_counter()
        model.fit(_dihedral_batches(x[:cut], y[:cut], BATCH, seed),
                  validation_data=(x[cut:], y[cut:]) if cut < images else None,
                  epochs=epochs, verbose=0,
                  callbacks=[keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2)])
        return time.perf_counter() - started

    model = build_locator(seed)
    seconds = fit(model, locator_input(pictures), frame_targets(centres, radii, style.size))
    # The second look trains on crops round the true frames, moved and scaled at random.
    rng = np.random.default_rng(seed)
    used = truth.copy()
    used[:, :2] += rng.normal(0, REFINE_CENTRE_JITTER, (images, 2)) * radii[:, None]
    used[:, 2] *= np.exp(rng.normal(0, REFINE_RADIUS_JITTER, images))
    seen = to_crop(truth, used, INPUT)
    refiner = build_locator(seed + 1)
    seconds += fit(refiner, locator_input(crop_pictures(pictures, used)),
                   frame_targets(seen[:, :2], seen[:, 2], INPUT))
    locator = Locator(model, refiner, {"images": images, "epochs": epochs,
                                       "version": LOCATOR_VERSION})
    locator.report["fit_seconds"] = round(seconds, 1)
    if cut < images:
        first = locate_clocks(model, pictures[cut:])
        locator.report["validation_first_look"] = frame_errors(first, centres[cut:], radii[cut:])
        locator.report["validation"] = frame_errors(
            refine_frames(refiner, pictures[cut:], first), centres[cut:], radii[cut:])
    return locator


def load_or_train_locator(style: ClockStyle, makes: tuple[int, ...] | None, seed: int,
                          images: int, epochs: int = LOCATOR_EPOCHS) -> Locator:
    """`train_locator`'s locator, cached (the model as `.keras`, its report beside it)."""
    path = locator_path(style, makes, seed, images, epochs)
    stored = load_locator(path)
    if stored is not None:
        return stored
    locator = train_locator(style, makes, seed, images, epochs)
    path.parent.mkdir(parents=True, exist_ok=True)
    for model, target in ((locator.refiner, _refiner_path(path)), (locator.model, path)):
        temporary = target.with_name(f".{target.name}.partial.keras")
        model.save(temporary)
        temporary.replace(target)
    write_atomic(path.with_suffix(".json"), lambda handle: handle.write(
        json.dumps(locator.report, indent=2).encode()))
    return locator


def load_locator(path: Path) -> Locator | None:
    """The locator stored at `path` with its report, or None when it is missing or damaged."""
    import keras

    _register()
    try:
        model = keras.saving.load_model(path)
        refiner = keras.saving.load_model(_refiner_path(path))
        return Locator(model, refiner, json.loads(path.with_suffix(".json").read_text()))
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None


def _refiner_path(path: Path) -> Path:
    """Where the second look is stored beside the first."""
    return path.with_name(f"{path.stem}-second.keras")


def locate_clocks(model: keras.Model, pictures: np.ndarray) -> np.ndarray:
    """(N, 4) frames (x, y, radius in the pictures' pixels, found 1) of square pictures."""
    pictures = np.asarray(pictures, dtype=np.uint8)
    if pictures.ndim != 3 or pictures.shape[1] != pictures.shape[2]:
        raise ValueError(f"expected square grey pictures (N, H, H), got shape {pictures.shape}")
    outputs = model.predict(locator_input(pictures), batch_size=PREDICT_BATCH, verbose=0)
    return target_frames(outputs, pictures.shape[1])

