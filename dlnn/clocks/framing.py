"""Where the clock is in a picture, measured, and the picture reframed the way the models read it.

The clock models, the dial reader above all (it unrolls the picture around its centre), read a
clock centred in the picture with its dial radius `CANONICAL_RADIUS` of the side, as the
generator draws it. A photo rarely is: `find_clock` measures the clock's centre and radius
from the picture itself, and `frame_clock` crops and resamples the picture so the clock sits
as the models expect. No learning: a circle finder on the picture's edges (a gradient Hough
transform). Every edge pixel votes for the points along its gradient (both ways: light face
in a dark rim, or dark face in a light one); the rim's edges all point at the centre, so it
collects the most votes. The radius is then the distance at which the most edges point
straight at that centre: the rim's inner edge, where the face meets it (on generated clocks
within 1% of the dial radius, measured at 64-150 px). When no round rim is found (fewer than
`MIN_ROUNDNESS` of the directions round the centre see an edge there), the picture is read as
it is, centred.

`place_clock` is the opposite, an image-level transform for tests and demonstrations: it puts a
clock image into a larger picture, moved and scaled.

Example:
    >>> picture = place_clock(render_clock(3, 0, "easy"), 200, centre=(70, 120), scale=0.6)
    >>> frame = find_clock(picture)
    >>> round(frame.x), round(frame.y), round(frame.radius), frame_clock(picture, 64).shape
    (70, 121, 38, (64, 64))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from dlnn.clocks.render import PRESETS

CANONICAL_RADIUS = PRESETS["easy"].scale  # dial radius / picture side, as the generator draws
WORK_SIDE = 128  # the circle finder works on a copy whose shorter side is at most this
MIN_RADIUS, MAX_RADIUS = 0.12, 0.6  # dial radii looked for, as fractions of the shorter side
EDGE_SHARE = 0.12  # the strongest edge pixels that vote
RADIAL = 0.9  # |cos| between an edge's gradient and the direction to the centre, for the rim
SECTORS = 36  # directions round the centre in which the rim is looked for
MIN_ROUNDNESS = 0.6  # share of those directions that must see the rim


@dataclass(frozen=True)
class ClockFrame:
    """Where a clock is in a picture: its centre (x right, y down, in pixels; pixel centres
    at integers) and its dial radius in pixels; `found` is False when no round rim was seen
    and the frame is the picture's centred default."""

    x: float
    y: float
    radius: float
    found: bool = True

    def scaled(self, factor: float) -> ClockFrame:
        """The same frame in a picture `factor` times as large."""
        return ClockFrame((self.x + 0.5) * factor - 0.5, (self.y + 0.5) * factor - 0.5,
                          self.radius * factor, self.found)


def centred_frame(width: int, height: int) -> ClockFrame:
    """The frame the models assume: the clock centred, its radius CANONICAL_RADIUS of the
    shorter side."""
    return ClockFrame((width - 1) / 2, (height - 1) / 2, CANONICAL_RADIUS * min(width, height),
                      found=False)


def _grey_picture(image: np.ndarray | Image.Image) -> Image.Image:
    if isinstance(image, Image.Image):
        return image.convert("L")
    return Image.fromarray(np.asarray(image)).convert("L")


def _edges(grey: np.ndarray) -> tuple[np.ndarray, ...]:
    """Positions (x, y), unit gradients (ux, uy) and strengths of the strongest edge pixels."""
    padded = np.pad(grey, 1, mode="edge")
    smooth = (padded[:-2] + 2 * padded[1:-1] + padded[2:]) / 4  # vertical [1 2 1]
    gx = (smooth[:, 2:] - smooth[:, :-2]) / 2
    smooth = (padded[:, :-2] + 2 * padded[:, 1:-1] + padded[:, 2:]) / 4
    gy = (smooth[2:] - smooth[:-2]) / 2
    strength = np.hypot(gx, gy)
    threshold = max(np.quantile(strength, 1 - EDGE_SHARE), 4.0)
    y, x = np.nonzero(strength > threshold)
    weight = strength[y, x]
    return x, y, gx[y, x] / weight, gy[y, x] / weight, weight


def _find_centre(x, y, ux, uy, weight, width: int, height: int) -> tuple[float, float]:
    """The point most edges' gradient lines pass through at a clock-like distance."""
    side = min(width, height)
    distances = np.arange(MIN_RADIUS * side, MAX_RADIUS * 1.1 * side)
    votes = np.zeros(height * width)
    for sign in (1.0, -1.0):
        cx = np.rint(x[:, None] + sign * ux[:, None] * distances[None, :]).astype(np.int64)
        cy = np.rint(y[:, None] + sign * uy[:, None] * distances[None, :]).astype(np.int64)
        inside = (cx >= 0) & (cx < width) & (cy >= 0) & (cy < height)
        spread = np.broadcast_to(weight[:, None], cx.shape)
        votes += np.bincount((cy * width + cx)[inside], spread[inside], height * width)
    votes = votes.reshape(height, width)
    for axis in (0, 1):  # a 5-pixel box blur: neighbouring votes count together
        votes = sum(np.roll(votes, shift, axis=axis) for shift in range(-2, 3))
    row, column = np.unravel_index(np.argmax(votes), votes.shape)
    # refine to the centroid of the votes around the peak
    rows = slice(max(row - 2, 0), row + 3)
    columns = slice(max(column - 2, 0), column + 3)
    patch = votes[rows, columns]
    yy, xx = np.mgrid[rows, columns]
    return float((xx * patch).sum() / patch.sum()), float((yy * patch).sum() / patch.sum())


def _find_rim(x, y, ux, uy, weight, centre: tuple[float, float], side: int
              ) -> tuple[float, float]:
    """The rim's distance from the centre and the share of directions that see it."""
    dx, dy = x - centre[0], y - centre[1]
    distance = np.hypot(dx, dy)
    near = distance > 0.5
    radial = np.abs(ux * dx + uy * dy) > RADIAL * np.where(near, distance, 1.0)
    usable = radial & near & (distance >= MIN_RADIUS * side)
    usable &= distance <= MAX_RADIUS * 1.1 * side
    if not usable.any():
        return 0.0, 0.0
    bins = np.arange(0, int(distance[usable].max()) + 3)
    histogram, _ = np.histogram(distance[usable], bins=bins, weights=weight[usable])
    histogram = np.convolve(histogram, [1, 2, 3, 2, 1], mode="same")
    rim = float(np.argmax(histogram)) + 0.5
    ring = usable & (np.abs(distance - rim) <= max(2.0, 0.06 * rim))
    sectors = np.floor((np.arctan2(dy[ring], dx[ring]) + np.pi) / (2 * np.pi) * SECTORS)
    return rim, len(np.unique(sectors)) / SECTORS


def find_clock(image: np.ndarray | Image.Image) -> ClockFrame:
    """The clock's centre and dial radius in a grey or colour picture, measured.

    Falls back to `centred_frame` (with `found` False) when no round rim is seen.
    """
    picture = _grey_picture(image)
    width, height = picture.size
    factor = min(1.0, WORK_SIDE / min(width, height))
    if factor < 1.0:
        picture = picture.resize((max(1, round(width * factor)), max(1, round(height * factor))),
                                 Image.BILINEAR, reducing_gap=2.0)
    grey = np.asarray(picture, dtype=np.float64)
    small_height, small_width = grey.shape
    edges = _edges(grey)
    if len(edges[0]) == 0:
        return centred_frame(width, height)
    centre = _find_centre(*edges, small_width, small_height)
    rim, roundness = _find_rim(*edges, centre, min(small_width, small_height))
    if roundness < MIN_ROUNDNESS:
        return centred_frame(width, height)
    scale = width / small_width
    return ClockFrame(centre[0], centre[1], rim).scaled(scale)


def frame_clock(image: np.ndarray | Image.Image, size: int, frame: ClockFrame | None = None
                ) -> np.ndarray:
    """Grey (size, size) uint8 picture with the clock centred, its dial radius
    CANONICAL_RADIUS of the side, as the models read clocks.

    `frame` is where the clock is (default: `find_clock`). Where the new framing reaches past
    the picture's edge it is filled with the grey of the picture's border.
    """
    picture = _grey_picture(image)
    frame = frame or find_clock(picture)
    if picture.size == (size, size) and _is_canonical(frame, size):
        return np.asarray(picture, dtype=np.uint8)  # framed already: resampling would blur
    half = frame.radius / CANONICAL_RADIUS / 2  # half the side of the square to cut out
    left, top = frame.x + 0.5 - half, frame.y + 0.5 - half  # pixel edges, not centres
    side = max(1, round(2 * half))
    box = (round(left), round(top), round(left) + side, round(top) + side)
    border = np.concatenate([np.asarray(picture)[[0, -1]].ravel(),
                             np.asarray(picture)[:, [0, -1]].ravel()])
    canvas = Image.new("L", (side, side), int(np.median(border)))
    inside = (max(box[0], 0), max(box[1], 0), min(box[2], picture.width),
              min(box[3], picture.height))
    if inside[0] < inside[2] and inside[1] < inside[3]:
        canvas.paste(picture.crop(inside), (inside[0] - box[0], inside[1] - box[1]))
    return np.asarray(canvas.resize((size, size), Image.BILINEAR, reducing_gap=2.0),
                      dtype=np.uint8)


def _is_canonical(frame: ClockFrame, size: int) -> bool:
    """Whether a frame is, within a pixel and 3% of the radius, the centred one at `size`."""
    centred = centred_frame(size, size)
    return (abs(frame.x - centred.x) <= 1.0 and abs(frame.y - centred.y) <= 1.0
            and abs(frame.radius / centred.radius - 1.0) <= 0.03)


def place_clock(clock: np.ndarray, side: int, centre: tuple[float, float], scale: float,
                background: int | None = None) -> np.ndarray:
    """A (side, side) uint8 picture with a square grey `clock` image scaled by `scale` and its
    centre moved to `centre` (x, y in pixels). The rest is `background` (default: the clock
    image's border grey). The clock's dial radius in the new picture is
    CANONICAL_RADIUS * clock side * scale."""
    clock = np.asarray(clock, dtype=np.uint8)
    if clock.ndim != 2 or clock.shape[0] != clock.shape[1]:
        raise ValueError(f"expected a square grey clock image (H, W), got shape {clock.shape}")
    if background is None:
        background = int(np.median(np.concatenate([clock[[0, -1]].ravel(),
                                                   clock[:, [0, -1]].ravel()])))
    # output pixel (u, v) samples the clock at ((u - cx) / scale + c, (v - cy) / scale + c)
    c = (clock.shape[0] - 1) / 2
    inverse = 1.0 / scale
    coefficients = (inverse, 0.0, c + 0.5 - (centre[0] + 0.5) * inverse,
                    0.0, inverse, c + 0.5 - (centre[1] + 0.5) * inverse)
    picture = Image.fromarray(clock).transform((side, side), Image.AFFINE, coefficients,
                                               resample=Image.BILINEAR, fillcolor=background)
    return np.asarray(picture, dtype=np.uint8)
