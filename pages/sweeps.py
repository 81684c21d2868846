"""Sweeps (Task 1): compare optimizers, activations, initializers and more, live.

Tab "Sweep": pick a named sweep (the report's Figures 1-3 and more) or build a custom one over
any run field, the panels (model x data set), the protocol and the seeds; Start queues every
member on one worker. The figure (one panel per model x data set, one line per value, a band
over seeds) and the summary table fill in live; the sweep lives in the URL, so a refresh finds
it again. Tab "Parallel coordinates": any runs of the store, one axis per field that differs,
brushed with the controls below it, which also filter the table. Tab "Best settings": the
winners of the sweeps per panel, trained longer with early stopping, beside the report.
Everything computed comes from `dlnn.hparams`; this page never imports TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from pages import require_shell

require_shell()

from dlnn import registry, runner, sweeps  # noqa: E402
from dlnn.config import ConfigError  # noqa: E402
from dlnn.hparams import plan as plans  # noqa: E402
from dlnn.hparams.best import (  # noqa: E402
    MEASURED,
    TARGETS,
    best_row,
    choose_best,
    wanted_configs,
)
from dlnn.hparams.named import NAMED_SWEEPS  # noqa: E402
from dlnn.hparams.plots import hparams_view, sweep_figure  # noqa: E402
from dlnn.hparams.protocols import PANELS, PROTOCOLS, REPORT, Panel  # noqa: E402
from dlnn.hparams.results import (  # noqa: E402
    RESULT_COLUMNS,
    apply_brushes,
    display_table,
    runs_table,
    varying_fields,
)
from dlnn.runs import RunStore  # noqa: E402
from pages import components  # noqa: E402

KEY = "sweeps."
LIVE_SECONDS = 1.0
ADJUSTABLE = ("epochs", "subset", "batch_size")  # base fields the page lets a user change
MAX_AXES_SHOWN = 8
COLOR_METRICS = {
    "best_val_accuracy": "best validation accuracy",
    "test_accuracy": "test accuracy",
    "seconds_per_epoch": "seconds per epoch",
}
HELP = {
    "protocol": "Report: all 54,000 training images, 10 epochs, scored by validation "
                "accuracy, no early stopping (as the report). Quick: a seeded 5,000-image "
                "subset and 3 epochs, so a sweep fits in a lesson (labelled QUICK).",
    "sweep": "What varies between the members; everything else keeps the report's defaults "
             "(RMSprop, ReLU, RandomUniform, dropout 0.2, batch 128).",
    "panels": "Each model x data set is one panel of the figure, trained with every value.",
    "seeds": "Train every value with seeds 0..k-1 (weights, shuffling, subset): curves show "
             "the mean with a band from the lowest to the highest seed, tables mean ± std.",
    "values": "Comma-separated values of the field, e.g. sgd, adam or 0.001, 0.01.",
    "grid": "Vary a second field too: every pair of values trains (a grid).",
}


# -- the plan in the widgets and the URL ----------------------------------------------------
def all_panels() -> list[Panel]:
    """The report's four panels first, then every other classification model x data set."""
    extra = [Panel(model, dataset) for dataset in ("mnist", "fashion-mnist")
             for model in registry.models_for(dataset)]
    return list(dict.fromkeys([*PANELS, *extra]))


def load_from_url() -> None:
    """First visit: the widgets from the URL's plan (a bad value is named), else defaults."""
    if KEY + "loaded" in st.session_state:
        return
    st.session_state[KEY + "loaded"] = True
    plan = plans.default_plan()
    if "sweep" in st.query_params:
        try:
            plan = plans.Plan.from_query(st.query_params.to_dict())
        except ConfigError as error:
            st.session_state[KEY + "link_error"] = f"The link's {error.field}: {error.reason}"
    seed_widgets(plan)


def seed_widgets(plan: plans.Plan) -> None:
    state = st.session_state
    state[KEY + "protocol"] = plan.protocol.name
    state[KEY + "sweep"] = plan.name
    state[KEY + "panels"] = [panel.name for panel in plan.panels]
    state[KEY + "seeds"] = plan.seeds
    changes = dict(plan.changes)
    for name in ADJUSTABLE:
        state[KEY + name] = changes.pop(name, None)
    state[KEY + "other_changes"] = changes
    for index, axis in enumerate(plan.axes):
        declared = registry.field_named(axis.field)
        state[KEY + f"field{index}"] = axis.field
        state[KEY + f"values{index}"] = ", ".join(declared.format(v) for v in axis.values)
    state[KEY + "grid"] = len(plan.axes) > 1


def render_controls() -> plans.Plan | None:
    """The sweep's widgets; returns the plan they describe, or None after naming an error."""
    state = st.session_state
    top = st.columns([1.2, 1.6, 2.6, 0.7])
    top[0].radio("Protocol", list(PROTOCOLS), key=KEY + "protocol", help=HELP["protocol"],
                 format_func=lambda name: PROTOCOLS[name].title)
    names = [*NAMED_SWEEPS, plans.CUSTOM]
    top[1].selectbox("Sweep", names, key=KEY + "sweep", help=HELP["sweep"],
                     format_func=lambda name: "custom: any field, any values"
                     if name == plans.CUSTOM else NAMED_SWEEPS[name].title)
    by_name = {panel.name: panel for panel in all_panels()}
    top[2].multiselect("Panels (model · data set)", list(by_name), key=KEY + "panels",
                       help=HELP["panels"], format_func=lambda name: by_name[name].title)
    top[3].number_input("Seeds", min_value=1, max_value=plans.MAX_SEEDS, step=1,
                        key=KEY + "seeds", help=HELP["seeds"])
    name = state[KEY + "sweep"]
    if name != plans.CUSTOM:
        st.caption(f"**{NAMED_SWEEPS[name].field}**: {NAMED_SWEEPS[name].help}.")
    panels = tuple(by_name[panel] for panel in state[KEY + "panels"])
    try:
        axes = render_custom_axes(panels) if name == plans.CUSTOM else ()
        changes = render_adjustments()
        plan = plans.Plan(name, PROTOCOLS[state[KEY + "protocol"]], panels,
                          int(state[KEY + "seeds"]), axes, tuple(changes.items()))
        plan.sweeps()
    except ConfigError as error:
        st.error(f"{error.field}: {error.reason}", icon=":material/error:")
        return None
    return plan


def render_custom_axes(panels: tuple[Panel, ...]) -> tuple[sweeps.Axis, ...]:
    """One or two fields and their values; values are parsed by the field (errors name it)."""
    base = panels[0].base() if panels else None
    fields = [name for name, declared in registry.fields().items()
              if name not in ("dataset", "model") and (base is None or declared.relevant(base))]
    grid = st.toggle("Grid: vary a second field", key=KEY + "grid", help=HELP["grid"])
    axes = []
    for index in range(2 if grid else 1):
        left, right = st.columns([1, 3])
        default = ("optimizer", "batch_size")[index]
        st.session_state.setdefault(KEY + f"field{index}", default)
        st.session_state.setdefault(KEY + f"values{index}", _example_values(default))
        field = left.selectbox(f"Field {index + 1}", fields, key=KEY + f"field{index}",
                               help="the run-configuration field that varies",
                               on_change=_reset_values, args=(index,))
        declared = registry.field_named(field)
        right.text_input(f"Values of {field}", key=KEY + f"values{index}",
                         help=f"{HELP['values']} {components.field_help(declared)}",
                         placeholder=_example_values(field))
        text = st.session_state.get(KEY + f"values{index}") or ""
        items = [item.strip() for item in text.split(",") if item.strip()]
        if not items:
            raise ConfigError(field, text, "give comma-separated values, e.g. "
                              + _example_values(field))
        axes.append(sweeps.Axis.parse(field, items))
    return tuple(axes)


def _reset_values(index: int) -> None:
    """A newly chosen field starts from example values of its own."""
    field = st.session_state[KEY + f"field{index}"]
    st.session_state[KEY + f"values{index}"] = _example_values(field)


def _example_values(field: str) -> str:
    declared = registry.field_named(field)
    choices = declared.allowed_choices()
    if choices:
        return ", ".join(map(str, choices[:2]))
    if declared.log_scale:
        return "0.0001, 0.001, 0.01"
    examples = {"batch_size": "32, 256", "dropout": "0.0, 0.2, 0.5", "epochs": "2, 5",
                "kernel_size": "3, 5", "seed": "0, 1", "subset": "1000, 5000",
                "validation_fraction": "0.1, 0.2", "patience": "2, 5"}
    return examples.get(field, "true, false" if declared.kind is bool else "")


def render_adjustments() -> dict:
    """Epochs, subset and batch size for every member (empty: the protocol's)."""
    state = st.session_state
    with st.expander("Adjust the protocol (epochs, training images, batch size)"):
        cells = st.columns(len(ADJUSTABLE))
        for cell, name in zip(cells, ADJUSTABLE, strict=True):
            declared = registry.field_named(name)
            cell.number_input(declared.title, key=KEY + name, step=1,
                              min_value=int(declared.low), max_value=int(declared.high),
                              help=components.field_help(declared),
                              placeholder="the protocol's")
        other = state.get(KEY + "other_changes") or {}
        if other:
            st.caption("Also set by the link: " + ", ".join(f"{k}={v}" for k, v in other.items()))
    return {**{name: state[KEY + name] for name in ADJUSTABLE if state[KEY + name] is not None},
            **(state.get(KEY + "other_changes") or {})}


def sync_url(plan: plans.Plan) -> None:
    wanted = plan.to_query()
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


# -- the sweep's runs, live ----------------------------------------------------------------
def render_sweep(plan: plans.Plan) -> None:
    """Start / stop, progress, the figure and the summary table of the plan's members."""
    store = components.run_store()
    configs = plan.configs()
    runs = sweeps.member_runs(store, configs)
    state = sweeps.sweep_progress(runs)
    to_train = state.missing + state.stopped
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.markdown(f"**{plan.title}** · {len(plan.panels)} panel(s) · {len(configs)} members · "
                  f"{plan.label}")
    if to_train and not state.active:
        verb = "Resume" if state.done or state.stopped else "Start"
        if right.button(f"{verb} ({to_train} to train)", key="sweep_start", type="primary",
                        icon=":material/play_arrow:", width="stretch"):
            sweeps.launch(configs, store)
            st.rerun()
    live = st.fragment(render_live, run_every=LIVE_SECONDS if state.active else None)
    live(plan)


def render_live(plan: plans.Plan) -> None:
    store = components.run_store()
    runs = sweeps.member_runs(store, plan.configs())
    state = sweeps.sweep_progress(runs)
    if state.active:
        bar, stop = st.columns([5, 1], vertical_alignment="center")
        bar.progress(state.fraction, text=state.text())
        if stop.button("Stop", key="sweep_stop", icon=":material/stop:", width="stretch"):
            sweeps.stop(runs)
            st.rerun(scope="app")
    else:
        st.caption(state.text())
        if st.session_state.get(KEY + "was_active"):
            st.session_state[KEY + "was_active"] = False
            st.rerun(scope="app")  # the Start / Resume button comes back
    st.session_state[KEY + "was_active"] = state.active
    figure = sweep_figure(plans.curves(plan, runs), title=plan.title, note=plan.label)
    st.plotly_chart(figure, key="sweep_figure", width="stretch")
    table = plans.summary(plan, runs)
    st.markdown(f"**Summary** ({plan.label}): best validation accuracy (mean ± std over "
                "seeds) first; the learning rate column is the one each member actually used.")
    st.dataframe(display_table(table), hide_index=True,
                 width="stretch", key="sweep_table")
    failed = [run for run in runs if run is not None and run.status == "failed"]
    for run in failed:
        reason = run.status_record().get("reason") or "no reason recorded"
        st.caption(f":material/error: {run.label} failed: {reason}")


# -- parallel coordinates -------------------------------------------------------------------
@st.cache_data(ttl=5, show_spinner=False, max_entries=4)
def stored_runs_table(root: str) -> pd.DataFrame:
    """Every classification run of the store at `root` as a table (reread every 5 s)."""
    runs = [run for run in RunStore(Path(root)).list()
            if registry.models().get(run.config.model) is not None
            and registry.models()[run.config.model].task == "classification"]
    return runs_table(runs)


def render_parallel() -> None:
    table = stored_runs_table(str(components.run_store().root))
    if table.empty:
        st.info("No runs in the store yet: start a sweep first.")
        return
    filters = st.columns(4)
    datasets = sorted(table["dataset"].unique())
    models = sorted(table["model"].unique())
    chosen_data = filters[0].multiselect("Data sets", datasets, default=datasets,
                                         key=KEY + "pc.data", help="runs on these data sets")
    chosen_models = filters[1].multiselect("Models", models, default=models,
                                           key=KEY + "pc.models", help="runs of these models")
    finished_only = filters[2].toggle("Finished runs only", value=True, key=KEY + "pc.done",
                                      help="leave out runs that failed, stopped or still train")
    color = filters[3].selectbox("Colour by", list(COLOR_METRICS), key=KEY + "pc.color",
                                 format_func=COLOR_METRICS.get,
                                 help="the metric that colours each run's line")
    shown = table[table["dataset"].isin(chosen_data) & table["model"].isin(chosen_models)]
    if finished_only:
        shown = shown[shown["status"] == "finished"]
    varying = varying_fields(shown)
    axes = st.multiselect("Axes (fields that differ between these runs)", varying,
                          default=varying[:MAX_AXES_SHOWN], key=KEY + "pc.axes",
                          help="one vertical axis per field; categorical axes are labelled")
    brushes = render_brushes(shown, [*axes, color])
    st.plotly_chart(hparams_view(shown, axes, color, brushes,
                                 note=f"{len(shown)} runs · colour: {COLOR_METRICS[color]}"),
                    key="sweep_parallel", width="stretch")
    kept = apply_brushes(shown, brushes).sort_values(color, ascending=False)
    st.markdown(f"**{len(kept)} of {len(shown)} runs** inside the brushes")
    columns = [*axes, *[c for c in RESULT_COLUMNS if c not in axes]]
    st.dataframe(kept[columns], hide_index=True, width="stretch", key="sweep_parallel_table")


def render_brushes(table: pd.DataFrame, columns: list[str]) -> dict:
    """A range slider or a choice per axis: the brush drawn on the chart, the table's filter."""
    brushes: dict = {}
    if table.empty or not columns:
        return brushes
    with st.expander("Brush the axes (keep runs inside these ranges)", expanded=False):
        cells = st.columns(min(len(columns), 4))
        for index, column in enumerate(columns):
            cell = cells[index % len(cells)]
            values = table[column]
            if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
                finite = values.dropna()
                if finite.empty or finite.min() == finite.max():
                    continue
                low, high = float(finite.min()), float(finite.max())
                chosen = cell.slider(column, low, high, (low, high), key=KEY + f"brush.{column}",
                                     help=f"keep runs with {column} in this range")
                if chosen != (low, high):
                    brushes[column] = chosen
            else:
                options = list(dict.fromkeys(values.astype("string").fillna("none")))
                chosen = cell.multiselect(column, options, default=options,
                                          key=KEY + f"brush.{column}",
                                          help=f"keep runs with these values of {column}")
                if len(chosen) != len(options):
                    brushes[column] = chosen
    return brushes


# -- best settings --------------------------------------------------------------------------
def render_best() -> None:
    st.markdown(
        "From the sweeps' validation scores, the best value of each sweep (architecture, "
        "optimizer, activation, initializer) is combined per panel and trained longer with "
        "early stopping on validation accuracy, keeping the best epoch. On all training "
        "images it trains once per learning-rate schedule (halved on plateaus, constant, "
        "cosine decay) and the best validation accuracy picks one; that one then trains "
        "again on every training image, the validation tenth included, for its best epoch "
        "count (the final fit; not after halving on plateaus, which needs validation data). "
        f"The final fit trains with {REPORT.final_seeds} seeds and their softmax outputs on "
        "the test set are averaged: that ensemble's test accuracy stands beside the report's "
        "(MLP MNIST 0.9831, MLP Fashion 0.8824), each seed's own beside it.")
    if MEASURED:
        st.markdown("**Measured here** (2-core CPU shared with other jobs; docs/benchmarks.md)")
        st.dataframe(pd.DataFrame(MEASURED), hide_index=True, width="stretch",
                     key="best_measured")
    protocol = PROTOCOLS[st.radio("Sweeps of", list(PROTOCOLS), horizontal=True,
                                  key=KEY + "best.protocol", help=HELP["protocol"],
                                  format_func=lambda name: PROTOCOLS[name].title)]
    full_data = protocol.best_subset is None or st.toggle(
        "Train the best settings on all training images", key=KEY + "best.full_data",
        help="the quick sweeps pick the settings, the full data decides: up to "
             f"{REPORT.best_epochs} epochs on 54,000 images, minutes per run (the targets "
             "apply to these runs)")
    store = components.run_store()
    choices = [choose_best(panel, protocol, store, full_data=full_data) for panel in PANELS]
    rows = [best_row(choice, store) for choice in choices]
    for row, choice in zip(rows, choices, strict=True):
        row["from sweeps"] = ", ".join(f"{w.sweep}: {w.value} ({w.score:.4f})"
                                       for w in choice.winners) or "none yet"
        if choice.missing:
            row["from sweeps"] += " · defaults for: " + ", ".join(choice.missing)
    columns = ["panel", "settings", "validation_accuracy", "final_fit", "test_accuracy",
               "seed_test_accuracies", "report_test_accuracy", "target", "status",
               "epochs_run", "train_seconds", "trained_on", "from sweeps", "run_id"]
    st.dataframe(pd.DataFrame(rows)[columns], hide_index=True, width="stretch",
                 key="best_table")
    if full_data:
        st.caption("Targets on this machine: " + ", ".join(
            f"{name} ≥ {target}" for name, target in TARGETS.items()))
    wanted = [config for choice in choices for config in wanted_configs(choice, store)]
    missing = [config for config, run in zip(wanted, sweeps.member_runs(store, wanted),
                                             strict=True)
               if run is None or run.status not in sweeps.KEPT]
    if any(choice.refit and row["status"] in ("not started", "schedules to train")
           for choice, row in zip(choices, rows, strict=True)):
        st.caption("A panel's final fit is offered here once all its schedules have "
                   "trained: validation picks one, and the final fit takes its best epoch "
                   "count.")
    if any(row["status"] == "ensemble to evaluate" for row in rows):
        st.caption("Ensemble to evaluate: its runs were trained before runs kept their "
                   "test-set outputs. `python -m dlnn reproduce task1` predicts the test set "
                   "with their models once (seconds) and fills the row in.")
    if missing and st.button(f"Train the {len(missing)} best-settings runs",
                             key="best_start", icon=":material/play_arrow:"):
        sweeps.launch(missing, store)
        st.rerun()


def main() -> None:
    runner.keep_worker_ready()  # a warm worker makes Start begin training at once
    st.title("Sweeps")
    st.caption("Task 1: how optimizers, activations, initializers and other settings change "
               "learning, one curve per value (the report's Figures 1-3), and better settings.")
    load_from_url()
    if message := st.session_state.pop(KEY + "link_error", None):
        st.warning(message, icon=":material/link_off:")
    sweep_tab, parallel_tab, best_tab = st.tabs(["Sweep", "Parallel coordinates",
                                                 "Best settings"])
    with sweep_tab:
        plan = render_controls()
        if plan is not None:
            sync_url(plan)
            render_sweep(plan)
    with parallel_tab:
        render_parallel()
    with best_tab:
        render_best()


main()
