"""The Your photo tab: a stored clock model reads the time from an uploaded photo.

The tab says which model reads it and what that model learned from; the photo is checked,
decoded, framed round the clock it shows and shown as the model sees it
(`dlnn.clocks.photo.read_clock_photo`), and a worker process reads the time
(`dlnn.clocks.photo_time`: the warm standby, which keeps the models it loaded, or a new
process; the dashboard never loads TensorFlow). A dial reader's answer says where the clock's
12 points and whether it is mirrored: the read hands are drawn over the clock's own.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from dlnn.clocks import drawing, results
from dlnn.clocks.framing import ClockFrame, frame_clock
from dlnn.clocks.lab import picture_size
from dlnn.clocks.photo import read_clock_photo, read_photo_picture
from dlnn.clocks.photo_time import answer_pose, read_photo_time
from pages import components


@st.cache_data(show_spinner=False, max_entries=8)
def reading(run_id: str, clock: np.ndarray) -> dict:
    """The worker's reading of a decoded clock, kept so that a rerun does not ask again."""
    return read_photo_time(components.run_store().get(run_id), clock)


def render() -> None:
    """The Your photo tab."""
    finished = {run.run_id: run for run in results.photo_models(components.run_store())}
    if not finished:
        st.info("Train a clock model first (Train tab).", icon=":material/info:")
        return
    run_id = st.selectbox("Model (trained on many makes of clock first, then the best)",
                          list(finished), key="clock.photo_run",
                          format_func=lambda run_id: results.run_choice(finished[run_id]))
    run = finished[run_id]
    st.markdown(f"**Reads with** {results.describe_model(run)}")
    if not any(results.reads_many_makes(other) for other in finished.values()):
        st.caption("A photo is a clock of another make than the generated ones. A model "
                   "trained on clocks of many makes reads those better: the Train tab's "
                   "*Any clock* setting, or `python -m dlnn reproduce task3 --preset any-clock "
                   "--quick`; it is offered here once it has finished.")
    upload = st.file_uploader(
        "A clock photo (PNG or JPEG)", type=["png", "jpg", "jpeg"], key="clock.photo",
        help="The clock is found in the photo (its round rim) and the photo cropped round it, "
             "so that it sits centred and as large as the models learnt it. A photo without "
             "a clear rim is read as its central square: crop it round the clock then.")
    if upload is None:
        return
    size = run.config.image_size
    try:
        if run.config.learned_framing:  # the worker's locator finds the clock in the photo
            picture = read_photo_picture(upload, picture_size(run.config))
            with st.spinner("Finding the clock and reading the time in a worker process..."):
                answer = reading(run.run_id, picture)
            clock = frame_clock(picture, size, ClockFrame(*answer["frame"]))
        else:
            clock = read_clock_photo(upload, size)
            with st.spinner("Reading the time in a worker process..."):
                answer = reading(run.run_id, clock)
    except ValueError as error:  # read_clock_photo's and the worker's one line
        st.error(str(error), icon=":material/error:")
        return
    pose = answer_pose(answer)
    placed = ("hands drawn where the model sees the 12" + (", mirrored" if pose.mirrored else "")
              if pose else "hands drawn upright")
    found = "found by the model's learned locator" if "frame" in answer else "its rim measured"
    st.image(drawing.draw_hands(clock, answer["hour"], answer["minute"], pose), width=300,
             caption=f"read: {answer['time']} (grey {size}x{size}, framed round the clock as "
                     f"the model sees it, {found}; {placed})")
