"""The generator playground: one control per ClockStyle field, styles from values, samples."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dlnn import registry
from dlnn.clocks import playground
from dlnn.clocks.render import PRESETS, ClockStyle, render_clocks, style_limits


def test_one_control_per_style_field_with_the_fields_range() -> None:
    controls = {control.name: control for control in playground.style_controls()}
    assert list(controls) == [field.name for field in dataclasses.fields(ClockStyle)]
    assert controls["numerals"].kind is bool and controls["ticks"].kind is bool
    size = registry.field_named("image_size")
    assert (controls["size"].kind, controls["size"].low, controls["size"].high) == (
        int, size.low, size.high)
    assert (controls["rotation_degrees"].low, controls["rotation_degrees"].high) == (0.0, 180.0)
    for name, (low, high) in style_limits().items():
        if name != "size":
            kind = int if name in ("makes", "make_seed") else float
            assert (controls[name].kind, controls[name].low, controls[name].high) == (
                kind, low, high)
    assert controls["hand_shape"].options == ("bar", "tapered", "arrow")
    assert {"segment", "roman", "mark", "dejavu-serif"} <= set(controls["numeral_style"].options)


def test_style_limits_is_a_copy() -> None:
    limits = style_limits()
    limits["blur"] = (0.0, 99.0)
    assert style_limits()["blur"] == (0.0, 4.0)


def test_style_from_values_names_what_does_not_fit() -> None:
    values = playground.preset_values("course-like")
    assert playground.style_from_values(values) == PRESETS["course-like"]
    values["hour_hand_length"] = 0.9  # longer than the minute hand (0.8)
    with pytest.raises(ValueError, match="hour_hand_length must be shorter"):
        playground.style_from_values(values)
    values["hour_hand_length"] = 0.5
    values["blur"] = 5.0
    with pytest.raises(ValueError, match=r"ClockStyle.blur must be in \[0.0, 4.0\]"):
        playground.style_from_values(values)


def test_preset_values_are_a_fresh_dict() -> None:
    values = playground.preset_values("easy")
    values["size"] = 32
    assert playground.preset_values("easy")["size"] == 150


def test_sample_clocks_show_the_times_in_their_captions() -> None:
    style = dataclasses.replace(PRESETS["easy"], size=32)
    images, captions = playground.sample_clocks(style, 5, seed=3)
    assert images.shape == (5, 32, 32) and images.dtype == np.uint8
    again, same = playground.sample_clocks(style, 5, seed=3)
    assert np.array_equal(images, again) and captions == same
    hours, minutes = zip(*(caption.split(":") for caption in captions), strict=True)
    redrawn = render_clocks([int(hour) % 12 for hour in hours], [int(m) for m in minutes],
                            style, 3)
    assert np.array_equal(redrawn, images)
