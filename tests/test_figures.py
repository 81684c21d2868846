"""Tests for dlnn.figures: each figure's traces carry exactly the data passed in."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from dlnn import figures
from dlnn.history import batch_history, epoch_history

EPOCHS = pd.DataFrame({
    "epoch": [1, 2, 3],
    "seconds": [1.0, 1.0, 1.0],
    "time": [1.0, 2.0, 3.0],
    "loss": [0.9, 0.5, 0.3],
    "accuracy": [0.7, 0.8, 0.9],
    "val_loss": [1.0, 0.6, 0.5],
    "val_accuracy": [0.65, 0.75, 0.85],
})
BATCHES = pd.DataFrame({
    "epoch": [1, 1, 2, 2],
    "batch": [1, 2, 1, 2],
    "step": [1, 2, 3, 4],
    "time": [0.5, 1.0, 1.5, 2.0],
    "accuracy": [0.6, 0.7, 0.75, 0.8],
})


def is_empty_figure(fig: go.Figure) -> bool:
    return (isinstance(fig, go.Figure) and len(fig.data) == 0
            and fig.layout.annotations[0].text == figures.NO_DATA)


def test_learning_curves_traces_carry_the_history():
    fig = figures.learning_curves(EPOCHS, BATCHES, metric="accuracy", title="MLP")
    assert [trace.name for trace in fig.data] == ["train (batch)", "train", "validation"]
    batch, train, validation = fig.data
    # Batch k of epoch e sits at e - 1 + k / steps_per_epoch (2 batches per epoch here).
    assert list(batch.x) == pytest.approx([0.5, 1.0, 1.5, 2.0])
    assert list(batch.y) == [0.6, 0.7, 0.75, 0.8]
    assert list(train.x) == [1, 2, 3]
    assert list(train.y) == [0.7, 0.8, 0.9]
    assert list(validation.y) == [0.65, 0.75, 0.85]
    assert train.line.color == figures.TRAIN_COLOR
    assert validation.line.color == figures.VALIDATION_COLOR
    assert batch.line.color == figures.BATCH_COLOR and batch.opacity == figures.BATCH_OPACITY
    assert fig.layout.title.text == "MLP"
    assert fig.layout.template.layout.paper_bgcolor == "white"
    assert fig.layout.legend.orientation == "h"


def _luminance(rgb: np.ndarray) -> float:
    channels = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(channels @ [0.2126, 0.7152, 0.0722])


@pytest.mark.parametrize(("background", "least"), [("#ffffff", 1.8), ("#0e1117", 4.5)])
def test_the_batch_line_reads_on_light_and_dark_backgrounds(background, least):
    """WCAG contrast of the per-batch line (its colour blended at its opacity) against the
    white and Streamlit's dark background; the old 35% blue was 1.5 on the dark one."""
    def rgb(hex_color: str) -> np.ndarray:
        return np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]) / 255

    back = rgb(background)
    line = figures.BATCH_OPACITY * rgb(figures.BATCH_COLOR) + (1 - figures.BATCH_OPACITY) * back
    lighter, darker = sorted([_luminance(line), _luminance(back)], reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= least


def test_learning_curves_val_prefix_names_the_same_metric():
    fig = figures.learning_curves(EPOCHS, metric="val_loss")
    assert [trace.name for trace in fig.data] == ["train", "validation"]
    assert list(fig.data[1].y) == [1.0, 0.6, 0.5]


def test_learning_curves_on_the_step_axis():
    fig = figures.learning_curves(EPOCHS, BATCHES, metric="accuracy", steps_per_epoch=2,
                                  x_axis="step")
    assert list(fig.data[0].x) == [1, 2, 3, 4]
    assert list(fig.data[1].x) == [2, 4, 6]


def test_learning_curves_use_given_steps_per_epoch_during_the_first_epoch():
    first_epoch = BATCHES[BATCHES["epoch"] == 1]
    fig = figures.learning_curves(None, first_epoch, metric="accuracy", steps_per_epoch=4)
    assert list(fig.data[0].x) == pytest.approx([0.25, 0.5])


def test_learning_curves_from_a_multi_output_event_log():
    events = [
        {"type": "started", "time": 0.0, "epochs": 1, "steps_per_epoch": 2},
        {"type": "batch", "time": 1.0, "epoch": 1, "batch": 1, "step": 1,
         "metrics": {"hour_accuracy": 0.1, "minute_mae": 0.3}},
        {"type": "batch", "time": 2.0, "epoch": 1, "batch": 2, "step": 2,
         "metrics": {"hour_accuracy": 0.2, "minute_mae": 0.25}},
        {"type": "epoch", "time": 2.0, "epoch": 1, "seconds": 2.0,
         "metrics": {"hour_accuracy": 0.15, "val_hour_accuracy": 0.12,
                     "minute_mae": 0.27, "val_minute_mae": 0.29}},
    ]
    fig = figures.learning_curves(epoch_history(events), batch_history(events),
                                  metric="minute_mae")
    assert [list(trace.y) for trace in fig.data] == [[0.3, 0.25], [0.27], [0.29]]
    assert fig.layout.yaxis.title.text == "minute_mae"


@pytest.mark.parametrize(
    "epochs, batches, metric",
    [
        (None, None, "loss"),
        (epoch_history([]), batch_history([]), "loss"),
        (EPOCHS, BATCHES, "hour_accuracy"),
    ],
)
def test_learning_curves_without_data_say_so(epochs, batches, metric):
    assert is_empty_figure(figures.learning_curves(epochs, batches, metric=metric))


def test_compare_runs_draws_one_line_per_run():
    other = EPOCHS.assign(val_accuracy=[0.5, 0.55, 0.6])
    fig = figures.compare_runs({"adam": EPOCHS, "sgd": other, "empty": epoch_history([])},
                               metric="val_accuracy", legend_title="optimizer")
    assert [trace.name for trace in fig.data] == ["adam", "sgd"]
    assert list(fig.data[1].y) == [0.5, 0.55, 0.6]
    assert list(fig.data[0].x) == [1, 2, 3]
    assert fig.data[0].line.color != fig.data[1].line.color
    assert fig.layout.uirevision == "val_accuracy"
    assert fig.layout.legend.title.text == "optimizer"


def epochs_of(last: int) -> pd.DataFrame:
    return pd.DataFrame({"epoch": range(1, last + 1), "val_accuracy": np.linspace(0.5, 0.9, last),
                         "accuracy": np.linspace(0.5, 0.9, last)})


@pytest.mark.parametrize(("last", "dtick"), [(1, 1), (4, 1), (15, 1), (16, None), (60, None)])
def test_epoch_axes_tick_whole_epochs(last, dtick):
    """A few epochs get a tick each (Plotly alone ticks a 4-epoch run at 0.5 steps); many get
    Plotly's own steps (2, 5, 10: whole too)."""
    compared = figures.compare_runs({"a": epochs_of(last), "b": epochs_of(min(last, 2))})
    assert compared.layout.xaxis.dtick == dtick
    assert figures.learning_curves(epochs_of(last), metric="accuracy").layout.xaxis.dtick == dtick


def test_the_step_axis_keeps_plotlys_ticks():
    fig = figures.learning_curves(EPOCHS, BATCHES, x_axis="step")
    assert fig.layout.xaxis.title.text == "step" and fig.layout.xaxis.dtick is None


def test_compare_runs_without_runs_is_empty():
    assert is_empty_figure(figures.compare_runs({}))


def test_confusion_matrix_counts_and_row_normalised():
    matrix = np.array([[5, 1, 0], [2, 6, 2], [0, 0, 0]])
    names = ["cat", "dog", "owl"]
    counts = figures.confusion_matrix_heatmap(matrix, names).data[0]
    np.testing.assert_array_equal(counts.z, matrix)
    assert list(counts.x) == names and list(counts.y) == names
    assert counts.text[1][2] == "2"

    share = figures.confusion_matrix_heatmap(matrix, names, normalize=True).data[0]
    np.testing.assert_allclose(np.asarray(share.z).sum(axis=1), [1.0, 1.0, 0.0])
    assert share.z[1][1] == pytest.approx(0.6)
    assert share.text[0][0] == "0.83"


def test_confusion_matrix_puts_true_classes_top_down():
    fig = figures.confusion_matrix_heatmap(np.eye(2), ["0", "1"])
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.title.text == "predicted"
    assert fig.layout.yaxis.title.text == "true"


def test_confusion_matrix_rejects_mismatched_names():
    with pytest.raises(ValueError, match="class_names"):
        figures.confusion_matrix_heatmap(np.eye(3), ["a", "b"])


def test_per_class_accuracy_bars():
    bar = figures.per_class_accuracy([0.9, 0.5], ["shirt", "shoe"]).data[0]
    assert list(bar.x) == ["shirt", "shoe"]
    assert list(bar.y) == [0.9, 0.5]
    assert list(bar.text) == ["90.0%", "50.0%"]


@pytest.mark.parametrize("dtype, zmax", [(np.uint8, 255), (np.float32, 1.0)])
def test_image_grid_tiles_the_images_into_one_heatmap(dtype, zmax):
    rng = np.random.default_rng(0)
    images = (rng.random((10, 6, 5)) * (255 if dtype == np.uint8 else 1)).astype(dtype)
    captions = [f"pred {i}" for i in range(10)]
    fig = figures.image_grid(images, captions, columns=4, title="gallery")
    assert len(fig.data) == 1 and isinstance(fig.data[0], go.Heatmap)
    mosaic = np.asarray(fig.data[0].z, dtype=float)
    # 10 images in 4 columns: 3 rows of (4 caption rows + 6 + 1 gap), 4 columns of (5 + 1).
    assert mosaic.shape == (3 * 11 - 1, 4 * 6 - 1)
    np.testing.assert_allclose(mosaic[15:21, 18:23], images[7])  # row 2, column 4
    assert np.isnan(mosaic[:4]).all() and np.isnan(mosaic[:, 5]).all()  # caption band, gap
    assert np.isnan(mosaic[26:, 12:]).all()  # the last row has two images only
    assert fig.data[0].zmax == zmax
    assert [a.text for a in fig.layout.annotations] == captions
    assert fig.layout.annotations[7].x == 20 and fig.layout.annotations[7].y == 14
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.xaxis.visible is False


def test_image_grid_rejects_colour_images():
    with pytest.raises(ValueError, match="grayscale"):
        figures.image_grid(np.zeros((2, 4, 4, 3)), ["a", "b"])


def test_parallel_coordinates_codes_categorical_columns():
    sweep = pd.DataFrame({
        "optimizer": ["sgd", "adam", "sgd"],
        "learning_rate": [0.1, 0.001, 0.01],
        "early_stopping": [True, False, True],
        "val_accuracy": [0.9, 0.97, 0.85],
    })
    trace = figures.parallel_coordinates(sweep, "val_accuracy").data[0]
    optimizer, learning_rate, early_stopping, _accuracy = trace.dimensions
    assert list(optimizer.values) == [0, 1, 0]
    assert list(optimizer.ticktext) == ["sgd", "adam"]
    assert list(optimizer.tickvals) == [0, 1]
    assert list(early_stopping.ticktext) == ["True", "False"]
    assert list(learning_rate.values) == [0.1, 0.001, 0.01]
    assert list(trace.line.color) == [0.9, 0.97, 0.85]


def test_parallel_coordinates_coloured_by_a_category_labels_the_colorbar():
    sweep = pd.DataFrame({"optimizer": ["sgd", "adam"], "val_accuracy": [0.9, 0.97]})
    trace = figures.parallel_coordinates(sweep, "optimizer", ["val_accuracy"]).data[0]
    assert len(trace.dimensions) == 1
    assert list(trace.line.color) == [0, 1]
    assert list(trace.line.colorbar.ticktext) == ["sgd", "adam"]


def test_histogram_and_scatter_carry_the_values():
    errors = np.array([1.0, 4.0, 4.5, 180.0])
    hist = figures.histogram(errors, title="CSE", x_title="minutes", bins=12)
    assert list(hist.data[0].x) == list(errors)
    assert hist.data[0].nbinsx == 12
    assert hist.layout.xaxis.title.text == "minutes"

    scatter = figures.scatter_error([0, 60, 120, 700], errors, x_title="true time",
                                    y_title="error")
    assert list(scatter.data[0].x) == [0, 60, 120, 700]
    assert list(scatter.data[0].y) == list(errors)


@pytest.mark.parametrize(
    "build",
    [
        lambda: figures.confusion_matrix_heatmap(np.zeros((0, 0)), []),
        lambda: figures.per_class_accuracy([], []),
        lambda: figures.image_grid(np.zeros((0, 28, 28), np.uint8), []),
        lambda: figures.parallel_coordinates(pd.DataFrame(), "val_accuracy"),
        lambda: figures.histogram([]),
        lambda: figures.scatter_error([], []),
    ],
)
def test_empty_inputs_give_an_empty_figure(build):
    assert is_empty_figure(build())
