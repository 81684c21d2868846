"""Views of a clock run that the Train and Results tabs share: tiles and learning curves.

The common-sense error and the hour accuracy lead; the heads' own losses and errors, the
learning rate and the minute error are in an expander with a title in words each
(`dlnn.clocks.results`).
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from dlnn import history
from dlnn.clocks import results


def render_tiles(tiles: Sequence[results.Tile]) -> None:
    """One metric per column."""
    for cell, tile in zip(st.columns(len(tiles)), tiles, strict=True):
        cell.metric(tile.label, tile.value, help=tile.help or None)


def render_curves(events: list[dict], key: str, more: bool = True) -> None:
    """The lead curves side by side; with `more`, every other logged metric in an expander."""
    epochs = history.epoch_history(events)
    batches = history.batch_history(events)
    steps = history.progress(events).steps_per_epoch or None
    lead, rest = results.curve_groups(history.metric_names(epochs))
    if not lead:
        st.caption("The curves appear after the first epoch.")
    for cell, metric in zip(st.columns(2), lead, strict=False):
        with cell:
            st.plotly_chart(results.curve_figure(epochs, batches, metric, steps),
                            key=f"{key}_{metric}", width="stretch")
    if not more or not rest:
        return
    with st.expander(f"All training curves ({len(rest)} more: losses of each head, "
                     "learning rate, minute error)"):
        st.caption("A head's mean absolute error is in that head's own units (a fraction of "
                   "an hour, or sine and cosine of an angle), not minutes; the minute error "
                   "is in minutes.")
        columns = st.columns(2)
        for index, metric in enumerate(rest):
            with columns[index % 2]:
                st.plotly_chart(results.curve_figure(epochs, batches, metric, steps),
                                key=f"{key}_more_{metric}", width="stretch")
