"""Clocks with the predicted time drawn on them, and the clock lab's result figures.

`draw_hands` paints a predicted time as two coloured hands over a grey clock image (an RGB
uint8 array, pure numpy); `clock_grid` lays such images out with a caption each (true time,
predicted time, error). The hands are drawn upright from the image centre, the way an upright
clock shows the predicted time: on the easy preset they lie over the true hands when the model
is right; on rotated or mirrored clocks they show the time read, not the dial's pose.
`worst_predictions` picks the largest errors, and `error_by_time` gives the data for
"error against true time". Nothing here imports TensorFlow or Streamlit.

Example:
    >>> image = render_clock(3, 0, "easy")
    >>> draw_hands(image, 3, 0).shape
    (150, 150, 3)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dlnn.clocks.metrics import common_sense_error, time_to_minutes
from dlnn.clocks.render import hand_angles

HOUR_COLOR = (230, 40, 40)  # predicted hour hand
MINUTE_COLOR = (30, 110, 240)  # predicted minute hand
HOUR_LENGTH, MINUTE_LENGTH = 0.26, 0.38  # as fractions of the image side
HAND_WIDTH = 0.022  # half-width of a drawn hand, as a fraction of the image side
CELL_PX = 150  # height of one row of `clock_grid`, caption included


def format_time(hour: int, minute: int) -> str:
    """`3:07`; hour 0 reads as 12, as on the dial."""
    return f"{int(hour) % 12 or 12}:{int(minute):02d}"


def _segment_alpha(size: int, degrees: float, length: float, width: float) -> np.ndarray:
    """Coverage (0-1) of a hand from the centre at `degrees` clockwise from 12 o'clock."""
    centre = (size - 1) / 2.0
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    angle = math.radians(degrees)
    tip_x, tip_y = math.sin(angle) * length * size, -math.cos(angle) * length * size
    px, py = x - centre, y - centre
    along = np.clip((px * tip_x + py * tip_y) / (tip_x**2 + tip_y**2), 0.0, 1.0)
    distance = np.hypot(px - along * tip_x, py - along * tip_y)
    return np.clip(width * size - distance + 0.5, 0.0, 1.0)


def draw_hands(image: np.ndarray, hour: float, minute: float) -> np.ndarray:
    """RGB uint8 copy of a grey (H, W) clock image with the time's hands painted in colour.

    The hour hand is red and shorter, the minute hand blue and longer (drawn last, on top).
    """
    image = np.asarray(image)
    if image.ndim != 2 or image.shape[0] != image.shape[1]:
        raise ValueError(f"expected a square grey image (H, W), got shape {image.shape}")
    size = image.shape[0]
    rgb = np.repeat(image[..., np.newaxis].astype(np.float64), 3, axis=2)
    hour_degrees, minute_degrees = hand_angles(np.asarray(hour), np.asarray(minute))
    for degrees, length, color in ((float(hour_degrees), HOUR_LENGTH, HOUR_COLOR),
                                   (float(minute_degrees), MINUTE_LENGTH, MINUTE_COLOR)):
        alpha = _segment_alpha(size, degrees, length, HAND_WIDTH)[..., np.newaxis]
        rgb = rgb * (1 - alpha) + np.asarray(color, dtype=np.float64) * alpha
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def prediction_captions(labels: np.ndarray, predicted: np.ndarray) -> list[str]:
    """`true 3:07 · read 3:09 · 2 min` for each row of (N, 2) labels and predictions."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    errors = common_sense_error(labels[:, 0], labels[:, 1], predicted[:, 0], predicted[:, 1])
    return [
        f"true {format_time(*truth)} · read {format_time(*guess)} · {error:.0f} min"
        for truth, guess, error in zip(labels, predicted, errors, strict=True)
    ]


def clock_grid(
    images: np.ndarray,
    predicted: np.ndarray,
    captions: Sequence[str],
    columns: int = 6,
    title: str | None = None,
) -> go.Figure:
    """Grey clocks (N, H, W) with their predicted (N, 2) times drawn on, a caption under each."""
    images = np.asarray(images)
    count = len(images)
    if count == 0:
        from dlnn.figures import empty_figure

        return empty_figure(title=title)
    if len(captions) != count or len(predicted) != count:
        raise ValueError(f"{count} images need as many predictions and captions")
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    fig = make_subplots(rows=rows, cols=columns, horizontal_spacing=0.01,
                        vertical_spacing=min(0.25 / rows, 0.08))
    for index, (image, (hour, minute)) in enumerate(zip(images, predicted, strict=True)):
        row, col = index // columns + 1, index % columns + 1
        fig.add_trace(go.Image(z=draw_hands(image, hour, minute), name=captions[index],
                               hoverinfo="name"), row=row, col=col)
        axis = "" if index == 0 else str(index + 1)
        fig.add_annotation(text=captions[index], xref=f"x{axis} domain", yref=f"y{axis} domain",
                           x=0.5, y=-0.02, yanchor="top", showarrow=False, font={"size": 11})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(template="plotly_white", height=rows * CELL_PX + (60 if title else 20),
                      title={"text": title} if title else None, showlegend=False,
                      margin={"l": 5, "r": 5, "t": 50 if title else 10, "b": 25})
    return fig


def worst_predictions(labels: np.ndarray, predicted: np.ndarray, count: int) -> np.ndarray:
    """Indices of the `count` largest common-sense errors, largest first (stable on ties)."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    errors = common_sense_error(labels[:, 0], labels[:, 1], predicted[:, 0], predicted[:, 1])
    return np.argsort(-errors, kind="stable")[:count]


def error_by_time(labels: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True time in hours on the dial (0-12) and the common-sense error in minutes per image."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    errors = common_sense_error(labels[:, 0], labels[:, 1], predicted[:, 0], predicted[:, 1])
    return time_to_minutes(labels[:, 0], labels[:, 1]) / 60.0, errors
