"""Clock photos: read from a path, bytes or an upload into the grey square a model reads."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dlnn.clocks.datasets import photo_to_clock
from dlnn.clocks.photo import read_clock_photo


def _photo() -> np.ndarray:
    """A 120x200 RGB photo: dark left half, bright right half."""
    photo = np.zeros((120, 200, 3), dtype=np.uint8)
    photo[:, 100:] = 255
    return photo


def test_path_bytes_and_upload_read_alike(tmp_path: Path) -> None:
    path = tmp_path / "clock.png"
    Image.fromarray(_photo()).save(path)
    upload = io.BytesIO(path.read_bytes())
    upload.read()  # an upload read before: the reader rewinds it
    clocks = [read_clock_photo(source, 50) for source in (path, path.read_bytes(), upload)]
    assert all(np.array_equal(clock, clocks[0]) for clock in clocks)
    assert clocks[0].shape == (50, 50) and clocks[0].dtype == np.uint8
    # The central 120x120 square: columns 40-99 dark, 100-159 bright.
    assert clocks[0][:, :20].max() == 0 and clocks[0][:, 30:].min() == 255
    assert np.array_equal(clocks[0], photo_to_clock(_photo(), 50))


@pytest.mark.parametrize(("image", "message"), [
    (Image.new("L", (1, 1)), "a 1x1 picture is too small"),
    (Image.new("F", (32, 32)), "F pixels (32-bit float) have no fixed grey scale"),
])
def test_unusable_pictures_are_refused_in_one_line(image: Image.Image, message: str) -> None:
    data = io.BytesIO()
    image.save(data, "TIFF")
    with pytest.raises(ValueError, match=re.escape(message)):
        read_clock_photo(data.getvalue(), 32)
