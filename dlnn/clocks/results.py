"""A clock run's results in the lab's words: the numbers that matter first, the rest on request.

A clock run logs many numbers: each head's loss and mean absolute error in the head's own
units, the learning rate, and the decoded scores the lab is about. The common-sense error (CSE,
minutes) and the hour accuracy (percent) lead; `curve_groups` splits a run's logged metrics
into those and the rest, `curve_title` names each in words and `curve_figure` draws one with
its unit. `headline` gives a finished run's test numbers as tiles, `live_tiles` those of a run
in progress, `finished_clock_runs` lists the store's clock runs best first, `mistakes` picks
the test clocks read wrong (none when every reading is right) and `describe_model` says in one
line what a stored model is and what it learned from (`describe_setting`: a setup in a
few words). Nothing here imports TensorFlow.

Example:
    >>> curve_groups(["minute_mae", "loss", "cse", "hour_accuracy"])
    (['cse', 'hour_accuracy'], ['loss', 'minute_mae'])
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dlnn import figures, registry
from dlnn.clocks.lab import CLOCK_DATASETS, CLOCK_MODELS
from dlnn.clocks.metrics import common_sense_error
from dlnn.clocks.render import PRESETS, split_makes
from dlnn.config import RunConfig
from dlnn.history import Progress
from dlnn.runs import Run, RunStore

CHANCE_CSE = 180.0  # minutes: a guess is on average a quarter of the dial off
# The two curves a teacher reads (base names: validation and, where logged, training); every
# other logged metric is shown on request.
LEAD_CURVES = ("cse", "hour_accuracy")
# Where a metric's name does not say what it is, the words that do ("loss" is the total).
CURVE_TITLES = {
    "cse": f"Common-sense error (minutes, chance: {CHANCE_CSE:.0f})",
    "hour_accuracy": "Hour accuracy (share of clocks with the right hour)",
    "minute_error": "Minute error (minutes, the short way round the hour; the report's "
                    "minute MAE)",
    "learning_rate": "Learning rate (halved when the validation CSE stalls)",
    "loss": "Loss (all heads together)",
}
_PERCENT_CURVES = ("hour_accuracy",)
_MINUTE_CURVES = ("cse", "minute_error")


@dataclass(frozen=True)
class Tile:
    """One number for a metric tile: its label, the value as text and what it means."""

    label: str
    value: str
    help: str = ""


def format_minutes(value: float | None, digits: int = 2) -> str:
    """`0.4133` -> `0.41 min`; None or NaN -> `—`."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f} min"


def format_percent(share: float | None) -> str:
    """`0.9987` -> `99.9%`; None or NaN -> `—`."""
    if share is None or not math.isfinite(share):
        return "—"
    return f"{share:.1%}"


# -- learning curves ------------------------------------------------------------------------
def curve_groups(metrics: Iterable[str]) -> tuple[list[str], list[str]]:
    """(the lead curves among `metrics`, the others, the total loss first).

    `metrics` are base names as `dlnn.history.metric_names` gives them (`loss` stands for
    `loss` and `val_loss`).
    """
    names = list(dict.fromkeys(metrics))
    lead = [name for name in LEAD_CURVES if name in names]
    rest = sorted((name for name in names if name not in lead), key=lambda name: name != "loss")
    return lead, rest


def curve_title(metric: str) -> str:
    """A metric's name in words, e.g. `minute_mae` -> `minute head: mean absolute error ...`."""
    base = metric.removeprefix("val_")
    if base in CURVE_TITLES:
        return CURVE_TITLES[base]
    for suffix, what in (("_loss", "loss"),
                         ("_mae", "mean absolute error, in the head's own units, not minutes"),
                         ("_accuracy", "accuracy")):
        if base.endswith(suffix):
            head = base.removesuffix(suffix).replace("_", " ")
            return f"{head.capitalize()} head: {what}"
    return base.replace("_", " ").capitalize()


def curve_figure(epochs: pd.DataFrame, batches: pd.DataFrame, metric: str,
                 steps_per_epoch: int | None = None) -> go.Figure:
    """`figures.learning_curves` of one metric, titled in words, minutes or percent on y."""
    base = metric.removeprefix("val_")
    figure = figures.learning_curves(epochs, batches, metric, title=curve_title(metric),
                                     steps_per_epoch=steps_per_epoch)
    # Both scales start at 0, so a curve that stays at chance looks flat, not dramatic.
    if base in _PERCENT_CURVES:
        figure.update_yaxes(title_text="", tickformat=".0%", range=[0, 1.02])
    elif base in _MINUTE_CURVES:
        figure.update_yaxes(title_text="minutes", rangemode="tozero")
    return figure


# -- numbers --------------------------------------------------------------------------------
def headline(result: dict[str, Any]) -> list[Tile]:
    """A finished clock run's test numbers, CSE and hour accuracy first."""
    distribution = result.get("test_cse_distribution") or {}
    tested = result.get("test_samples")
    tested_text = f" of the {tested:,} test clocks" if tested else " of the test clocks"
    return [
        Tile("Common-sense error", format_minutes(result.get("test_cse_minutes")),
             "Mean minutes between the true and the read time, the short way round the dial "
             f"(chance: {CHANCE_CSE:.0f})."),
        Tile("Hour accuracy", format_percent(result.get("test_hour_accuracy")),
             f"Share{tested_text} read with the right hour."),
        Tile("Read within a minute", format_percent(distribution.get("within_1")),
             f"Share{tested_text} read at most one minute off."),
        Tile("Median error", format_minutes(result.get("test_cse_median_minutes"), 1),
             "Half of the test clocks are read closer than this."),
    ]


def held_out_tiles(result: dict[str, Any]) -> list[Tile]:
    """Scores on clocks of makes the run never trained on; empty for a set of one make."""
    if result.get("held_out_cse_minutes") is None:
        return []
    makes = len(result.get("held_out_makes") or [])
    tested = result.get("held_out_samples") or 0
    return [
        Tile("Held-out makes: CSE", format_minutes(result.get("held_out_cse_minutes")),
             f"Mean minutes off on {tested:,} clocks of {makes} makes kept out of training: "
             "how well the model reads a clock it never saw."),
        Tile("Held-out makes: hour accuracy", format_percent(result.get("held_out_hour_accuracy")),
             "Share of those clocks read with the right hour."),
        Tile("Held-out makes: median error",
             format_minutes(result.get("held_out_cse_median_minutes"), 1),
             "Half of those clocks are read closer than this."),
    ]


def locator_tiles(result: dict[str, Any]) -> list[Tile]:
    """How well a run's learned locator found the clocks (`learned_framing`); empty without
    one. Measured against the generator's own placement, which the models never see."""
    locator = result.get("locator")
    if not locator:
        return []
    found = locator.get("held_out") or locator.get("run_set") or {}
    where = "clocks of the held-out makes" if locator.get("held_out") else "the run's clocks"
    fit = locator.get("fit_seconds")
    return [
        Tile("Locator: centre off by", f"{found['centre_error_median']:.3f} radii"
             if found.get("centre_error_median") is not None else "—",
             f"Median distance between the centre the locator found and the true one, in dial "
             f"radii, on {where}."),
        Tile("Locator: clocks missed", format_percent(found.get("missed")),
             "Share framed with the centre off by more than a quarter of the radius or the "
             "radius off by more than a fifth."),
        Tile("Locator: training", "—" if fit is None else f"{fit:,.0f} s",
             f"Its own {locator.get('images', 0):,} pictures of the training makes, "
             f"{locator.get('epochs', 0)} epochs (besides the reader's training)."),
    ]


def other_scores(result: dict[str, Any]) -> list[Tile]:
    """The test numbers behind the headline: minute error, worst error, loss, time."""
    distribution = result.get("test_cse_distribution") or {}
    fit = (result.get("timings") or {}).get("fit_seconds")
    loss = result.get("test_loss")
    return [
        Tile("Minute error", format_minutes(result.get("test_minute_mae")),
             "Minutes between the true and the read minute hand, ignoring the hour (the "
             "report's minute MAE)."),
        Tile("Worst error", format_minutes(distribution.get("max"), 0),
             "The test clock read furthest off."),
        Tile("Test loss", "—" if loss is None else f"{loss:.4f}",
             "The training objective on the test clocks (all heads together)."),
        Tile("Training time", "—" if fit is None else f"{fit:,.0f} s",
             "Wall-clock seconds of model.fit on the machine that trained it."),
    ]


def live_tiles(progress: Progress) -> list[Tile]:
    """A running clock run's numbers: last epoch's validation CSE and hour accuracy, loss."""
    scores = progress.epoch_metrics
    when = "after the latest epoch" if scores else "known after the first epoch"
    loss = progress.metrics.get("loss")
    return [
        Tile("Common-sense error", format_minutes(scores.get("val_cse"), 1),
             f"Mean minutes off on the validation clocks, {when} (chance: {CHANCE_CSE:.0f})."),
        Tile("Hour accuracy", format_percent(scores.get("val_hour_accuracy")),
             f"Share of the validation clocks read with the right hour, {when}."),
        Tile("Loss", "—" if loss is None else f"{loss:.4f}",
             "The training objective on the latest batch (all heads together)."),
    ]


# -- runs -----------------------------------------------------------------------------------
def stored_cse(run: Run) -> float:
    """A run's test CSE in minutes (infinite when it has none)."""
    value = (run.result() or {}).get("test_cse_minutes")
    return float("inf") if value is None else float(value)


def finished_clock_runs(store: RunStore) -> list[Run]:
    """The store's finished clock runs, the lowest test CSE first (damaged runs left out)."""
    runs = [run for run in store.list()
            if run.status == "finished" and run.config.model in CLOCK_MODELS]
    return sorted(runs, key=stored_cse)


def reads_many_makes(run: Run) -> bool:
    """Whether the run trained on clocks of many makes (and was tested on makes it never saw)."""
    preset = CLOCK_DATASETS.get(run.config.dataset)
    return preset is not None and PRESETS[preset].makes > 0


def photo_models(store: RunStore) -> list[Run]:
    """Finished clock runs for reading a photo: those trained on many makes of clock first
    (a photo is a clock of another make), the lowest held-out CSE first; then the others."""
    runs = finished_clock_runs(store)

    def held_out_cse(run: Run) -> float:
        value = (run.result() or {}).get("held_out_cse_minutes")
        return float("inf") if value is None else float(value)

    many = sorted((run for run in runs if reads_many_makes(run)), key=held_out_cse)
    return [*many, *(run for run in runs if not reads_many_makes(run))]


def run_choice(run: Run) -> str:
    """A run as one line in a list: `clock-dial / clocks-course-like / adam (a1b2c3) · CSE ...`."""
    return f"{run.label} · {run.config.image_size} px · CSE {format_minutes(stored_cse(run))}"


def describe_data(config: RunConfig) -> str:
    """What a clock configuration trains on, in words."""
    preset = CLOCK_DATASETS.get(config.dataset)
    framed = ""
    if config.frame_clocks:
        framed = (", framed (centre and radius found by a learned locator)"
                  if config.learned_framing else ", framed (centre and radius measured)")
    if preset is None:
        return (f"the course's photographs from {config.data_path or 'a folder'}, "
                f"at {config.image_size} px{framed}")
    style = PRESETS[preset]
    if style.rotation_degrees >= 180:
        pose = "turned any way round"
    elif style.rotation_degrees > 0:
        pose = f"turned up to {style.rotation_degrees:g}°"
    else:
        pose = "upright"
    if style.mirror_probability > 0:
        pose += f", {style.mirror_probability:.0%} mirrored"
    if style.makes:
        train, _ = split_makes(style, config.seed)
        pose += f", {len(train)} of {style.makes} makes"
    return (f"{config.clock_images:,} generated {preset} clocks ({pose}) at "
            f"{config.image_size} px{framed}")


def describe_setting(config: RunConfig) -> str:
    """A training setup in a few words: `clock-dial on course-like clocks, 64 px, 8,000 ...`."""
    preset = CLOCK_DATASETS.get(config.dataset)
    if preset is None:
        return (f"{config.model} on the course's photographs, {config.image_size} px, "
                f"{config.epochs} epochs")
    framed = ""
    if config.frame_clocks:
        framed = ", framed by a learned locator" if config.learned_framing else ", framed"
    return (f"{config.model} on {preset} clocks{framed}, {config.image_size} px, "
            f"{config.clock_images:,} clocks, {config.epochs} epochs")


def describe_model(run: Run) -> str:
    """One line: which model a run trained, on what, and how well it reads test clocks."""
    config = run.config
    spec = registry.models().get(config.model)
    title = f"{config.model} · {spec.title.removeprefix('Clock: ')}" if spec else config.model
    result = run.result() or {}
    line = (f"{title}, trained on {describe_data(config)}; on its test clocks it is "
            f"{format_minutes(result.get('test_cse_minutes'))} off on average and reads the "
            f"right hour {format_percent(result.get('test_hour_accuracy'))} of the time")
    if result.get("held_out_cse_minutes") is None:
        return line + "."
    return (f"{line}; on clocks of makes it never saw, "
            f"{format_minutes(result.get('held_out_cse_minutes'))} and "
            f"{format_percent(result.get('held_out_hour_accuracy'))}.")


def mistakes(labels: np.ndarray, predicted: np.ndarray, count: int) -> np.ndarray:
    """Indices of up to `count` test clocks read wrong, the largest error first.

    Empty when every reading is right, so a view can say so instead of showing correct clocks
    as the "worst".
    """
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    errors = common_sense_error(labels[:, 0], labels[:, 1], predicted[:, 0], predicted[:, 1])
    order = np.argsort(-errors, kind="stable")
    return order[errors[order] > 0][:count]
