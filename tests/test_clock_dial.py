"""The dial reader: unrolling, wrap-around convolutions, the readout's geometry, targets."""

from __future__ import annotations

import numpy as np
import pytest

from dlnn.clocks.dial import (
    DIAL_BINS,
    average_outputs,
    decode_dial,
    dial_views,
    encode_dial,
    read_angle,
    register_layers,
)
from dlnn.clocks.metrics import minutes_to_time
from dlnn.clocks.models import ClockOptions, build_clock_model, compile_clock_model
from dlnn.clocks.render import ClockStyle, render_clocks

keras = pytest.importorskip("keras")
LAYERS = register_layers()


def _numpy(tensor):
    return keras.ops.convert_to_numpy(tensor)


def _darkest(polar: np.ndarray) -> tuple[int, int]:
    radius, angle = np.unravel_index(np.argmin(polar[0, :, :, 0]), polar.shape[1:3])
    return int(radius), int(angle)


def test_polar_sampling_puts_angles_clockwise_from_the_top() -> None:
    sampler = LAYERS["PolarSampling"](radii=32, angles=192)
    top, right = np.ones((2, 1, 96, 96, 1), np.float32)
    top[0, 4:8, 46:50] = 0  # near the top edge: angle 0, outer radius
    right[0, 46:50, 86:90] = 0  # near the right edge: a quarter turn clockwise
    top_radius, top_angle = _darkest(_numpy(sampler(top)))
    right_radius, right_angle = _darkest(_numpy(sampler(right)))
    assert top_angle in (0, 191) and right_angle in (47, 48)
    assert top_radius >= 26 and right_radius >= 26


def test_rotating_the_image_shifts_the_unrolled_dial() -> None:
    sampler = LAYERS["PolarSampling"](radii=16, angles=96)
    image = render_clocks(np.array([2]), np.array([10]), "easy", seed=0)[0]
    upright = _numpy(sampler(image[None, :, :, None].astype(np.float32)))[0, :, :, 0]
    turned = np.rot90(image, k=-1)  # a quarter turn clockwise
    rotated = _numpy(sampler(turned[None, :, :, None].astype(np.float32)))[0, :, :, 0]
    # columns move on by a quarter of the circle; sampling differs only at pixel level
    assert np.abs(np.roll(upright, 24, axis=1) - rotated).mean() < 2.0
    assert np.abs(upright - rotated).mean() > 10.0


def test_circular_pad_wraps_the_angle_axis_and_zero_pads_the_radius() -> None:
    x = np.arange(2 * 4, dtype=np.float32).reshape(1, 2, 4, 1)
    padded = _numpy(LAYERS["CircularPad"](1)(x))[0, :, :, 0]
    assert padded.shape == (4, 6)
    assert np.array_equal(padded[1], [3, 0, 1, 2, 3, 0]) and not padded[0].any()
    one_d = _numpy(LAYERS["CircularPad"](2)(np.arange(5, dtype=np.float32).reshape(1, 5, 1)))
    assert np.array_equal(one_d[0, :, 0], [3, 4, 0, 1, 2, 3, 4, 0, 1])


def test_turn_and_flip_turns_and_mirrors_whole_dials_in_training_only() -> None:
    angles = 8
    x = np.tile(np.arange(angles, dtype=np.float32)[None, None, :, None], (64, 2, 1, 3))
    layer = LAYERS["TurnAndFlip"](seed=1)
    assert np.array_equal(_numpy(layer(x)), x)
    out = _numpy(layer(x, training=True))
    assert np.array_equal(out[:, 0], out[:, 1]) and np.array_equal(out[..., 0], out[..., 2])
    rows = out[:, 0, :, 0]
    steps = np.mod(np.diff(rows, axis=1), angles)  # +1 turned only, -1 (7) mirrored
    assert np.all((steps == 1).all(axis=1) | (steps == angles - 1).all(axis=1))
    assert 0 < (steps[:, 0] == 1).sum() < len(rows) and len(set(rows[:, 0])) > 4


def _maps(twelve: int, hour: int, minute: int) -> np.ndarray:
    logits = np.full((1, DIAL_BINS, 3), -30.0, np.float32)
    for channel, position in enumerate((twelve, hour, minute)):
        logits[0, position % DIAL_BINS, channel] = 30.0
    return logits


@pytest.mark.parametrize(("mirrored", "expected"), [(False, (90, 0, 270)), (True, (270, 0, 90))])
def test_readout_measures_the_hands_from_the_twelve(mirrored: bool, expected: tuple) -> None:
    # 12 at bin 10, hour hand a quarter turn on (clockwise in the image), minute hand on the 12
    logits = _maps(10, 10 + DIAL_BINS // 4, 10)
    mirror = np.array([[30.0 if mirrored else -30.0]], np.float32)
    outputs = LAYERS["DialReadout"]()([logits, mirror])
    angles = tuple(float(read_angle(_numpy(output))[0]) for output in outputs)
    assert angles == pytest.approx(expected, abs=1e-3)
    assert all(np.isclose(_numpy(output).sum(), 1.0) for output in outputs)


def test_targets_are_bumps_at_the_hands_angles_and_decode_exactly() -> None:
    labels = np.array([[0, 0], [11, 59], [3, 58], [4, 2], [6, 30], [9, 45], [5, 59], [0, 1]])
    targets = encode_dial(labels)
    assert {name: value.shape for name, value in targets.items()} == {
        name: (len(labels), DIAL_BINS) for name in ("hour_hand", "minute_hand", "hand_gap")}
    assert np.allclose(targets["minute_hand"].sum(axis=1), 1.0)
    assert read_angle(targets["minute_hand"]) == pytest.approx(6.0 * labels[:, 1], abs=0.05)
    hour, minute = minutes_to_time(decode_dial(targets))
    assert np.array_equal(np.stack([hour, minute], axis=1), labels)


def test_read_angle_falls_between_bins_and_wraps() -> None:
    distribution = np.zeros((2, DIAL_BINS))
    distribution[0, [0, 1]] = 0.5  # halfway between bins 0 and 1
    distribution[1, [DIAL_BINS - 1, 0]] = 0.5  # halfway across 0 degrees
    step = 360.0 / DIAL_BINS
    assert read_angle(distribution) == pytest.approx([step / 2, 360.0 - step / 2])


def test_dial_model_learns_the_hands_gap_on_easy_clocks(tmp_path) -> None:
    # a few hundred upright clocks: the hand gap needs no numerals and drops in a few epochs
    rng = np.random.default_rng(0)
    labels = np.stack([rng.integers(0, 12, 256), rng.integers(0, 60, 256)], axis=1)
    images = render_clocks(labels[:, 0], labels[:, 1], ClockStyle(size=48), seed=0)
    x = (images.astype(np.float32) / 255.0)[..., None]
    options = ClockOptions((48, 48, 1), conv_blocks=2, first_filters=8, dense_units=64,
                           batch_norm=True)
    model = compile_clock_model(build_clock_model("clock-dial", options), "clock-dial",
                                keras.optimizers.Adam(3e-3))
    keras.utils.set_random_seed(0)
    history = model.fit(x, encode_dial(labels), batch_size=32, epochs=12, verbose=0)
    gap_loss = history.history["hand_gap_loss"]
    assert gap_loss[-1] < gap_loss[0] - 0.5  # chance is log(96) = 4.56
    path = tmp_path / "dial.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    assert np.allclose(_numpy(again(x[:4])["hand_gap"]), _numpy(model(x[:4])["hand_gap"]),
                       atol=1e-5)


def test_dial_views_are_the_picture_and_its_mirror_image() -> None:
    image = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    views = dial_views(image)
    assert len(views) == 2 and np.array_equal(views[0], image)
    assert np.array_equal(views[1], image[:, :, ::-1])
    averaged = average_outputs([{"minute_hand": np.eye(2)[[0]]}, {"minute_hand": np.eye(2)[[1]]}])
    assert np.array_equal(averaged["minute_hand"], [[0.5, 0.5]])


def test_dial_reader_is_equivariant_to_quarter_turns() -> None:
    # a quarter turn of the picture shifts every map by a quarter of the dial, and the readout
    # measures angles between maps, so the outputs do not change at all
    keras.utils.set_random_seed(3)
    options = ClockOptions((48, 48, 1), conv_blocks=2, first_filters=4, dense_units=32)
    model = build_clock_model("clock-dial", options)
    maps = keras.Model(model.inputs, model.get_layer("maps").output)
    image = render_clocks(np.array([4]), np.array([20]), ClockStyle(size=48), seed=0)
    x = (image.astype(np.float32) / 255.0)[..., None]
    turned = np.rot90(x, -1, axes=(1, 2)).copy()  # a quarter turn clockwise
    upright_maps, turned_maps = maps.predict(x, verbose=0), maps.predict(turned, verbose=0)
    assert upright_maps.std() > 1e-3  # maps that vary along the dial
    assert np.abs(np.roll(upright_maps, DIAL_BINS // 4, axis=1) - turned_maps).max() < 1e-4
    upright, again = model.predict(x, verbose=0), model.predict(turned, verbose=0)
    for name in ("hour_hand", "minute_hand", "hand_gap"):
        assert np.abs(upright[name] - again[name]).max() < 1e-6
