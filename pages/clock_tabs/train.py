"""The Train tab: the clock run's setup, then its live progress or its result.

Four buttons load a setting (the class setting, `dlnn.clocks.reproduce.class_setting`, the
same on clocks of many makes, and the full report model and our full model of
`reproduce task3`); every control is a
run-configuration field drawn by `components.field_widget`, so its bounds and help are the
field's declaration. A running run shows its progress, validation CSE and hour accuracy live;
a configuration that has finished shows its result here (the Results tab: its test clocks).
"""

from __future__ import annotations

import time

import streamlit as st

from dlnn import history, registry, runner
from dlnn.clocks import results
from dlnn.clocks.lab import CLOCK_DATASETS, COURSE_DATASET
from dlnn.clocks.reproduce import ANY_CLOCK, class_setting, task3_configs
from dlnn.config import MONITORS, ConfigError, RunConfig
from dlnn.runs import ACTIVE, Run
from pages import components
from pages.clock_tabs import state
from pages.clock_tabs.run_views import render_curves, render_tiles

# The controls, row by row; the last rows sit in an expander. A field that changes nothing
# for the configuration (the folder for generated clocks, patience without early stopping)
# is hidden and keeps its default.
ROWS = (
    ("dataset", "model", "optimizer", "epochs"),
    ("clock_images", "image_size", "batch_size", "seed"),
    ("conv_blocks", "conv_filters", "convs_per_block", "dense_units"),
    ("augment", "batch_norm", "frame_clocks", "learned_framing", "data_path"),
)
MORE_ROWS = (
    ("learning_rate", "lr_schedule", "activation", "initializer", "dropout"),
    ("validation_fraction", "early_stopping", "monitor", "patience", "restore_best",
     "reduce_lr"),
)
FIRST_ROW_WIDTHS = (3, 4, 2, 2)  # data set and model titles are long
ENDED_ICONS = {"failed": ":material/error:", "interrupted": ":material/report:",
               "cancelled": ":material/cancel:"}


def render_settings() -> None:
    """The buttons that load a whole setting: the class setting and the two full ones."""
    settings = {"clock.quick": ("Class setting", class_setting()),
                "clock.any": ("Any clock", class_setting(ANY_CLOCK)),
                **{f"clock.full.{role}": (f"{who}, full", config) for (role, config), who
                   in zip(task3_configs().items(), ("The report's model", "Our model"),
                          strict=True)}}
    for cell, (key, (label, setting)) in zip(st.columns(len(settings)), settings.items(),
                                            strict=True):
        icon = ":material/tune:" if key.startswith("clock.full") else ":material/bolt:"
        if cell.button(label, icon=icon, key=key, width="stretch"):
            state.use_config(setting)
            st.rerun()
        cell.caption(results.describe_setting(setting))


def seed_widgets(config: RunConfig) -> None:
    """Give each control its value from `config` unless it has one (see pages/train.py)."""
    for row in (*ROWS, *MORE_ROWS):
        for name in row:
            st.session_state.setdefault(state.WIDGET + name, getattr(config, name))


def draft(config: RunConfig) -> RunConfig:
    """`config` with the controls' current values (not validated)."""
    return config.replace(**{name: st.session_state[state.WIDGET + name]
                             for row in (*ROWS, *MORE_ROWS) for name in row})


def dataset_title(name: str) -> str:
    return registry.datasets()[name].title


def model_title(name: str) -> str:
    return f"{name} · {registry.models()[name].title}"


TITLES = {"dataset": dataset_title, "model": model_title}  # how a choice is shown


def field_options(name: str, config: RunConfig) -> list | None:
    """The choices a clock run offers for a field (None: every allowed one)."""
    if name == "dataset":
        return list(CLOCK_DATASETS)
    if name == "model":
        return list(registry.models_for(config.dataset))
    if name == "monitor":
        return [*MONITORS, *registry.models()[config.model].extra_monitors]
    return None


def render_row(row: tuple[str, ...], config: RunConfig, values: dict,
               widths: tuple[int, ...] | None = None) -> None:
    """The relevant fields of one row as widgets; `values` gets every field's value."""
    shown = [name for name in row if registry.field_named(name).relevant(config)]
    for name in row:
        if name not in shown:
            values[name] = registry.field_named(name).default
    if not shown:
        return
    for cell, name in zip(st.columns(widths or len(row)), shown, strict=False):
        key = state.WIDGET + name
        options = field_options(name, config)
        if options is not None and st.session_state.get(key) not in options:
            st.session_state[key] = options[0]  # the data set changed, say
        components.field_widget(registry.field_named(name), key, container=cell,
                                options=options, format_func=TITLES.get(name, str))
        value = st.session_state[key]
        values[name] = None if value == "" and registry.field_named(name).optional else value


def render_controls(config: RunConfig) -> RunConfig:
    """Every clock field as a control; returns the configuration they hold (not validated)."""
    seed_widgets(config)
    values: dict = {}
    for index, row in enumerate(ROWS):
        render_row(row, draft(config), values, widths=FIRST_ROW_WIDTHS if index == 0 else None)
    with st.expander("Learning rate, activation, initializer, dropout, early stopping"):
        for row in MORE_ROWS:
            render_row(row, draft(config), values)
    return config.replace(**values)


@st.fragment(run_every=components.LIVE_REFRESH_SECONDS)
def render_live(run_id: str) -> None:
    """Progress bar, Stop button, validation CSE and hour accuracy of an active run."""
    run = components.find_run(run_id)
    record = run.status_record() if run else {"status": "deleted"}
    if record["status"] not in ACTIVE:
        st.rerun(scope="app")  # the tab shows the result instead
    events = run.events()
    progress = history.progress(events, now=time.time())
    header, stop = st.columns([5, 1], vertical_alignment="center")
    header.markdown(f"{components.status_badge(record['status'])} · {run.label}")
    if run.stop_requested():
        stop.button("Stopping...", disabled=True, key="clock.live.stopping", width="stretch")
    elif stop.button("Stop", icon=":material/stop:", key="clock.live.stop", width="stretch"):
        runner.stop_run(run)
        st.rerun(scope="fragment")
    st.progress(progress.fraction, text=components.progress_text(progress))
    render_tiles(results.live_tiles(progress))
    render_curves(events, key="clock_live", more=False)


def render_finished(run: Run, config: RunConfig) -> None:
    """A finished run of this configuration: its numbers, curves and a Train again button."""
    note, again = st.columns([4, 1], vertical_alignment="center")
    note.markdown(f"{components.status_badge(run.status)} · {run.label} · `{run.run_id}`  \n"
                  "Its test clocks, the worst readings and the error plots are in the "
                  "**Results** tab.")
    if again.button("Train again", icon=":material/replay:", key="clock.again",
                    width="stretch"):
        state.set_run(runner.start_run(config, components.run_store(), retrain=True))
        st.rerun()
    render_tiles(results.headline(run.result() or {}))
    render_curves(run.events(), key="clock_train_result", more=False)


def render_start(run: Run | None, config: RunConfig) -> None:
    """The Start button, below what became of this configuration's last run, if it ended."""
    if run is not None and run.config == config and run.status in ENDED_ICONS:
        reason = (run.status_record().get("reason")
                  or history.progress(run.events()).reason or "no reason recorded")
        st.error(f"The last run of this setup {run.status}: {reason}",
                 icon=ENDED_ICONS[run.status])
    if st.button("Start training", type="primary", icon=":material/play_arrow:",
                 key="clock.start"):
        state.set_run(runner.start_run(config, components.run_store()))
        st.rerun()


def render() -> None:
    """The Train tab."""
    render_settings()
    notice = st.session_state.pop(state.NOTICE_STATE, None)
    if notice:
        st.info(notice, icon=":material/info:")
    config = render_controls(state.config())
    st.session_state[state.CONFIG_STATE] = config
    if config.dataset == COURSE_DATASET:
        st.caption("The course's files: upload them, or check a folder, in the Course data tab.")
    try:
        config.validate()
    except ConfigError as error:
        st.error(f"**{error.field}**: {error.reason}", icon=":material/error:")
        return
    run = state.current_run()
    if run is not None and run.status in ACTIVE:
        if run.config != config:
            st.info("The controls changed; the run below keeps its own setup.",
                    icon=":material/info:")
        render_live(run.run_id)
        return
    stored = (run if run is not None and run.config == config and run.status == "finished"
              else components.run_store().find_finished(config))
    if stored is None:
        render_start(run, config)
        return
    state.set_run(stored)
    render_finished(stored, config)
