"""Plotly figures for runs, sweeps and predictions, as pure functions.

Every function takes plain data (data frames from `dlnn.history`, numpy arrays, lists) and
returns a `plotly.graph_objects.Figure`; nothing here draws to a screen, so tests can check a
figure's traces and the dashboard only calls `st.plotly_chart(fig)`. Empty inputs give an
empty figure that says "no data yet" instead of raising, because live views are drawn before
the first event arrives. All figures share one look (`_style`): the white template, a
horizontal legend on top, train in blue (per batch a lighter blue) and validation in orange.

Example:
    >>> import pandas as pd
    >>> epochs = pd.DataFrame({"epoch": [1, 2], "loss": [0.6, 0.4], "val_loss": [0.7, 0.5]})
    >>> [trace.name for trace in learning_curves(epochs).data]
    ['train', 'validation']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

TRAIN_COLOR = "#1f77b4"
VALIDATION_COLOR = "#ff7f0e"
# The thin per-batch line: a lighter blue, opaque enough to read on a dark background too.
BATCH_COLOR = "#6baed6"
BATCH_OPACITY = 0.75
RUN_COLORS = plotly.colors.qualitative.Plotly
TEMPLATE = "plotly_white"
HEIGHT = 420
IMAGE_CELL_PX = 110  # height of one image row in `image_grid`, caption included
# Label every whole epoch up to this many; beyond, Plotly's own steps (2, 5, 10) are whole.
MAX_EPOCH_TICKS = 15
NO_DATA = "no data yet"


def empty_figure(message: str = NO_DATA, title: str | None = None) -> go.Figure:
    """A figure with no traces and a centred note, for views with nothing to show yet."""
    fig = go.Figure()
    fig.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
        font={"size": 16, "color": "gray"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _style(fig, title)


def epoch_dtick(last_epoch: float) -> int | None:
    """The x-axis tick step of an epoch axis reaching `last_epoch`: 1 while the epochs are
    few enough to label each (left alone, Plotly ticks a 4-epoch run at 0.5, 1, 1.5, ...),
    else None (Plotly's own steps, whole numbers at that length)."""
    return 1 if last_epoch <= MAX_EPOCH_TICKS else None


def learning_curves(
    epochs_df: pd.DataFrame | None,
    batches_df: pd.DataFrame | None = None,
    metric: str = "loss",
    title: str | None = None,
    steps_per_epoch: int | None = None,
    x_axis: Literal["epoch", "step"] = "epoch",
) -> go.Figure:
    """Train (per batch and per epoch) and validation curves of one metric.

    Args:
        epochs_df: `dlnn.history.epoch_history` table; validation comes from `val_<metric>`.
        batches_df: `dlnn.history.batch_history` table, drawn as a thin line.
        metric: a base name such as "loss" or "hour_accuracy" ("val_loss" means "loss").
        title: figure title.
        steps_per_epoch: batches per epoch, from `Progress.steps_per_epoch`; when None it is
            read off the batches of completed epochs.
        x_axis: "epoch" places batch k of epoch e at e - 1 + k / steps_per_epoch; "step"
            uses the global step and puts each epoch's points at its last step.
    """
    base = metric.removeprefix("val_")
    spe = steps_per_epoch or _infer_steps_per_epoch(batches_df)
    if x_axis == "step" and not spe:
        x_axis = "epoch"
    fig = go.Figure()
    if _has(batches_df, base):
        if x_axis == "step":
            x = batches_df["step"]
        else:
            x = batches_df["epoch"] - 1 + batches_df["batch"] / (spe or 1)
        fig.add_trace(go.Scatter(
            x=x, y=batches_df[base], mode="lines", name="train (batch)",
            line={"color": BATCH_COLOR, "width": 1}, opacity=BATCH_OPACITY,
        ))
    for column, name, color in ((base, "train", TRAIN_COLOR),
                                (f"val_{base}", "validation", VALIDATION_COLOR)):
        if _has(epochs_df, column):
            x = epochs_df["epoch"] * spe if x_axis == "step" else epochs_df["epoch"]
            fig.add_trace(go.Scatter(
                x=x, y=epochs_df[column], mode="lines+markers", name=name,
                line={"color": color, "width": 2},
            ))
    if not fig.data:
        return empty_figure(title=title)
    fig.update_layout(uirevision=base)
    fig.update_xaxes(title_text=x_axis,
                     dtick=epoch_dtick(_largest_x(fig)) if x_axis == "epoch" else None)
    fig.update_yaxes(title_text=base)
    return _style(fig, title)


def compare_runs(
    histories: Mapping[str, pd.DataFrame],
    metric: str = "val_accuracy",
    title: str | None = None,
    legend_title: str | None = None,
) -> go.Figure:
    """One line per run of `metric` over epochs, e.g. one curve per optimizer of a sweep.

    Runs without the metric are left out. The layout's `uirevision` is the metric, so a live
    update keeps the user's zoom and hidden legend entries.
    """
    fig = go.Figure()
    for index, (label, history) in enumerate(histories.items()):
        if _has(history, metric):
            fig.add_trace(go.Scatter(
                x=history["epoch"], y=history[metric], mode="lines+markers", name=str(label),
                line={"color": RUN_COLORS[index % len(RUN_COLORS)], "width": 2},
            ))
    if not fig.data:
        return empty_figure(title=title)
    # Beside the entries: above them (Streamlit's theme puts it there) it runs into the title.
    fig.update_layout(uirevision=metric, legend_title={"text": legend_title, "side": "left"})
    fig.update_xaxes(title_text="epoch", dtick=epoch_dtick(_largest_x(fig)))
    fig.update_yaxes(title_text=metric)
    return _style(fig, title)


def confusion_matrix_heatmap(
    matrix: np.ndarray | Sequence[Sequence[float]],
    class_names: Sequence[str],
    normalize: bool = False,
    title: str | None = None,
) -> go.Figure:
    """Annotated confusion matrix: true class on y (top to bottom), predicted class on x.

    With `normalize=True` each row is divided by its total, so a cell reads as "share of the
    true class predicted as ..." (an all-zero row stays zero).
    """
    z = np.asarray(matrix, dtype=float)
    if z.size == 0:
        return empty_figure(title=title)
    if z.ndim != 2 or z.shape[0] != z.shape[1] or z.shape[0] != len(class_names):
        raise ValueError(
            f"matrix must be (k, k) with k = len(class_names) = {len(class_names)}, "
            f"got shape {z.shape}"
        )
    if normalize:
        totals = z.sum(axis=1, keepdims=True)
        z = np.divide(z, totals, out=np.zeros_like(z), where=totals > 0)
        text = [[f"{value:.2f}" for value in row] for row in z]
    else:
        text = [[f"{value:g}" for value in row] for row in z]
    names = [str(name) for name in class_names]
    fig = go.Figure(go.Heatmap(
        z=z, x=names, y=names, text=text, texttemplate="%{text}", colorscale="Blues",
        hovertemplate="true %{y}<br>predicted %{x}<br>%{text}<extra></extra>",
        colorbar={"title": {"text": "share" if normalize else "count"}},
    ))
    fig.update_xaxes(title_text="predicted", type="category", side="bottom")
    fig.update_yaxes(title_text="true", type="category", autorange="reversed")
    return _style(fig, title, height=max(HEIGHT, 40 * len(names) + 160))


def per_class_accuracy(
    accuracies: Sequence[float] | np.ndarray,
    class_names: Sequence[str],
    title: str | None = None,
) -> go.Figure:
    """Bar chart of the accuracy of each class, labelled in percent."""
    values = np.asarray(accuracies, dtype=float)
    if values.size == 0:
        return empty_figure(title=title)
    if values.size != len(class_names):
        raise ValueError(f"got {values.size} accuracies for {len(class_names)} class names")
    fig = go.Figure(go.Bar(
        x=[str(name) for name in class_names], y=values, name="accuracy",
        marker_color=TRAIN_COLOR, text=[f"{value:.1%}" for value in values],
        textposition="outside",
    ))
    fig.update_xaxes(title_text="class", type="category")
    fig.update_yaxes(title_text="accuracy", range=[0, 1.08], tickformat=".0%")
    return _style(fig, title)


def image_grid(
    images: np.ndarray,
    captions: Sequence[str] | None = None,
    columns: int = 8,
    title: str | None = None,
) -> go.Figure:
    """Grayscale images tiled into one picture, each with its caption above it.

    The tiles form a single heatmap trace (gaps between them are empty), which a browser
    draws at once; one trace per image took about a second for a gallery of 24.

    Args:
        images: (N, H, W) array, uint8 in 0..255 or float in [0, 1].
        captions: one short string per image, shown above it (e.g. "true 7 / pred 1").
        columns: images per row.
        title: figure title.
    """
    images = np.asarray(images)
    if images.size == 0:
        return empty_figure(title=title)
    if images.ndim != 3:
        raise ValueError(f"images must be (N, H, W) grayscale, got shape {images.shape}")
    count, height, width = images.shape
    captions = list(captions) if captions is not None else [""] * count
    if len(captions) != count:
        raise ValueError(f"got {len(captions)} captions for {count} images")
    mosaic, origins = tile_images(images, columns, caption_rows=max(4, height // 4)
                                  if any(captions) else 0)
    zmax = 255 if np.issubdtype(images.dtype, np.integer) else 1.0
    fig = go.Figure(go.Heatmap(z=mosaic, zmin=0, zmax=zmax, colorscale="gray",
                               showscale=False, hoverinfo="skip"))
    for (top, left), caption in zip(origins, captions, strict=True):
        fig.add_annotation(text=caption, x=left + (width - 1) / 2, y=top - 1, yanchor="bottom",
                           showarrow=False, font={"size": 11})
    fig.update_xaxes(visible=False, constrain="domain")
    # Image rows run top to bottom, with square pixels.
    fig.update_yaxes(visible=False, autorange="reversed", constrain="domain",
                     scaleanchor="x")
    rows = math.ceil(count / max(1, min(columns, count)))
    fig = _style(fig, title, height=rows * IMAGE_CELL_PX + (90 if title else 50))
    fig.update_layout(showlegend=False,
                      margin={"l": 10, "r": 10, "t": 60 if title else 30, "b": 10})
    return fig


def tile_images(images: np.ndarray, columns: int, caption_rows: int = 0
                ) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """(N, H, W) images laid out in rows of `columns` as one float array, gaps NaN.

    Returns the array and each image's (top, left) corner in it. Every image gets
    `caption_rows` empty rows above it and a gap of about a fourteenth of its width around it.
    """
    count, height, width = images.shape
    columns = max(1, min(columns, count))
    gap = max(1, width // 14)
    cell_height, cell_width = caption_rows + height + gap, width + gap
    rows = math.ceil(count / columns)
    mosaic = np.full((rows * cell_height - gap, columns * cell_width - gap), np.nan)
    origins = []
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = row * cell_height + caption_rows, column * cell_width
        mosaic[top:top + height, left:left + width] = image
        origins.append((top, left))
    return mosaic, origins


def parallel_coordinates(
    df: pd.DataFrame,
    color_column: str,
    dimensions: Sequence[str] | None = None,
    title: str | None = None,
    *,
    log_columns: Sequence[str] = (),
    constraints: Mapping[str, tuple[float, float] | Sequence[str]] | None = None,
) -> go.Figure:
    """A parallel-coordinates view of a sweep: one line per run, coloured by `color_column`.

    Numeric columns are drawn as they are; categorical ones (text, booleans) are mapped to
    codes 0..k-1 in order of first appearance, with the category names as tick labels.
    `dimensions` defaults to every column.

    Args:
        log_columns: numeric columns drawn on a log scale (their axis shows log10 positions
            labelled with the values), such as the learning rate.
        constraints: a brush per column, drawn as the axis' highlighted range: `(low, high)`
            in the column's own units, or the categories kept of a categorical column.
    """
    if df is None or df.empty or color_column not in df.columns:
        return empty_figure(title=title)
    columns = list(dimensions) if dimensions is not None else list(df.columns)
    constraints = constraints or {}
    axes = [_parcoords_dimension(df[column], str(column), column in log_columns,
                                 constraints.get(column)) for column in columns]
    color = axes[columns.index(color_column)] if color_column in columns else (
        _parcoords_dimension(df[color_column], color_column, color_column in log_columns)
    )
    colorbar = {"title": {"text": color_column}}
    if "ticktext" in color:
        colorbar.update(tickvals=color["tickvals"], ticktext=color["ticktext"])
    fig = go.Figure(go.Parcoords(
        dimensions=axes,
        line={"color": color["values"], "colorscale": "Viridis", "showscale": True,
              "colorbar": colorbar},
    ))
    fig.update_layout(uirevision=color_column)
    return _style(fig, title)


def histogram(
    values: Sequence[float] | np.ndarray,
    title: str | None = None,
    x_title: str | None = None,
    bins: int = 30,
) -> go.Figure:
    """Histogram of `values` in about `bins` bins, e.g. the clock's time errors in minutes."""
    values = np.asarray(values, dtype=float).ravel()
    if values.size == 0:
        return empty_figure(title=title)
    fig = go.Figure(go.Histogram(x=values, nbinsx=bins, marker_color=TRAIN_COLOR, name="count"))
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text="count")
    fig.update_layout(bargap=0.05)
    return _style(fig, title)


def scatter_error(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    title: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    hover_text: Sequence[str] | None = None,
) -> go.Figure:
    """Scatter of an error against another quantity, e.g. clock error against true time."""
    x, y = np.asarray(x), np.asarray(y)
    if x.size == 0:
        return empty_figure(title=title)
    if x.shape != y.shape:
        raise ValueError(f"x and y differ in shape: {x.shape} vs {y.shape}")
    fig = go.Figure(go.Scatter(
        x=x, y=y, mode="markers", name=y_title or "error",
        marker={"color": TRAIN_COLOR, "size": 5, "opacity": 0.5},
        text=list(hover_text) if hover_text is not None else None,
    ))
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    return _style(fig, title)


def _style(fig: go.Figure, title: str | None, height: int = HEIGHT) -> go.Figure:
    """The shared look: white template, title, horizontal legend on top, fixed height."""
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title} if title else None,
        height=height,
        margin={"l": 50, "r": 20, "t": 70 if title else 40, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
    )
    return fig


def _largest_x(fig: go.Figure) -> float:
    """The largest x of any trace (0 when none has points)."""
    return max((float(np.nanmax(np.asarray(trace.x, dtype=float))) for trace in fig.data
                if trace.x is not None and len(trace.x)), default=0.0)


def _has(df: pd.DataFrame | None, column: str) -> bool:
    """Whether `df` has at least one non-missing value in `column`."""
    return df is not None and column in df.columns and bool(df[column].notna().any())


def _infer_steps_per_epoch(batches_df: pd.DataFrame | None) -> int | None:
    """Batches per epoch, read off the epochs that were completed before the last one."""
    if batches_df is None or batches_df.empty or "batch" not in batches_df.columns:
        return None
    last = batches_df["epoch"].max()
    earlier = batches_df.loc[batches_df["epoch"] < last, "batch"]
    largest = earlier.max() if not earlier.empty else batches_df["batch"].max()
    return int(largest) if pd.notna(largest) and largest > 0 else None


def _parcoords_dimension(
    column: pd.Series,
    label: str,
    log_scale: bool = False,
    constraint: tuple[float, float] | Sequence[str] | None = None,
) -> dict:
    """A parcoords dimension; non-numeric columns become codes with their names as ticks."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=float)
        dimension: dict = {"label": label, "values": values}
        if log_scale and (values[np.isfinite(values)] > 0).all():
            dimension.update(_log_axis(values), label=f"{label} (log)")
        if constraint is not None:
            low, high = (math.log10(bound) if "ticktext" in dimension else bound
                         for bound in constraint)
            dimension["constraintrange"] = [low, high]
        return dimension
    codes, categories = pd.factorize(column.astype("string").fillna("none"))
    ticktext = [str(category) for category in categories]
    dimension = {
        "label": label, "values": codes, "tickvals": list(range(len(categories))),
        "ticktext": ticktext, "range": [0, max(len(categories) - 1, 1)],
    }
    if constraint is not None:
        kept = [ticktext.index(str(name)) for name in constraint if str(name) in ticktext]
        dimension["constraintrange"] = [[code - 0.25, code + 0.25] for code in kept] or [
            [-1.0, -0.5]]  # nothing kept: a range no line passes
        dimension["multiselect"] = True
    return dimension


def _log_axis(values: np.ndarray) -> dict:
    """log10 positions of positive values, ticked with the values themselves."""
    distinct = sorted({value for value in values if np.isfinite(value)})
    return {
        "values": np.log10(values),
        "tickvals": [math.log10(value) for value in distinct],
        "ticktext": [f"{value:g}" for value in distinct],
    }
