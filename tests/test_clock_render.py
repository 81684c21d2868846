"""Clock rendering: determinism, formats, poses that change pixels but not labels, hand
directions on the easy preset, style validation and the generated-set cache."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dlnn.clocks import render
from dlnn.clocks.render import (
    PRESETS,
    ClockStyle,
    generate_clocks,
    load_or_generate,
    render_clock,
    render_clocks,
)

SMALL = 64
EASY = dataclasses.replace(PRESETS["easy"], size=SMALL)
HARD = dataclasses.replace(PRESETS["hard"], size=SMALL)
COURSE = dataclasses.replace(PRESETS["course-like"], size=SMALL)


def test_presets_cover_easy_to_course_like():
    assert {"easy", "medium", "hard", "course-like"} <= set(PRESETS)
    easy = PRESETS["easy"]
    assert easy.rotation_degrees == 0 and easy.mirror_probability == 0 and easy.noise == 0
    course = PRESETS["course-like"]
    assert course.size == 150 and course.rotation_degrees == 180 and course.numerals
    assert 0 < course.mirror_probability < 1 and course.tilt > 0 and course.glare > 0


@pytest.mark.parametrize("style", [EASY, HARD, COURSE])
def test_generate_shapes_dtypes_and_label_ranges(style):
    images, labels = generate_clocks(40, style, seed=0)
    assert images.shape == (40, SMALL, SMALL) and images.dtype == np.uint8
    assert labels.shape == (40, 2) and labels.dtype.kind == "i"
    assert labels[:, 0].min() >= 0 and labels[:, 0].max() <= 11
    assert labels[:, 1].min() >= 0 and labels[:, 1].max() <= 59
    assert images.std() > 20  # a drawing, not a blank


def test_same_seed_same_images_other_seed_different():
    first, first_labels = generate_clocks(12, COURSE, seed=5)
    again, again_labels = generate_clocks(12, COURSE, seed=5)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(first_labels, again_labels)
    other, other_labels = generate_clocks(12, COURSE, seed=6)
    assert not np.array_equal(first, other)
    assert not np.array_equal(first_labels, other_labels)
    # The same times with another seed still look different (pose, background, noise).
    assert not np.array_equal(
        render_clocks([3], [0], COURSE, 1), render_clocks([3], [0], COURSE, 2)
    )


def test_chunk_size_does_not_change_the_images(monkeypatch):
    hours, minutes = np.arange(40) % 12, np.arange(40)
    images = render_clocks(hours, minutes, COURSE, seed=2)
    monkeypatch.setattr(render, "_CHUNK", 7)
    np.testing.assert_array_equal(images, render_clocks(hours, minutes, COURSE, seed=2))


@pytest.mark.parametrize(
    "change", [{"rotation_degrees": 180}, {"mirror_probability": 1.0}, {"tilt": 40}]
)
def test_pose_changes_the_image_but_not_the_label(change):
    posed = dataclasses.replace(EASY, **change)
    plain_images, plain_labels = generate_clocks(6, EASY, seed=1)
    posed_images, posed_labels = generate_clocks(6, posed, seed=1)
    np.testing.assert_array_equal(posed_labels, plain_labels)
    for plain, pose in zip(plain_images, posed_images, strict=True):
        assert not np.array_equal(plain, pose)
    assert np.abs(plain_images.astype(int) - posed_images).mean() > 3


def test_mirroring_flips_the_clock_left_to_right():
    plain = render_clock(2, 10, EASY).astype(int)
    mirrored = render_clock(2, 10, dataclasses.replace(EASY, mirror_probability=1.0)).astype(int)
    assert np.abs(mirrored - plain[:, ::-1]).mean() < 2  # up to rounding at the edges
    assert np.abs(mirrored - plain).mean() > 5  # 2:10 is not left-right symmetric


def test_different_times_give_different_images():
    images = render_clocks([3, 3, 4, 9], [0, 1, 0, 45], EASY)
    for i in range(4):
        for j in range(i):
            assert not np.array_equal(images[i], images[j])


def _ray(image: np.ndarray, degrees: float, start: float, stop: float) -> np.ndarray:
    """Grey levels along a ray from the centre, clockwise from 12, between two dial radii."""
    size = image.shape[0]
    radius = PRESETS["easy"].scale * size
    centre = (size - 1) / 2
    angle = np.radians(degrees)
    r = np.linspace(start, stop, 12) * radius
    rows = np.rint(centre - r * np.cos(angle)).astype(int)
    cols = np.rint(centre + r * np.sin(angle)).astype(int)
    return image[rows, cols]


@pytest.mark.parametrize(
    ("hour", "minute", "hour_degrees", "minute_degrees"),
    [(3, 0, 90, 0), (9, 30, 285, 180), (6, 15, 187.5, 90), (0, 40, 20, 240)],
)
def test_hands_point_at_the_time_on_the_easy_preset(hour, minute, hour_degrees, minute_degrees):
    # An odd size puts a pixel at the centre, so the rays run along pixel rows and columns.
    image = render_clock(hour, minute, dataclasses.replace(EASY, size=121))
    assert np.all(_ray(image, minute_degrees, 0.2, 0.7) < 90)  # the long hand
    assert np.all(_ray(image, hour_degrees, 0.2, 0.42) < 90)  # the short hand
    # Where neither hand is: a light dial (the ray stops short of the numerals).
    empty = (minute_degrees + hour_degrees) / 2 + 180 * (abs(minute_degrees - hour_degrees) < 180)
    assert np.all(_ray(image, empty, 0.2, 0.55) > 180)
    # The hour hand is shorter than the minute hand: light beyond its tip.
    if abs(hour_degrees - minute_degrees) > 30:
        assert np.all(_ray(image, hour_degrees, 0.6, 0.62) > 180)


def test_hand_angles():
    hour, minute = render.hand_angles(np.array([3, 11, 0]), np.array([0, 30, 59]))
    np.testing.assert_allclose(hour, [90, 345, 29.5])
    np.testing.assert_allclose(minute, [0, 180, 354])


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match="ClockStyle.tilt"):
        ClockStyle(tilt=75)
    with pytest.raises(ValueError, match="ClockStyle.size"):
        ClockStyle(size=4)
    with pytest.raises(ValueError, match="hour_hand_length"):
        ClockStyle(hour_hand_length=0.9, minute_hand_length=0.8)
    with pytest.raises(ValueError, match="unknown clock preset"):
        generate_clocks(1, "blurry")
    with pytest.raises(ValueError, match="minutes"):
        render_clocks([1], [60], EASY)
    with pytest.raises(ValueError, match="hours"):
        render_clocks([13], [0], EASY)
    assert np.array_equal(render_clock(12, 5, EASY), render_clock(0, 5, EASY))
    assert render_clocks([], [], EASY).shape == (0, SMALL, SMALL)


def test_cache_round_trip(dlnn_dirs):
    render.clear_memory_cache()
    images, labels = load_or_generate(10, COURSE, seed=4)
    path = render.cache_path(10, COURSE, 4)
    assert path.parent == dlnn_dirs / "clocks" and path.is_file()
    assert load_or_generate(10, COURSE, seed=4)[0] is images  # served from memory
    render.clear_memory_cache()
    from_file, file_labels = load_or_generate(10, COURSE, seed=4)
    assert from_file is not images
    np.testing.assert_array_equal(from_file, images)
    np.testing.assert_array_equal(file_labels, labels)
    fresh, fresh_labels = generate_clocks(10, COURSE, seed=4)
    np.testing.assert_array_equal(from_file, fresh)
    np.testing.assert_array_equal(file_labels, fresh_labels)
    assert not from_file.flags.writeable  # shared with the cache
    # Any field of the style, the seed or n names another set.
    assert render.cache_key(10, COURSE, 4) != render.cache_key(10, COURSE, 5)
    assert render.cache_key(10, COURSE, 4) != render.cache_key(11, COURSE, 4)
    assert render.cache_key(10, COURSE, 4) != render.cache_key(
        10, dataclasses.replace(COURSE, noise=1.0), 4
    )
    assert render.cache_key(10, "course-like", 0) == render.cache_key(10, PRESETS["course-like"], 0)
    render.clear_memory_cache()
