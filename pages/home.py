"""Home: what the lab does, and the state of the run store and the data sets.

Renders without TensorFlow: nothing here (nor in the modules it imports) loads it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages import require_shell

require_shell()

from dlnn.data import DATASETS, available_datasets  # noqa: E402  (after the shell check)
from dlnn.models import MODELS  # noqa: E402
from pages import components  # noqa: E402

RECENT_RUNS = 8
INTRODUCTION = """
An interactive lab for the Leiden *Deep Learning and Neural Networks* assignment: train the
report's MLPs and CNNs on MNIST and Fashion-MNIST, watch loss and accuracy stream in while
they train, stop a run, and compare runs side by side. Every run trains in its own worker
process and is kept in the run store, so a refresh or a closed tab never loses it.
"""


def render_store() -> None:
    """Run counts by status and the newest runs."""
    runs = components.run_store().list()
    statuses = pd.Series([run.status for run in runs], dtype="string")
    cells = st.columns(5)
    cells[0].metric("Runs stored", len(runs))
    for cell, status in zip(cells[1:], ("running", "finished", "failed", "cancelled"),
                            strict=True):
        count = int((statuses == status).sum())
        if status == "running":
            count += int((statuses == "queued").sum())
        cell.metric(status.capitalize(), count)
    if not runs:
        st.info("No runs yet: start one on the Train page.", icon=":material/info:")
        return
    recent = [{"status": run.status, "run": run.label, "id": run.run_id}
              for run in runs[:RECENT_RUNS]]
    st.dataframe(pd.DataFrame(recent), hide_index=True, width="stretch")


def render_datasets() -> None:
    """Each data set with the place it loads from."""
    where = available_datasets()
    table = pd.DataFrame([
        {"data set": name, "title": info.title, "classes": info.num_classes,
         "loads from": where.get(name, "?")}
        for name, info in DATASETS.items()
    ])
    st.dataframe(table, hide_index=True, width="stretch")


def render_models() -> None:
    table = pd.DataFrame([{"model": name, "title": spec.title, "source": spec.source}
                          for name, spec in MODELS.items()])
    st.dataframe(table, hide_index=True, width="stretch")


st.title("dlnn: a deep-learning lab")
st.markdown(INTRODUCTION)
links = st.columns(3)
links[0].page_link("pages/train.py", label="Train a model", icon=":material/model_training:")
links[1].page_link("pages/runs.py", label="Compare runs", icon=":material/table_view:")
st.subheader("Run store")
render_store()
left, right = st.columns(2)
with left:
    st.subheader("Data sets")
    render_datasets()
with right:
    st.subheader("Model zoo")
    render_models()
