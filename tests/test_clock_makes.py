"""Makes of clock (dlnn/clocks/render.py): every make control, the pool, the held-out split."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from dlnn.clocks import render
from dlnn.clocks.course import split_course_data
from dlnn.clocks.datasets import (
    HELD_OUT_SEED,
    clock_make_ids,
    clock_split,
    held_out_clocks,
    load_clock_images,
    makes_split,
)
from dlnn.clocks.lab import TEST_FRACTION
from dlnn.clocks.render import (
    FALLBACK_FONT,
    PRESETS,
    ClockStyle,
    generate_clocks,
    make_ids,
    make_pool,
    split_makes,
)
from dlnn.config import RunConfig

BASE = ClockStyle(size=48, tilt=10, shift=0.02, rotation_degrees=30)
ANY = dataclasses.replace(PRESETS["any-clock"], size=40)

# Each make control, and a value that must show in the picture.
CONTROLS = [
    {"numeral_style": "roman"},
    {"numeral_style": "mark"},
    {"numeral_style": "dejavu-serif"},
    {"numeral_style": "liberation-sans"},
    {"hand_shape": "bar"},
    {"hand_shape": "arrow"},
    {"hand_tail": 0.4},
    {"face_grey": 40.0, "ink_grey": 230.0, "hand_grey": 245.0},  # a dark face, light hands
    {"rim_grey": 200.0},
    {"bezel": 0.22},
    {"bezel_depth": 1.0},
    {"shadow": 1.0},
    {"second_hand": 1.0},
    {"shift": 0.15},
    {"scale_jitter": 0.33},
    {"tilt": 50.0},
    {"makes": 6},
]


@pytest.mark.parametrize("change", CONTROLS, ids=lambda change: ",".join(change))
def test_each_make_control_changes_the_image_and_never_the_label(change: dict) -> None:
    plain, plain_labels = generate_clocks(6, BASE, seed=2)
    changed, changed_labels = generate_clocks(6, dataclasses.replace(BASE, **change), seed=2)
    np.testing.assert_array_equal(changed_labels, plain_labels)
    differing = (np.abs(changed.astype(int) - plain.astype(int)) > 8).mean(axis=(1, 2))
    assert (differing > 0.002).all(), differing  # every image shows it


def test_the_defaults_draw_the_clocks_of_render_version_1() -> None:
    # The make controls' defaults are the one course-like face: its sets stay valid.
    images, _ = generate_clocks(4, dataclasses.replace(PRESETS["course-like"], size=48), seed=3)
    assert render.RENDER_VERSION == 1
    assert hashlib.sha256(images.tobytes()).hexdigest()[:16] == "a0e8e26c69a14203"


def test_unknown_names_are_refused_with_the_field() -> None:
    with pytest.raises(ValueError, match="numeral_style"):
        ClockStyle(numeral_style="comic-sans")
    with pytest.raises(ValueError, match="hand_shape"):
        ClockStyle(hand_shape="sword")
    with pytest.raises(ValueError, match=r"ClockStyle.bezel must be in"):
        ClockStyle(bezel=0.5)


def test_the_pool_is_seeded_and_its_makes_differ() -> None:
    pool = make_pool(ANY)
    assert len(pool) == ANY.makes == 48
    assert make_pool(dataclasses.replace(ANY, size=41))[5].numeral_style == pool[5].numeral_style
    assert len({(make.numeral_style, make.hand_shape, round(make.face_grey)) for make in pool}) > 40
    assert {make.numeral_style for make in pool} >= {"segment", "roman", "mark"}
    assert {make.hand_shape for make in pool} == set(render.HAND_SHAPES)
    assert any(make.face_grey < 100 < make.hand_grey for make in pool)  # dark faces
    other = make_pool(dataclasses.replace(ANY, make_seed=1))
    assert [make.numeral_style for make in other] != [make.numeral_style for make in pool]


def test_make_ids_come_from_the_allowed_makes_and_each_make_is_its_dial() -> None:
    ids = make_ids(200, ANY, seed=4, makes=(3, 7))
    assert set(ids) == {3, 7}
    images, labels = generate_clocks(200, ANY, seed=4, makes=(3, 7))
    # The same picture drawn as a style of that one make (same seed, same draws) is identical.
    one = render.render_clocks(labels[:, 0], labels[:, 1], make_pool(ANY)[3], seed=4)
    np.testing.assert_array_equal(images[ids == 3], one[ids == 3])
    with pytest.raises(ValueError, match="ids 0-47"):
        make_ids(3, ANY, 0, makes=(48,))
    with pytest.raises(ValueError, match="ClockStyle.makes is 0"):
        make_ids(3, BASE, 0, makes=(1,))


def test_split_makes_is_seeded_and_disjoint() -> None:
    train, held = split_makes(ANY, seed=0)
    assert len(held) == round(render.HELD_OUT_FRACTION * 48) and not set(train) & set(held)
    assert sorted(train + held) == list(range(48))
    assert split_makes(ANY, seed=0) == (train, held)
    assert split_makes(ANY, seed=1) != (train, held)
    with pytest.raises(ValueError, match="at least 2"):
        split_makes(BASE)


def test_a_held_out_make_never_appears_in_training() -> None:
    config = RunConfig(dataset="clocks-any-clock", model="clock-dial", clock_images=300,
                       image_size=32, conv_blocks=2).validate()
    train_makes, held_makes = makes_split(config)
    ids = clock_make_ids(config)
    images, labels = load_clock_images(config)
    split = clock_split(config)
    order = split_course_data(images, labels, config.seed,
                              (0.8, config.validation_fraction, TEST_FRACTION)).order
    np.testing.assert_array_equal(split.order, order)
    seen = set(ids[split.order[:len(split.train_images) + len(split.val_images)]].tolist())
    assert seen <= set(train_makes) and not seen & set(held_makes)
    held_images, held_labels = held_out_clocks(config)
    assert len(held_images) == len(held_labels) == 30
    # The held-out set is drawn only from the held-out makes.
    style = dataclasses.replace(PRESETS["any-clock"], size=32)
    held_ids = make_ids(30, style, config.seed + HELD_OUT_SEED, held_makes)
    assert set(held_ids.tolist()) <= set(held_makes)
    assert held_out_clocks(config.replace(dataset="clocks-course-like")) is None


def test_a_missing_font_falls_back_to_pillows_own_and_says_so(monkeypatch) -> None:
    style = dataclasses.replace(BASE, numeral_style="dejavu-serif")
    if render.font_used("dejavu-serif") == FALLBACK_FONT:
        pytest.skip("DejaVu fonts not installed here (apt-get install fonts-dejavu-core)")
    key = render.cache_key(5, style, 0)
    assert render.fonts_used(style) == {"dejavu-serif": "dejavu-serif"}
    monkeypatch.setitem(render.FONTS, "dejavu-serif", "no-such-font-file.ttf")
    render._font_file.cache_clear()
    try:
        assert render.fonts_used(style) == {"dejavu-serif": FALLBACK_FONT}
        assert render.cache_key(5, style, 0) != key  # never mixed with the real font's set
        images, _ = generate_clocks(3, style, seed=0)
        again, _ = generate_clocks(3, style, seed=0)
        np.testing.assert_array_equal(images, again)  # the fallback is deterministic
    finally:
        render._font_file.cache_clear()
