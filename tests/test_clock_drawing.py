"""Predicted hands drawn on clocks, captions, worst predictions and error by time."""

from __future__ import annotations

import numpy as np
import pytest

from dlnn.clocks.dial import DIAL_BINS
from dlnn.clocks.drawing import (
    HOUR_COLOR,
    MINUTE_COLOR,
    MINUTE_LENGTH,
    clock_grid,
    draw_hands,
    error_by_time,
    format_time,
    hand_directions,
    prediction_captions,
    worst_predictions,
)
from dlnn.clocks.framing import CANONICAL_RADIUS, place_clock
from dlnn.clocks.pose import MAP_OFFSET_DEGREES, DialPose, pose_from_maps
from dlnn.clocks.render import render_clock

LABELS = np.array([[11, 58], [5, 59], [3, 0]])
PREDICTED = np.array([[0, 2], [5, 1], [3, 0]])  # errors 4, 58, 0


def test_hands_point_where_the_time_says() -> None:
    grey = np.full((101, 101), 200, dtype=np.uint8)
    rgb = draw_hands(grey, 3, 0)  # hour hand to the right, minute hand up
    assert rgb.shape == (101, 101, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[50, 70]) == HOUR_COLOR  # right of the centre
    assert tuple(rgb[20, 50]) == MINUTE_COLOR  # above the centre
    assert tuple(rgb[80, 50]) == (200, 200, 200)  # nothing below
    assert tuple(rgb[50, 20]) == (200, 200, 200)  # nothing to the left


def test_draw_hands_wants_a_square_grey_image() -> None:
    with pytest.raises(ValueError, match="square grey"):
        draw_hands(np.zeros((10, 12), np.uint8), 1, 2)


def test_captions_worst_and_error_by_time() -> None:
    assert format_time(0, 5) == "12:05"
    assert prediction_captions(LABELS, PREDICTED)[0] == "true 11:58 · read 12:02 · 4 min"
    assert worst_predictions(LABELS, PREDICTED, 2).tolist() == [1, 0]
    hours, errors = error_by_time(LABELS, PREDICTED)
    assert hours.tolist() == pytest.approx([11 + 58 / 60, 5 + 59 / 60, 3.0])
    assert errors.tolist() == [4, 58, 0]


def test_clock_grid_has_one_image_and_caption_per_clock() -> None:
    images = np.full((3, 32, 32), 128, dtype=np.uint8)
    captions = prediction_captions(LABELS, PREDICTED)
    fig = clock_grid(images, PREDICTED, captions, columns=2)
    assert [trace.type for trace in fig.data] == ["image"] * 3
    assert [annotation.text for annotation in fig.layout.annotations] == captions
    assert len(clock_grid(images[:0], PREDICTED[:0], []).data) == 0


# -- hands in the picture's frame -------------------------------------------------------------
def _turned(image: np.ndarray, degrees: float, mirrored: bool) -> np.ndarray:
    """A centred clock image mirrored (left-right), then turned `degrees` clockwise."""
    from PIL import Image

    picture = Image.fromarray(image[:, ::-1] if mirrored else image)
    return np.asarray(picture.rotate(-degrees, resample=Image.BILINEAR, fillcolor=236))


def _hands_covered(clock: np.ndarray, drawn: np.ndarray, centre: tuple[float, float] | None = None,
                   radius: float | None = None) -> float:
    """Share of the clock's own hand pixels (their dark cores, between 0.2 and 0.6 dial radii
    from the centre: inside the numerals) that the drawing paints over in colour."""
    size = clock.shape[0]
    centre = centre or ((size - 1) / 2, (size - 1) / 2)
    y, x = np.mgrid[0:size, 0:size]
    distance = np.hypot(x - centre[0], y - centre[1]) / (radius or CANONICAL_RADIUS * size)
    hands = (clock < 45) & (distance > 0.2) & (distance < 0.6)
    assert hands.sum() > 30
    painted = drawn.max(axis=2).astype(int) - drawn.min(axis=2) > 60  # coloured, not grey
    return float(painted[hands].mean())


@pytest.mark.parametrize(("hour", "minute", "turn"), [(3, 40, 70.0), (10, 8, 200.0),
                                                      (7, 22, 315.0)])
def test_hands_drawn_in_frame_land_on_the_clocks_own_hands(hour, minute, turn) -> None:
    clock = _turned(render_clock(hour, minute, "easy"), turn, mirrored=True)
    pose = DialPose(twelve_degrees=turn, mirrored=True)
    assert _hands_covered(clock, draw_hands(clock, hour, minute, pose)) > 0.9
    assert _hands_covered(clock, draw_hands(clock, hour, minute)) < 0.1  # upright: missed


def test_hands_follow_an_off_centre_scaled_clock() -> None:
    clock = render_clock(8, 50, "easy")
    picture = place_clock(clock, 200, centre=(80.0, 115.0), scale=0.7)
    radius = CANONICAL_RADIUS * 150 * 0.7
    drawn = draw_hands(picture, 8, 50, DialPose(centre=(80.0, 115.0), radius=radius))
    painted = np.abs(drawn.astype(int) - np.asarray(MINUTE_COLOR)).sum(axis=2) < 30
    y, x = np.nonzero(painted)
    assert np.hypot(x - 80, y - 115).max() == pytest.approx(MINUTE_LENGTH / CANONICAL_RADIUS
                                                            * radius, abs=3)
    assert _hands_covered(picture, drawn, (80.0, 115.0), radius) > 0.9


def test_pose_in_the_picture() -> None:
    assert DialPose(twelve_degrees=90.0).picture_degrees(30.0) == 120.0
    assert DialPose(twelve_degrees=90.0, mirrored=True).picture_degrees(120.0) == 330.0
    assert hand_directions(3, 0, DialPose(twelve_degrees=180.0, mirrored=True)) == (90.0, 180.0)


def test_poses_from_the_dial_readers_maps() -> None:
    logits = np.full((2, DIAL_BINS, 3), -5.0)
    logits[0, 24, 0] = 5.0  # the 12 points right (bin 24 of 96 is 90 degrees)
    logits[1, 0, 0] = 5.0
    poses = pose_from_maps(logits, np.array([[-3.0], [2.0]]))
    assert poses[0].twelve_degrees == pytest.approx(90.0 + MAP_OFFSET_DEGREES, abs=0.01)
    assert [pose.mirrored for pose in poses] == [False, True]
    assert MAP_OFFSET_DEGREES == pytest.approx(0.9375)


def test_clock_grid_draws_each_clock_in_its_pose() -> None:
    images = np.full((2, 64, 64), 128, dtype=np.uint8)
    poses = [DialPose(), DialPose(twelve_degrees=180.0)]
    fig = clock_grid(images, np.array([[0, 0], [0, 0]]), ["a", "b"], poses=poses)
    upright, turned = (np.asarray(trace.z) for trace in fig.data)
    assert tuple(upright[10, 32]) == MINUTE_COLOR and tuple(turned[53, 32]) == MINUTE_COLOR
    with pytest.raises(ValueError, match="poses"):
        clock_grid(images, np.array([[0, 0], [0, 0]]), ["a", "b"], poses=poses[:1])
