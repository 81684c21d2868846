"""Views several pages share: a run's live progress and its full result.

Everything here only lays out widgets; the numbers and figures come from `dlnn` (run store,
`history`, `figures`, `gallery`). `render_live_run` is a fragment that rereads the run store
every `LIVE_REFRESH_SECONDS` and reruns the whole page once the run has ended, so the page
can swap the live view for `render_run`, the result view.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from dlnn import figures, headlines, history, registry, runner, tensorboard_logs
from dlnn.config import RunConfig
from dlnn.data import DATASETS, load_raw
from dlnn.fields import Field
from dlnn.gallery import misclassified
from dlnn.permutation import permute_pixels, run_permutation
from dlnn.runs import ACTIVE, Run, RunStore

if __name__ == "__main__":  # opened as a page by Streamlit's legacy pages/ discovery
    from pages import require_shell

    require_shell()

LIVE_REFRESH_SECONDS = 0.3
GALLERY_COLUMNS = 8
RESULT_TABS = ("Learning curves", "Confusion matrix", "Misclassified test images")
STATUS_ICONS = {
    "queued": ":material/hourglass_top:", "running": ":material/play_circle:",
    "finished": ":material/check_circle:", "failed": ":material/error:",
    "cancelled": ":material/cancel:", "interrupted": ":material/report:",
    "damaged": ":material/broken_image:",
}  # fmt: skip


def run_store() -> RunStore:
    """The run store the dashboard reads (`$DLNN_CACHE_DIR/runs`)."""
    return RunStore()


def find_run(run_id: str | None) -> Run | None:
    """The stored run `run_id`, or None when there is no such run (deleted, mistyped)."""
    if not run_id:
        return None
    try:
        return run_store().get(run_id)
    except KeyError:
        return None


def status_badge(status: str) -> str:
    """Markdown for a status with its icon, e.g. ':material/error: **failed**'."""
    return f"{STATUS_ICONS.get(status, '')} **{status}**"


def format_seconds(seconds: float | None) -> str:
    """`3.14` -> `3.1 s`, `75.2` -> `1 min 15 s`; None -> `—`."""
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def progress_text(progress: history.Progress) -> str:
    """One line for the progress bar: epoch, batch, time spent and time left."""
    if progress.status == "queued" or not progress.epochs:
        return "Starting the worker (loading TensorFlow and the data)..."
    parts = [f"Epoch {max(progress.epoch, 1)}/{progress.epochs}"]
    if progress.steps_per_epoch:
        parts.append(f"batch {progress.batch}/{progress.steps_per_epoch}")
    parts.append(f"{format_seconds(progress.elapsed_seconds)} elapsed")
    if progress.eta_seconds is not None:
        parts.append(f"about {format_seconds(progress.eta_seconds)} left")
    return " · ".join(parts)


def field_help(declared: Field) -> str:
    """A widget's help: what the field does to training, then what it accepts."""
    return f"{declared.help[0].upper()}{declared.help[1:]}. Allowed: {declared.allowed_text()}."


def field_widget(declared: Field, key: str, *, container: Any = None,
                 options: Sequence[Any] | None = None, disabled: bool = False,
                 format_func: Callable[[Any], str] = str, placeholder: str | None = None) -> Any:
    """The widget for one run-configuration field, its bounds and help from the declaration.

    Args:
        declared: the field.
        key: the widget's session-state key (it holds the value).
        container: where to draw it (default: the main area).
        options: the choices to offer (default: every allowed one).
        disabled: greyed out (e.g. patience while early stopping is off).
        format_func: how a choice is shown.
        placeholder: shown in an empty optional number box (default: what None means).
    """
    place = container or st
    label, help_text = declared.title, field_help(declared)
    choices = declared.allowed_choices()
    if choices is not None:
        return place.selectbox(label, list(options if options is not None else choices),
                               key=key, help=help_text, disabled=disabled,
                               format_func=format_func)
    if declared.kind is bool:
        return place.toggle(label, key=key, help=help_text, disabled=disabled)
    if declared.kind in (int, float):
        cast = declared.kind
        return place.number_input(
            label, key=key, help=help_text, disabled=disabled,
            min_value=None if declared.low is None else cast(declared.low),
            max_value=None if declared.high is None else cast(declared.high),
            step=cast(declared.step or 1), value=None if declared.optional else "min",
            format="%g" if cast is float else "%d",
            placeholder=placeholder or declared.none_means or None,
        )
    return place.text_input(label, key=key, help=help_text, disabled=disabled,
                            placeholder=placeholder or declared.none_means or None)


def config_caption(config: RunConfig) -> str:
    """A one-line description of a configuration, with the learning rate actually used.

    Fields that change nothing for it (pooling of an MLP) are left out; a lab's fields that
    apply (the clock fields of a clock run) follow the core's.
    """
    dropout = "model default" if config.dropout is None else config.dropout
    subset = "all" if config.subset is None else config.subset
    parts = [f"{config.model} on {config.dataset}",
             f"{config.optimizer} lr {config.effective_learning_rate:g}"
             + ("" if config.lr_schedule == "constant" else f" ({config.lr_schedule} decay)"),
             config.activation,
             config.initializer, f"dropout {dropout}"]
    fields = registry.fields()
    if fields["pooling"].relevant(config):
        parts.append(f"{config.pooling} pooling")
    parts += [f"batch {config.batch_size}", f"{config.epochs} epochs", f"subset {subset}",
              f"seed {config.seed}"]
    if config.backend != fields["backend"].default:
        parts.append(f"{config.backend} backend")
    if config.permute:
        parts.append("permuted pixels")
    if not config.validation_fraction:
        parts.append("no validation data held out")
    if config.early_stopping:
        parts.append(f"early stopping on {config.monitor} (patience {config.patience})")
    parts += [f"{declared.title.lower()} {declared.format(getattr(config, name))}"
              for name, declared in fields.items()
              if declared.lab != "core" and declared.relevant(config)
              and getattr(config, name) is not None]
    return " · ".join(parts)


# -- learning curves -------------------------------------------------------------------------


def render_learning_curves(events: list[dict], key: str, config: RunConfig | None = None
                           ) -> None:
    """One chart per metric: train per batch and per epoch, and validation.

    Given the run's `config`, the task's main curves come first (loss and accuracy; CSE and
    hour accuracy for a clock) and the others wait behind a switch; without it every metric
    is drawn, loss first.
    """
    batches = history.batch_history(events)
    epochs = history.epoch_history(events)
    steps = history.progress(events).steps_per_epoch or None
    metrics = history.metric_names(epochs) or history.metric_names(batches) or ["loss"]
    if config is None:
        first = sorted(metrics, key=lambda name: (name != "loss", "loss" in name))
        rest: list[str] = []
    else:
        first, rest = headlines.for_config(config).split_curves(metrics)
    shown = first or rest[:2]
    if len(rest) > len(shown) - len(first) and st.toggle(
            f"Show all {len(metrics)} curves", key=f"{key}_all",
            help="Each metric the run logged: " + ", ".join(metrics)):
        shown = first + rest
    columns = st.columns(2)
    for index, metric in enumerate(shown):
        figure = figures.learning_curves(epochs, batches, metric, title=metric,
                                         steps_per_epoch=steps)
        with columns[index % 2]:
            st.plotly_chart(figure, key=f"{key}_{metric}", width="stretch")


# -- the live view ---------------------------------------------------------------------------


@st.fragment(run_every=LIVE_REFRESH_SECONDS)
def render_live_run(run_id: str) -> None:
    """Progress bar, Stop button and live curves of an active run, redrawn every 0.3 s."""
    run = find_run(run_id)
    record = run.status_record() if run else {"status": "deleted"}
    if record["status"] not in ACTIVE:
        st.rerun(scope="app")  # the page shows the result view instead
    events = run.events()
    progress = history.progress(events, now=time.time())
    header, stop = st.columns([5, 1], vertical_alignment="center")
    header.markdown(f"{status_badge(record['status'])} · `{run.run_id}`")
    if run.stop_requested():
        stop.button("Stopping...", disabled=True, key="live_stopping", width="stretch")
    elif stop.button("Stop", icon=":material/stop:", key="live_stop", width="stretch"):
        runner.stop_run(run)
        st.rerun(scope="fragment")
    st.progress(progress.fraction, text=progress_text(progress))
    tiles = headlines.live_values(run.config, progress)
    for cell, (metric, text) in zip(st.columns(len(tiles)), tiles, strict=True):
        cell.metric(metric.label, text, help=metric.help)
    render_learning_curves(events, key="live", config=run.config)


# -- the result view -------------------------------------------------------------------------


def render_run(run: Run, key: str = "run") -> None:
    """Everything about a run that has ended: outcome, numbers, figures, mistakes, files."""
    if run.problem is not None:
        st.markdown(f"{status_badge('damaged')} · `{run.run_id}`")
        st.error(f"This run's folder cannot be read: {run.problem}. `python -m dlnn runs repair "
                 f"{run.run_id}` rebuilds or sets it aside; Delete removes it.",
                 icon=":material/broken_image:")
        return
    record = run.status_record()
    status = record["status"]
    config = run.config
    result = run.result() or {}
    events = run.events()
    st.markdown(f"{status_badge(status)} · {run.label} · `{run.run_id}`")
    st.caption(config_caption(config))
    reason = record.get("reason") or history.progress(events).reason
    if status in ("failed", "interrupted"):
        st.error(f"The run {status}: {reason or 'no reason recorded'}",
                 icon=":material/error:")
        if result.get("traceback"):
            with st.expander("Worker traceback"):
                st.code(result["traceback"], language="text")
    elif status == "cancelled":
        st.warning(f"The run was cancelled: {reason or 'stopped'}", icon=":material/cancel:")
    render_headline(result, events, config)
    if result.get("confusion_matrix") is None:
        render_learning_curves(events, key=f"{key}_curves", config=config)
    else:
        # Only the open tab is drawn: each holds Plotly charts that take a browser a while, and
        # a run should open in a second or two.
        curves, confusion, mistakes = st.tabs(RESULT_TABS, key=f"{key}_view",
                                              on_change="rerun")
        if curves.open:
            with curves:
                render_learning_curves(events, key=f"{key}_curves", config=config)
        class_names = result.get("class_names") or list(DATASETS[config.dataset].class_names)
        if confusion.open:
            with confusion:
                render_confusion(result, class_names, key)
        if mistakes.open:
            with mistakes:
                render_mistakes(run, class_names, key)
    render_downloads(run, events, key)
    render_tensorboard_link(run)


def render_tensorboard_link(run: Run) -> None:
    """The command that opens the run in TensorBoard, and where it shows once started."""
    if not tensorboard_logs.log_dir(run.path).is_dir():
        return
    link = tensorboard_logs.url(run_id=run.run_id)
    st.caption(f":material/insights: Open this run in TensorBoard (scalars, model graph, "
               f"hyperparameters): start it with `python -m dlnn tensorboard {run.run_id} "
               f"--start`, then [open TensorBoard]({link}).")


def render_headline(result: dict, events: list[dict], config: RunConfig) -> None:
    """The task's headline metrics (test accuracy, or CSE and hour accuracy for a clock),
    its best validation value, the epochs run and the time per epoch."""
    epochs = history.epoch_history(events)
    metrics = headlines.for_config(config)
    values = headlines.headline_values(config, result, epochs)
    best_epoch = headlines.best_epoch(config, epochs)
    shown = metrics.columns()
    cells = st.columns(len(shown) + 2)
    for cell, (column, metric) in zip(cells, shown.items(), strict=False):
        text = metric.format(values[column])
        note = f" (epoch {best_epoch})" if column == metrics.best_column and best_epoch else ""
        if column == metrics.best_column and not config.validation_fraction:
            text, note = "none held out", ("; this run trained on every training image and "
                                           "kept none for validation (a final fit)")
        cell.metric(metric.label, text, help=metric.help + note)
    cells[-2].metric("Epochs run", f"{result.get('epochs_run', len(epochs))}/{config.epochs}")
    cells[-1].metric("Seconds per epoch", format_seconds(result.get("seconds_per_epoch")))


def render_confusion(result: dict, class_names: list[str], key: str) -> None:
    """Confusion matrix and per-class accuracy of a classifier's test set."""
    normalize = st.toggle("Normalise the confusion matrix by row (share of each true class)",
                          key=f"{key}_normalize")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(
            figures.confusion_matrix_heatmap(result["confusion_matrix"], class_names,
                                             normalize=normalize, title="Confusion matrix"),
            key=f"{key}_confusion", width="stretch")
    with right:
        if result.get("per_class_accuracy") is not None:
            st.plotly_chart(
                figures.per_class_accuracy(result["per_class_accuracy"], class_names,
                                           title="Per-class test accuracy"),
                key=f"{key}_per_class", width="stretch")


@st.cache_data(show_spinner=False, max_entries=4)
def test_set(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """The data set's test images (uint8, as stored, unpermuted) and labels."""
    raw = load_raw(dataset)
    return np.asarray(raw.x_test), np.asarray(raw.y_test)


def render_mistakes(run: Run, class_names: list[str], key: str) -> None:
    """A grid of misclassified test images captioned with true and predicted class."""
    if not run.predictions_path.exists():
        st.caption("This run kept no predictions.")
        return
    try:
        images, labels = test_set(run.config.dataset)
    except Exception as error:  # missing or changed data must not take the page down
        st.caption(f"The test images cannot be loaded: {error}")
        return
    predicted = np.load(run.predictions_path)
    if len(predicted) != len(labels):
        st.caption(f"The stored predictions ({len(predicted)}) do not match the test set "
                   f"({len(labels)} images) any more.")
        return
    indices, captions = misclassified(labels, predicted, class_names)
    wrong = int((labels != predicted).sum())
    if wrong == 0:
        st.success(f"All {len(labels)} test images are classified correctly.")
        return
    st.caption(f"{wrong} of {len(labels)} test images are misclassified; the first "
               f"{len(indices)} are shown.")
    shown = images[indices]
    if run.config.permute:
        as_trained = st.toggle("Show the permuted pixels the network saw", key=f"{key}_perm")
        if as_trained:
            permutation = run_permutation(run.config, int(np.prod(shown.shape[1:])))
            shown = permute_pixels(shown, permutation)
        else:
            st.caption("This run trained on permuted pixels; the images are shown unpermuted.")
    st.plotly_chart(figures.image_grid(shown, captions, columns=GALLERY_COLUMNS),
                    key=f"{key}_mistakes", width="stretch")


def render_downloads(run: Run, events: list[dict], key: str) -> None:
    """Download buttons: epoch and batch history (CSV), configuration (JSON), model (.keras)."""
    columns = st.columns(4)
    columns[0].download_button(
        "Epoch history (CSV)", data=history.epoch_history(events).to_csv(index=False),
        file_name=f"{run.run_id}-epochs.csv", mime="text/csv", on_click="ignore",
        icon=":material/download:", key=f"{key}_csv_epochs")
    columns[1].download_button(
        "Batch history (CSV)", data=history.batch_history(events).to_csv(index=False),
        file_name=f"{run.run_id}-batches.csv", mime="text/csv", on_click="ignore",
        icon=":material/download:", key=f"{key}_csv_batches")
    columns[2].download_button(
        "Configuration (JSON)",
        data=json.dumps({"run_id": run.run_id, "config": run.config.to_dict()}, indent=2),
        file_name=f"{run.run_id}-config.json", mime="application/json", on_click="ignore",
        icon=":material/download:", key=f"{key}_json")
    if run.model_path.exists():
        columns[3].download_button(
            "Model (.keras)", data=run.model_path.read_bytes,
            file_name=f"{run.run_id}.keras", mime="application/octet-stream",
            on_click="ignore", icon=":material/download:", key=f"{key}_model")
    else:
        columns[3].caption("No saved model (the run did not finish).")


def model_summary_table(summary: dict) -> pd.DataFrame:
    """The layers of a `dlnn.summaries.model_summary` answer as a table."""
    return pd.DataFrame(summary["layers"], columns=["name", "type", "output_shape",
                                                    "parameters"])


def render_model_summary_table(summary: dict) -> None:
    """The layers of a model summary, parameter counts with thousands separators."""
    st.dataframe(model_summary_table(summary), hide_index=True, width="stretch",
                 column_config={
                     "output_shape": st.column_config.TextColumn("output shape"),
                     "parameters": st.column_config.NumberColumn("parameters",
                                                                 format="localized"),
                 })
