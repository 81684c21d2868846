"""Shared fixtures: isolated dlnn folders and tiny synthetic data sets in IDX format."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from dlnn import data
from tests.synthetic import learnable_arrays, random_arrays, write_idx_files


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
        return write_idx_files(folder, random_arrays(n_train, n_test, seed, image_shape))

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



@pytest.fixture
def learnable_data_dir(dlnn_dirs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DLNN_DATA_DIR with every data set as 400 train / 100 test learnable synthetic images."""
    root = tmp_path / "learnable"
    for seed, info in enumerate(data.DATASETS.values()):
        write_idx_files(root / info.folder, learnable_arrays(400, 100, seed))
    monkeypatch.setenv("DLNN_DATA_DIR", str(root))
    return root


@pytest.fixture(autouse=True)
def no_standby_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """No warm standby workers in tests (each would import TensorFlow and idle for minutes);
    tests/test_standby.py turns them on where it tests them."""
    monkeypatch.setenv("DLNN_STANDBY_WORKER", "0")


@pytest.fixture
def real_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real IDX files of `$DLNN_DATA_DIR` (the `realdata` tests) and an empty cache;
    skips when the variable does not name a folder holding them."""
    folder = os.environ.get("DLNN_DATA_DIR")
    if not folder or not (Path(folder) / "mnist").is_dir():
        pytest.skip("DLNN_DATA_DIR does not hold the real data sets")
    monkeypatch.setenv("DLNN_CACHE_DIR", str(tmp_path / "cache"))
