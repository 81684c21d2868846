"""Runs: every stored run in one table; filter, sort, compare, delete, open one.

Select rows of the table to overlay their curves and see their configurations side by side
(differences highlighted). `?run=<id>` opens one run's full view, the same one the Train page
shows after a run.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages import require_shell

require_shell()

from dlnn import compare, figures, history  # noqa: E402  (after the shell check)
from dlnn.runs import ACTIVE, DONE  # noqa: E402
from pages import components  # noqa: E402

RUN_PARAM = "run"
CONFIRM_STATE = "runs.confirm_delete"
SORTABLE = {
    "created": "Started", "test_accuracy": "Test accuracy",
    "best_val_accuracy": "Best validation accuracy", "seconds": "Time",
    "model": "Model", "dataset": "Data set", "status": "Status",
}  # fmt: skip
ROW_PIXELS = 35  # height of one st.dataframe row
TABLE_COLUMNS = [
    "status", "model", "dataset", "optimizer", "learning_rate", "activation", "initializer",
    "batch_size", "epochs", "epochs_run", "subset", "permute", "best_val_accuracy",
    "test_accuracy", "test_loss", "seconds", "created", "run_id",
]  # fmt: skip
COLUMN_CONFIG = {
    "run_id": st.column_config.TextColumn("run", width="medium"),
    "learning_rate": st.column_config.NumberColumn("lr", format="%g"),
    "batch_size": st.column_config.NumberColumn("batch"),
    "best_val_accuracy": st.column_config.NumberColumn("best val acc", format="%.4f"),
    "test_accuracy": st.column_config.NumberColumn("test acc", format="%.4f"),
    "test_loss": st.column_config.NumberColumn("test loss", format="%.4f"),
    "seconds": st.column_config.NumberColumn("time (s)", format="%.1f"),
    "created": st.column_config.DatetimeColumn("started", format="YYYY-MM-DD HH:mm:ss"),
    "epochs_run": st.column_config.NumberColumn("epochs run"),
}  # fmt: skip


def render_filters(table: pd.DataFrame) -> pd.DataFrame:
    """Status, data set and model filters and the sort order; returns the rows to show."""
    cells = st.columns([2, 2, 2, 2, 1], vertical_alignment="bottom")
    statuses = cells[0].multiselect("Status", list(ACTIVE + DONE), key="runs.status",
                                    placeholder="all")
    datasets = cells[1].multiselect("Data set", sorted(table["dataset"].unique()),
                                    key="runs.dataset", placeholder="all")
    models = cells[2].multiselect("Model", sorted(table["model"].unique()), key="runs.model",
                                  placeholder="all")
    order = cells[3].selectbox("Sort by", list(SORTABLE), format_func=SORTABLE.get,
                               key="runs.sort")
    descending = cells[4].toggle("Descending", value=True, key="runs.descending")
    shown = compare.filter_runs(table, statuses=statuses, datasets=datasets, models=models)
    return shown.sort_values(order, ascending=not descending, na_position="last",
                             kind="stable").reset_index(drop=True)


def render_comparison(run_ids: list[str]) -> None:
    """Overlaid curves and side-by-side configurations of the selected runs."""
    runs = [run for run in map(components.find_run, run_ids) if run is not None]
    labels = compare.comparison_labels(runs)
    histories = compare.epoch_histories(runs, labels)
    metrics = sorted({column for frame in histories.values()
                      for column in frame.columns if column not in history.EPOCH_COLUMNS},
                     key=lambda name: (not name.startswith("val_"), "loss" in name, name))
    st.subheader(f"Comparing {len(runs)} run{'s' if len(runs) > 1 else ''}")
    if metrics:
        metric = st.selectbox("Metric", metrics, key="runs.metric")
        st.plotly_chart(figures.compare_runs(histories, metric, title=metric),
                        key="runs_compare", width="stretch")
    else:
        st.caption("None of the selected runs has finished an epoch yet.")
    table = compare.config_table(runs, labels)
    only_differences = st.toggle("Only fields that differ", key="runs.only_diff",
                                 disabled=len(runs) < 2)
    if only_differences:
        table = table[table["differs"]]
    differs = table.pop("differs")
    styled = table.style.apply(
        lambda row: ["background-color: #fff3cd; font-weight: 600" if differs[row.name]
                     else "" for _ in row], axis=1)
    st.dataframe(styled, width="stretch", height=ROW_PIXELS * (len(table) + 1) + 3)
    st.caption("Highlighted rows differ between the selected runs.")


def render_delete(run_ids: list[str]) -> None:
    """Ask before deleting the selected runs; delete them on confirmation."""
    pending = st.session_state.get(CONFIRM_STATE)
    if pending != run_ids:
        if st.button(f"Delete {len(run_ids)} selected run{'s' if len(run_ids) > 1 else ''}",
                     icon=":material/delete:", key="runs.delete"):
            st.session_state[CONFIRM_STATE] = run_ids
            st.rerun()
        return
    st.warning(f"Delete {len(run_ids)} run(s) for good? Active runs are stopped first.\n\n"
               + "\n".join(f"- `{run_id}`" for run_id in run_ids), icon=":material/warning:")
    yes, no, _ = st.columns([1, 1, 4])
    if yes.button("Yes, delete", type="primary", key="runs.delete_yes"):
        store = components.run_store()
        for run_id in run_ids:
            if components.find_run(run_id) is not None:
                store.delete(run_id)
        st.session_state.pop(CONFIRM_STATE, None)
        st.toast(f"Deleted {len(run_ids)} run(s)")
        st.rerun()
    if no.button("Cancel", key="runs.delete_no"):
        st.session_state.pop(CONFIRM_STATE, None)
        st.rerun()


def render_one(run_id: str) -> None:
    """The full view of one run (live while it trains)."""
    if st.button("All runs", icon=":material/arrow_back:", key="runs.back"):
        del st.query_params[RUN_PARAM]
        st.rerun()
    run = components.find_run(run_id)
    if run is None:
        st.error(f"**run**: there is no run `{run_id}` in the store.")
    elif run.status in ACTIVE:
        components.render_live_run(run.run_id)
    else:
        components.render_run(run, key="one")


def render_table() -> None:
    table = compare.runs_table(components.run_store().list())
    if table.empty:
        st.info("The run store is empty: start a run on the Train page.",
                icon=":material/info:")
        return
    shown = render_filters(table)
    st.caption(f"{len(shown)} of {len(table)} runs. Select rows to compare, open or delete "
               "them.")
    event = st.dataframe(shown, key="runs.table", on_select="rerun",
                         selection_mode="multi-row", hide_index=True, width="stretch",
                         column_config=COLUMN_CONFIG, column_order=TABLE_COLUMNS)
    selected = [shown.loc[row, "run_id"] for row in event.selection.rows if row in shown.index]
    if not selected:
        return
    actions = st.columns([1, 1, 4])
    if len(selected) == 1 and actions[0].button("Open", icon=":material/open_in_full:",
                                                key="runs.open"):
        st.query_params[RUN_PARAM] = selected[0]
        st.rerun()
    with actions[1]:
        render_delete(selected)
    render_comparison(selected)


st.title("Runs")
run_param = st.query_params.get(RUN_PARAM)
if run_param:
    render_one(run_param)
else:
    render_table()
