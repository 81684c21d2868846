"""The clock lab page driven headless with Streamlit's AppTest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dlnn.runs import Run
from tests.clock_runs import tiny_clock_store

DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")
TABS = ["Generator", "Train", "Results", "Figures 6 & 7", "Your photo", "Course data",
        "Measured"]


@pytest.fixture(scope="module")
def clock_run(tmp_path_factory) -> Iterator[Run]:
    yield from tiny_clock_store(tmp_path_factory)


def open_clock_lab(**query: str) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    at.switch_page("pages/clock_lab.py")
    at.query_params.update(query)
    return at.run()


def test_renders_with_an_empty_store(dlnn_dirs: Path) -> None:
    at = open_clock_lab()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Clock lab"
    assert [tab.label for tab in at.tabs] == TABS
    assert any("No finished clock run yet" in info.value for info in at.info)
    assert at.button(key="clock.start").label == "Start training"


def test_shows_a_finished_run_with_its_numbers_and_clocks(clock_run: Run) -> None:
    at = open_clock_lab(run=clock_run.run_id)
    assert not at.exception, [e.value for e in at.exception]
    labels = [metric.label for metric in at.metric]
    assert {"Test CSE (mean)", "Hour accuracy", "Minute MAE (cyclic)"} <= set(labels)
    cse = next(metric.value for metric in at.metric if metric.label == "Test CSE (mean)")
    assert cse == f"{clock_run.result()['test_cse_minutes']:.2f} min"
    assert at.selectbox(key="clock.model").value == clock_run.config.model
    charts = [chart.proto.spec for chart in at.get("plotly_chart")]
    assert any('"type":"image"' in spec.replace(" ", "") for spec in charts)


def test_bad_clock_settings_are_named(clock_run: Run) -> None:
    at = open_clock_lab(run=clock_run.run_id)
    at.number_input(key="clock.blocks").set_value(6).run()
    assert any("conv_blocks" in error.value for error in at.error)
