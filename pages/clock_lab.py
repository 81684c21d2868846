"""Clock lab (Task 3): generate clocks, train a clock reader, see it read the time.

Tabs: the generator playground (every realism control, a sample grid, "set the time"), training
(live per-head curves and validation CSE), results (test CSE, hour accuracy, minute MAE, test
clocks with the predicted hands, worst predictions, error histogram, error against true time),
the report's Figures 6 and 7 as comparisons of stored runs, reading an uploaded photo, the
course data upload, and the measured table beside the report's numbers. Training and reading a
photo run in worker processes; this page never imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from pages import require_shell

require_shell()

from dlnn import (  # noqa: E402
    figures,
    paths,
    registry,  # noqa: E402
    runner,
    sweeps,
)
from dlnn.clocks import drawing  # noqa: E402
from dlnn.clocks.course import (  # noqa: E402
    CourseDataError,
    load_course_data,
    save_course_data,
)
from dlnn.clocks.datasets import (  # noqa: E402
    clock_split,
    photo_to_clock,
    style_limits,
)
from dlnn.clocks.lab import CLOCK_DATASETS, CLOCK_MODELS, COURSE_DATASET  # noqa: E402
from dlnn.clocks.render import PRESETS, ClockStyle, render_clock, render_clocks  # noqa: E402
from dlnn.clocks.reproduce import (  # noqa: E402
    MEASURED,
    QUICK_DATA,
    REPORTED,
    task3_configs,
)
from dlnn.config import OPTIMIZER_DEFAULT_LR, ConfigError, RunConfig  # noqa: E402
from dlnn.runs import ACTIVE, Run  # noqa: E402
from pages import components  # noqa: E402

RUN_PARAM = "run"
RUN_STATE = "clock.run_id"
CONFIG_STATE = "clock.config"
# The class setting: small images, a few thousand clocks, a few epochs (minutes on a laptop).
QUICK = {**QUICK_DATA, "batch_size": 32, "convs_per_block": 2, "batch_norm": True,
         "initializer": "glorot_uniform", "optimizer": "adam"}
DEFAULT_CONFIG = RunConfig(dataset="clocks-easy", model="clock-hands", **QUICK)
SAMPLE_COUNT = 12
GRID_COUNT = 18
WORST_COUNT = 6
FIGURE7_FIELDS = ("optimizer", "activation", "initializer")
PREDICT_TIMEOUT_SECONDS = 120


# -- state ----------------------------------------------------------------------------------
def load_state() -> None:
    """First visit: the run (and its configuration) from the URL, else the class setting."""
    if CONFIG_STATE in st.session_state:
        return
    run = components.find_run(st.query_params.get(RUN_PARAM))
    if run is not None and run.config.model in CLOCK_MODELS:
        st.session_state[RUN_STATE] = run.run_id
        st.session_state[CONFIG_STATE] = run.config
    else:
        st.session_state[CONFIG_STATE] = DEFAULT_CONFIG


def current_run() -> Run | None:
    return components.find_run(st.session_state.get(RUN_STATE))


def set_run(run: Run) -> None:
    st.session_state[RUN_STATE] = run.run_id
    st.query_params[RUN_PARAM] = run.run_id


# -- generator playground -------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=16)
def sample_clocks(style: ClockStyle, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    hours = np.random.default_rng(seed).integers(0, 12, count)
    minutes = np.random.default_rng(seed + 1).integers(0, 60, count)
    return render_clocks(hours, minutes, style, seed), np.stack([hours, minutes], axis=1)


def style_controls() -> ClockStyle:
    """A preset, then every realism control of `ClockStyle`, starting at the preset's values."""
    preset = st.selectbox("Start from preset", list(PRESETS), index=len(PRESETS) - 1,
                          key="clock.gen.preset")
    base = PRESETS[preset]
    limits = style_limits()
    values: dict = {}
    columns = st.columns(4)
    for index, field in enumerate(dataclasses.fields(ClockStyle)):
        cell = columns[index % 4]
        default = getattr(base, field.name)
        key = f"clock.gen.{preset}.{field.name}"
        label = field.name.replace("_", " ")
        if isinstance(default, bool):
            values[field.name] = cell.toggle(label, value=default, key=key)
        elif field.name == "size":
            values[field.name] = cell.slider(label, 32, 256, default, step=2, key=key)
        else:
            low, high = limits[field.name]
            values[field.name] = cell.slider(label, float(low), float(high), float(default),
                                             key=key)
    try:
        return ClockStyle(**values)
    except ValueError as error:
        st.error(str(error), icon=":material/error:")
        return base


def render_generator() -> None:
    st.markdown("Every control below is a `ClockStyle` field; the data sets `clocks-<preset>` "
                "use the presets at the run's image size.")
    style = style_controls()
    seed = st.number_input("Seed", min_value=0, value=0, step=1, key="clock.gen.seed")
    images, labels = sample_clocks(style, SAMPLE_COUNT, int(seed))
    captions = [drawing.format_time(hour, minute) for hour, minute in labels]
    st.plotly_chart(figures.image_grid(images, captions, columns=6), width="stretch",
                    key="clock_samples")
    st.markdown("**Set the time**")
    left, right = st.columns([1, 2])
    hour = left.slider("Hour", 0, 11, 10, key="clock.gen.hour")
    minute = left.slider("Minute", 0, 59, 9, key="clock.gen.minute")
    with right:
        st.image(render_clock(hour, minute, style, int(seed)),
                 caption=f"{drawing.format_time(hour, minute)} ({style.size}x{style.size})",
                 width=260)


# -- training -------------------------------------------------------------------------------
def training_controls(config: RunConfig) -> RunConfig:
    """The clock fields of a run configuration as a form; returns the edited configuration."""
    row = st.columns(4)
    datasets = list(CLOCK_DATASETS)
    dataset = row[0].selectbox("Data set", datasets, index=datasets.index(config.dataset),
                               key="clock.dataset")
    models = list(CLOCK_MODELS)
    model = row[1].selectbox("Model", models, index=models.index(config.model),
                             format_func=lambda name: f"{name} · {registry.models()[name].title}",
                             key="clock.model")
    optimizers = list(OPTIMIZER_DEFAULT_LR)
    optimizer = row[2].selectbox("Optimizer", optimizers,
                                 index=optimizers.index(config.optimizer), key="clock.optimizer")
    epochs = row[3].number_input("Epochs", 1, 500, config.epochs, key="clock.epochs")
    row = st.columns(4)
    clock_images = row[0].number_input("Clocks generated", 20, 200_000, config.clock_images,
                                       step=1000, key="clock.images")
    image_size = row[1].number_input("Image size (px)", 16, 256, config.image_size, step=8,
                                     key="clock.size")
    batch_size = row[2].number_input("Batch size", 1, 4096, config.batch_size, key="clock.batch")
    seed = row[3].number_input("Seed", 0, 2**31 - 1, config.seed, key="clock.seed")
    row = st.columns(5)
    conv_blocks = row[0].number_input("Conv blocks", 1, 6, config.conv_blocks, key="clock.blocks")
    conv_filters = row[1].number_input("First filters", 1, 256, config.conv_filters,
                                       key="clock.filters")
    convs = row[2].number_input("Convs per block", 1, 4, config.convs_per_block,
                                key="clock.convs")
    dense_units = row[3].number_input("Dense units", 1, 4096, config.dense_units,
                                      key="clock.dense")
    augment = row[4].slider("Augmentation", 0.0, 1.0, float(config.augment), step=0.1,
                            key="clock.augment")
    batch_norm = st.toggle("Batch normalisation", value=config.batch_norm, key="clock.bn")
    data_path = config.data_path
    if dataset == COURSE_DATASET:
        data_path = st.text_input("Course data folder (images.npy, labels.npy)",
                                  value=data_path or "", key="clock.data_path") or None
    else:
        data_path = None
    return config.replace(
        dataset=dataset, model=model, optimizer=optimizer, learning_rate=None,
        epochs=int(epochs), clock_images=int(clock_images), image_size=int(image_size),
        batch_size=int(batch_size), seed=int(seed), conv_blocks=int(conv_blocks),
        conv_filters=int(conv_filters), convs_per_block=int(convs),
        dense_units=int(dense_units), augment=float(augment), batch_norm=batch_norm,
        data_path=data_path, subset=None, permute=False,
    )


def use_config(config: RunConfig) -> None:
    """Replace the form's configuration (its widgets are rebuilt with the new values)."""
    st.session_state[CONFIG_STATE] = config
    for key in [key for key in st.session_state if str(key).startswith("clock.")
                and not str(key).startswith(("clock.gen.", "clock.run_id", "clock.config"))]:
        del st.session_state[key]


def render_training() -> None:
    config = st.session_state[CONFIG_STATE]
    presets = st.columns(3)
    if presets[0].button("Class setting (64 px, 8,000 clocks, 12 epochs)",
                         icon=":material/bolt:", key="clock.quick"):
        use_config(config.replace(**QUICK))
        st.rerun()
    for column, (role, preset) in zip(presets[1:], task3_configs().items(), strict=True):
        if column.button(f"Full {role} ({preset.model}, {preset.image_size} px)",
                         icon=":material/tune:", key=f"clock.full.{role}"):
            use_config(preset)
            st.rerun()
    config = training_controls(config)
    st.session_state[CONFIG_STATE] = config
    try:
        config.validate()
    except ConfigError as error:
        st.error(f"**{error.field}**: {error}", icon=":material/error:")
        return
    run = current_run()
    if run is not None and run.status in ACTIVE:
        components.render_live_run(run.run_id)
        return
    stored = components.run_store().find_finished(config)
    label = "Show the stored run" if stored else "Start training"
    if st.button(label, type="primary", icon=":material/play_arrow:", key="clock.start"):
        set_run(runner.start_run(config, components.run_store()))
        st.rerun()
    if run is not None:
        st.caption(f"Latest run of this session: {components.status_badge(run.status)} · "
                   f"`{run.run_id}` (results in the next tab)")


# -- results --------------------------------------------------------------------------------
@st.cache_data(show_spinner="Loading the test clocks...", max_entries=4)
def test_clocks(config_json: str) -> tuple[np.ndarray, np.ndarray]:
    """The test images (uint8) and labels of a stored run's configuration."""
    split = clock_split(RunConfig.from_dict(json.loads(config_json)))
    return split.test_images, split.test_labels


def finished_clock_runs() -> list[Run]:
    """Finished clock runs, the lowest test CSE first."""
    runs = [run for run in components.run_store().list()
            if run.config.model in CLOCK_MODELS and run.status == "finished"]
    return sorted(runs, key=lambda run: (run.result() or {}).get("test_cse_minutes", 360.0))


def pick_result_run() -> Run | None:
    """The session's run, or one picked from the finished clock runs."""
    finished = finished_clock_runs()
    current = current_run()
    choices = ([current] if current is not None and current.status == "finished" else [])
    choices += [run for run in finished if current is None or run.run_id != current.run_id]
    if not choices:
        st.info("No finished clock run yet: train one in the Train tab.", icon=":material/info:")
        return None
    return st.selectbox("Run", choices, format_func=lambda run: f"{run.label} · "
                        f"CSE {(run.result() or {}).get('test_cse_minutes', float('nan')):.1f}",
                        key="clock.result_run")


def render_results() -> None:
    run = pick_result_run()
    if run is None:
        return
    result = run.result() or {}
    st.caption(components.config_caption(run.config))
    cells = st.columns(5)
    cells[0].metric("Test CSE (mean)", f"{result.get('test_cse_minutes', 0):.2f} min")
    cells[1].metric("CSE median", f"{result.get('test_cse_median_minutes', 0):.1f} min")
    cells[2].metric("Hour accuracy", f"{result.get('test_hour_accuracy', 0):.2%}")
    cells[3].metric("Minute MAE (cyclic)", f"{result.get('test_minute_mae', 0):.2f} min")
    cells[4].metric("Training time", components.format_seconds(
        (result.get("timings") or {}).get("fit_seconds")))
    components.render_learning_curves(run.events(), key="clock_result_curves")
    if not run.predictions_path.exists():
        st.caption("This run kept no predictions.")
        return
    try:
        images, labels = test_clocks(json.dumps(run.config.to_dict()))
    except (CourseDataError, OSError, ValueError) as error:
        st.warning(f"The test clocks cannot be loaded: {error}", icon=":material/warning:")
        return
    predicted = np.load(run.predictions_path)
    if len(predicted) != len(labels):
        st.warning("The stored predictions do not match the test clocks any more.")
        return
    render_prediction_views(images, labels, predicted)


def render_prediction_views(images: np.ndarray, labels: np.ndarray,
                            predicted: np.ndarray) -> None:
    captions = drawing.prediction_captions(labels, predicted)
    st.markdown("**Test clocks with the predicted hands** (red: hour, blue: minute; drawn "
                "upright from the centre)")
    shown = np.arange(min(GRID_COUNT, len(labels)))
    st.plotly_chart(drawing.clock_grid(images[shown], predicted[shown],
                                       [captions[i] for i in shown]),
                    width="stretch", key="clock_grid")
    st.markdown("**Worst predictions**")
    worst = drawing.worst_predictions(labels, predicted, WORST_COUNT)
    st.plotly_chart(drawing.clock_grid(images[worst], predicted[worst],
                                       [captions[i] for i in worst]),
                    width="stretch", key="clock_worst")
    hours, errors = drawing.error_by_time(labels, predicted)
    left, right = st.columns(2)
    with left:
        st.plotly_chart(figures.histogram(errors, title="Common-sense error",
                                          x_title="minutes", bins=60),
                        width="stretch", key="clock_hist")
    with right:
        st.plotly_chart(figures.scatter_error(hours, errors, title="Error against true time",
                                              x_title="true time (hours on the dial)",
                                              y_title="error (minutes)"),
                        width="stretch", key="clock_scatter")


# -- Figures 6 and 7 ------------------------------------------------------------------------
def render_figures() -> None:
    base = st.session_state[CONFIG_STATE]
    st.markdown("Runs that differ in one field from the Train tab's configuration "
                f"({components.config_caption(base)}). Curves: validation minute MAE in "
                "minutes (cyclic), as in the report; finished runs are reused.")
    metric = st.radio("Metric", ["val_minute_error", "val_cse"], horizontal=True,
                      key="clock.fig.metric",
                      format_func={"val_minute_error": "minute MAE",
                                   "val_cse": "common-sense error"}.get)
    render_sweep(base, "batch_size", (32, 256), "Figure 6: batch size", metric)
    field = st.selectbox("Figure 7 sweeps", FIGURE7_FIELDS, key="clock.fig.field")
    render_sweep(base, field, sweeps.REPORT_SWEEPS[field], f"Figure 7: {field}", metric)


def render_sweep(base: RunConfig, field: str, values: tuple, title: str, metric: str) -> None:
    try:
        found = sweeps.sweep_runs(components.run_store(), base, field, values)
    except ConfigError as error:
        st.error(str(error))
        return
    missing = [value for value, run in found.items()
               if run is None or run.status not in ("finished", *ACTIVE)]
    st.plotly_chart(figures.compare_runs(sweeps.sweep_histories(found, field), metric,
                                         title=title, legend_title=field),
                    width="stretch", key=f"clock_sweep_{field}")
    if missing and st.button(f"Queue the {len(missing)} missing runs ({field} = "
                             f"{', '.join(map(str, missing))})", icon=":material/queue:",
                             key=f"clock.queue.{field}"):
        sweeps.start_sweep(base, field, missing, components.run_store())
        st.rerun()
    active = [value for value, run in found.items() if run is not None and run.status in ACTIVE]
    if active:
        st.caption(f"Training now: {field} = {', '.join(map(str, active))}. "
                   "Reload to update the curves.")


# -- a photo --------------------------------------------------------------------------------
def predict_photo(run: Run, data: bytes, suffix: str) -> dict:
    """The time a stored run reads from a photo, asked of `python -m dlnn clocks predict`."""
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        handle.write(data)
        handle.flush()
        done = subprocess.run(
            [sys.executable, "-m", "dlnn", "clocks", "predict", "--run", run.run_id,
             "--image", handle.name, "--json"],
            capture_output=True, text=True, timeout=PREDICT_TIMEOUT_SECONDS, check=False,
            cwd=paths.REPO_ROOT,
        )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(lines[-1] if lines else "the prediction failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def render_photo() -> None:
    finished = finished_clock_runs()
    if not finished:
        st.info("Train a clock model first.", icon=":material/info:")
        return
    run = st.selectbox("Model", finished, key="clock.photo_run",
                       format_func=lambda run: f"{run.label} · {run.config.image_size} px · "
                       f"test CSE {(run.result() or {}).get('test_cse_minutes', 0):.1f} min")
    upload = st.file_uploader("A clock photo (PNG or JPEG, any size)", type=["png", "jpg",
                                                                             "jpeg"],
                              key="clock.photo",
                              help="Crop it so that the clock fills the picture, centred: the "
                                   "models learnt from such pictures, and the dial reader "
                                   "unrolls the picture around its centre.")
    if upload is None:
        return
    from PIL import Image

    clock = photo_to_clock(np.asarray(Image.open(upload)), run.config.image_size)
    with st.spinner("Reading the time in a worker process..."):
        try:
            answer = predict_photo(run, upload.getvalue(), Path(upload.name).suffix)
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as error:
            st.error(f"The prediction failed: {error}", icon=":material/error:")
            return
    st.image(drawing.draw_hands(clock, answer["hour"], answer["minute"]), width=300,
             caption=f"read: {answer['time']} (grey {run.config.image_size}x"
                     f"{run.config.image_size}, as the model sees it)")


# -- course data ----------------------------------------------------------------------------
def render_course_upload() -> None:
    st.markdown("The course's `images.npy` (N, 150, 150) uint8 and `labels.npy` (N, 2) "
                "[hour, minute]. They are checked, saved under `cache/clocks/course/` and "
                "usable as the data set `clocks-course`.")
    name = st.text_input("Name", value="course", key="clock.course.name")
    left, right = st.columns(2)
    images = left.file_uploader("images.npy", type=["npy"], key="clock.course.images")
    labels = right.file_uploader("labels.npy", type=["npy"], key="clock.course.labels")
    if images is None or labels is None:
        return
    try:
        arrays = load_course_data((images, labels))
    except CourseDataError as error:
        st.error(str(error), icon=":material/error:")
        return
    folder = paths.cache_dir() / "clocks" / "course" / (Path(name).name or "course")
    save_course_data(folder, *arrays)
    st.success(f"{len(arrays[1])} clocks saved in `{folder}`.", icon=":material/check:")
    if st.button("Train on it", key="clock.course.use"):
        use_config(st.session_state[CONFIG_STATE].replace(
            dataset=COURSE_DATASET, data_path=str(folder), image_size=arrays[0].shape[1]))
        st.rerun()


# -- measured -------------------------------------------------------------------------------
def render_measured() -> None:
    st.markdown("Measured with `python -m dlnn reproduce task3` and `bench/clock_explore.py` "
                "(details: `docs/clocks.md`), on the same generated "
                "clocks for both models, beside the report's numbers.")
    st.dataframe(pd.DataFrame(MEASURED), hide_index=True, width="stretch")
    st.markdown("**The report and the best public result** (on the course's photographs)")
    st.dataframe(pd.DataFrame([{"source": name, **row} for name, row in REPORTED.items()]),
                 hide_index=True, width="stretch")
    rows = []
    for quick, preset in itertools.product((False, True), ("course-like", "easy")):
        for role, config in task3_configs(quick, preset).items():
            run = components.run_store().find_finished(config)
            if run is not None:
                result = run.result() or {}
                rows.append({"setting": "quick" if quick else "full", "preset": preset,
                             "role": role,
                             "model": config.model, "run": run.run_id,
                             "CSE (min)": result.get("test_cse_minutes"),
                             "hour accuracy": result.get("test_hour_accuracy"),
                             "minute MAE (min)": result.get("test_minute_mae")})
    if rows:
        st.markdown("**`reproduce task3` runs in this store**")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def main() -> None:
    runner.keep_worker_ready()  # a warm worker makes Start begin training at once
    load_state()
    st.title("Clock lab")
    st.caption("Task 3: read the time from an analog clock. The number that matters is the "
               "common-sense error (CSE): minutes between the true and the read time the "
               "short way round the dial (chance: 180).")
    tabs = st.tabs(["Generator", "Train", "Results", "Figures 6 & 7", "Your photo",
                    "Course data", "Measured"])
    with tabs[0]:
        render_generator()
    with tabs[1]:
        render_training()
    with tabs[2]:
        render_results()
    with tabs[3]:
        render_figures()
    with tabs[4]:
        render_photo()
    with tabs[5]:
        render_course_upload()
    with tabs[6]:
        render_measured()


main()
