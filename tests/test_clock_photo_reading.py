"""Reading the time of an uploaded photo in a worker process."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from dlnn.clocks.photo_reading import PhotoError, PhotoReading, read_photo
from dlnn.clocks.render import render_clock
from dlnn.runs import Run
from tests.clock_runs import tiny_clock_store


@pytest.fixture(scope="module")
def clock_run(tmp_path_factory) -> Iterator[Run]:
    yield from tiny_clock_store(tmp_path_factory)


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return buffer.getvalue()


def test_reading_formats_the_time_as_on_the_dial() -> None:
    assert PhotoReading(0, 5).time == "12:05"
    assert PhotoReading(10, 9).time == "10:09"


def test_a_worker_reads_the_time_of_a_photo(clock_run: Run) -> None:
    photo = np.asarray(Image.fromarray(render_clock(4, 20, "easy")).convert("RGB"))
    reading = read_photo(clock_run.run_id, png_bytes(photo), ".png")
    assert 0 <= reading.hour < 12 and 0 <= reading.minute < 60


def test_the_workers_error_comes_back_in_one_line(clock_run: Run) -> None:
    with pytest.raises(PhotoError) as error:
        read_photo("no-such-run", b"irrelevant", ".png")
    assert str(error.value).startswith("no run 'no-such-run'")
    with pytest.raises(PhotoError, match="did not answer within 0.01 s"):
        read_photo(clock_run.run_id, b"irrelevant", ".png", timeout=0.01)
