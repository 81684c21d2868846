"""The Task 1 lab's figures, as pure functions returning Plotly figures.

`sweep_figure` is the report's Figures 1-3: validation accuracy per epoch, one line per value,
one panel per model x data set side by side; a value trained with several seeds is drawn as
the seeds' mean with a band from their lowest to their highest. `hparams_view` is the
parallel-coordinates view over any runs (one axis per varying field, categorical axes
labelled, log-scale fields on a log axis, coloured by a chosen metric). Both carry the
protocol's label, so a quick sweep is never mistaken for the report's numbers.

Example:
    >>> curves = {"optimizer=adam": [pd.DataFrame({"epoch": [1, 2],
    ...                                            "val_accuracy": [0.9, 0.95]})]}
    >>> [trace.name for trace in sweep_figure({"MLP · MNIST": curves}).data]
    ['optimizer=adam']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dlnn import figures
from dlnn.hparams.results import log_scale_columns

PANEL_HEIGHT = 440
BAND_OPACITY = 0.18

# Curves of one panel: label (`optimizer=adam`) -> one epoch history per seed.
PanelCurves = Mapping[str, Sequence[pd.DataFrame]]


def seed_statistics(histories: Sequence[pd.DataFrame], metric: str) -> pd.DataFrame:
    """Per epoch: the mean, lowest and highest value of `metric` over the seeds' histories.

    Epochs only some seeds reached (a member still training) use the seeds that did.
    """
    frames = [history.set_index("epoch")[metric] for history in histories
              if metric in history.columns and len(history)]
    if not frames:
        return pd.DataFrame(columns=["epoch", "mean", "low", "high", "seeds"])
    table = pd.concat(frames, axis=1)
    return pd.DataFrame({
        "epoch": table.index.to_numpy(),
        "mean": table.mean(axis=1).to_numpy(),
        "low": table.min(axis=1).to_numpy(),
        "high": table.max(axis=1).to_numpy(),
        "seeds": table.notna().sum(axis=1).to_numpy(),
    })


def sweep_figure(
    panels: Mapping[str, PanelCurves],
    metric: str = "val_accuracy",
    title: str | None = None,
    note: str | None = None,
) -> go.Figure:
    """One panel per model x data set, one line per swept value, in the panels' order.

    Args:
        panels: panel title -> its curves (label -> one history per seed).
        metric: the epoch-history column drawn (the report: `val_accuracy`).
        title: the figure's title, e.g. `Figure 1: optimizers`.
        note: a line under the title (the protocol's label).

    A value shares its colour and legend entry across panels (clicking it hides it in all).
    With more than one seed a value gets a band (a filled trace named `<label> (seed range)`)
    under its mean line.
    """
    labels = list(dict.fromkeys(label for curves in panels.values() for label in curves))
    if not labels:
        return figures.empty_figure(title=title)
    colors = {label: figures.RUN_COLORS[index % len(figures.RUN_COLORS)]
              for index, label in enumerate(labels)}
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=list(panels),
                        horizontal_spacing=0.04 if len(panels) > 2 else 0.08)
    shown: set[str] = set()
    for column, curves in enumerate(panels.values(), start=1):
        for label, histories in curves.items():
            stats = seed_statistics(histories, metric)
            if stats.empty:
                continue
            if len(histories) > 1:
                fig.add_trace(_band(stats, label, colors[label]), row=1, col=column)
            fig.add_trace(go.Scatter(
                x=stats["epoch"], y=stats["mean"], mode="lines+markers", name=label,
                legendgroup=label, showlegend=label not in shown,
                line={"color": colors[label], "width": 2}, marker={"size": 5},
                customdata=stats["seeds"],
                hovertemplate=f"{label}<br>epoch %{{x}}: %{{y:.4f}}"
                              + (" (mean of %{customdata} seeds)" if len(histories) > 1 else "")
                              + "<extra></extra>",
            ), row=1, col=column)
            shown.add(label)
    fig.update_xaxes(title_text="epoch", dtick=figures.epoch_dtick(_max_epoch(panels)))
    fig.update_yaxes(title_text=metric, col=1)
    heading = title or ""
    if note:
        heading += f"<br><sup>{note}</sup>"
    fig.update_layout(
        template=figures.TEMPLATE, height=PANEL_HEIGHT, uirevision=f"{title}:{metric}",
        title={"text": heading} if heading else None,
        legend={"orientation": "h", "x": 0, "y": -0.22, "yanchor": "top"},
        margin={"l": 50, "r": 20, "t": 90, "b": 90},
    )
    return fig


def _band(stats: pd.DataFrame, label: str, color: str) -> go.Scatter:
    """A filled polygon from the lowest to the highest seed, for one value."""
    x = np.concatenate([stats["epoch"], stats["epoch"][::-1]])
    y = np.concatenate([stats["high"], stats["low"][::-1]])
    return go.Scatter(x=x, y=y, fill="toself", fillcolor=color, opacity=BAND_OPACITY,
                      line={"width": 0}, mode="lines", name=f"{label} (seed range)",
                      legendgroup=label, showlegend=False, hoverinfo="skip")


def _max_epoch(panels: Mapping[str, PanelCurves]) -> int:
    epochs = [int(history["epoch"].max()) for curves in panels.values()
              for histories in curves.values() for history in histories if len(history)]
    return max(epochs, default=0)


def hparams_view(
    table: pd.DataFrame,
    fields: Sequence[str],
    color: str = "best_val_accuracy",
    brushes: Mapping[str, tuple[float, float] | Sequence[str]] | None = None,
    note: str | None = None,
) -> go.Figure:
    """Parallel coordinates over runs: one axis per field in `fields`, then the colour metric.

    Categorical fields get integer codes labelled with their values, log-scale fields (the
    learning rate) a log axis; `brushes` are drawn as each axis' highlighted range.
    """
    dimensions = [*fields, color] if color not in fields else list(fields)
    if table.empty or not fields:
        return figures.empty_figure("no runs differ in a field yet" if not table.empty
                                    else figures.NO_DATA)
    fig = figures.parallel_coordinates(
        table, color, dimensions, title=note, log_columns=log_scale_columns(dimensions),
        constraints=brushes,
    )
    fig.update_layout(margin={"l": 80, "r": 40, "t": 110, "b": 30},
                      title={"y": 0.98, "yanchor": "top"})
    return fig
