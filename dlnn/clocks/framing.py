"""Where the clock is in a picture, measured, and the picture reframed the way the models read it.

The clock models, the dial reader above all (it unrolls the picture around its centre), read a
clock centred in the picture with its dial radius `CANONICAL_RADIUS` of the side, as the
generator draws it. A photo rarely is: `find_clock` measures the clock's centre and radius
from the picture itself, and `frame_clock` crops and resamples the picture so the clock sits
as the models expect. No learning: a finder of round and elliptical (tilted) rims on the
picture's edges. Edges of opposite gradient direction, both pointing into the chord between
them or both out of it (light face in a dark rim, or dark face in a light one), are opposite
sides of a rim, and every such chord votes at its midpoint: a circle's or an ellipse's chords
of this kind are all halved at its centre. A centre must be voted for by chords running every
way (the midline between two straight edges gets votes from one way only), and the chords
halved there must end all round it (at least `MIN_ROUNDNESS` of the directions); the radius
is a high percentile of their halves: the rim's long half-axis, its inner edge where both
show (on generated clocks within 1-2% of the dial radius, measured at 64-96 px). When no
round rim is found the picture is read as it is, centred.

`frame_clocks` frames a whole set, each picture by its own measured frame: what a run with
`RunConfig.frame_clocks` trains and is tested on (`dlnn.clocks.datasets.load_or_frame`).

`place_clock` is the opposite, an image-level transform for tests and demonstrations: it puts a
clock image into a larger picture, moved and scaled.

Example:
    >>> picture = place_clock(render_clock(3, 0, "easy"), 200, centre=(70, 120), scale=0.6)
    >>> frame = find_clock(picture)
    >>> round(frame.x), round(frame.y), round(frame.radius), frame_clock(picture, 64).shape
    (70, 120, 38, (64, 64))
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
DIRECTIONS = 36  # gradient directions told apart when pairing opposite edges
ACROSS = 0.5  # least |cos| between an edge's gradient and its chord (0.9 on a dial tilted 50°)
CENTRE_TOLERANCE = 1.5  # pixels: chords halved this close to the centre belong to its clock
MIN_CHORDS = 5  # fewer such chords: no clock
CANDIDATES = 4  # centres tried, most votes first, for one that a round rim surrounds
CHORD_COURSES = 4  # ways a chord may run told apart: a clock's centre halves chords of each
RIM_QUANTILE = 0.75  # the rim's half-axis: this weighted quantile of those chords' halves
BOTH_EDGES = 0.15  # each polarity's least share of the chords when a rim shows both edges
SECTORS = 36  # directions round the centre in which the rim is looked for
MIN_ROUNDNESS = 0.5  # share of those directions that must see the rim
FRAMING_VERSION = 2  # bump when what `find_clock` or `frame_clock` make changes: cached framed
# sets (`datasets.load_or_frame`) are then framed again


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


@dataclass(frozen=True)
class _Chords:
    """Pairs of edge pixels whose gradients are opposite and point both into the chord
    between them or both out of it: opposite sides of a round or elliptical edge."""

    x: np.ndarray  # (M,) the chord's midpoint
    y: np.ndarray
    half: np.ndarray  # half its length
    weight: np.ndarray  # the two edges' strength, times the chord's length squared
    inward: np.ndarray  # whether the gradients point into the chord (light inside the edge)
    course: np.ndarray  # which of CHORD_COURSES ways the chord runs (its angle, mod 180°)
    ends: tuple[np.ndarray, np.ndarray]  # (x, y) of both ends, (2M,) each


def _chords(x, y, ux, uy, weight, side: int) -> _Chords:
    """The chords of clock-like length between edges of opposite gradient directions."""
    bins = np.floor((np.arctan2(uy, ux) + np.pi) / (2 * np.pi) * DIRECTIONS).astype(int)
    bins %= DIRECTIONS
    members = [np.flatnonzero(bins == k) for k in range(DIRECTIONS)]
    firsts, seconds = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for k in range(DIRECTIONS // 2):
        for offset in (-1, 0, 1):  # the opposite direction, give or take a bin
            other = members[(k + DIRECTIONS // 2 + offset) % DIRECTIONS]
            first, second = np.meshgrid(members[k], other, indexing="ij")
            firsts.append(first.ravel())
            seconds.append(second.ravel())
    a, b = np.concatenate(firsts), np.concatenate(seconds)
    dx, dy = x[b] - x[a], y[b] - y[a]
    length = np.hypot(dx, dy)
    along_a = ux[a] * dx + uy[a] * dy  # > 0: a's gradient points across the chord
    along_b = -(ux[b] * dx + uy[b] * dy)
    keep = ((length >= 2 * MIN_RADIUS * side) & (length <= 2 * MAX_RADIUS * side)
            & (np.sign(along_a) == np.sign(along_b))
            & (np.abs(along_a) > ACROSS * length) & (np.abs(along_b) > ACROSS * length))
    a, b, length, inward = a[keep], b[keep], length[keep], along_a[keep] > 0
    course = np.floor(np.mod(np.arctan2(dy[keep], dx[keep]), np.pi) / np.pi * CHORD_COURSES)
    return _Chords((x[a] + x[b]) / 2, (y[a] + y[b]) / 2, length / 2,
                   np.sqrt(weight[a] * weight[b]) * length ** 2, inward,
                   np.minimum(course, CHORD_COURSES - 1).astype(np.int64),
                   (np.concatenate([x[a], x[b]]), np.concatenate([y[a], y[b]])))


def _find_centres(chords: _Chords, width: int, height: int) -> list[tuple[float, float]]:
    """The points most chords are halved at (their weighted midpoints, refined), most votes
    first: up to CANDIDATES, apart by more than the vote blur."""
    column = np.clip(np.rint(chords.x).astype(np.int64), 0, width - 1)
    row = np.clip(np.rint(chords.y).astype(np.int64), 0, height - 1)
    # A clock's centre halves chords running every way; the midline between two straight
    # edges (a door, a picture's border) only chords running one way: votes are counted per
    # course and multiplied.
    votes = np.ones(height * width)
    for course in range(CHORD_COURSES):
        chosen = chords.course == course
        part = np.bincount((row * width + column)[chosen], chords.weight[chosen], width * height)
        part = part.reshape(height, width)
        for axis in (0, 1):  # a 3-pixel box blur: neighbouring votes count together
            part = sum(np.roll(part, shift, axis=axis) for shift in (-1, 0, 1))
        votes = votes * (part.ravel() + 1e-3 * part.max())
    votes = votes.reshape(height, width)
    centres = []
    for _ in range(CANDIDATES):
        peak_row, peak_column = np.unravel_index(np.argmax(votes), votes.shape)
        if votes[peak_row, peak_column] <= 0:
            break
        near = np.hypot(chords.x - peak_column, chords.y - peak_row) <= CENTRE_TOLERANCE + 1
        centres.append((float(np.average(chords.x[near], weights=chords.weight[near])),
                        float(np.average(chords.y[near], weights=chords.weight[near]))))
        votes[max(peak_row - 3, 0):peak_row + 4, max(peak_column - 3, 0):peak_column + 4] = 0
    return centres


def _quantile(values: np.ndarray, weight: np.ndarray) -> float:
    """The RIM_QUANTILE weighted quantile of `values`."""
    order = np.argsort(values)
    share = np.cumsum(weight[order]) / weight.sum()
    return float(values[order][min(np.searchsorted(share, RIM_QUANTILE), len(values) - 1)])


def _find_rim(chords: _Chords, centre: tuple[float, float]) -> tuple[float, float]:
    """The rim's half-axis (the long one of a tilted dial) and the share of the directions
    round the centre in which chords halved there end."""
    near = np.hypot(chords.x - centre[0], chords.y - centre[1]) <= CENTRE_TOLERANCE
    if near.sum() < MIN_CHORDS:
        return 0.0, 0.0
    half, weight = chords.half[near], chords.weight[near]
    rim = _quantile(half, weight)
    # A rim of its own shade has two edges, the face's and the wall's, of opposite polarity:
    # the face's edge is the inner one.
    inward = chords.inward[near]
    if min(weight[inward].sum(), weight[~inward].sum()) > BOTH_EDGES * weight.sum():
        rim = min(rim, _quantile(half[inward], weight[inward]),
                  _quantile(half[~inward], weight[~inward]))
    ends_x, ends_y = (end[np.concatenate([near, near])] for end in chords.ends)
    outer = np.hypot(ends_x - centre[0], ends_y - centre[1]) > 0.5 * rim
    sectors = np.floor((np.arctan2(ends_y[outer] - centre[1], ends_x[outer] - centre[0]) + np.pi)
                       / (2 * np.pi) * SECTORS)
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
    chords = _chords(*_edges(grey), min(small_width, small_height))
    if len(chords.half) < MIN_CHORDS:
        return centred_frame(width, height)
    # The most voted-for point that round edges surround: straight parallel edges (a door, a
    # picture's border) halve many chords too, on a line, but only from two sides.
    for centre in _find_centres(chords, small_width, small_height):
        rim, roundness = _find_rim(chords, centre)
        if roundness >= MIN_ROUNDNESS:
            return ClockFrame(centre[0], centre[1], rim).scaled(width / small_width)
    return centred_frame(width, height)

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
    left, top, side = crop_box(frame)
    box = (left, top, left + side, top + side)
    border = np.concatenate([np.asarray(picture)[[0, -1]].ravel(),
                             np.asarray(picture)[:, [0, -1]].ravel()])
    canvas = Image.new("L", (side, side), int(np.median(border)))
    inside = (max(box[0], 0), max(box[1], 0), min(box[2], picture.width),
              min(box[3], picture.height))
    if inside[0] < inside[2] and inside[1] < inside[3]:
        canvas.paste(picture.crop(inside), (inside[0] - box[0], inside[1] - box[1]))
    return np.asarray(canvas.resize((size, size), Image.BILINEAR, reducing_gap=2.0),
                      dtype=np.uint8)


def crop_box(frame: ClockFrame) -> tuple[int, int, int]:
    """The square `frame_clock` cuts out round a frame: its left and top pixel edges and its
    side, in whole pixels (the clock's dial radius CANONICAL_RADIUS of the side)."""
    half = frame.radius / CANONICAL_RADIUS / 2  # half the side of the square to cut out
    left, top = frame.x + 0.5 - half, frame.y + 0.5 - half  # pixel edges, not centres
    return round(left), round(top), max(1, round(2 * half))


def frame_clocks(images: np.ndarray, size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every picture of a set framed as `frame_clock` frames one, each by its own measured frame.

    Args:
        images: (N, H, W) uint8 grey pictures.
        size: side of the framed pictures (default: W).

    Returns:
        (N, size, size) uint8 framed pictures and (N, 4) float64 frames [x, y, radius, found]
        in the input pictures' pixels (`found` 1.0 or 0.0).
    """
    images = np.asarray(images, dtype=np.uint8)
    if images.ndim != 3:
        raise ValueError(f"expected grey pictures (N, H, W), got shape {images.shape}")
    size = size or images.shape[2]
    framed = np.empty((len(images), size, size), dtype=np.uint8)
    frames = np.empty((len(images), 4))
    for index, image in enumerate(images):
        frame = find_clock(image)
        framed[index] = frame_clock(image, size, frame)
        frames[index] = frame.x, frame.y, frame.radius, float(frame.found)
    return framed, frames


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
