"""The generator playground: every realism control of `ClockStyle`, and sample clocks to see.

`style_controls` describes one control per `ClockStyle` field: a switch for the yes/no ones,
a choice for the named ones (numeral style, hand shape), otherwise a slider over the field's
allowed range (`render`'s limits; the image size over the sizes a run may use, the
`image_size` field's). `style_from_values` builds the style that the
controls hold and names what does not fit together; `sample_clocks` draws clocks at random
times with their times as captions. The dashboard's Generator tab only lays these out.

Example:
    >>> [control.name for control in style_controls()][:3]
    ['size', 'scale', 'scale_jitter']
    >>> images, captions = sample_clocks(PRESETS["easy"], 2, seed=0)
    >>> images.shape
    (2, 150, 150)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from dlnn import registry
from dlnn.clocks.drawing import format_time
from dlnn.clocks.render import (
    FONTS,
    HAND_SHAPES,
    NUMERAL_STYLES,
    PRESETS,
    ClockStyle,
    generate_clocks,
    style_limits,
)


@dataclass(frozen=True)
class StyleControl:
    """One `ClockStyle` field as a control: a switch (`kind` bool) or a slider."""

    name: str
    label: str
    kind: type  # bool, int, float, or str (a choice among `options`)
    low: float | None = None
    high: float | None = None
    options: tuple[str, ...] = ()


# The style fields that are a choice among names, and the names.
CHOICES = {"numeral_style": (*NUMERAL_STYLES, *FONTS), "hand_shape": HAND_SHAPES}


def style_controls() -> list[StyleControl]:
    """One control per `ClockStyle` field, in the dataclass's order."""
    size = registry.field_named("image_size")
    limits = style_limits()
    controls = []
    for field in dataclasses.fields(ClockStyle):
        label = field.name.replace("_", " ").capitalize()
        if isinstance(field.default, bool):
            controls.append(StyleControl(field.name, label, bool))
        elif field.name in CHOICES:
            controls.append(StyleControl(field.name, label, str, options=CHOICES[field.name]))
        elif field.name == "size":
            controls.append(StyleControl(field.name, f"{label} (px)", int, size.low, size.high))
        else:
            low, high = limits[field.name]
            kind = int if isinstance(field.default, int) else float
            controls.append(StyleControl(field.name, label, kind, kind(low), kind(high)))
    return controls


def style_from_values(values: dict[str, Any]) -> ClockStyle:
    """The style the controls hold; raises `ValueError` naming the field that does not fit."""
    return ClockStyle(**values)


def preset_values(preset: str) -> dict[str, Any]:
    """The control values of a preset (a fresh dict)."""
    return dataclasses.asdict(PRESETS[preset])


def sample_clocks(style: ClockStyle, count: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """`count` clocks at random times drawn with `seed`, and their times (`3:07`)."""
    images, labels = generate_clocks(count, style, seed)
    return images, [format_time(hour, minute) for hour, minute in labels]
