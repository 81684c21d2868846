"""The course's clock data: `images.npy` and `labels.npy`, loaded, validated, split and written.

The course ships 18,000 grey 150x150 clock photographs as `images.npy` (N, 150, 150) uint8 and
`labels.npy` (N, 2) as [hour 0-11, minute 0-59], rows sorted by time. Users point the lab at a
folder, at the two files, or upload them (the dashboard keeps uploads in `upload_folder`); every
problem is reported as a `CourseDataError` that names the file and what is wrong with it.
Because the rows are sorted, the split shuffles first.

Example:
    >>> images, labels = load_course_data("~/clock-data")
    >>> split = split_course_data(images, labels, seed=0)
    >>> split.train_images.shape  # (14400, 150, 150) for the course's 18,000 images
"""

from __future__ import annotations

import io
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from dlnn import paths
from dlnn.files import write_atomic

IMAGES_FILE = "images.npy"
LABELS_FILE = "labels.npy"
# The most clock data the lab loads or generates at once. Evaluating and training make float32
# copies four times larger (plus resized ones), which must fit beside a model in this machine's
# 24 GiB; the course's 18,000 photographs are 0.4 GB.
MAX_DATA_BYTES = 2 * 2**30
BUDGET_REASON = "its float copies for a model must fit in this machine's 24 GiB of memory"
UPLOAD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # one folder name, no way out of it

FileSource = str | os.PathLike | IO[bytes]  # a path, or an upload's binary file object
CourseSource = str | os.PathLike | tuple[FileSource, FileSource]  # a folder, or (images, labels)


class CourseDataError(ValueError):
    """The course files are missing, unreadable or not in the course's format."""


def _name(source: FileSource, default: str) -> str:
    """A name for messages: the path, or an upload's file name."""
    if isinstance(source, (str, os.PathLike)):
        return str(source)
    return str(getattr(source, "name", None) or default)


def _load_array(source: FileSource, default_name: str) -> np.ndarray:
    """Read one .npy array from a path or a file-like object, without unpickling anything.

    The header is checked first, so a file that claims more than `MAX_DATA_BYTES` (or more
    than it holds) is refused before any memory is allocated.
    """
    name = _name(source, default_name)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        if not path.is_file():
            raise CourseDataError(f"{name}: file not found")
        try:
            with path.open("rb") as handle:
                return _load_npy(handle, name)
        except OSError as error:
            raise CourseDataError(f"{name}: cannot be read ({error.strerror or error})") from None
    if hasattr(source, "seek"):
        source.seek(0)
    return _load_npy(source, name)


def _load_npy(handle: IO[bytes], name: str) -> np.ndarray:
    _check_npy_header(handle, name)
    try:
        array = np.load(handle, allow_pickle=False)
    except ValueError as error:
        raise CourseDataError(f"{name}: not a plain .npy array ({error})") from None
    except (OSError, EOFError) as error:
        raise CourseDataError(f"{name}: cannot be read as .npy ({error})") from None
    if not isinstance(array, np.ndarray):
        array.close()
        raise CourseDataError(f"{name}: holds several arrays (.npz); expected one .npy array")
    return array


def _check_npy_header(handle: IO[bytes], name: str) -> None:
    """Refuse a .npy whose header declares more data than the budget, or than the file holds.

    Leaves the file where it was; a zip (.npz) is left to `np.load`, which names it.
    """
    start = handle.tell()
    try:
        if handle.read(4) == b"PK\x03\x04":
            return
        handle.seek(start)
        version = np.lib.format.read_magic(handle)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"format version {version[0]}.{version[1]} is not supported")
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read_header(handle)
        data_start = handle.tell()
        available = handle.seek(0, io.SEEK_END) - data_start
    except ValueError as error:
        raise CourseDataError(f"{name}: not a plain .npy array ({error})") from None
    finally:
        handle.seek(start)
    declared = math.prod(shape) * dtype.itemsize
    if declared > MAX_DATA_BYTES:
        raise CourseDataError(
            f"{name}: its header declares a {'x'.join(map(str, shape))} {dtype} array of "
            f"{declared / 2**30:,.1f} GiB; the lab loads at most {MAX_DATA_BYTES / 2**30:.0f} GiB "
            f"({BUDGET_REASON})")
    if declared > available:
        raise CourseDataError(f"{name}: the file is cut short: its header declares "
                              f"{declared:,} bytes of data, the file holds {available:,}")


def validate_images(images: np.ndarray, name: str = IMAGES_FILE) -> np.ndarray:
    """Return images as (N, H, W) uint8, squeezing a trailing channel of 1, or raise."""
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise CourseDataError(
            f"{name}: expected a 3-D array (N, height, width), got shape {images.shape}"
        )
    if images.dtype != np.uint8:
        raise CourseDataError(
            f"{name}: expected dtype uint8 (grey levels 0-255), got {images.dtype}"
        )
    if images.shape[0] == 0:
        raise CourseDataError(f"{name}: holds no images")
    return images


def validate_labels(labels: np.ndarray, name: str = LABELS_FILE) -> np.ndarray:
    """Return labels as (N, 2) int64 [hour 0-11, minute 0-59], or raise naming the problem."""
    if labels.ndim != 2 or labels.shape[1] != 2:
        raise CourseDataError(
            f"{name}: expected shape (N, 2) as [hour, minute], got {labels.shape}"
        )
    if labels.dtype.kind not in "iuf" or (
        labels.dtype.kind == "f" and not np.all(np.isfinite(labels) & (labels == np.round(labels)))
    ):
        raise CourseDataError(f"{name}: labels must be whole numbers, got dtype {labels.dtype}")
    labels = labels.astype(np.int64)
    for column, what, high in ((0, "hour", 11), (1, "minute", 59)):
        bad = np.flatnonzero((labels[:, column] < 0) | (labels[:, column] > high))
        if bad.size:
            raise CourseDataError(
                f"{name}: {bad.size} {what} value(s) outside 0-{high}, "
                f"first in row {bad[0]}: {labels[bad[0], column]}"
            )
    return labels


def _sources(source: CourseSource) -> tuple[FileSource, FileSource]:
    """The (images, labels) sources of a folder or of a pair."""
    if isinstance(source, tuple):
        if len(source) != 2:
            raise CourseDataError(f"expected (images, labels), got {len(source)} items")
        return source
    folder = Path(source).expanduser()
    if not folder.is_dir():
        raise CourseDataError(f"{folder}: folder not found")
    return folder / IMAGES_FILE, folder / LABELS_FILE


def load_course_data(
    source: CourseSource, expected_size: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Load and validate the course's clock images and labels.

    Args:
        source: A folder holding `images.npy` and `labels.npy`, or a pair (images, labels) of
            paths or binary file-like objects (uploads).
        expected_size: When given, images must be expected_size x expected_size.

    Returns:
        images uint8 (N, H, W) (a trailing channel of 1 is squeezed) and labels int64 (N, 2).

    Raises:
        CourseDataError: naming the file and the problem (missing, unreadable, shape, dtype,
            labels out of range, different numbers of images and labels).
    """
    images_source, labels_source = _sources(source)
    images_name = _name(images_source, IMAGES_FILE)
    labels_name = _name(labels_source, LABELS_FILE)
    images = validate_images(_load_array(images_source, IMAGES_FILE), images_name)
    labels = validate_labels(_load_array(labels_source, LABELS_FILE), labels_name)
    if expected_size is not None and images.shape[1:] != (expected_size, expected_size):
        raise CourseDataError(
            f"{images_name}: expected {expected_size}x{expected_size} images, "
            f"got {images.shape[1]}x{images.shape[2]}"
        )
    if len(images) != len(labels):
        raise CourseDataError(
            f"{images_name} holds {len(images)} images but {labels_name} holds {len(labels)} labels"
        )
    return images, labels


@dataclass(frozen=True)
class CourseSplit:
    """Shuffled train / validation / test parts; `order` maps their rows back to the source."""

    train_images: np.ndarray
    train_labels: np.ndarray
    val_images: np.ndarray
    val_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    order: np.ndarray  # source row of each train, then val, then test row


def split_course_data(
    images: np.ndarray,
    labels: np.ndarray,
    seed: int,
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
) -> CourseSplit:
    """Shuffle with `seed`, then cut into train / validation / test by `fractions`.

    The course's rows are sorted by time, so an unshuffled cut would test on times never seen
    in training.
    """
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if len(fractions) != 3 or min(fractions) < 0 or not np.isclose(sum(fractions), 1.0):
        raise ValueError(f"fractions must be three shares >= 0 summing to 1, got {fractions}")
    n = len(images)
    order = np.random.default_rng(seed).permutation(n)
    n_train = int(round(fractions[0] * n))
    n_val = min(int(round(fractions[1] * n)), n - n_train)
    parts = np.split(order, [n_train, n_train + n_val])
    return CourseSplit(
        train_images=images[parts[0]],
        train_labels=labels[parts[0]],
        val_images=images[parts[1]],
        val_labels=labels[parts[1]],
        test_images=images[parts[2]],
        test_labels=labels[parts[2]],
        order=order,
    )


def save_course_data(folder: str | os.PathLike, images: np.ndarray, labels: np.ndarray) -> Path:
    """Write `images.npy` and `labels.npy` into `folder` (created) in the course's format.

    Both are validated first and written atomically. Returns the folder.
    """
    images = validate_images(np.asarray(images))
    labels = validate_labels(np.asarray(labels))
    if len(images) != len(labels):
        raise CourseDataError(f"{len(images)} images but {len(labels)} labels")
    folder = Path(folder).expanduser()
    for name, array in ((IMAGES_FILE, images), (LABELS_FILE, labels)):

        def write(handle: io.BufferedIOBase, array: np.ndarray = array) -> None:
            np.save(handle, array, allow_pickle=False)

        write_atomic(folder / name, write)
    return folder


def upload_folder(name: str) -> Path:
    """Where uploaded course files called `name` are kept: `cache/clocks/course/<name>`.

    Raises:
        CourseDataError: when `name` is not one plain folder name (letters, digits, dots,
            dashes, underscores), so an upload cannot land outside that folder.
    """
    name = name.strip()
    if not UPLOAD_NAME.fullmatch(name):
        raise CourseDataError(f"name: {name!r} is not allowed; use letters, digits, dots, "
                              "dashes or underscores, starting with a letter or digit")
    return paths.cache_dir() / "clocks" / "course" / name
