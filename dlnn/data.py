"""MNIST and Fashion-MNIST: find the files, parse them once, and cut seeded splits.

A data set is read from the first place that has it: `$DLNN_DATA_DIR/<folder>/` (ready IDX
files, as on machines without internet and in CI), then `<cache>/datasets/<folder>/`, and only
then downloaded into that cache folder with Keras (the one place this module imports Keras).
Parsing 60,000 gzip-compressed images takes a while, so the parsed arrays are kept in memory for
the life of the process and in `<cache>/datasets/<folder>/parsed.npz`, keyed by the source
files' paths, sizes and modification times: a fresh process skips the parse, a changed source
is parsed again. `load_splits` turns the raw uint8 arrays into float32 train, validation and
test splits, seeded, optionally subsampled and with one fixed pixel permutation.

Example:

```python
splits = load_splits("fashion-mnist", subset=5000, channels=True)
splits.x_train.shape  # (4500, 28, 28, 1), float32 in [0, 1]
splits.counts  # {"train": 4500, "validation": 500, "test": 10000}
```
"""

from __future__ import annotations

import gzip
import json
import math
import struct
import threading
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlnn import files, paths, registry
from dlnn.permutation import make_permutation, permute_pixels

KERAS_URL_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
# The canonical IDX file names, keyed by the array each one holds.
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
PARSED_NPZ = "parsed.npz"
# Keras checks mnist.npz against this hash; its Fashion-MNIST loader checks none.
_DOWNLOAD_SHA256 = {"mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"}
_GZIP_SIGNATURE = b"\x1f\x8b"

# Where `available_datasets` says a data set would load from.
FROM_DATA_DIR = "DLNN_DATA_DIR"
FROM_CACHE = "cache"
DOWNLOAD_NEEDED = "download needed"


class DataFileError(ValueError):
    """A data file is unreadable or malformed; the message names the file and the fault."""


class DataUnavailableError(RuntimeError):
    """A data set is in none of the places looked at and could not be downloaded."""


@dataclass(frozen=True)
class DatasetInfo:
    """One entry of the data set registry."""

    name: str  # registry key, e.g. "fashion-mnist"
    folder: str  # folder name under $DLNN_DATA_DIR and <cache>/datasets
    title: str  # human-readable name for the dashboard
    class_names: tuple[str, ...]  # label i means class_names[i]
    image_shape: tuple[int, int] = (28, 28)  # rows, cols of one grayscale image
    download_files: tuple[str, ...] = tuple(IDX_FILES.values())  # names under KERAS_URL_BASE
    train_size: int = 60_000  # training images in the canonical files

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)


FASHION_CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        name="mnist",
        folder="mnist",
        title="MNIST handwritten digits",
        class_names=tuple(str(digit) for digit in range(10)),
        download_files=("mnist.npz",),  # Keras mirrors MNIST as one npz, not as IDX files
    ),
    "fashion-mnist": DatasetInfo(
        name="fashion-mnist",
        folder="fashion-mnist",
        title="Fashion-MNIST (Zalando)",
        class_names=FASHION_CLASS_NAMES,
    ),
}


for _info in DATASETS.values():
    registry.add_dataset(registry.DatasetEntry(
        _info.name, _info.title, "classification",
        train_images=lambda config, size=_info.train_size: size,
    ))


@dataclass(frozen=True, eq=False)
class RawDataset:
    """A data set as stored: read-only uint8 images (N, rows, cols) and uint8 labels (N,)."""

    name: str  # registry key
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str  # FROM_DATA_DIR or FROM_CACHE
    folder: Path  # the folder the source files are in


@dataclass(frozen=True, eq=False)
class Splits:
    """Training, validation and test arrays ready for `model.fit`.

    Images are float32 in [0, 1], shaped (N, 28, 28) or (N, 28, 28, 1); labels are int64.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    permutation: np.ndarray | None = None  # the pixel permutation applied to all splits, if any

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one image, e.g. (28, 28) or (28, 28, 1)."""
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    @property
    def counts(self) -> dict[str, int]:
        """Number of examples per split."""
        return {"train": len(self.x_train), "validation": len(self.x_val), "test": len(self.x_test)}


def dataset_info(name: str) -> DatasetInfo:
    """Look up a data set by registry name; an unknown name raises ValueError listing the known."""
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(DATASETS)}") from None


# ---------------------------------------------------------------------------------------------
# IDX files


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file of uint8 images (magic 2051) or labels (magic 2049), gzip or plain.

    Args:
        path: The file; a gzip stream is recognised by its signature.

    Returns:
        A read-only uint8 array: (count, rows, cols) for images, (count,) for labels.

    Raises:
        DataFileError: The file is unreadable, not valid gzip, has an unknown magic number, or
            holds more or fewer bytes than its header announces.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 8:
        raise DataFileError(f"{path}: {len(data)} bytes is too short for an IDX header")
    magic, count = struct.unpack_from(">ii", data)
    if magic == IMAGES_MAGIC:
        if len(data) < 16:
            raise DataFileError(f"{path}: {len(data)} bytes is too short for an IDX image header")
        rows, cols = struct.unpack_from(">ii", data, 8)
        shape, offset = (count, rows, cols), 16
        content = f"bytes of pixels for {count} images of {rows}x{cols}"
    elif magic == LABELS_MAGIC:
        shape, offset = (count,), 8
        content = f"bytes of labels for {count} labels"
    else:
        raise DataFileError(
            f"{path}: wrong magic number {magic}, "
            f"expected {IMAGES_MAGIC} (images) or {LABELS_MAGIC} (labels)"
        )
    if min(shape) < 0:
        raise DataFileError(f"{path}: negative size in the IDX header {shape}")
    expected, found = math.prod(shape), len(data) - offset
    if found != expected:
        hint = "truncated file?" if found < expected else "extra bytes after the data"
        raise DataFileError(f"{path}: expected {expected} {content}, found {found} ({hint})")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(shape)


def _read_bytes(path: Path) -> bytes:
    """The file's content, decompressed when it is gzip."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataFileError(f"{path}: cannot read the file ({error.strerror or error})") from error
    if data[:2] == _GZIP_SIGNATURE:
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise DataFileError(f"{path}: not a valid gzip file ({error})") from error
    if path.suffix == ".gz":
        raise DataFileError(f"{path}: not a valid gzip file (no gzip signature)")
    return data


def _read_keras_npz(path: Path) -> dict[str, np.ndarray]:
    """The four arrays of Keras' `mnist.npz`."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in IDX_FILES}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise DataFileError(f"{path}: not a readable Keras data set npz ({error})") from error


def _parse_sources(info: DatasetInfo, sources: tuple[Path, ...]) -> dict[str, np.ndarray]:
    """Parse the source files and check that they form a consistent data set."""
    if len(sources) == 1:
        arrays = _read_keras_npz(sources[0])
        origins = dict.fromkeys(IDX_FILES, sources[0])
    else:
        origins = dict(zip(IDX_FILES, sources, strict=True))
        arrays = {key: read_idx(path) for key, path in origins.items()}
    for split in ("train", "test"):
        _check_pair(info, arrays, origins, split)
    labels_as_uint8 = {key: arrays[key].astype(np.uint8) for key in ("y_train", "y_test")}
    return {**arrays, **labels_as_uint8}


def _check_pair(
    info: DatasetInfo, arrays: dict[str, np.ndarray], origins: dict[str, Path], split: str
) -> None:
    """Check that one split's images and labels fit each other and the data set."""
    images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
    image_file, label_file = origins[f"x_{split}"], origins[f"y_{split}"]
    rows, cols = info.image_shape
    if images.ndim != 3 or images.shape[1:] != info.image_shape or images.dtype != np.uint8:
        raise DataFileError(
            f"{image_file}: expected uint8 images of {rows}x{cols}, "
            f"found {images.dtype} array of shape {images.shape}"
        )
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise DataFileError(
            f"{label_file}: expected a vector of integer labels, found {labels.shape}"
        )
    if len(images) != len(labels):
        raise DataFileError(
            f"{image_file} has {len(images)} images but {label_file} has {len(labels)} labels"
        )
    if len(labels) and (labels.min() < 0 or labels.max() >= info.num_classes):
        raise DataFileError(
            f"{label_file}: labels must lie in 0..{info.num_classes - 1}, "
            f"found {labels.min()}..{labels.max()}"
        )


# ---------------------------------------------------------------------------------------------
# Where a data set comes from


def _cache_folder(info: DatasetInfo) -> Path:
    return paths.cache_dir() / "datasets" / info.folder


def _candidates(info: DatasetInfo) -> list[tuple[str, tuple[Path, ...]]]:
    """The file sets that hold the data set, in order of preference."""
    candidates = []
    root = paths.data_dir()
    if root is not None:
        candidates.append((FROM_DATA_DIR, _idx_paths(root / info.folder)))
    cache = _cache_folder(info)
    candidates.append((FROM_CACHE, _idx_paths(cache)))
    downloaded = tuple(cache / name for name in info.download_files)
    if downloaded != _idx_paths(cache):
        candidates.append((FROM_CACHE, downloaded))
    return candidates


def _idx_paths(folder: Path) -> tuple[Path, ...]:
    return tuple(folder / name for name in IDX_FILES.values())


def _locate(info: DatasetInfo) -> tuple[str, tuple[Path, ...]] | None:
    """The first complete file set of the data set, with where it is, or None."""
    for where, sources in _candidates(info):
        if all(path.is_file() for path in sources):
            return where, sources
    return None


def _where_looked(info: DatasetInfo) -> str:
    """A line per place looked at, naming the files missing there."""
    lines = [] if paths.data_dir() is not None else [f"  {FROM_DATA_DIR}: not set"]
    for where, sources in _candidates(info):
        missing = [path.name for path in sources if not path.is_file()]
        lines.append(f"  {where}: {sources[0].parent} (missing {', '.join(missing)})")
    return "\n".join(lines)


def download_dataset(info: DatasetInfo, folder: Path) -> None:
    """Download the data set's files from Keras' mirror into `folder`.

    Raises:
        DataUnavailableError: Keras is missing or the download failed; the message says where
            the data set was looked for and how to provide it.
    """
    try:
        from keras.utils import get_file  # heavy; only a download needs it

        folder.mkdir(parents=True, exist_ok=True)
        for name in info.download_files:
            get_file(
                name,
                origin=KERAS_URL_BASE + name,
                file_hash=_DOWNLOAD_SHA256.get(name),
                cache_dir=str(folder),
                cache_subdir="",
            )
    except Exception as error:  # get_file raises a bare Exception on network failures
        raise DataUnavailableError(
            _unavailable_message(info, f"download failed: {error}")
        ) from error


def _unavailable_message(info: DatasetInfo, reason: str) -> str:
    files_needed = ", ".join(IDX_FILES.values())
    return (
        f"{info.name} is not available ({reason}).\nLooked in:\n{_where_looked(info)}\n"
        f"  download: {KERAS_URL_BASE}{{{','.join(info.download_files)}}}\n"
        f"Fix: set DLNN_DATA_DIR to a folder holding {info.folder}/ with {files_needed}, "
        f"or connect to the internet so the files can be downloaded."
    )


def available_datasets() -> dict[str, str]:
    """Where each data set would load from: "DLNN_DATA_DIR", "cache" or "download needed".

    Only checks that files exist; nothing is read or downloaded.
    """
    return {name: (_locate(info) or (DOWNLOAD_NEEDED,))[0] for name, info in DATASETS.items()}


# ---------------------------------------------------------------------------------------------
# Loading with two caches

_LOCK = threading.Lock()
# name -> (fingerprint of the source files, the parsed data set)
_LOADED: dict[str, tuple[str, RawDataset]] = {}
# name -> a data set handed to this process in memory (`provide`); no file is looked for.
_PROVIDED: dict[str, RawDataset] = {}


def provide(raw: RawDataset) -> None:
    """Serve `raw` for its name in this process from now on, without looking for files.

    A Ray worker gets its data this way, from the driver through Ray's object store: the
    files need not be on its machine, and the tasks on one node share one copy.
    """
    with _LOCK:
        _PROVIDED[raw.name] = raw


def load_raw(name: str) -> RawDataset:
    """Load a data set as stored, from memory, `parsed.npz`, the source files or a download.

    Args:
        name: A key of `DATASETS`.

    Returns:
        The read-only uint8 arrays; repeated calls return the same object until a source file
        changes.

    Raises:
        ValueError: Unknown name.
        DataFileError: A source file is malformed.
        DataUnavailableError: The data set is nowhere to be found and cannot be downloaded.
    """
    info = dataset_info(name)
    with _LOCK:
        if info.name in _PROVIDED:
            return _PROVIDED[info.name]
        where, sources = _locate_or_download(info)
        fingerprint = _fingerprint(sources)
        if info.name in _LOADED and _LOADED[info.name][0] == fingerprint:
            return _LOADED[info.name][1]
        arrays = _read_parsed(info, fingerprint) or _parse_and_store(info, sources, fingerprint)
        for array in arrays.values():
            array.setflags(write=False)  # shared by every caller: nobody may change it
        raw = RawDataset(name=info.name, source=where, folder=sources[0].parent, **arrays)
        _LOADED[info.name] = (fingerprint, raw)
        return raw


def clear_memory_cache() -> None:
    """Forget the data sets loaded in this process (`parsed.npz` files stay)."""
    with _LOCK:
        _LOADED.clear()
        _PROVIDED.clear()


def _locate_or_download(info: DatasetInfo) -> tuple[str, tuple[Path, ...]]:
    found = _locate(info)
    if found is None:
        download_dataset(info, _cache_folder(info))
        found = _locate(info)
    if found is None:
        raise DataUnavailableError(_unavailable_message(info, "the download left no files"))
    return found


def _fingerprint(sources: tuple[Path, ...]) -> str:
    """Identify the source files' versions by path, size and modification time."""
    stats = [(path.resolve(), path.stat()) for path in sources]
    return json.dumps([(str(path), stat.st_size, stat.st_mtime_ns) for path, stat in stats])


def _read_parsed(info: DatasetInfo, fingerprint: str) -> dict[str, np.ndarray] | None:
    """The arrays in `parsed.npz` if it was parsed from these very source files, else None."""
    try:
        with np.load(_cache_folder(info) / PARSED_NPZ, allow_pickle=False) as npz:
            if str(npz["fingerprint"]) != fingerprint:
                return None
            return {key: npz[key] for key in IDX_FILES}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None  # missing or damaged: parse the sources again


def _parse_and_store(
    info: DatasetInfo, sources: tuple[Path, ...], fingerprint: str
) -> dict[str, np.ndarray]:
    arrays = _parse_sources(info, sources)
    target = _cache_folder(info) / PARSED_NPZ
    try:
        files.write_atomic(
            target, lambda handle: np.savez(handle, fingerprint=np.array(fingerprint), **arrays)
        )
    except OSError as error:  # a read-only cache only costs speed
        warnings.warn(f"could not write {target}: {error}", stacklevel=3)
    return arrays


# ---------------------------------------------------------------------------------------------
# Splits


def load_splits(
    name: str,
    *,
    validation_fraction: float = 0.1,
    subset: int | None = None,
    seed: int = 0,
    permute: bool = False,
    permutation_seed: int = 0,
    channels: bool = False,
) -> Splits:
    """Load a data set as float32 train, validation and test splits.

    The training set is shuffled with `seed`; `subset` keeps its first `subset` examples; the
    last `validation_fraction` of those become the validation set. The test set is always the
    full test set.

    Args:
        name: A key of `DATASETS`.
        validation_fraction: Share of the (subset of the) training set held out, in [0, 1).
        subset: Number of training examples to keep before the validation split, or None for all.
        seed: Seed of the shuffle that picks the subset and the validation set.
        permute: Apply one fixed pixel permutation to every image of every split.
        permutation_seed: Seed of that permutation.
        channels: Add a trailing channel axis, (N, 28, 28, 1), as CNNs expect.

    Returns:
        The splits; images float32 in [0, 1], labels int64.

    Raises:
        ValueError: An argument is out of range; the message names it.
    """
    _check_split_arguments(validation_fraction, subset, seed, permute, permutation_seed, channels)
    info = dataset_info(name)
    raw = load_raw(name)
    train, val = _split_indices(info, len(raw.x_train), validation_fraction, subset, seed)
    permutation = (
        make_permutation(math.prod(info.image_shape), permutation_seed) if permute else None
    )

    def images(array: np.ndarray) -> np.ndarray:
        return _to_float_images(array, permutation, channels)

    return Splits(
        x_train=images(raw.x_train[train]),
        y_train=raw.y_train[train].astype(np.int64),
        x_val=images(raw.x_train[val]),
        y_val=raw.y_train[val].astype(np.int64),
        x_test=images(raw.x_test),
        y_test=raw.y_test.astype(np.int64),
        class_names=info.class_names,
        permutation=permutation,
    )


def _check_split_arguments(
    validation_fraction: float,
    subset: int | None,
    seed: int,
    permute: bool,
    permutation_seed: int,
    channels: bool,
) -> None:
    if not _is_real(validation_fraction) or not 0 <= validation_fraction < 1:
        raise ValueError(
            f"validation_fraction must be a number in [0, 1), got {validation_fraction!r}"
        )
    if subset is not None and (not _is_int(subset) or subset < 1):
        raise ValueError(f"subset must be None or a positive integer, got {subset!r}")
    for arg_name, value in (("seed", seed), ("permutation_seed", permutation_seed)):
        if not _is_int(value) or value < 0:
            raise ValueError(f"{arg_name} must be a non-negative integer, got {value!r}")
    for arg_name, value in (("permute", permute), ("channels", channels)):
        if not isinstance(value, bool | np.bool_):
            raise ValueError(f"{arg_name} must be True or False, got {value!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _split_indices(
    info: DatasetInfo, n_examples: int, validation_fraction: float, subset: int | None, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and validation examples."""
    order = np.random.default_rng(seed).permutation(n_examples)
    if subset is not None:
        if subset > n_examples:
            raise ValueError(
                f"subset={subset} exceeds the {n_examples} training examples of {info.name}"
            )
        order = order[:subset]
    n_val = round(len(order) * validation_fraction)
    if n_val >= len(order):
        raise ValueError(
            f"validation_fraction={validation_fraction} leaves no training examples "
            f"out of {len(order)}"
        )
    return order[: len(order) - n_val], order[len(order) - n_val :]


def _to_float_images(
    images: np.ndarray, permutation: np.ndarray | None, channels: bool
) -> np.ndarray:
    """uint8 images to float32 in [0, 1], permuted and with a channel axis if asked."""
    if permutation is not None:
        images = permute_pixels(images, permutation)
    scaled = images.astype(np.float32)
    scaled /= 255.0
    return scaled[..., np.newaxis] if channels else scaled
