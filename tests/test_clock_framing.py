"""The clock's centre and radius measured in a picture, and the picture reframed around it."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from PIL import Image

from dlnn.clocks.datasets import photo_to_clock
from dlnn.clocks.framing import (
    CANONICAL_RADIUS,
    centred_frame,
    find_clock,
    frame_clock,
    place_clock,
)
from dlnn.clocks.metrics import common_sense_error
from dlnn.clocks.photo import read_clock_photo
from dlnn.clocks.render import PRESETS, generate_clocks, render_clock

# (centre offset as a fraction of the side, scale): moved up to 15% and scaled 50-100%
PLACES = [((0.0, 0.0), 1.0), ((0.15, 0.0), 0.5), ((-0.15, 0.1), 0.6), ((0.1, -0.15), 0.75),
          ((-0.08, -0.12), 0.9), ((0.12, 0.15), 0.55), ((-0.15, -0.15), 0.5), ((0.05, 0.08), 0.8)]
TIMES = [(3, 40), (10, 8), (7, 22), (0, 55), (5, 1), (11, 30), (8, 47), (2, 14)]


def _placed(clock: np.ndarray, offset: tuple[float, float], scale: float
            ) -> tuple[np.ndarray, tuple[float, float], float]:
    """The clock moved and scaled in a picture of its own size; its centre and dial radius."""
    size = clock.shape[0]
    centre = ((size - 1) / 2 + offset[0] * size, (size - 1) / 2 + offset[1] * size)
    return place_clock(clock, size, centre, scale), centre, CANONICAL_RADIUS * size * scale


def _read_upright(image: np.ndarray) -> tuple[int, int]:
    """The time on an upright clock centred as the generator draws it, read off its pixels:
    the darkest direction between 0.55 and 0.65 dial radii is the minute hand (the hour hand
    is shorter), the darkest other one at 0.35 radii the hour hand. A stand-in for a model
    that assumes the canonical framing."""
    size = image.shape[0]
    centre, radius = (size - 1) / 2, CANONICAL_RADIUS * size
    directions = np.radians(np.arange(360))

    def darkness(low: float, high: float) -> np.ndarray:
        radii = np.linspace(low, high, 5)[:, None] * radius
        x = np.clip(np.rint(centre + radii * np.sin(directions)), 0, size - 1).astype(int)
        y = np.clip(np.rint(centre - radii * np.cos(directions)), 0, size - 1).astype(int)
        return image[y, x].astype(float).mean(axis=0)

    minute_degrees = int(np.argmin(darkness(0.55, 0.65)))
    inner = darkness(0.3, 0.4)
    near = np.abs((np.arange(360) - minute_degrees + 180) % 360 - 180) < 15
    hour_degrees = minute_degrees if inner[~near].min() > 120 else int(
        np.argmin(np.where(near, 255.0, inner)))
    minute = round(minute_degrees / 6) % 60
    return round((hour_degrees - minute / 2) / 30) % 12, minute


def _cse(reading: tuple[int, int], truth: tuple[int, int]) -> float:
    return float(common_sense_error(np.array([truth[0]]), np.array([truth[1]]),
                                    np.array([reading[0]]), np.array([reading[1]]))[0])


@pytest.mark.parametrize(("preset", "centre_error"), [("easy", 0.08), ("course-like", 0.2)])
def test_centre_and_radius_found_on_moved_and_scaled_clocks(preset, centre_error) -> None:
    # course-like clocks are turned, tilted, lit and noisy; the shift and size are ours here
    style = dataclasses.replace(PRESETS[preset], size=96, shift=0.0, scale_jitter=0.0)
    clocks, _ = generate_clocks(len(PLACES), style, seed=5)
    for clock, (offset, scale) in zip(clocks, PLACES, strict=True):
        picture, (x, y), radius = _placed(clock, offset, scale)
        frame = find_clock(picture)
        assert frame.found
        assert np.hypot(frame.x - x, frame.y - y) < centre_error * radius, (offset, scale)
        # the rim's inner edge or its outer one, 1.08 dial radii out
        assert frame.radius == pytest.approx(radius * 1.04, rel=0.06), (offset, scale)


def test_reading_stays_right_wherever_the_clock_is() -> None:
    misread = 0
    for (hour, minute), (offset, scale) in zip(TIMES, PLACES, strict=True):
        clock = render_clock(hour, minute, "easy")
        assert _read_upright(clock) == (hour, minute)
        picture, _, _ = _placed(clock, offset, scale)
        assert _cse(_read_upright(frame_clock(picture, 150)), (hour, minute)) <= 2, (
            hour, minute, offset, scale)
        misread += _cse(_read_upright(picture), (hour, minute)) > 10
    assert misread >= len(TIMES) - 2  # without the framing the same reader fails


def test_no_round_rim_means_the_centred_square() -> None:
    noise = np.random.default_rng(0).integers(0, 255, (80, 120), dtype=np.uint8)
    assert find_clock(np.full((80, 120), 200, np.uint8)) == centred_frame(120, 80)
    frame = find_clock(noise)
    if not frame.found:
        assert frame == centred_frame(120, 80)
    clock = render_clock(4, 20, "easy")
    assert frame_clock(clock, 150) is not None
    assert np.array_equal(frame_clock(clock, 150), clock)  # framed already: untouched


def test_a_photo_of_a_moved_clock_is_framed_like_a_generated_one() -> None:
    clock = render_clock(9, 35, "easy")
    picture = place_clock(clock, 300, centre=(110.0, 170.0), scale=1.2)  # 1.2 x 150 px clock
    photo = Image.fromarray(np.pad(picture, ((0, 0), (40, 40)), constant_values=236))
    buffer = io.BytesIO()
    photo.save(buffer, format="PNG")
    framed = read_clock_photo(buffer.getvalue(), 150)
    assert framed.shape == (150, 150)
    assert np.abs(framed.astype(int) - clock).mean() < 12
    assert _read_upright(framed) == (9, 35)
    assert np.array_equal(photo_to_clock(np.asarray(photo), 150), framed)


def test_place_clock_wants_a_square_grey_clock() -> None:
    with pytest.raises(ValueError, match="square grey"):
        place_clock(np.zeros((10, 12), np.uint8), 20, (5.0, 5.0), 0.5)
