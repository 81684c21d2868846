"""Shared fixtures: isolated dlnn folders and tiny synthetic data sets in IDX format."""

from __future__ import annotations

import gzip
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from dlnn import data


def _idx_bytes(array: np.ndarray) -> bytes:
    """Encode uint8 images (N, rows, cols) or labels (N,) as IDX, built by hand from the spec."""
    if array.ndim == 3:
        header = struct.pack(">iiii", 2051, *array.shape)
    else:
        header = struct.pack(">ii", 2049, len(array))
    return header + array.astype(np.uint8).tobytes()


def _synthetic_arrays(
    n_train: int, n_test: int, seed: int, image_shape: tuple[int, int]
) -> dict[str, np.ndarray]:
    """Random uint8 images; labels cycle through the ten classes."""
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, size=(n_train, *image_shape), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, size=(n_test, *image_shape), dtype=np.uint8),
        "y_test": (np.arange(n_test)[::-1] % 10).astype(np.uint8),
    }


@pytest.fixture
def dlnn_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point DLNN_CACHE_DIR at an empty temporary folder and unset DLNN_DATA_DIR.

    Also forgets data sets loaded by earlier tests. Returns the cache folder.
    """
    cache = tmp_path / "cache"
    monkeypatch.setenv("DLNN_CACHE_DIR", str(cache))
    monkeypatch.delenv("DLNN_DATA_DIR", raising=False)
    data.clear_memory_cache()
    yield cache
    data.clear_memory_cache()


@pytest.fixture
def write_idx_dataset() -> Callable[..., dict[str, np.ndarray]]:
    """Factory: write a synthetic data set as the four canonical gzip IDX files into a folder.

    Call it as `write_idx_dataset(folder, n_train=50, n_test=20, seed=0, image_shape=(28, 28))`;
    it returns the arrays written, keyed like `dlnn.data.IDX_FILES`.
    """

    def write(
        folder: Path,
        n_train: int = 50,
        n_test: int = 20,
        seed: int = 0,
        image_shape: tuple[int, int] = (28, 28),
    ) -> dict[str, np.ndarray]:
        arrays = _synthetic_arrays(n_train, n_test, seed, image_shape)
        folder.mkdir(parents=True, exist_ok=True)
        for key, name in data.IDX_FILES.items():
            (folder / name).write_bytes(gzip.compress(_idx_bytes(arrays[key])))
        return arrays

    return write


@pytest.fixture
def tiny_data_dir(
    dlnn_dirs: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    write_idx_dataset: Callable[..., dict[str, np.ndarray]],
) -> Path:
    """DLNN_DATA_DIR holding every registered data set as tiny synthetic IDX files.

    50 training and 20 test images per data set, so `load_splits` works in tests without the
    real files. Returns the data folder.
    """
    root = tmp_path / "data"
    for seed, info in enumerate(data.DATASETS.values()):
        write_idx_dataset(root / info.folder, seed=seed, image_shape=info.image_shape)
    monkeypatch.setenv("DLNN_DATA_DIR", str(root))
    return root


def learnable_arrays(n_train: int, n_test: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Images a small model learns in one epoch: class k is a bright square at place k."""
    rng = np.random.default_rng(seed)

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        images = rng.integers(0, 40, size=(n, 28, 28), dtype=np.uint8)
        for k in range(10):
            row, col = divmod(k, 5)
            images[labels == k, 4 + 10 * row:10 + 10 * row, 1 + 5 * col:5 + 5 * col] = 255
        return images, labels

    x_train, y_train = make(n_train)
    x_test, y_test = make(n_test)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


@pytest.fixture
def learnable_data_dir(dlnn_dirs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DLNN_DATA_DIR with every data set as 400 train / 100 test learnable synthetic images."""
    root = tmp_path / "learnable"
    for seed, info in enumerate(data.DATASETS.values()):
        arrays = learnable_arrays(400, 100, seed)
        folder = root / info.folder
        folder.mkdir(parents=True)
        for key, name in data.IDX_FILES.items():
            (folder / name).write_bytes(gzip.compress(_idx_bytes(arrays[key])))
    monkeypatch.setenv("DLNN_DATA_DIR", str(root))
    return root
