"""The Generator tab: every realism control of the clock generator, sample clocks, a set time.

The controls and their ranges come from `dlnn.clocks.playground`; the data sets
`clocks-<preset>` use the presets at the run's image size.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from dlnn import figures, registry
from dlnn.clocks import drawing, playground
from dlnn.clocks.render import PRESETS, ClockStyle, fonts_used, render_clock

SAMPLE_COUNT = 12  # clocks in the sample grid
SAMPLE_COLUMNS = 6


@st.cache_data(show_spinner=False, max_entries=16)
def samples(style: ClockStyle, count: int, seed: int) -> tuple[np.ndarray, list[str]]:
    """`playground.sample_clocks`, kept while the controls stay the same."""
    return playground.sample_clocks(style, count, seed)


def style_controls() -> ClockStyle | None:
    """A preset, then every `ClockStyle` control at the preset's values; None if they clash."""
    presets = list(PRESETS)
    preset = st.selectbox("Start from preset", presets, index=presets.index("course-like"),
                          key="clock.gen.preset",
                          help="any-clock: a different make of clock in every picture.")
    start = playground.preset_values(preset)
    controls = playground.style_controls()
    switches = [control for control in controls if control.kind is bool]
    choices = [control for control in controls if control.kind is str]
    sliders = [control for control in controls if control.kind not in (bool, str)]
    values = {}
    for cell, control in zip(st.columns(4), [*switches, *choices], strict=False):
        key = f"clock.gen.{preset}.{control.name}"
        if control.kind is bool:
            values[control.name] = cell.toggle(control.label, value=start[control.name], key=key)
        else:
            values[control.name] = cell.selectbox(
                control.label, control.options, index=control.options.index(start[control.name]),
                key=key)
    columns = st.columns(4)
    for index, control in enumerate(sliders):
        cast = control.kind
        values[control.name] = columns[index % 4].slider(
            control.label, cast(control.low), cast(control.high), cast(start[control.name]),
            key=f"clock.gen.{preset}.{control.name}")
    try:
        return playground.style_from_values(values)
    except ValueError as error:
        st.error(str(error), icon=":material/error:")
        return None


def render() -> None:
    """The Generator tab."""
    st.markdown("Every control below is a `ClockStyle` field; the data sets `clocks-<preset>` "
                "use the presets at the run's image size.")
    style = style_controls()
    if style is None:
        return
    seed_field = registry.field_named("seed")
    seed = int(st.number_input("Seed", int(seed_field.low), int(seed_field.high), 0,
                               key="clock.gen.seed", help="Seed of the times and poses drawn."))
    if style.makes:
        st.caption(f"Every picture takes one of {style.makes} makes of clock drawn from the "
                   "make seed; the controls of the dial, numerals and hands above are "
                   "replaced by each make's own.")
    missing = [name for name, used in fonts_used(style).items() if used != name]
    if missing:
        st.warning(f"Fonts missing on this machine, drawn with Pillow's own font instead: "
                   f"{', '.join(missing)}.", icon=":material/font_download_off:")
    images, captions = samples(style, SAMPLE_COUNT, seed)
    st.plotly_chart(figures.image_grid(images, captions, columns=SAMPLE_COLUMNS),
                    width="stretch", key="clock_samples")
    st.markdown("**Set the time**")
    left, right = st.columns([1, 2])
    hour = left.slider("Hour", 0, 11, 10, key="clock.gen.hour")
    minute = left.slider("Minute", 0, 59, 9, key="clock.gen.minute")
    with right:
        st.image(render_clock(hour, minute, style, seed),
                 caption=f"{drawing.format_time(hour, minute)} ({style.size}x{style.size})",
                 width=260)
