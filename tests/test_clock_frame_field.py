"""Framing generated clocks before the model sees them (`RunConfig.frame_clocks`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from dlnn.clocks import reproduce
from dlnn.clocks.datasets import (
    HELD_OUT_SEED,
    clock_make_ids,
    clock_split,
    framed_cache_path,
    held_out_clocks,
    load_clock_images,
    load_or_frame,
    makes_split,
    picture_style,
)
from dlnn.clocks.framing import CANONICAL_RADIUS, frame_clocks
from dlnn.clocks.render import (
    PRESETS,
    clock_placements,
    generate_clocks,
    load_or_generate,
    make_pool,
)
from dlnn.config import ConfigError, RunConfig

ANY = RunConfig(dataset="clocks-any-clock", model="clock-dial", clock_images=120,
                image_size=48, conv_blocks=2, batch_size=32)


def test_framing_changes_the_pictures_and_never_the_labels(dlnn_dirs: Path) -> None:
    plain, framed = ANY.validate(), ANY.replace(frame_clocks=True).validate()
    images, labels = load_clock_images(plain)
    framed_images, framed_labels = load_clock_images(framed)
    np.testing.assert_array_equal(framed_labels, labels)
    assert framed_images.shape == images.shape and framed_images.dtype == np.uint8
    changed = np.abs(framed_images.astype(int) - images).mean(axis=(1, 2)) > 2
    assert changed.mean() > 0.9  # any-clock clocks sit off centre: nearly every one moves
    np.testing.assert_array_equal(clock_make_ids(framed), clock_make_ids(plain))
    held, held_labels = held_out_clocks(plain)
    framed_held, framed_held_labels = held_out_clocks(framed)
    np.testing.assert_array_equal(framed_held_labels, held_labels)
    assert not np.array_equal(framed_held, held)


def _pictures(config: RunConfig, held_out: bool = False) -> np.ndarray:
    """The generated pictures a framed set is framed from: twice the image size."""
    style = picture_style(config)
    assert style.size == 2 * config.image_size
    train_makes, held_makes = makes_split(config)
    if held_out:
        return load_or_generate(12, style, config.seed + HELD_OUT_SEED, held_makes)[0]
    return load_or_generate(120, style, config.seed, train_makes)[0]


def test_the_framed_set_is_the_measured_framing_of_the_generated_one(dlnn_dirs: Path) -> None:
    config = ANY.replace(frame_clocks=True).validate()
    images, _ = load_clock_images(config)
    np.testing.assert_array_equal(images, frame_clocks(_pictures(config), 48)[0])
    # cached beside the generated set, with the frames found; read back the same
    train_makes = makes_split(config)[0]
    style = picture_style(config)
    path = framed_cache_path(120, style, config.seed, train_makes, 48)
    with np.load(path) as stored:
        np.testing.assert_array_equal(stored["images"], images)
        assert stored["frames"].shape == (120, 4)
    again, _ = load_or_frame(120, style, config.seed, train_makes, 48)
    np.testing.assert_array_equal(again, images)
    assert not again.flags.writeable


def test_held_out_makes_stay_held_out_when_framed(dlnn_dirs: Path) -> None:
    config = ANY.replace(frame_clocks=True).validate()
    train_makes, held_makes = makes_split(config)
    split = clock_split(config)
    plain = clock_split(config.replace(frame_clocks=False))
    np.testing.assert_array_equal(split.order, plain.order)
    ids = clock_make_ids(config)
    seen = set(ids[split.order[:len(split.train_images) + len(split.val_images)]].tolist())
    assert seen <= set(train_makes) and not seen & set(held_makes)
    framed = frame_clocks(_pictures(config), 48)[0]
    np.testing.assert_array_equal(split.train_images, framed[split.order[:len(split.train_images)]])
    held, _ = held_out_clocks(config)
    np.testing.assert_array_equal(held, frame_clocks(_pictures(config, held_out=True), 48)[0])


def _one_make(**changes: float) -> object:
    """One any-clock make, upright and flat, without glare or noise: a clock whose picture
    depends only on where it sits."""
    make = make_pool(PRESETS["any-clock"])[3]
    return dataclasses.replace(make, size=64, tilt=0, glare=0, noise=0, lighting=0,
                               rotation_degrees=0, mirror_probability=0, blur=0, **changes)


@pytest.mark.parametrize(("shift", "scale"), [(0.15, 0.34 * 0.67), (0.12, 0.34), (0.1, 0.3)])
def test_framed_moved_and_scaled_clocks_look_like_centred_ones(shift: float, scale: float
                                                               ) -> None:
    centred = _one_make(shift=0.0, scale=CANONICAL_RADIUS, scale_jitter=0.0)
    moved = _one_make(shift=shift, scale=scale, scale_jitter=0.0)
    reference, labels = generate_clocks(12, centred, seed=4)
    pictures, moved_labels = generate_clocks(12, moved, seed=4)  # same times, other places
    np.testing.assert_array_equal(moved_labels, labels)
    centres, _, _ = clock_placements(12, moved, seed=4)
    assert np.abs(centres - 31.5).max() > 0.5 * shift * 64  # they really are off centre
    framed, frames = frame_clocks(pictures)
    assert frames[:, 3].all()
    # compare what the dial reader reads: the dial, out to 90% of its radius
    yy, xx = np.mgrid[:64, :64]
    dial = np.hypot(xx - 31.5, yy - 31.5) < 0.9 * CANONICAL_RADIUS * 64
    framed_error = np.abs(framed.astype(float) - reference)[:, dial].mean(axis=1)
    moved_error = np.abs(pictures.astype(float) - reference)[:, dial].mean(axis=1)
    # measured: 14-26 grey levels framed (resampling blurs thin strokes), 51-135 as placed
    assert np.median(framed_error) < 25, framed_error
    assert np.all(framed_error < 0.5 * moved_error), (framed_error, moved_error)


def test_the_field_is_declared_off_by_default_and_on_for_our_any_clock_model() -> None:
    assert RunConfig().frame_clocks is False
    assert RunConfig(frame_clocks=True).key() != RunConfig().key()
    with pytest.raises(ConfigError) as error:
        ANY.replace(frame_clocks="yes").validate()
    assert error.value.field == "frame_clocks"
    configs = reproduce.task3_configs(quick=True, preset="any-clock")
    assert configs["best"].frame_clocks and not configs["baseline"].frame_clocks
    assert not reproduce.class_setting().frame_clocks  # course-like clocks sit centred
    assert reproduce.class_setting("any-clock").frame_clocks


def test_framed_sets_do_not_regenerate_the_clocks_once_cached(dlnn_dirs: Path,
                                                               monkeypatch) -> None:
    config = ANY.replace(frame_clocks=True).validate()
    first, _ = load_clock_images(config)
    from dlnn.clocks import datasets

    def refuse(*args: object) -> None:
        raise AssertionError("framed again")

    monkeypatch.setattr(datasets, "frame_clocks", refuse)
    again, _ = load_clock_images(config)
    np.testing.assert_array_equal(again, first)


def test_the_data_budget_counts_the_larger_pictures_of_a_framed_set() -> None:
    # 60,000 clocks of 128 px fit the lab's 2 GiB; drawn at 256 px to be framed, they do not
    config = ANY.replace(clock_images=60000, image_size=128)
    config.validate()
    with pytest.raises(ConfigError) as error:
        config.replace(frame_clocks=True).validate()
    assert error.value.field == "clock_images" and "256x256" in str(error.value)


def test_clock_placements_are_the_generators_own() -> None:
    style = dataclasses.replace(PRESETS["any-clock"], size=80, scale_jitter=0.0, tilt=40)
    centres, radii, tilts = clock_placements(50, style, seed=2)
    np.testing.assert_allclose(radii, 0.34 * 80)  # the dial radius, whatever the tilt
    assert np.all(np.abs(centres - 39.5) <= 0.15 * 80 + 1e-9)
    assert tilts.min() >= 0 and tilts.max() <= 40 and tilts.std() > 5
    # on an upright, flat clock the rim's centre is the dial's: the finder finds it there
    flat = dataclasses.replace(style, tilt=0, rotation_degrees=0, mirror_probability=0)
    (x, y), = clock_placements(1, flat, seed=2)[0]
    picture = generate_clocks(1, flat, seed=2)[0][0]
    assert frame_clocks(picture[np.newaxis])[1][0, :2] == pytest.approx((x, y), abs=1.5)
