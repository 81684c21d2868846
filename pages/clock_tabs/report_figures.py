"""The Figures 6 & 7 tab: runs that differ from the Train tab's setup in one field.

Figure 6 compares batch sizes, Figure 7 optimizers, activations or initializers
(`dlnn.clocks.comparisons`). Finished runs are reused; a button queues the missing ones on one
worker, and the curves fill in as they train.
"""

from __future__ import annotations

import streamlit as st

from dlnn import sweeps
from dlnn.clocks import comparisons
from dlnn.config import ConfigError, RunConfig
from pages import components
from pages.clock_tabs import state


def render_comparison(base: RunConfig, comparison: comparisons.Comparison, metric: str) -> None:
    """One figure, the button that queues its missing runs and what is training now."""
    field = comparison.field
    try:
        found = comparisons.sweep_state(components.run_store(), base, comparison)
    except ConfigError as error:
        st.error(f"{comparison.title}: **{error.field}**: {error.reason}",
                 icon=":material/error:")
        return
    st.plotly_chart(comparisons.sweep_figure(found, comparison, metric), width="stretch",
                    key=f"clock_sweep_{field}")
    if found.missing and st.button(
            f"Train the {len(found.missing)} missing runs ({field} = "
            f"{', '.join(map(str, found.missing))}) one after the other",
            icon=":material/queue:", key=f"clock.queue.{field}"):
        sweeps.start_sweep(base, field, found.missing, components.run_store())
        st.rerun()
    if found.active:
        st.caption(f"Training now: {field} = {', '.join(map(str, found.active))}. "
                   "Reload to update the curves.")


def render() -> None:
    """The Figures 6 & 7 tab."""
    base = state.config()
    metric = st.radio("Curve", list(comparisons.CURVES), horizontal=True, key="clock.fig.metric",
                      format_func=lambda name: comparisons.CURVES[name].name)
    st.markdown(f"Validation **{comparisons.CURVES[metric].name}** after each epoch "
                f"({comparisons.CURVES[metric].meaning}), for runs that differ in one field "
                "from the Train tab's setup:")
    st.caption(components.config_caption(base))
    render_comparison(base, comparisons.FIGURE6, metric)
    field = st.selectbox("Figure 7 compares", comparisons.FIGURE7_FIELDS, key="clock.fig.field")
    render_comparison(base, comparisons.figure7(field), metric)
