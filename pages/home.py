"""Home: what the lab does, and the state of the run store and the data sets.

Renders without TensorFlow: nothing here (nor in the modules it imports) loads it. It is the
landing page, so it stays light: no Plotly, no pandas, and Markdown tables instead of data
grids (the first visitor of a fresh server waits for every import).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import streamlit as st

from pages import require_shell

require_shell()

from dlnn import registry  # noqa: E402
from dlnn.data import DATASETS, available_datasets  # noqa: E402  (after the shell check)
from dlnn.runs import RunStore  # noqa: E402

RECENT_RUNS = 8
INTRODUCTION = """
An interactive lab for the Leiden *Deep Learning and Neural Networks* assignment: train the
report's MLPs and CNNs on MNIST and Fashion-MNIST, watch loss and accuracy stream in while
they train, stop a run, and compare runs side by side. Every run trains in its own worker
process and is kept in the run store, so a refresh or a closed tab never loses it.
"""


def markdown_table(rows: Sequence[dict]) -> str:
    """A GitHub-flavoured Markdown table with one column per key of the first row."""
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    for row in rows:
        cells = (str(row[column]).replace("|", "\\|") for column in columns)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_store() -> None:
    """Run counts by status and the newest runs."""
    runs = RunStore().list()
    statuses = Counter(run.status for run in runs)
    cells = st.columns(5)
    cells[0].metric("Runs stored", len(runs))
    cells[1].metric("Running", statuses["running"] + statuses["queued"])
    for cell, status in zip(cells[2:], ("finished", "failed", "cancelled"), strict=True):
        cell.metric(status.capitalize(), statuses[status])
    if not runs:
        st.info("No runs yet: start one on the Train page.")
        return
    st.markdown(markdown_table([{"status": run.status, "run": run.label, "id": f"`{run.run_id}`"}
                                for run in runs[:RECENT_RUNS]]))


def render_datasets() -> None:
    """Each data set with the place it loads from."""
    where = available_datasets()
    st.markdown(markdown_table([
        {"data set": name, "title": info.title, "classes": info.num_classes,
         "loads from": where.get(name, "?")}
        for name, info in DATASETS.items()
    ]))


def render_models() -> None:
    st.markdown(markdown_table([{"model": f"`{name}`", "title": spec.title,
                                 "source": spec.source}
                                for name, spec in registry.models().items()]))


st.title("dlnn: a deep-learning lab")
st.markdown(INTRODUCTION)
links = st.columns(3)
links[0].page_link("pages/train.py", label="Train a model")
links[1].page_link("pages/runs.py", label="Compare runs")
st.subheader("Run store")
render_store()
left, right = st.columns(2)
with left:
    st.subheader("Data sets")
    render_datasets()
with right:
    st.subheader("Model zoo")
    render_models()
