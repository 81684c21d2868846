"""The learned clock locator (`dlnn.clocks.locator`) and `RunConfig.learned_framing`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dlnn.clocks import locator, reproduce
from dlnn.clocks.datasets import (
    clock_make_ids,
    held_out_clocks,
    load_clock_images,
    locator_result,
    makes_split,
    picture_style,
    run_locator,
)
from dlnn.clocks.render import load_or_generate, make_ids
from dlnn.config import ConfigError, RunConfig

ANY = RunConfig(dataset="clocks-any-clock", model="clock-dial", clock_images=120,
                image_size=32, conv_blocks=2, batch_size=32, frame_clocks=True)


def test_frames_round_trip_through_what_the_locator_learns() -> None:
    centres = np.array([[10.0, 50.0], [63.5, 63.5], [100.0, 20.0]])
    radii = np.array([20.0, 40.0, 33.0])
    targets = locator.frame_targets(centres, radii, 128)
    assert np.all(np.abs(targets[:, :2]) <= locator.SCALE / 2)
    assert targets[1, 0] == pytest.approx(0.0) and targets[1, 1] == pytest.approx(0.0)
    frames = locator.target_frames(targets, 128)
    np.testing.assert_allclose(frames[:, :2], centres, atol=1e-4)
    np.testing.assert_allclose(frames[:, 2], radii, rtol=1e-5)
    np.testing.assert_array_equal(frames[:, 3], 1.0)


def test_flipped_and_transposed_batches_move_their_frames_with_the_picture() -> None:
    """A picture with one bright pixel at its frame's centre keeps the pixel at the frame's
    centre however the batch was flipped or transposed."""
    rng = np.random.default_rng(0)
    side = locator.INPUT
    points = rng.integers(2, side - 2, size=(64, 2))
    pictures = np.zeros((64, side, side, 1), np.float32)
    pictures[np.arange(64), points[:, 1], points[:, 0], 0] = 1.0
    targets = locator.frame_targets(points.astype(float), np.full(64, 9.0), side)
    batches = locator._dihedral_batches(pictures, targets, 16, seed=3)
    seen_changes = 0
    for _epoch in range(3):
        for index in range(len(batches)):
            x, y = batches[index]
            frames = locator.target_frames(y, side)
            rows, columns = np.nonzero(x[..., 0])[1:]
            np.testing.assert_allclose(frames[:, 0], columns, atol=1e-3)
            np.testing.assert_allclose(frames[:, 1], rows, atol=1e-3)
            np.testing.assert_allclose(frames[:, 2], 9.0, rtol=1e-5)
            chosen = batches.order[index * 16:(index + 1) * 16]
            seen_changes += not np.allclose(frames[:, :2], points[chosen])
        batches.on_epoch_end()
    assert seen_changes > 0  # some batches were flipped or transposed


def test_learned_framing_is_validated_and_off_by_default() -> None:
    assert RunConfig().learned_framing is False
    assert RunConfig(learned_framing=True, frame_clocks=True).key() != RunConfig(
        frame_clocks=True).key()
    with pytest.raises(ConfigError) as error:
        ANY.replace(frame_clocks=False, learned_framing=True).validate()
    assert error.value.field == "learned_framing"
    assert "frame_clocks" in str(error.value)
    with pytest.raises(ConfigError) as error:
        RunConfig(dataset="clocks-course", model="clock-dial", data_path="/tmp",
                  frame_clocks=True, learned_framing=True).validate()
    assert error.value.field == "learned_framing"
    configs = reproduce.task3_configs(quick=True, preset="any-clock")
    assert configs["best"].learned_framing and configs["best"].frame_clocks
    assert not configs["baseline"].learned_framing
    assert not reproduce.task3_configs(quick=True)["best"].learned_framing  # course-like


def test_a_run_frames_its_clocks_where_its_locator_finds_them(dlnn_dirs: Path) -> None:
    config = ANY.replace(learned_framing=True).validate()
    images, labels = load_clock_images(config)
    measured_images, measured_labels = load_clock_images(config.replace(learned_framing=False))
    np.testing.assert_array_equal(labels, measured_labels)  # framing never changes a label
    assert images.shape == (120, 32, 32) and images.dtype == np.uint8
    assert not np.array_equal(images, measured_images)
    held, _ = held_out_clocks(config)
    assert held.shape == (12, 32, 32)

    trained = run_locator(config)
    style = picture_style(config)
    train_makes, held_makes = makes_split(config)
    # The locator's own pictures: other pictures (another seed) of the training makes only.
    seed = config.seed + locator.LOCATOR_SEED
    own, _ = load_or_generate(120, style, seed, train_makes)
    run_pictures, _ = load_or_generate(120, style, config.seed, train_makes)
    assert not np.array_equal(own, run_pictures)
    assert set(make_ids(120, style, seed, train_makes)) <= set(train_makes)
    assert not set(make_ids(120, style, seed, train_makes)) & set(held_makes)
    assert set(clock_make_ids(config)) <= set(train_makes)
    assert locator.locator_path(style, train_makes, config.seed, 120).exists()

    result = locator_result(config)
    assert result["images"] == 120 and result["epochs"] == locator.LOCATOR_EPOCHS
    assert result["fit_seconds"] > 0
    for name in ("run_set", "held_out", "validation"):
        errors = result[name]
        assert 0 <= errors["centre_error_median"] <= errors["centre_error_p90"]
        assert 0 < errors["radius_ratio_p5"] <= errors["radius_ratio_p95"]
        assert 0 <= errors["missed"] <= 1
    # A second process finds the trained locator in the cache and frames the same way.
    from dlnn.clocks import datasets

    datasets._LOCATORS.clear()
    again = run_locator(config)
    probe = run_pictures[:8]
    np.testing.assert_allclose(again.locate(probe), trained.locate(probe), atol=1e-4)
    assert again.report == trained.report


def test_locate_clocks_checks_its_pictures() -> None:
    with pytest.raises(ValueError, match="square grey pictures"):
        locator.locate_clocks(None, np.zeros((2, 10, 12), np.uint8))


def test_a_damaged_locator_is_trained_again_and_named_when_reading(dlnn_dirs: Path) -> None:
    from dlnn.clocks import datasets

    config = ANY.replace(clock_images=40, learned_framing=True).validate()
    path = locator.locator_path(*datasets._locator_spec(config))
    datasets._LOCATORS.clear()
    run_locator(config)
    path.write_bytes(b"not a keras file")
    with pytest.raises(ValueError, match="learned locator .* is missing or damaged"):
        datasets.stored_locator(config)
    datasets._LOCATORS.clear()
    again = run_locator(config)  # trains again and replaces the damaged file
    assert again.report["images"] == 40
    assert datasets.stored_locator(config).report == again.report


def test_the_second_look_maps_frames_into_its_crops_and_back() -> None:
    from dlnn.clocks.framing import CANONICAL_RADIUS

    frames = np.array([[40.0, 70.5, 30.0], [64.0, 60.0, 45.5], [90.2, 33.3, 21.0]])
    size = locator.INPUT
    seen = locator.to_crop(frames, frames, size)
    # Cropped at its own frame, a clock sits centred, as large as the models read it (up to
    # the whole pixels `frame_clock` cuts at).
    np.testing.assert_allclose(seen[:, :2], (size - 1) / 2, atol=1.5)
    np.testing.assert_allclose(seen[:, 2], CANONICAL_RADIUS * size, rtol=0.03)
    moved = frames + np.array([3.0, -2.0, 4.0])
    np.testing.assert_allclose(locator.from_crop(locator.to_crop(frames, moved, size), moved,
                                                 size), frames, atol=1e-9)
