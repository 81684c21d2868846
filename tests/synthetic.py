"""Tiny synthetic data sets in MNIST's IDX format, for tests that must not need the real files."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from dlnn.data import IDX_FILES


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode uint8 images (N, rows, cols) or labels (N,) as IDX, built by hand from the spec."""
    if array.ndim == 3:
        header = struct.pack(">iiii", 2051, *array.shape)
    else:
        header = struct.pack(">ii", 2049, len(array))
    return header + array.astype(np.uint8).tobytes()


def write_idx_files(folder: Path, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Write `arrays` (keyed like `dlnn.data.IDX_FILES`) as the four canonical gzip files."""
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in IDX_FILES.items():
        (folder / name).write_bytes(gzip.compress(idx_bytes(arrays[key])))
    return arrays


def random_arrays(
    n_train: int, n_test: int, seed: int = 0, image_shape: tuple[int, int] = (28, 28)
) -> dict[str, np.ndarray]:
    """Random uint8 images; labels cycle through the ten classes (nothing to learn)."""
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, size=(n_train, *image_shape), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, size=(n_test, *image_shape), dtype=np.uint8),
        "y_test": (np.arange(n_test)[::-1] % 10).astype(np.uint8),
    }


def learnable_arrays(
    n_train: int, n_test: int, seed: int = 0, label_noise: float = 0.0
) -> dict[str, np.ndarray]:
    """Images a small model learns in one epoch: class k is a bright square at place k.

    `label_noise` relabels that share of the images at random, so even a perfect model makes
    some mistakes (a gallery of misclassified images has something to show).
    """
    rng = np.random.default_rng(seed)

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        images = rng.integers(0, 40, size=(n, 28, 28), dtype=np.uint8)
        for k in range(10):
            row, col = divmod(k, 5)
            images[labels == k, 4 + 10 * row:10 + 10 * row, 1 + 5 * col:5 + 5 * col] = 255
        noisy = rng.random(n) < label_noise
        labels[noisy] = rng.integers(0, 10, size=int(noisy.sum()))
        return images, labels

    x_train, y_train = make(n_train)
    x_test, y_test = make(n_test)
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
