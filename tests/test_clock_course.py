"""Course clock data: loading good files, clear errors for bad ones, a shuffled seeded split."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from dlnn.clocks.course import (
    CourseDataError,
    load_course_data,
    save_course_data,
    split_course_data,
    upload_folder,
)


def course_arrays(n: int = 40, size: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Tiny course-format data: rows sorted by time, as in the course's files."""
    minutes = np.sort(np.random.default_rng(0).integers(0, 720, n))
    labels = np.stack([minutes // 60, minutes % 60], axis=1)
    images = np.broadcast_to((minutes % 256).astype(np.uint8)[:, None, None], (n, size, size))
    return images.copy(), labels


def write_pair(folder: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "images.npy", images)
    np.save(folder / "labels.npy", labels)
    return folder


def test_round_trip_through_folder_paths_and_uploads(tmp_path):
    images, labels = course_arrays()
    folder = save_course_data(tmp_path / "course", images, labels)
    for source in (
        folder,
        str(folder),
        (folder / "images.npy", folder / "labels.npy"),
        (
            io.BytesIO((folder / "images.npy").read_bytes()),
            io.BytesIO((folder / "labels.npy").read_bytes()),
        ),
    ):
        loaded_images, loaded_labels = load_course_data(source)
        np.testing.assert_array_equal(loaded_images, images)
        np.testing.assert_array_equal(loaded_labels, labels)
        assert loaded_images.dtype == np.uint8 and loaded_labels.dtype == np.int64


def test_accepts_a_channel_of_one_and_integral_float_labels(tmp_path):
    images, labels = course_arrays()
    folder = write_pair(tmp_path, images[..., None], labels.astype(np.float32))
    loaded_images, loaded_labels = load_course_data(folder, expected_size=12)
    assert loaded_images.shape == (40, 12, 12)
    np.testing.assert_array_equal(loaded_labels, labels)


def _bad(kind: str, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if kind == "images 2-D":
        return images[0], labels
    if kind == "images float":
        return images.astype(np.float64), labels
    if kind == "labels shape":
        return images, labels[:, :1]
    if kind == "labels fractional":
        return images, labels + 0.5
    if kind == "hour 12":
        labels = labels.copy()
        labels[3, 0] = 12
        return images, labels
    if kind == "minute 60":
        labels = labels.copy()
        labels[5, 1] = 60
        return images, labels
    if kind == "negative minute":
        labels = labels.copy()
        labels[0, 1] = -1
        return images, labels
    return images, labels[:-1]  # lengths differ


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("images 2-D", r"images\.npy: expected a 3-D array"),
        ("images float", r"images\.npy: expected dtype uint8.*float64"),
        ("labels shape", r"labels\.npy: expected shape \(N, 2\)"),
        ("labels fractional", r"labels\.npy: labels must be whole numbers"),
        ("hour 12", r"labels\.npy: 1 hour value\(s\) outside 0-11, first in row 3: 12"),
        ("minute 60", r"labels\.npy: 1 minute value\(s\) outside 0-59, first in row 5: 60"),
        ("negative minute", r"minute value\(s\) outside 0-59"),
        ("lengths", r"holds 40 images but .*labels\.npy holds 39 labels"),
    ],
)
def test_bad_files_raise_a_clear_error(tmp_path, kind, message):
    folder = write_pair(tmp_path, *_bad(kind, *course_arrays()))
    with pytest.raises(CourseDataError, match=message):
        load_course_data(folder)


def test_missing_unreadable_and_wrong_size_files(tmp_path):
    with pytest.raises(CourseDataError, match="folder not found"):
        load_course_data(tmp_path / "nowhere")
    images, labels = course_arrays()
    folder = write_pair(tmp_path / "course", images, labels)
    (folder / "labels.npy").unlink()
    with pytest.raises(CourseDataError, match=r"labels\.npy: file not found"):
        load_course_data(folder)
    (folder / "labels.npy").write_text("hour,minute\n1,2\n")
    with pytest.raises(CourseDataError, match=r"labels\.npy: (not a plain|cannot be read)"):
        load_course_data(folder)
    np.save(folder / "labels.npy", np.array([object()] * 40))
    with pytest.raises(CourseDataError, match=r"labels\.npy"):
        load_course_data(folder)
    np.save(folder / "labels.npy", labels)
    with pytest.raises(CourseDataError, match=r"expected 150x150 images, got 12x12"):
        load_course_data(folder, expected_size=150)
    upload = io.BytesIO(b"not numpy")
    upload.name = "my_images.npy"
    with pytest.raises(CourseDataError, match="my_images.npy"):
        load_course_data((upload, folder / "labels.npy"))


def test_save_refuses_bad_data(tmp_path):
    images, labels = course_arrays()
    with pytest.raises(CourseDataError, match="hour"):
        save_course_data(tmp_path, images, labels + [12, 0])
    assert not (tmp_path / "images.npy").exists()


def test_split_is_shuffled_deterministic_and_complete():
    images, labels = course_arrays(n=200)
    split = split_course_data(images, labels, seed=3)
    assert (len(split.train_labels), len(split.val_labels), len(split.test_labels)) == (160, 20, 20)
    minutes = split.train_labels[:, 0] * 60 + split.train_labels[:, 1]
    assert not np.all(np.diff(minutes) >= 0)  # no longer sorted by time
    # Each part spans the dial instead of one stretch of it.
    test_minutes = split.test_labels[:, 0] * 60 + split.test_labels[:, 1]
    assert test_minutes.max() - test_minutes.min() > 360
    np.testing.assert_array_equal(np.sort(split.order), np.arange(200))
    np.testing.assert_array_equal(split.val_images, images[split.order[160:180]])
    again = split_course_data(images, labels, seed=3)
    np.testing.assert_array_equal(again.order, split.order)
    other = split_course_data(images, labels, seed=4)
    assert not np.array_equal(other.order, split.order)


def test_split_fractions_are_checked():
    images, labels = course_arrays()
    with pytest.raises(ValueError, match="fractions"):
        split_course_data(images, labels, seed=0, fractions=(0.8, 0.3, 0.1))
    split = split_course_data(images, labels, seed=0, fractions=(0.5, 0.5, 0.0))
    assert len(split.test_labels) == 0 and len(split.train_labels) == 20


def test_uploads_are_kept_under_the_cache(dlnn_dirs: Path) -> None:
    assert upload_folder(" course-2024 ") == dlnn_dirs / "clocks" / "course" / "course-2024"
    for bad in ("", "..", "../elsewhere", "a/b", "/etc", ".hidden", "my course"):
        with pytest.raises(CourseDataError, match="^name: "):
            upload_folder(bad)
