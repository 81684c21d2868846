"""The permutation lab's Plotly figures, as pure functions (arrays and tables in, figure out).

`curve_panels` is the report's Figures 4 and 5: one panel per data set and model, original
against permuted, training or validation accuracy per epoch. `difference_figure` shows each
seed's difference with the mean and its spread beside the report's difference.
`permutation_grid`, `permutation_picture` and `class_means_grid` show the permutation on
images; `feature_maps` shows a CNN's first-layer filters and what they make of an original
image and of its permuted version. Styling follows `dlnn.figures`.

Example:
    >>> import pandas as pd
    >>> history = pd.DataFrame({"epoch": [1, 2], "accuracy": [0.9, 0.95]})
    >>> fig = curve_panels({("mnist", "mlp-keras"): {"original": history, "permuted": history}})
    >>> [trace.name for trace in fig.data]
    ['original', 'permuted']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dlnn.figures import HEIGHT, TEMPLATE, empty_figure, epoch_dtick, image_grid
from dlnn.permlab.results import REPORTED, model_kind
from dlnn.permlab.views import source_picture

ORIGINAL_COLOR = "#1f77b4"  # blue, as the report's Figures 4 and 5
PERMUTED_COLOR = "#d62728"  # red
SEED_COLOR = "#7f7f7f"
REPORT_COLOR = "#2ca02c"
PANEL_COLUMNS = 2
PANEL_HEIGHT = 300
FILTER_SCALE = "RdBu"
VARIANTS = (("original", ORIGINAL_COLOR), ("permuted", PERMUTED_COLOR))

Cell = tuple[str, str]  # (data set, model)


def curve_panels(
    histories: Mapping[Cell, Mapping[str, pd.DataFrame | None]],
    metric: str = "accuracy",
    title: str | None = None,
) -> go.Figure:
    """One panel per data set and model, `metric` per epoch on original and permuted pixels.

    Args:
        histories: `{(data set, model): {"original": epochs, "permuted": epochs}}`, each a
            `dlnn.history.epoch_history` table (None or missing: not trained yet).
        metric: the column to draw, `accuracy` (training, as the report) or `val_accuracy`.
        title: the figure's title.
    """
    cells = list(histories)
    if not cells:
        return empty_figure(title=title)
    rows = math.ceil(len(cells) / PANEL_COLUMNS)
    columns = min(PANEL_COLUMNS, len(cells))
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=[f"{m} on {d}" for d, m in cells],
                        horizontal_spacing=0.08, vertical_spacing=0.25 / rows)
    longest = 1
    for index, cell in enumerate(cells):
        row, col = divmod(index, columns)
        drawn = False
        for name, color in VARIANTS:
            epochs = histories[cell].get(name)
            has = epochs is not None and metric in epochs.columns and not epochs.empty
            drawn = drawn or has
            longest = max(longest, int(epochs["epoch"].max()) if has else 1)
            fig.add_trace(go.Scatter(
                x=epochs["epoch"] if has else [], y=epochs[metric] if has else [],
                mode="lines+markers", name=name, legendgroup=name, showlegend=index == 0,
                line={"color": color, "width": 2},
                hovertemplate=f"{name}<br>epoch %{{x}}<br>{metric} %{{y:.4f}}<extra></extra>",
            ), row=row + 1, col=col + 1)
        fig.update_xaxes(title_text="epoch", row=row + 1, col=col + 1, visible=drawn)
        fig.update_yaxes(title_text=metric, row=row + 1, col=col + 1, visible=drawn)
        if not drawn:
            fig.add_annotation(text="not trained yet", showarrow=False, row=row + 1,
                               col=col + 1, x=0.5, y=0.5, xref="x domain", yref="y domain",
                               font={"color": "gray"})
    fig.update_xaxes(dtick=epoch_dtick(longest))
    fig.update_layout(uirevision=metric)
    return _style(fig, title, height=rows * PANEL_HEIGHT + 110)


def difference_figure(seeds: pd.DataFrame, summary: pd.DataFrame,
                      title: str | None = None) -> go.Figure:
    """Permuted minus original test accuracy: each seed, the mean ± its spread, the report's.

    Args:
        seeds: `dlnn.permlab.results.seed_table`.
        summary: `dlnn.permlab.results.summary_table` of the same runs.
        title: the figure's title.
    """
    done = seeds.dropna(subset=["difference"])
    if done.empty:
        return empty_figure(title=title)
    labels = [f"{model} / {dataset}" for dataset, model in
              zip(summary["dataset"], summary["model"], strict=True)]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=[f"{model} / {dataset}" for dataset, model in
           zip(done["dataset"], done["model"], strict=True)],
        y=done["difference"], mode="markers", name="one seed",
        marker={"color": SEED_COLOR, "size": 8, "opacity": 0.7},
        text=[f"seed {seed}" for seed in done["seed"]],
        hovertemplate="%{text}: %{y:+.4f}<extra></extra>",
    ))
    fig.add_trace(go.Scatter(
        x=labels, y=summary["difference"], mode="markers", name="mean ± std over seeds",
        marker={"color": "black", "size": 12, "symbol": "diamond"},
        error_y={"type": "data", "array": summary["difference_std"].fillna(0), "width": 8},
        hovertemplate="mean %{y:+.4f}<extra></extra>",
    ))
    reported = [REPORTED.get((d, model_kind(m)), {}).get("difference")
                for d, m in zip(summary["dataset"], summary["model"], strict=True)]
    fig.add_trace(go.Scatter(
        x=labels, y=reported, mode="markers", name="the report",
        marker={"color": REPORT_COLOR, "size": 11, "symbol": "x"},
        hovertemplate="report %{y:+.4f}<extra></extra>",
    ))
    fig.add_hline(y=0, line={"color": "gray", "dash": "dot"})
    fig.update_xaxes(type="category", title_text="model / data set")
    fig.update_yaxes(title_text="permuted − original test accuracy", tickformat="+.3f")
    return _style(fig, title)


def permutation_grid(original: np.ndarray, permuted: np.ndarray, restored: np.ndarray,
                     captions: Sequence[str], title: str | None = None) -> go.Figure:
    """Three rows of the same images: original, permuted, restored by the inverse permutation."""
    count = len(original)
    rows = [(original, list(captions)), (permuted, ["permuted"] * count),
            (restored, ["restored"] * count)]
    images = np.concatenate([batch for batch, _ in rows])
    return image_grid(images, [text for _, texts in rows for text in texts], columns=count,
                      title=title)


def class_means_grid(means: Mapping[str, np.ndarray], class_names: Sequence[str],
                     title: str | None = None) -> go.Figure:
    """One row per kind of mean image (original, permuted, ...), one column per class."""
    names = list(means)
    images = np.concatenate([means[name] for name in names])
    count = len(means[names[0]])
    captions = [f"{name}: {class_names[i]}" if i == 0 else str(class_names[i])
                for name in names for i in range(count)]
    return image_grid(images / 255.0, captions, columns=count, title=title)


def permutation_picture(permutation: np.ndarray, shape: tuple[int, int],
                        title: str | None = None) -> go.Figure:
    """Where each pixel's value comes from: a colour key, and the same key permuted.

    Left: every pixel coloured by its own place (red down the rows, green along the columns).
    Right: the permuted image's pixels coloured by the place they were taken from; hovering a
    pixel names that place.
    """
    rows, cols = shape
    identity = np.arange(rows * cols)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.06, subplot_titles=[
        "colour key: each pixel's own place", "permuted: where each pixel comes from"])
    for col, order in ((1, identity), (2, np.asarray(permutation))):
        source_row, source_col = np.divmod(order.reshape(rows, cols), cols)
        fig.add_trace(go.Image(
            z=source_picture(order, shape), customdata=np.stack([source_row, source_col], -1),
            hovertemplate="pixel (row %{y}, col %{x})<br>comes from (row %{customdata[0]}, "
                          "col %{customdata[1]})<extra></extra>",
        ), row=1, col=col)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    fig.update_layout(yaxis2={"scaleanchor": "x2"})
    return _style(fig, title, height=380)


def feature_maps(
    filters: np.ndarray,
    image: np.ndarray,
    permuted_image: np.ndarray,
    maps_original: np.ndarray,
    maps_permuted: np.ndarray,
    title: str | None = None,
) -> go.Figure:
    """A CNN's first-layer filters and their feature maps, on an image and on its permuted twin.

    Row 1: the filters (k x k weights, red negative, blue positive). Row 2: the original image,
    then each filter's feature map on it. Row 3: the permuted image and its feature maps.

    Args:
        filters: (F, k, k) first-layer kernels.
        image, permuted_image: (H, W) the same image before and after the permutation.
        maps_original, maps_permuted: (F, H', W') the layer's outputs on each.
        title: the figure's title.
    """
    count = len(filters)
    if count == 0:
        return empty_figure(title=title)
    if maps_original.shape != maps_permuted.shape or len(maps_original) != count:
        raise ValueError(f"{count} filters but feature maps of shapes {maps_original.shape} "
                         f"and {maps_permuted.shape}")
    titles = ["filters"] + [f"filter {i + 1}" for i in range(count)]
    titles += ["original image"] + [""] * count + ["permuted image"] + [""] * count
    fig = make_subplots(rows=3, cols=count + 1, subplot_titles=titles,
                        horizontal_spacing=0.005, vertical_spacing=0.06)
    limit = float(np.abs(filters).max()) or 1.0
    for index, kernel in enumerate(filters):
        fig.add_trace(_heat(kernel, FILTER_SCALE, -limit, limit), row=1, col=index + 2)
    top = float(max(maps_original.max(), maps_permuted.max())) or 1.0
    for row, picture, maps in ((2, image, maps_original), (3, permuted_image, maps_permuted)):
        fig.add_trace(_heat(picture, "gray", 0, float(picture.max()) or 1.0), row=row, col=1)
        for index, feature_map in enumerate(maps):
            fig.add_trace(_heat(feature_map, "Viridis", 0, top), row=row, col=index + 2)
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", constrain="domain")
    for cell in range(1, 3 * (count + 1) + 1):  # square pixels in every panel
        suffix = "" if cell == 1 else str(cell)
        fig.layout[f"yaxis{suffix}"].scaleanchor = f"x{suffix}"
    fig.update_annotations(font_size=10)
    fig = _style(fig, title, height=max(300, int(3 * 1400 / (count + 1)) + 80))
    fig.update_layout(showlegend=False, margin={"l": 10, "r": 10, "t": 60 if title else 30,
                                                "b": 10})
    return fig


def _heat(z: np.ndarray, scale: str, low: float, high: float) -> go.Heatmap:
    return go.Heatmap(z=z, zmin=low, zmax=high, colorscale=scale, showscale=False,
                      hovertemplate="%{z:.3f}<extra></extra>")


def _style(fig: go.Figure, title: str | None, height: int = HEIGHT) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE, title={"text": title} if title else None, height=height,
        margin={"l": 50, "r": 20, "t": 90 if title else 60, "b": 50},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.04, "xanchor": "left", "x": 0},
    )
    return fig
