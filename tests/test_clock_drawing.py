"""Predicted hands drawn on clocks, captions, worst predictions and error by time."""

from __future__ import annotations

import numpy as np
import pytest

from dlnn.clocks.drawing import (
    HOUR_COLOR,
    MINUTE_COLOR,
    clock_grid,
    draw_hands,
    error_by_time,
    format_time,
    prediction_captions,
    worst_predictions,
)

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
