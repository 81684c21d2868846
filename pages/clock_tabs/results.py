"""The Results tab: a finished clock run's test numbers, curves and test clocks.

The session's run is shown first, any other finished clock run can be picked (best first).
The common-sense error and the hour accuracy lead; the other numbers and every training curve
are in expanders. Below: test clocks with the predicted hands drawn on, the clocks read wrong
(or a line saying there are none), the error histogram and the error against the true time.
A dial reader's hands are drawn in each picture's frame (the warm standby worker says where
each clock's 12 points and whether it is mirrored); other models' hands are drawn upright.
"""

from __future__ import annotations

import json

import numpy as np
import streamlit as st

from dlnn import figures
from dlnn.clocks import drawing, results
from dlnn.clocks.course import CourseDataError
from dlnn.clocks.datasets import clock_split
from dlnn.clocks.photo_time import read_picture_poses
from dlnn.config import RunConfig
from dlnn.runs import Run
from pages import components
from pages.clock_tabs import state
from pages.clock_tabs.run_views import render_curves, render_tiles

GRID_COUNT = 18  # test clocks shown with their predicted hands
WORST_COUNT = 6  # clocks read wrong shown, the largest error first


@st.cache_data(show_spinner="Loading the test clocks...", max_entries=4)
def test_clocks(config_json: str) -> tuple[np.ndarray, np.ndarray]:
    """The test images (uint8) and labels of a stored run's configuration."""
    split = clock_split(RunConfig.from_dict(json.loads(config_json)))
    return split.test_images, split.test_labels


def pick_run() -> Run | None:
    """The session's finished run, or another finished clock run picked from a list."""
    finished = results.finished_clock_runs(components.run_store())
    current = state.current_run()
    runs = {run.run_id: run for run in finished}
    order = list(runs)
    if current is not None and current.status == "finished":
        runs[current.run_id] = current
        order = [current.run_id, *(run_id for run_id in order if run_id != current.run_id)]
        if st.session_state.get(state.RESULT_FOR) != current.run_id:
            st.session_state[state.RESULT_FOR] = current.run_id  # a new result: show it
            st.session_state.pop(state.RESULT_CHOICE, None)
    if not order:
        st.info("No finished clock run yet: train one in the Train tab.", icon=":material/info:")
        return None
    run_id = st.selectbox("Run", order, key=state.RESULT_CHOICE,
                          format_func=lambda run_id: results.run_choice(runs[run_id]))
    return runs[run_id]


@st.cache_data(show_spinner="Asking the dial reader where each clock's 12 is...",
               max_entries=8)
def picture_poses(run_id: str, images: np.ndarray) -> list | None:
    """The poses a stored dial reader sees in these clocks, or None (see read_picture_poses)."""
    return read_picture_poses(components.run_store().get(run_id), images)


def render_prediction_views(images: np.ndarray, labels: np.ndarray, predicted: np.ndarray,
                            run_id: str | None = None) -> None:
    """Test clocks with their predicted hands, the mistakes, and two error plots.

    With `run_id` of a dial reader (and a warm standby to ask), the hands are drawn in each
    picture's frame, over the clock's own hands; otherwise upright from the centre.
    """
    captions = drawing.prediction_captions(labels, predicted)
    shown = np.arange(min(GRID_COUNT, len(labels)))
    wrong = results.mistakes(labels, predicted, WORST_COUNT)
    picked = np.concatenate([shown, wrong]).astype(int)
    poses = picture_poses(run_id, images[picked]) if run_id else None
    frame = ("in each picture's frame: where the model sees the 12, mirrored when it sees a "
             "mirror" if poses else "upright from the centre")
    st.markdown(f"**Test clocks with the predicted hands** (red: hour, blue: minute; drawn "
                f"{frame})")
    st.plotly_chart(drawing.clock_grid(images[shown], predicted[shown],
                                       [captions[i] for i in shown],
                                       poses=poses[:len(shown)] if poses else None),
                    width="stretch", key="clock_grid")
    st.markdown("**Clocks read wrong** (the largest errors first)")
    if len(wrong) == 0:
        st.success(f"No errors: all {len(labels):,} test clocks are read to the minute.",
                   icon=":material/check_circle:")
    else:
        st.plotly_chart(drawing.clock_grid(images[wrong], predicted[wrong],
                                           [captions[i] for i in wrong],
                                           poses=poses[len(shown):] if poses else None),
                        width="stretch", key="clock_worst")
    hours, errors = drawing.error_by_time(labels, predicted)
    left, right = st.columns(2)
    with left:
        st.plotly_chart(figures.histogram(errors, title="Common-sense error of each test clock",
                                          x_title="minutes", bins=60),
                        width="stretch", key="clock_hist")
    with right:
        st.plotly_chart(figures.scatter_error(hours, errors, title="Error against true time",
                                              x_title="true time (hours on the dial)",
                                              y_title="error (minutes)"),
                        width="stretch", key="clock_scatter")


def render_test_clocks(run: Run) -> None:
    """The run's test clocks and predictions, or one line saying why they cannot be shown."""
    if not run.predictions_path.exists():
        st.caption("This run kept no predictions.")
        return
    try:
        images, labels = test_clocks(json.dumps(run.config.to_dict()))
    except (CourseDataError, OSError, ValueError) as error:
        st.warning(f"The test clocks cannot be loaded: {error}", icon=":material/warning:")
        return
    predicted = np.load(run.predictions_path)
    if len(predicted) != len(labels):
        st.warning(f"The stored predictions ({len(predicted)}) do not match the test clocks "
                   f"({len(labels)}) any more.", icon=":material/warning:")
        return
    render_prediction_views(images, labels, predicted, run.run_id)


def render() -> None:
    """The Results tab."""
    run = pick_run()
    if run is None:
        return
    result = run.result() or {}
    st.markdown(results.describe_model(run))
    st.caption(components.config_caption(run.config))
    render_tiles(results.headline(result))
    held_out = results.held_out_tiles(result)
    if held_out:
        render_tiles(held_out)
    located = results.locator_tiles(result)
    if located:
        render_tiles(located)
    with st.expander("More numbers: minute error, worst error, test loss, training time"):
        render_tiles(results.other_scores(result))
    render_curves(run.events(), key="clock_result")
    render_test_clocks(run)
