"""Data loading on tiny synthetic IDX files: parsing, errors, sources, caches and splits."""

from __future__ import annotations

import gzip
import os
import struct
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from dlnn import data
from dlnn.permutation import make_permutation, unpermute_pixels

REAL_DATA_DIR = Path(os.environ.get("DLNN_REAL_DATA_DIR") or "/work/shared/datasets")


@pytest.fixture
def data_root(dlnn_dirs, tmp_path, monkeypatch) -> Path:
    """An empty DLNN_DATA_DIR."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("DLNN_DATA_DIR", str(root))
    return root


@pytest.fixture
def mnist_arrays(data_root, write_idx_dataset) -> dict[str, np.ndarray]:
    """Synthetic mnist (50 train, 20 test) in DLNN_DATA_DIR; returns the arrays written."""
    return write_idx_dataset(data_root / "mnist")


def _rewrite_gz(path: Path, change) -> None:
    """Replace the IDX content inside a gzip file by `change(content)`."""
    path.write_bytes(gzip.compress(change(gzip.decompress(path.read_bytes()))))


# --- registry ------------------------------------------------------------------------------


def test_registry():
    assert set(data.DATASETS) == {"mnist", "fashion-mnist"}
    for name, info in data.DATASETS.items():
        assert info.name == name
        assert info.image_shape == (28, 28)
        assert info.num_classes == 10
    assert data.DATASETS["mnist"].class_names == tuple("0123456789")
    fashion = data.DATASETS["fashion-mnist"].class_names
    assert (fashion[0], fashion[5], fashion[9]) == ("T-shirt/top", "Sandal", "Ankle boot")


def test_unknown_name_lists_allowed(dlnn_dirs):
    with pytest.raises(ValueError, match="fashion-mnist.*mnist"):
        data.load_raw("cifar10")
    with pytest.raises(ValueError, match="unknown data set"):
        data.load_splits("cifar10")


# --- IDX parsing -----------------------------------------------------------------------------


def test_read_idx_plain_file_against_hand_built_bytes(tmp_path):
    images = tmp_path / "images-idx3-ubyte"
    images.write_bytes(struct.pack(">iiii", 2051, 2, 2, 3) + bytes(range(12)))
    labels = tmp_path / "labels-idx1-ubyte"
    labels.write_bytes(struct.pack(">ii", 2049, 3) + bytes([7, 0, 9]))
    np.testing.assert_array_equal(data.read_idx(images), np.arange(12).reshape(2, 2, 3))
    np.testing.assert_array_equal(data.read_idx(labels), [7, 0, 9])
    assert data.read_idx(images).dtype == np.uint8


def test_round_trip(mnist_arrays):
    raw = data.load_raw("mnist")
    for key, expected in mnist_arrays.items():
        got = getattr(raw, key)
        assert got.dtype == np.uint8
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
    assert raw.source == data.FROM_DATA_DIR

    splits = data.load_splits("mnist", validation_fraction=0)
    assert splits.x_test.dtype == np.float32 and splits.y_test.dtype == np.int64
    np.testing.assert_allclose(splits.x_test, mnist_arrays["x_test"] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(splits.y_test, mnist_arrays["y_test"])
    assert splits.x_train.min() >= 0.0 and splits.x_train.max() <= 1.0
    assert splits.x_train.max() > 0.99  # random pixels reach 255


def test_raw_arrays_are_read_only(mnist_arrays):
    raw = data.load_raw("mnist")
    with pytest.raises(ValueError):
        raw.x_train[0, 0, 0] = 1


@pytest.mark.parametrize(
    "file_key, change, message",
    [
        (
            "x_train",
            lambda content: content[:-1000],
            r"expected 39200 bytes of pixels for 50 images of 28x28, found 38200 \(truncated",
        ),
        ("y_train", lambda content: content[:-5], "expected 50 bytes of labels for 50 labels"),
        ("y_test", lambda content: content + b"\0", "found 21 .extra bytes"),
        (
            "x_test",
            lambda content: struct.pack(">i", 1234) + content[4:],
            "wrong magic number 1234, expected 2051 .images. or 2049 .labels.",
        ),
    ],
)
def test_malformed_idx_names_the_file(mnist_arrays, data_root, file_key, change, message):
    path = data_root / "mnist" / data.IDX_FILES[file_key]
    _rewrite_gz(path, change)
    with pytest.raises(data.DataFileError, match=message) as caught:
        data.load_raw("mnist")
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda gz: gz[: len(gz) // 2],  # cut off mid-stream
        lambda gz: gz[:10] + bytes(len(gz) - 10),  # header intact, data zeroed
        lambda gz: b"<html>not found</html>",  # no gzip signature at all
    ],
)
def test_corrupt_gzip_names_the_file(mnist_arrays, data_root, corrupt):
    path = data_root / "mnist" / data.IDX_FILES["x_train"]
    path.write_bytes(corrupt(path.read_bytes()))
    with pytest.raises(data.DataFileError, match="not a valid gzip file") as caught:
        data.load_raw("mnist")
    assert str(path) in str(caught.value)


def test_count_mismatch_between_images_and_labels(mnist_arrays, data_root, write_idx_dataset):
    other = write_idx_dataset(data_root / "other", n_train=40)
    assert len(other["y_train"]) == 40
    labels = data_root / "mnist" / data.IDX_FILES["y_train"]
    labels.write_bytes((data_root / "other" / data.IDX_FILES["y_train"]).read_bytes())
    with pytest.raises(data.DataFileError, match="has 50 images but .* has 40 labels") as caught:
        data.load_raw("mnist")
    assert str(labels) in str(caught.value)


def test_wrong_image_size_is_rejected(data_root, write_idx_dataset):
    write_idx_dataset(data_root / "mnist", image_shape=(8, 8))
    with pytest.raises(data.DataFileError, match="expected uint8 images of 28x28"):
        data.load_raw("mnist")


# --- where a data set comes from -------------------------------------------------------------


def test_data_dir_wins_over_cache(dlnn_dirs, mnist_arrays, write_idx_dataset):
    write_idx_dataset(dlnn_dirs / "datasets" / "mnist", seed=99)
    raw = data.load_raw("mnist")
    assert raw.source == data.FROM_DATA_DIR
    np.testing.assert_array_equal(raw.x_train, mnist_arrays["x_train"])


@pytest.mark.parametrize("data_dir_set", [False, True])
def test_cache_used_without_data_dir(
    dlnn_dirs, tmp_path, monkeypatch, write_idx_dataset, data_dir_set
):
    if data_dir_set:  # set, but without an mnist/ folder
        monkeypatch.setenv("DLNN_DATA_DIR", str(tmp_path))
    arrays = write_idx_dataset(dlnn_dirs / "datasets" / "mnist", seed=5)
    raw = data.load_raw("mnist")
    assert raw.source == data.FROM_CACHE
    assert raw.folder == dlnn_dirs / "datasets" / "mnist"
    np.testing.assert_array_equal(raw.y_test, arrays["y_test"])


def test_download_fallback_when_nowhere(dlnn_dirs, monkeypatch, write_idx_dataset):
    calls = []

    def fake_download(info, folder):
        calls.append((info.name, folder))
        write_idx_dataset(folder, seed=7)

    monkeypatch.setattr(data, "download_dataset", fake_download)
    raw = data.load_raw("fashion-mnist")
    assert calls == [("fashion-mnist", dlnn_dirs / "datasets" / "fashion-mnist")]
    assert raw.source == data.FROM_CACHE
    data.load_raw("fashion-mnist")
    assert len(calls) == 1


def test_download_that_leaves_nothing_is_reported(dlnn_dirs, monkeypatch):
    monkeypatch.setattr(data, "download_dataset", lambda info, folder: None)
    with pytest.raises(data.DataUnavailableError, match="DLNN_DATA_DIR"):
        data.load_raw("mnist")


@pytest.fixture
def fake_keras(monkeypatch):
    """Stand-in `keras.utils.get_file`: records calls; `behaviour` decides what it does."""
    calls = []
    state = {"behaviour": None}

    def get_file(fname, origin, file_hash, cache_dir, cache_subdir):
        calls.append({"fname": fname, "origin": origin, "dir": Path(cache_dir) / cache_subdir})
        return state["behaviour"](Path(cache_dir) / cache_subdir / fname)

    utils = types.ModuleType("keras.utils")
    utils.get_file = get_file
    monkeypatch.setitem(sys.modules, "keras", types.ModuleType("keras"))
    monkeypatch.setitem(sys.modules, "keras.utils", utils)
    return calls, state


def test_download_failure_says_where_it_looked(dlnn_dirs, fake_keras):
    calls, state = fake_keras

    def fail(path):
        raise Exception("URL fetch failure: no internet")

    state["behaviour"] = fail
    with pytest.raises(data.DataUnavailableError) as caught:
        data.load_raw("fashion-mnist")
    message = str(caught.value)
    assert "URL fetch failure" in message
    assert str(dlnn_dirs / "datasets" / "fashion-mnist") in message
    assert "set DLNN_DATA_DIR" in message
    assert calls[0]["origin"] == data.KERAS_URL_BASE + "train-images-idx3-ubyte.gz"
    assert calls[0]["dir"] == dlnn_dirs / "datasets" / "fashion-mnist"


def test_mnist_downloads_keras_npz(dlnn_dirs, fake_keras):
    calls, state = fake_keras
    arrays = {
        "x_train": np.full((12, 28, 28), 9, np.uint8),
        "y_train": np.arange(12) % 10,
        "x_test": np.zeros((3, 28, 28), np.uint8),
        "y_test": np.array([7, 2, 1]),
    }

    def save(path):
        np.savez(path, **arrays)
        return str(path)

    state["behaviour"] = save
    raw = data.load_raw("mnist")
    assert [call["origin"] for call in calls] == [data.KERAS_URL_BASE + "mnist.npz"]
    assert raw.source == data.FROM_CACHE and raw.x_train.shape == (12, 28, 28)
    np.testing.assert_array_equal(raw.y_test, [7, 2, 1])
    assert raw.y_test.dtype == np.uint8


def test_available_datasets(dlnn_dirs, tmp_path, monkeypatch, write_idx_dataset):
    assert data.available_datasets() == {
        "mnist": "download needed",
        "fashion-mnist": "download needed",
    }
    write_idx_dataset(dlnn_dirs / "datasets" / "fashion-mnist")
    monkeypatch.setenv("DLNN_DATA_DIR", str(tmp_path / "data"))
    write_idx_dataset(tmp_path / "data" / "mnist")
    assert data.available_datasets() == {"mnist": "DLNN_DATA_DIR", "fashion-mnist": "cache"}
    assert not list(dlnn_dirs.rglob("parsed.npz"))  # nothing was loaded


# --- caches ----------------------------------------------------------------------------------


def test_in_process_cache_returns_same_object(mnist_arrays):
    first = data.load_raw("mnist")
    assert data.load_raw("mnist") is first
    data.clear_memory_cache()
    again = data.load_raw("mnist")
    assert again is not first
    np.testing.assert_array_equal(again.x_train, first.x_train)


def test_parsed_npz_is_used_in_a_fresh_process(dlnn_dirs, mnist_arrays, data_root):
    data.load_raw("mnist")
    parsed = dlnn_dirs / "datasets" / "mnist" / data.PARSED_NPZ
    assert parsed.is_file()
    # Garble a source file but keep its size and mtime: only parsed.npz can still give the data.
    source = data_root / "mnist" / data.IDX_FILES["x_train"]
    stat = source.stat()
    source.write_bytes(bytes(stat.st_size))
    os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    data.clear_memory_cache()
    np.testing.assert_array_equal(data.load_raw("mnist").x_train, mnist_arrays["x_train"])


@pytest.mark.parametrize("clear_memory", [True, False])
def test_changed_source_is_parsed_again(mnist_arrays, data_root, write_idx_dataset, clear_memory):
    data.load_raw("mnist")
    if clear_memory:
        data.clear_memory_cache()
    changed = write_idx_dataset(data_root / "mnist", n_train=40, seed=1)
    raw = data.load_raw("mnist")
    assert raw.x_train.shape == (40, 28, 28)
    np.testing.assert_array_equal(raw.x_train, changed["x_train"])


def test_damaged_parsed_npz_is_rebuilt(dlnn_dirs, mnist_arrays):
    data.load_raw("mnist")
    parsed = dlnn_dirs / "datasets" / "mnist" / data.PARSED_NPZ
    parsed.write_bytes(b"garbage")
    data.clear_memory_cache()
    np.testing.assert_array_equal(data.load_raw("mnist").x_test, mnist_arrays["x_test"])
    assert parsed.stat().st_size > 1000


# --- splits ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fraction, n_val", [(0, 0), (0.1, 5), (0.2, 10), (0.5, 25)])
def test_validation_fraction_sizes(mnist_arrays, fraction, n_val):
    splits = data.load_splits("mnist", validation_fraction=fraction)
    assert splits.counts == {"train": 50 - n_val, "validation": n_val, "test": 20}
    # Train and validation together are exactly the original training set.
    together = np.concatenate([splits.x_train, splits.x_val])
    original = mnist_arrays["x_train"].astype(np.float32) / 255.0
    assert sorted(map(bytes, together)) == sorted(map(bytes, original))
    labels = np.concatenate([splits.y_train, splits.y_val])
    assert sorted(labels) == sorted(mnist_arrays["y_train"])
    assert splits.y_train.dtype == np.int64 and splits.y_val.dtype == np.int64


def test_subset_is_seeded_and_sized(mnist_arrays):
    first = data.load_splits("mnist", subset=30, seed=1)
    again = data.load_splits("mnist", subset=30, seed=1)
    other = data.load_splits("mnist", subset=30, seed=2)
    assert first.counts == {"train": 27, "validation": 3, "test": 20}
    np.testing.assert_array_equal(first.x_train, again.x_train)
    np.testing.assert_array_equal(first.y_val, again.y_val)
    assert not np.array_equal(first.x_train, other.x_train)
    np.testing.assert_array_equal(first.x_test, other.x_test)  # the test set is always whole


def test_splits_pair_images_with_their_labels(mnist_arrays):
    splits = data.load_splits("mnist", subset=20, seed=3)
    by_image = {
        bytes(image): label
        for image, label in zip(mnist_arrays["x_train"], mnist_arrays["y_train"], strict=True)
    }
    for images, labels in ((splits.x_train, splits.y_train), (splits.x_val, splits.y_val)):
        for image, label in zip(images, labels, strict=True):
            assert by_image[bytes(np.rint(image * 255).astype(np.uint8))] == label


@pytest.mark.parametrize("channels", [False, True])
def test_permute_applies_one_permutation_to_all_splits(mnist_arrays, channels):
    plain = data.load_splits("mnist", seed=4, channels=channels)
    permuted = data.load_splits(
        "mnist", seed=4, channels=channels, permute=True, permutation_seed=3
    )
    assert plain.permutation is None
    np.testing.assert_array_equal(permuted.permutation, make_permutation(784, 3))
    for split in ("train", "val", "test"):
        scrambled = getattr(permuted, f"x_{split}")
        original = getattr(plain, f"x_{split}")
        assert scrambled.shape == original.shape
        assert not np.array_equal(scrambled, original)
        np.testing.assert_array_equal(unpermute_pixels(scrambled, permuted.permutation), original)
        np.testing.assert_array_equal(getattr(permuted, f"y_{split}"), getattr(plain, f"y_{split}"))


def test_channels_shape(tiny_data_dir):
    flat = data.load_splits("fashion-mnist")
    cnn = data.load_splits("fashion-mnist", channels=True)
    assert flat.input_shape == (28, 28) and flat.x_train.shape == (45, 28, 28)
    assert cnn.input_shape == (28, 28, 1) and cnn.x_test.shape == (20, 28, 28, 1)
    np.testing.assert_array_equal(cnn.x_val[..., 0], flat.x_val)
    assert cnn.class_names == data.DATASETS["fashion-mnist"].class_names
    assert cnn.num_classes == 10


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"validation_fraction": 1.0}, "validation_fraction"),
        ({"validation_fraction": -0.1}, "validation_fraction"),
        ({"validation_fraction": "0.1"}, "validation_fraction"),
        ({"validation_fraction": True}, "validation_fraction"),
        ({"validation_fraction": 0.9, "subset": 2}, "validation_fraction"),
        ({"subset": 0}, "subset"),
        ({"subset": 2.5}, "subset"),
        ({"subset": True}, "subset"),
        ({"subset": 51}, "subset"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"permutation_seed": -1}, "permutation_seed"),
        ({"permute": "yes"}, "permute"),
        ({"channels": 1}, "channels"),
    ],
)
def test_bad_arguments_name_the_argument(mnist_arrays, kwargs, argument):
    with pytest.raises(ValueError, match=f"^{argument}[ =]"):
        data.load_splits("mnist", **kwargs)


# --- the real files --------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_mnist(dlnn_dirs, monkeypatch):
    if not (REAL_DATA_DIR / "mnist").is_dir():
        pytest.skip(f"no real MNIST under {REAL_DATA_DIR} (set DLNN_REAL_DATA_DIR)")
    monkeypatch.setenv("DLNN_DATA_DIR", str(REAL_DATA_DIR))
    raw = data.load_raw("mnist")
    assert raw.x_train.shape == (60000, 28, 28) and raw.x_test.shape == (10000, 28, 28)
    assert list(raw.y_train[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert list(raw.y_test[:10]) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    splits = data.load_splits("mnist", channels=True)
    assert splits.counts == {"train": 54000, "validation": 6000, "test": 10000}
    assert splits.input_shape == (28, 28, 1)
