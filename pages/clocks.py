"""Clock lab (Task 3): generate clocks, train a clock reader, see it read the time.

The entry page: the title, the tabs and one `render()` per tab from `pages/clock_tabs/`.
Training and reading a photo run in worker processes; this page never imports TensorFlow.
"""

from __future__ import annotations

import streamlit as st

from pages import require_shell

require_shell()

from dlnn import runner  # noqa: E402  (after the shell check, see pages/__init__.py)
from pages.clock_tabs import (  # noqa: E402
    course,
    generator,
    measured,
    photo,
    report_figures,
    results,
    state,
    train,
)

TABS = {
    "Generator": generator.render,
    "Train": train.render,
    "Results": results.render,
    "Figures 6 & 7": report_figures.render,
    "Your photo": photo.render,
    "Course data": course.render,
    "Measured": measured.render,
}


def main() -> None:
    runner.keep_worker_ready()  # a warm worker makes Start begin training at once
    ignored = state.load_state()
    st.title("Clock lab")
    if ignored:
        st.warning(f"Ignored from the link: {ignored}.", icon=":material/link_off:")
    st.caption("Task 3: read the time from an analog clock. The number that matters is the "
               "common-sense error (CSE): minutes between the true and the read time the "
               "short way round the dial (chance: 180).")
    for tab, render in zip(st.tabs(list(TABS)), TABS.values(), strict=True):
        with tab:
            render()


main()
