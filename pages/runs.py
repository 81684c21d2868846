"""Runs: every stored run in one table; filter, sort, compare, delete, open one.

The table shows each run's task and the headline metrics of the tasks present (test accuracy
for classifiers; CSE, hour accuracy and minute error for clock readers; `dlnn.headlines`).
Select rows to overlay their curves, see their headline numbers and configurations side by
side (differences highlighted), or delete them after a confirmation dialog. `?run=<id>` opens
one run's full view, the same one the Train page shows after a run.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages import require_shell

require_shell()

from dlnn import compare, figures, headlines, history, registry  # noqa: E402
from dlnn.runs import ACTIVE, DONE  # noqa: E402
from pages import components  # noqa: E402

RUN_PARAM = "run"
TABLE_VERSION_STATE = "runs.table_version"  # a new table key clears its selection
ROW_PIXELS = 35  # height of one st.dataframe row
SORTABLE = {"created": "Started", "seconds": "Time", "model": "Model", "dataset": "Data set",
            "status": "Status"}
# The table's columns before and after the headline metrics of the tasks shown (which come
# early: they are what a reader looks for).
LEADING_COLUMNS = ["status", "task", "model", "dataset"]
TRAILING_COLUMNS = [
    "optimizer", "learning_rate", "activation", "initializer", "batch_size", "epochs",
    "epochs_run", "subset", "permute", "seconds", "created", "run_id",
]  # fmt: skip
COLUMN_CONFIG = {
    "run_id": st.column_config.TextColumn("run", width="medium"),
    "learning_rate": st.column_config.NumberColumn("lr", format="%g"),
    "batch_size": st.column_config.NumberColumn("batch"),
    "seconds": st.column_config.NumberColumn("time (s)", format="%.1f"),
    "created": st.column_config.DatetimeColumn("started", format="YYYY-MM-DD HH:mm:ss"),
    "epochs_run": st.column_config.NumberColumn("epochs run"),
}  # fmt: skip


def headline_config(columns: dict[str, headlines.Metric]) -> dict:
    """Column settings of the headline metrics: their labels, units and help."""
    return {column: st.column_config.NumberColumn(metric.label, format=metric.column_format,
                                                  help=metric.help)
            for column, metric in columns.items()}


def render_filters(table: pd.DataFrame, metrics: dict[str, headlines.Metric]) -> pd.DataFrame:
    """Status, data set and model filters and the sort order; returns the rows to show."""
    cells = st.columns([2, 2, 2, 2, 1], vertical_alignment="bottom")
    statuses = cells[0].multiselect("Status", list(ACTIVE + DONE), key="runs.status",
                                    placeholder="all")
    datasets = cells[1].multiselect("Data set", sorted(table["dataset"].unique()),
                                    key="runs.dataset", placeholder="all")
    models = cells[2].multiselect("Model", sorted(table["model"].unique()), key="runs.model",
                                  placeholder="all")
    sortable = {**SORTABLE, **{column: metric.label for column, metric in metrics.items()}}
    order = cells[3].selectbox("Sort by", list(sortable), format_func=sortable.get,
                               key="runs.sort")
    descending = cells[4].toggle("Descending", value=True, key="runs.descending")
    shown = compare.filter_runs(table, statuses=statuses, datasets=datasets, models=models)
    return shown.sort_values(order, ascending=not descending, na_position="last",
                             kind="stable").reset_index(drop=True)


def comparison_metrics(histories: dict[str, pd.DataFrame], tasks: list[str]) -> list[str]:
    """The metrics to offer for overlaid curves: the tasks' headline validation metric first,
    then the other validation metrics, then the training ones."""
    present = {column for frame in histories.values() for column in frame.columns
               if column not in history.EPOCH_COLUMNS}
    first = [headlines.for_task(task).best.name for task in dict.fromkeys(tasks)]
    return sorted(present, key=lambda name: (name not in first, not name.startswith("val_"),
                                             "loss" in name, name))


def render_comparison(shown: pd.DataFrame, run_ids: list[str]) -> None:
    """Headline numbers, overlaid curves and side-by-side configurations of the selected runs."""
    runs = [run for run in map(components.find_run, run_ids) if run is not None]
    labels = compare.comparison_labels(runs)
    histories = compare.epoch_histories(runs, labels)
    st.subheader(f"Comparing {len(runs)} runs" if len(runs) > 1 else "The selected run")
    rows = shown.set_index("run_id").loc[[run.run_id for run in runs]].reset_index()
    numbers = compare.headline_columns(rows)
    rows.insert(0, "label", labels)
    st.dataframe(rows, hide_index=True, width="stretch", placeholder=headlines.MISSING,
                 column_order=["label", *numbers, "epochs_run", "seconds"],
                 column_config={"label": st.column_config.TextColumn("run", width="large"),
                                **COLUMN_CONFIG, **headline_config(numbers)})
    if ensemble := compare.ensemble_text(runs):
        st.caption(ensemble)
    metrics = comparison_metrics(histories, rows["task"].tolist())
    if metrics:
        metric = st.selectbox("Metric", metrics, key="runs.metric")
        st.plotly_chart(figures.compare_runs(histories, metric, title=metric),
                        key="runs_compare", width="stretch")
    else:
        st.caption("None of the selected runs has finished an epoch yet.")
    render_config_table(runs, labels)


def render_config_table(runs: list, labels: list[str]) -> None:
    """The selected runs' configurations side by side, the differing fields highlighted."""
    table = compare.config_table(runs, labels)
    only_differences = st.toggle("Only fields that differ", key="runs.only_diff",
                                 disabled=len(runs) < 2)
    if only_differences:
        table = table[table["differs"]]
    differs = table.pop("differs")
    fields = registry.fields()
    table.index = [fields[name].title for name in table.index]
    differs.index = table.index
    styled = table.style.apply(
        lambda row: ["background-color: #fff3cd; color: #31333f; font-weight: 600"
                     if differs[row.name] else "" for _ in row], axis=1)
    st.dataframe(styled, width="stretch", height=ROW_PIXELS * (len(table) + 1) + 3,
                 column_config={"_index": st.column_config.TextColumn("field",
                                                                      width="medium")})
    st.caption("Highlighted rows differ between the selected runs; fields that change "
               "nothing for any of them (pooling of an MLP, the clock fields of an MNIST "
               "run) are left out.")


def plural(count: int, noun: str = "run") -> str:
    """`1 run`, `2 runs`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


@st.dialog("Delete runs", width="medium")
def confirm_delete(run_ids: list[str]) -> None:
    """The confirmation dialog: which runs go, then Delete or Cancel."""
    st.markdown(f"Delete {plural(len(run_ids))} for good? Active runs are stopped first.")
    st.markdown("\n".join(f"- `{run_id}`" for run_id in run_ids))
    yes, no = st.columns(2)
    if yes.button(f"Delete {plural(len(run_ids))}", type="primary", icon=":material/delete:",
                  key="runs.delete_yes", width="stretch"):
        store = components.run_store()
        for run_id in run_ids:
            if components.find_run(run_id) is not None:
                store.delete(run_id)
        # A new table (key) starts with nothing selected: the old row numbers now point at
        # other runs.
        st.session_state[TABLE_VERSION_STATE] = st.session_state.get(TABLE_VERSION_STATE, 0) + 1
        st.toast(f"Deleted {plural(len(run_ids))}", icon=":material/delete:")
        st.rerun()
    if no.button("Cancel", key="runs.delete_no", width="stretch"):
        st.rerun()


def render_one(run_id: str) -> None:
    """The full view of one run (live while it trains)."""
    if st.button("All runs", icon=":material/arrow_back:", key="runs.back"):
        del st.query_params[RUN_PARAM]
        st.rerun()
    run = components.find_run(run_id)
    live = st.empty()  # cleared at once when the run ends (see pages/train.py)
    if run is None:
        st.error(f"**run**: there is no run `{run_id}` in the store.")
    elif run.status in ACTIVE:
        with live.container():
            components.render_live_run(run.run_id)
    else:
        components.render_run(run, key="one")


def render_table() -> None:
    """The run table with its filters; the selected runs' actions and comparison below."""
    table = compare.runs_table(components.run_store().list())
    if table.empty:
        st.info("The run store is empty: start a run on the Train page.",
                icon=":material/info:")
        return
    metrics = compare.headline_columns(table)
    shown = render_filters(table, metrics)
    st.caption(f"{len(shown)} of {plural(len(table))}. Select rows to compare, open or "
               "delete them.")
    version = st.session_state.get(TABLE_VERSION_STATE, 0)
    event = st.dataframe(shown, key=f"runs.table.{version}", on_select="rerun",
                         selection_mode="multi-row", hide_index=True, width="stretch",
                         placeholder=headlines.MISSING,
                         column_config={**COLUMN_CONFIG, **headline_config(metrics)},
                         column_order=[*LEADING_COLUMNS, *metrics, *TRAILING_COLUMNS])
    selected = [shown.loc[row, "run_id"] for row in event.selection.rows if row in shown.index]
    if not selected:
        return
    actions = st.columns([1, 1, 4])
    if len(selected) == 1 and actions[0].button("Open", icon=":material/open_in_full:",
                                                key="runs.open", width="stretch"):
        st.query_params[RUN_PARAM] = selected[0]
        st.rerun()
    if actions[1].button(f"Delete {plural(len(selected))}", icon=":material/delete:",
                         key="runs.delete", width="stretch"):
        confirm_delete(selected)
    render_comparison(shown, selected)


st.title("Runs")
run_param = st.query_params.get(RUN_PARAM)
if run_param:
    render_one(run_param)
else:
    render_table()
