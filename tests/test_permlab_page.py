"""The Permutation lab page driven headless with Streamlit's AppTest."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dlnn.permlab import explain
from dlnn.permlab.study import study_plan
from dlnn.runs import RunStore
from tests.grid_tiles import grid_tiles
from tests.permlab_runs import write_study

DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")
TABS = ["See the permutation", "Study", "Noise or effect?", "Why"]
K = "perm."


def open_lab() -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=90)
    at.run()
    at.switch_page("pages/permutation.py")
    return at.run()


def texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


def charts(at: AppTest) -> list[list[dict]]:
    """The traces of every Plotly chart on the page."""
    return [json.loads(chart.proto.spec)["data"] for chart in at.get("plotly_chart")]


def array(value: dict | list) -> np.ndarray:
    """A trace's array: Plotly sends numpy arrays base64-encoded with their dtype and shape."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        return flat.reshape([int(n) for n in shape.split(",")]) if shape else flat
    return np.asarray(value)


def run_until(at: AppTest, done, seconds: float = 120.0) -> AppTest:
    deadline = time.monotonic() + seconds
    while not done(at):
        assert time.monotonic() < deadline, f"gave up; page shows:\n{texts(at.markdown)}"
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception
    return at


def test_renders_with_an_empty_store(tiny_data_dir: Path) -> None:
    at = open_lab()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Permutation lab"
    assert [tab.label for tab in at.tabs] == TABS
    assert "**One** permutation" in texts(at.info) and "train and test alike" in texts(at.info)
    picture = charts(at)[1]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    spec["data"][0]["z"] = array(spec["data"][0]["z"])
    tiles = grid_tiles(spec, 28, 28)
    assert len(tiles) == 3 * 8  # original, permuted and restored
    first, scrambled, restored = (tiles[i] for i in (0, 8, 16))
    assert first.shape == (28, 28)
    np.testing.assert_array_equal(first, restored)
    assert not np.array_equal(first, scrambled)
    assert np.array_equal(np.sort(first.ravel()), np.sort(scrambled.ravel()))
    assert [trace["type"] for trace in picture] == ["image", "image"]
    means_spec = json.loads(at.get("plotly_chart")[2].proto.spec)
    assert len(means_spec["layout"]["annotations"]) == 4 * 10  # original, permuted, restored,
    # and shuffled per image: one caption per class mean
    assert at.button(key=K + "start").label == "Train the 8 missing runs of 8 (one worker, " \
                                                "in turn)"
    assert "No finished MLP of this study" in texts(at.info)
    labels = [metric.label for metric in at.metric]
    assert "Neighbouring pixels, correlation (permuted)" in labels


def test_a_trained_study_shows_its_table_beside_the_report(tiny_data_dir: Path) -> None:
    plan = study_plan(quick=True)
    write_study(RunStore(), plan, lambda key: 0.95 - (0.03 if key.permuted and
                                                         key.model.startswith("cnn") else 0))
    at = open_lab()
    assert not at.exception, [e.value for e in at.exception]
    assert "All 8 runs of this study are in the run store." in texts(at.success)
    table = at.dataframe[0].value.set_index(["data set", "model"])
    assert table.loc[("mnist", "cnn-keras"), "difference"] == pytest.approx(-0.03)
    assert table.loc[("mnist", "mlp-keras"), "report original"] == 0.9831
    assert table.loc[("fashion-mnist", "cnn-fashion"), "report difference"] == -0.002
    assert at.dataframe[1].value["original"].tolist() == [0.9897, 0.9839]
    curves = next(traces for traces in charts(at) if traces[0].get("name") == "original")
    assert [trace["name"] for trace in curves] == ["original", "permuted"] * 4
    # cnn-keras, permuted: the training accuracy of its history (fake_runs: 0.6, 0.7).
    assert array(curves[3]["y"]).tolist() == pytest.approx([0.6, 0.7])
    assert "with one seed" in texts(at.markdown)  # the Noise tab's verdicts
    assert at.button(key=K + "more_seeds").label == "Repeat with 3 seeds"


def test_bad_settings_are_named_in_one_line(tiny_data_dir: Path) -> None:
    at = open_lab()
    at.multiselect(key=K + "datasets").set_value([]).run()
    assert "**Data sets**: choose at least one data set." in texts(at.error)
    at.multiselect(key=K + "datasets").set_value(["mnist"]).run()
    at.multiselect(key=K + "models.mnist").set_value([]).run()
    assert "**Models on mnist**: choose at least one model." in texts(at.error)
    at.multiselect(key=K + "models.mnist").set_value(["mlp-geron"]).run()
    at.radio(key=K + "setting").set_value("custom").run()
    at.number_input(key=K + "custom.subset").set_value(20).run()
    errors = texts(at.error)
    assert "**batch_size**" in errors and "18 training images" in errors
    assert not at.exception


def test_a_tiny_study_trains_live_and_explains_the_mlp(learnable_data_dir: Path) -> None:
    at = open_lab()
    at.multiselect(key=K + "datasets").set_value(["mnist"]).run()
    at.multiselect(key=K + "models.mnist").set_value(["mlp-geron"]).run()
    at.radio(key=K + "setting").set_value("custom").run()
    at.number_input(key=K + "seeds.custom").set_value(1)
    at.number_input(key=K + "custom.subset").set_value(40)
    at.number_input(key=K + "custom.epochs").set_value(2)
    at.number_input(key=K + "custom.batch_size").set_value(8).run()
    at.button(key=K + "start").click().run()
    assert not at.exception, at.exception
    assert at.button(key=K + "stop").label == "Stop the study"  # the live view
    run_until(at, lambda at: "All 2 runs of this study" in texts(at.success))
    table = at.dataframe[0].value
    assert table["model"].tolist() == ["mlp-geron"] and table["seeds"].tolist() == [1]
    assert 0 <= table["original"].iloc[0] <= 1
    at.button(key=K + "invariance").click().run()  # a worker process computes it
    assert not at.error, texts(at.error)
    assert "0 predicted classes changed" in texts(at.success)
    original = next(run for run in RunStore().list() if not run.config.permute)
    assert explain.cached_invariance(original)["predictions_changed"] == 0  # kept for next time


def test_stop_ends_every_run_of_a_live_study(learnable_data_dir: Path) -> None:
    at = open_lab()
    at.multiselect(key=K + "datasets").set_value(["mnist"]).run()
    at.multiselect(key=K + "models.mnist").set_value(["mlp-geron"]).run()
    at.radio(key=K + "setting").set_value("custom").run()
    at.number_input(key=K + "seeds.custom").set_value(1)
    # Early stopping cannot end a run before patience + 1 epochs: with 100 and 360 one-image
    # steps an epoch, the first run is still training when Stop is clicked, however fast the
    # machine (with patience 3 a fast CI machine once finished it first).
    at.number_input(key=K + "custom.subset").set_value(400)
    at.number_input(key=K + "custom.epochs").set_value(500)
    at.number_input(key=K + "custom.patience").set_value(100)
    at.number_input(key=K + "custom.batch_size").set_value(1).run()
    at.button(key=K + "start").click().run()
    run_until(at, lambda at: any(run.events() for run in RunStore().list()))
    at.button(key=K + "stop").click().run()
    run_until(at, lambda at: not any(button.key == K + "stop" for button in at.button),
              seconds=30)
    assert sorted(run.status for run in RunStore().list()) == ["cancelled", "cancelled"]
    assert at.button(key=K + "start").label.startswith("Train the 2 missing runs")
