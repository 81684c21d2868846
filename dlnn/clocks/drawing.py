"""Clocks with the predicted time drawn on them, and the clock lab's result figures.

`draw_hands` paints a predicted time as two coloured hands over a grey clock image (an RGB
uint8 array, pure numpy); `clock_grid` lays such images out with a caption each (true time,
predicted time, error). The hands are drawn in the picture's frame: given the clock's pose
(`dlnn.clocks.pose.DialPose`: where its 12 points, whether it is mirrored, its centre and
radius), a right reading lies over the clock's own hands, on turned and mirrored clocks too.
The dial reader knows the pose; without one (other models) the hands are drawn upright from
the image centre, the way an upright clock shows the predicted time.
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

from dlnn.clocks.framing import CANONICAL_RADIUS
from dlnn.clocks.metrics import common_sense_error, time_to_minutes
from dlnn.clocks.pose import DialPose
from dlnn.clocks.render import hand_angles

HOUR_COLOR = (230, 40, 40)  # predicted hour hand
MINUTE_COLOR = (30, 110, 240)  # predicted minute hand
HOUR_LENGTH, MINUTE_LENGTH = 0.26, 0.38  # as fractions of the image side
HAND_WIDTH = 0.022  # half-width of a drawn hand, as a fraction of the image side
CELL_PX = 150  # height of one row of `clock_grid`, caption included


def format_time(hour: int, minute: int) -> str:
    """`3:07`; hour 0 reads as 12, as on the dial."""
    return f"{int(hour) % 12 or 12}:{int(minute):02d}"


def _segment_alpha(shape: tuple[int, int], centre: tuple[float, float], degrees: float,
                   length: float, width: float) -> np.ndarray:
    """Coverage (0-1) of a hand of `length` and half-`width` pixels from `centre` (x, y) at
    `degrees` clockwise from the picture's top."""
    y, x = np.mgrid[0:shape[0], 0:shape[1]].astype(np.float64)
    angle = math.radians(degrees)
    tip_x, tip_y = math.sin(angle) * length, -math.cos(angle) * length
    px, py = x - centre[0], y - centre[1]
    along = np.clip((px * tip_x + py * tip_y) / (tip_x**2 + tip_y**2), 0.0, 1.0)
    distance = np.hypot(px - along * tip_x, py - along * tip_y)
    return np.clip(width - distance + 0.5, 0.0, 1.0)


def hand_directions(hour: float, minute: float, pose: DialPose | None = None
                    ) -> tuple[float, float]:
    """Directions in the picture (degrees clockwise from its top) of the time's hour and
    minute hands on a clock in `pose` (default: upright)."""
    pose = pose or DialPose()
    hour_degrees, minute_degrees = hand_angles(np.asarray(hour), np.asarray(minute))
    return pose.picture_degrees(float(hour_degrees)), pose.picture_degrees(float(minute_degrees))


def draw_hands(image: np.ndarray, hour: float, minute: float, pose: DialPose | None = None
               ) -> np.ndarray:
    """RGB uint8 copy of a grey (H, W) clock image with the time's hands painted in colour.

    The hour hand is red and shorter, the minute hand blue and longer (drawn last, on top).
    `pose` places them in the picture's frame (turned, mirrored, off-centre, scaled); without
    it they are drawn upright from the centre of a square picture.
    """
    image = np.asarray(image)
    if image.ndim != 2 or (pose is None and image.shape[0] != image.shape[1]):
        raise ValueError(f"expected a square grey image (H, W), got shape {image.shape}")
    pose = pose or DialPose()
    side = min(image.shape)
    centre = pose.centre or ((image.shape[1] - 1) / 2.0, (image.shape[0] - 1) / 2.0)
    unit = (pose.radius or CANONICAL_RADIUS * side) / CANONICAL_RADIUS  # the canonical side
    rgb = np.repeat(image[..., np.newaxis].astype(np.float64), 3, axis=2)
    for degrees, length, color in zip(hand_directions(hour, minute, pose),
                                      (HOUR_LENGTH, MINUTE_LENGTH), (HOUR_COLOR, MINUTE_COLOR),
                                      strict=True):
        alpha = _segment_alpha(image.shape, centre, degrees, length * unit,
                               HAND_WIDTH * unit)[..., np.newaxis]
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
    poses: Sequence[DialPose | None] | None = None,
) -> go.Figure:
    """Grey clocks (N, H, W) with their predicted (N, 2) times drawn on, a caption under each.

    `poses` (one per clock, e.g. the dial reader's `read_poses`) draws each clock's hands in
    its picture's frame; without them they are drawn upright.
    """
    images = np.asarray(images)
    count = len(images)
    if count == 0:
        from dlnn.figures import empty_figure

        return empty_figure(title=title)
    if len(captions) != count or len(predicted) != count:
        raise ValueError(f"{count} images need as many predictions and captions")
    if poses is not None and len(poses) != count:
        raise ValueError(f"{count} images need as many poses, got {len(poses)}")
    poses = poses if poses is not None else [None] * count
    columns = max(1, min(columns, count))
    rows = math.ceil(count / columns)
    fig = make_subplots(rows=rows, cols=columns, horizontal_spacing=0.01,
                        vertical_spacing=min(0.25 / rows, 0.08))
    for index, (image, (hour, minute), pose) in enumerate(zip(images, predicted, poses,
                                                              strict=True)):
        row, col = index // columns + 1, index % columns + 1
        fig.add_trace(go.Image(z=draw_hands(image, hour, minute, pose), name=captions[index],
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
