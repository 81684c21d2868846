"""The permutation lab's figures: the right traces with the right data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dlnn.permlab import figures
from dlnn.permlab.results import summary_table
from dlnn.permutation import make_permutation
from tests.grid_tiles import grid_tiles


def history(values: list[float], metric: str = "accuracy") -> pd.DataFrame:
    return pd.DataFrame({"epoch": range(1, len(values) + 1), metric: values})


def test_curve_panels_draw_original_and_permuted_in_each_panel():
    histories = {
        ("mnist", "mlp-keras"): {"original": history([0.9, 0.95]),
                                 "permuted": history([0.91, 0.94])},
        ("mnist", "cnn-keras"): {"original": history([0.92, 0.97, 0.98]),
                                 "permuted": history([0.85, 0.9, 0.93])},
        ("fashion-mnist", "mlp-keras"): {"original": history([0.8]), "permuted": None},
    }
    fig = figures.curve_panels(histories, "accuracy", title="Figure 4")
    assert [trace.name for trace in fig.data] == ["original", "permuted"] * 3
    assert [annotation.text for annotation in fig.layout.annotations] == [
        "mlp-keras on mnist", "cnn-keras on mnist", "mlp-keras on fashion-mnist"]
    cnn_original, cnn_permuted = fig.data[2], fig.data[3]
    assert (cnn_original.xaxis, cnn_permuted.xaxis) == ("x2", "x2")  # the same panel
    assert list(cnn_original.y) == [0.92, 0.97, 0.98]
    assert list(cnn_permuted.y) == [0.85, 0.9, 0.93] and list(cnn_permuted.x) == [1, 2, 3]
    assert len(fig.data[5].x) == 0  # not trained yet: an empty trace
    assert [trace.showlegend for trace in fig.data[:4]] == [True, True, False, False]
    assert fig.data[0].line.color != fig.data[1].line.color


def test_curve_panels_say_which_panels_are_not_trained_yet():
    fig = figures.curve_panels({("mnist", "mlp-keras"): {"original": None, "permuted": None}})
    assert "not trained yet" in [annotation.text for annotation in fig.layout.annotations]
    assert figures.curve_panels({}).data == ()


def test_validation_panels_read_val_accuracy():
    epochs = pd.DataFrame({"epoch": [1, 2], "accuracy": [0.5, 0.6],
                           "val_accuracy": [0.55, 0.65]})
    fig = figures.curve_panels({("mnist", "m"): {"original": epochs, "permuted": epochs}},
                               "val_accuracy")
    assert list(fig.data[0].y) == [0.55, 0.65]


def test_difference_figure_shows_seeds_mean_spread_and_report():
    seeds = pd.DataFrame({
        "dataset": ["mnist"] * 4, "model": ["mlp-keras", "cnn-keras"] * 2, "seed": [0, 0, 1, 1],
        "original": [0.98, 0.99, 0.98, 0.99], "permuted": [0.981, 0.95, 0.979, 0.97],
    })
    seeds["difference"] = seeds["permuted"] - seeds["original"]
    fig = figures.difference_figure(seeds, summary_table(seeds))
    points, mean, report = fig.data
    assert list(points.y) == pytest.approx([0.001, -0.04, -0.001, -0.02])
    assert list(mean.x) == ["mlp-keras / mnist", "cnn-keras / mnist"]
    assert list(mean.y) == pytest.approx([0.0, -0.03])
    assert list(mean.error_y.array) == pytest.approx([0.0014142, 0.0141421], abs=1e-6)
    assert list(report.y) == [0.0005, -0.005]
    assert figures.difference_figure(seeds.iloc[0:0], summary_table(seeds.iloc[0:0])).data == ()


def test_permutation_grid_has_three_rows_of_the_same_images():
    images = np.random.default_rng(0).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    fig = figures.permutation_grid(images, images[::-1], images, ["0", "1", "2", "3"])
    captions = [annotation.text for annotation in fig.layout.annotations]
    assert captions == ["0", "1", "2", "3"] + ["permuted"] * 4 + ["restored"] * 4
    tiles = grid_tiles(fig, 28, 28)
    np.testing.assert_array_equal(tiles[4], images[3])  # the second row holds the second set
    np.testing.assert_array_equal(tiles[8], images[0])


def test_permutation_picture_shows_the_key_and_where_each_pixel_comes_from():
    perm = make_permutation(784, seed=3)
    fig = figures.permutation_picture(perm, (28, 28))
    key, moved = fig.data
    assert np.asarray(key.z).shape == (28, 28, 3)
    row, col = divmod(int(perm[0]), 28)
    assert list(np.asarray(moved.customdata)[0, 0]) == [row, col]
    np.testing.assert_array_equal(np.asarray(moved.z)[0, 0], np.asarray(key.z)[row, col])


def test_feature_maps_has_filters_and_both_rows_of_maps():
    rng = np.random.default_rng(0)
    filters = rng.normal(size=(3, 3, 3))
    maps = rng.random((3, 26, 26))
    fig = figures.feature_maps(filters, rng.random((28, 28)), rng.random((28, 28)), maps,
                               maps * 2)
    assert len(fig.data) == 3 + 2 * 4  # filters, then image + 3 maps per row
    np.testing.assert_array_equal(fig.data[0].z, filters[0])
    np.testing.assert_array_equal(fig.data[-1].z, maps[2] * 2)
    with pytest.raises(ValueError, match="feature maps"):
        figures.feature_maps(filters, maps[0], maps[0], maps, maps[:2])
