"""What the Clock lab's tabs share: the training configuration and the session's run.

The configuration lives in session state (`CONFIG_STATE`); the session's run also in the URL
(`?run=`), so a link or a refresh comes back to the same run and its configuration. Each
configuration field shown on the Train tab has a widget keyed `WIDGET + name`; `use_config`
replaces the configuration and lets those widgets take its values on the next rerun.
"""

from __future__ import annotations

import streamlit as st

from dlnn.clocks.lab import CLOCK_MODELS
from dlnn.clocks.reproduce import class_setting
from dlnn.config import RunConfig
from dlnn.runs import Run
from pages import components

RUN_PARAM = "run"
RUN_STATE = "clock.run_id"
CONFIG_STATE = "clock.config"
NOTICE_STATE = "clock.notice"  # one line for the Train tab after another tab changed its setup
RESULT_CHOICE = "clock.result_run"  # the Results tab's run picker
RESULT_FOR = "clock.result_for"  # the session's run when the picker was last reset to it
WIDGET = "clock.w."  # prefix of the Train tab's field widgets


def load_state() -> str | None:
    """First visit: the run (and its configuration) from the URL, else the class setting.

    Returns why the link's run was not taken (damaged, not a clock run), or None.
    """
    if CONFIG_STATE in st.session_state:
        return None
    st.session_state[CONFIG_STATE] = class_setting()
    run_id = st.query_params.get(RUN_PARAM)
    run = components.find_run(run_id)
    if run is None:
        return f"there is no run {run_id} in the store" if run_id else None
    if run.problem is not None:
        return f"run {run_id} is damaged: {run.problem}"
    if run.config.model not in CLOCK_MODELS:
        return f"run {run_id} trained {run.config.model}, not a clock model"
    st.session_state[RUN_STATE] = run.run_id
    st.session_state[CONFIG_STATE] = run.config
    return None


def config() -> RunConfig:
    """The configuration the Train tab holds."""
    return st.session_state[CONFIG_STATE]


def current_run() -> Run | None:
    """The session's run: the one trained or shown last (None once it is damaged)."""
    run = components.find_run(st.session_state.get(RUN_STATE))
    return run if run is not None and run.problem is None else None


def set_run(run: Run) -> None:
    """Make `run` the session's run; the Results tab shows it next."""
    if st.session_state.get(RUN_STATE) == run.run_id:
        return
    st.session_state[RUN_STATE] = run.run_id
    st.query_params[RUN_PARAM] = run.run_id


def use_config(new: RunConfig, notice: str | None = None) -> None:
    """Replace the Train tab's configuration (its widgets take the new values on the rerun)."""
    st.session_state[CONFIG_STATE] = new
    for key in [key for key in st.session_state if str(key).startswith(WIDGET)]:
        del st.session_state[key]
    if notice:
        st.session_state[NOTICE_STATE] = notice
