"""Train: pick a configuration, start a run, watch it live, stop it, see its result.

The controls (sidebar) hold every `RunConfig` field that matters for the chosen data set and
model, and a preset picker (`dlnn.presets`): a first visit starts from the quick preset, the
report's settings are one click away. The URL holds the fields that differ from the declared
defaults and `run=<id>` for the session's run, so a link, a refresh or a reopened tab comes
back to the same setup and the same (live) run. The run itself trains in a worker process
started by `dlnn.runner`; this page only reads the run store.
"""

from __future__ import annotations

import json

import streamlit as st

from pages import require_shell

require_shell()

from dlnn import presets, registry, runner, summaries  # noqa: E402  (after the shell check)
from dlnn.config import MONITORS, OPTIMIZER_DEFAULT_LR, ConfigError, RunConfig  # noqa: E402
from dlnn.runs import ACTIVE, Run  # noqa: E402
from pages import components  # noqa: E402

CONFIG_STATE = "train.config"  # the configuration the controls show (survives page changes)
RUN_STATE = "train.run_id"  # this session's run
LINK_ERRORS_STATE = "train.link_errors"
WIDGET = "train.w."  # prefix of the widgets' keys, one per RunConfig field
PRESET_WIDGET = "train.preset"


def load_from_url() -> None:
    """On the session's first visit, take the configuration and the run from the URL."""
    if CONFIG_STATE in st.session_state:
        return
    config, errors = presets.config_from_link(st.query_params.to_dict())
    run_id = st.query_params.get(presets.RUN_PARAM)
    run = components.find_run(run_id)
    if run is not None and run.problem is not None:
        errors.append(ConfigError(presets.RUN_PARAM, run_id, f"the run is damaged: {run.problem}"))
    elif run is not None:
        config = run.config
        st.session_state[RUN_STATE] = run.run_id
    elif run_id:
        errors.append(ConfigError(presets.RUN_PARAM, run_id, "there is no such run in the store"))
    st.session_state[CONFIG_STATE] = config
    st.session_state[LINK_ERRORS_STATE] = [str(error) for error in errors]


def seed_widgets(config: RunConfig) -> None:
    """Give each control its value from `config` unless it already has one.

    Streamlit forgets a widget's state when a page without it runs; the configuration lives
    on in CONFIG_STATE and is put back here.
    """
    for name in registry.fields():
        st.session_state.setdefault(WIDGET + name, getattr(config, name))


def draft_config() -> RunConfig:
    """The configuration the controls hold right now (not validated)."""
    return RunConfig(**{name: st.session_state[WIDGET + name] for name in registry.fields()})


def apply_preset() -> None:
    """The preset picker's callback: set every control to the chosen preset's value."""
    preset = presets.PRESETS.get(st.session_state.get(PRESET_WIDGET))
    if preset is None:
        return
    config = preset.apply(draft_config())
    for name in registry.fields():
        st.session_state[WIDGET + name] = getattr(config, name)


def render_presets() -> None:
    """The preset picker: shows the preset the controls match, or "custom settings"."""
    matched = presets.matching_preset(draft_config())
    st.session_state[PRESET_WIDGET] = matched.name if matched else None
    st.sidebar.selectbox(
        "Preset", list(presets.PRESETS), key=PRESET_WIDGET, on_change=apply_preset,
        format_func=lambda name: presets.PRESETS[name].title, placeholder="Custom settings",
        help="Sets every control at once. "
             + " ".join(f"**{preset.title}**: {preset.description}."
                        for preset in presets.PRESETS.values()))
    st.sidebar.caption(f"{matched.description}." if matched else
                       "Custom settings: pick a preset to start again from one.")


def fit_choices(name: str, options: list) -> list:
    """Keep a choice control's value among `options` (the data set changed, say)."""
    if options and st.session_state.get(WIDGET + name) not in options:
        st.session_state[WIDGET + name] = options[0]
    return options


def render_controls() -> dict:
    """The fields that matter for the chosen data set and model, as controls in the sidebar.

    Each control's bounds, options and help come from the field's declaration. A model that
    cannot train on the chosen data set is not offered; fields that change nothing for this
    configuration (pooling for an MLP, the clock fields for MNIST) are hidden and keep their
    defaults. Returns the raw values of every field.
    """
    sidebar = st.sidebar
    sidebar.header("Configuration")
    render_presets()
    datasets = registry.datasets()
    fields = registry.fields()
    components.field_widget(fields["dataset"], WIDGET + "dataset", container=sidebar,
                            format_func=lambda name: datasets[name].title)
    models = registry.models_for(st.session_state[WIDGET + "dataset"])
    components.field_widget(fields["model"], WIDGET + "model", container=sidebar,
                            options=fit_choices("model", list(models)),
                            format_func=lambda name: f"{name} · {models[name].title}")
    spec = models[st.session_state[WIDGET + "model"]]
    fit_choices("monitor", [*MONITORS, *spec.extra_monitors])
    draft = draft_config()
    stopping = bool(st.session_state[WIDGET + "early_stopping"])
    shown_lab_fields = any(declared.lab != "core" and declared.relevant(draft)
                           for declared in fields.values())
    lab_fields = sidebar.expander(f"{spec.task.capitalize()} settings",
                                  expanded=True) if shown_lab_fields else sidebar
    values = {}
    for name, declared in fields.items():
        if not declared.relevant(draft):
            values[name] = declared.default
            continue
        values[name] = st.session_state[WIDGET + name]
        if name in ("dataset", "model"):
            continue
        container = sidebar if declared.lab == "core" else lab_fields
        if name == "monitor":
            components.field_widget(declared, WIDGET + name, container=container,
                                    options=[*MONITORS, *spec.extra_monitors],
                                    disabled=not stopping)
        elif name == "learning_rate":
            default = OPTIMIZER_DEFAULT_LR[st.session_state[WIDGET + "optimizer"]]
            components.field_widget(declared, WIDGET + name, container=container,
                                    placeholder=f"optimizer default ({default:g})")
        else:
            components.field_widget(declared, WIDGET + name, container=container)
    return values


def config_from_controls(values: dict) -> tuple[RunConfig, ConfigError | None]:
    """The controls' configuration and its validation error, if any."""
    config = RunConfig(**values)
    try:
        config.validate()
    except ConfigError as error:
        return config, error
    return config, None


def sync_url(config: RunConfig, run_id: str | None) -> None:
    """Write the non-default fields and the session's run into the URL (when they changed)."""
    wanted = presets.link_from_config(config)
    if run_id:
        wanted[presets.RUN_PARAM] = run_id
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


def start(config: RunConfig, retrain: bool = False) -> None:
    run = runner.start_run(config, components.run_store(), retrain=retrain)
    st.session_state[RUN_STATE] = run.run_id


@st.cache_data(show_spinner=False, ttl=60)
def model_summary(architecture: str) -> dict | str:
    """`summaries.model_summary` of an architecture (a JSON `RunConfig`), or the error text
    (kept a minute, so a model that cannot be built is not asked for on every rerun)."""
    try:
        return summaries.model_summary(RunConfig.from_dict(json.loads(architecture)),
                                       components.run_store())
    except Exception as error:  # a broken model must not take the page down
        return str(error)


def render_model_summary(place: st.delta_generator.DeltaGenerator, config: RunConfig,
                         expanded: bool) -> None:
    """Layers, output shapes and parameter count of the configuration's model, in `place`."""
    architecture = json.dumps(summaries.architecture(config).to_dict(), sort_keys=True)
    with place.container():
        with st.spinner("Building the model..."):
            summary = model_summary(architecture)
        if isinstance(summary, str):
            st.error(f"The model summary failed: {summary}", icon=":material/error:")
            return
        # The layer table is built only while the expander is open (a data grid costs the
        # browser a few tenths of a second).
        layers = st.expander(f"Model {config.model}: {summary['parameters']:,} parameters, "
                             f"{len(summary['layers'])} layers", expanded=expanded,
                             key=f"train.summary.{expanded}", on_change="rerun")
        if layers.open:
            with layers:
                components.render_model_summary_table(summary)


def render_idle(config: RunConfig, error: ConfigError | None, shown: Run | None) -> None:
    """Before a run: the Start button (or the stored result), the model summary."""
    if error is not None:
        st.error(f"**{error.field}**: {error.reason}", icon=":material/error:")
        return
    if shown is not None and shown.status == "finished":
        note, action = st.columns([4, 1], vertical_alignment="center")
        if shown.run_id != st.session_state.get(RUN_STATE):
            note.info("This configuration has already been trained; its stored result is "
                      "below.", icon=":material/history:")
        if action.button("Train again", icon=":material/replay:", key="train_again",
                         width="stretch"):
            start(config, retrain=True)
            st.rerun()
    elif st.button("Start training", type="primary", icon=":material/play_arrow:",
                   key="start"):
        start(config)
        st.rerun()
    # The summary's place is above the stored result, but it is filled in after it: a summary
    # never built before takes a worker a second or more, the result is on disk.
    summary = st.empty()
    if shown is not None:
        components.render_run(shown, key="result")
    render_model_summary(summary, config, expanded=shown is None)


def main() -> None:
    try:
        render_page()
    finally:
        # A warm worker makes Start begin training at once; started after the page is drawn,
        # so its TensorFlow import does not slow the page down.
        runner.keep_worker_ready()


def render_page() -> None:
    """The controls, then the live run, or the Start button and the stored result."""
    load_from_url()
    seed_widgets(st.session_state[CONFIG_STATE])
    values = render_controls()
    config, error = config_from_controls(values)
    st.session_state[CONFIG_STATE] = config

    st.title("Train")
    for message in st.session_state.pop(LINK_ERRORS_STATE, []):
        st.warning(f"Ignored from the link: {message}", icon=":material/link_off:")
    if error is None:
        default = " (the optimizer's default)" if config.learning_rate is None else ""
        schedule = ("" if config.lr_schedule == "constant" else
                    f", decaying by {config.lr_schedule} to "
                    f"{config.rate_at(config.epochs - 1):.3g} in the last epoch")
        st.markdown(f"Learning rate used: **{config.effective_learning_rate:g}**{default}"
                    f"{schedule}")

    # The live view's place: an empty element unless a run is live, so that when a run ends
    # its live view is cleared at once instead of lingering, faded and squeezed into the
    # result's layout, until the result view has rendered.
    live = st.empty()
    run = components.find_run(st.session_state.get(RUN_STATE))
    if run is not None and run.status in ACTIVE:
        with live.container():
            if run.config != config:
                st.info("The controls changed; the live run below keeps its own "
                        "configuration.", icon=":material/info:")
            components.render_live_run(run.run_id)
        sync_url(run.config, run.run_id)
        return
    shown = run if run is not None and run.config == config else None
    if shown is None and error is None:
        shown = components.run_store().find_finished(config)
    sync_url(config, shown.run_id if shown is not None else None)
    render_idle(config, error, shown)


main()
