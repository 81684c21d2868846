"""The Report page in headless Chromium: a written report opens with its tables and one figure
per part drawn at once; another figure is a click away; the whole document only on demand.

    pytest -m browser tests/test_report_browser.py
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlnn import report
from dlnn.runs import RunStore
from tests.report_runs import fill_report_store, is_task2
from tests.test_browser import browser, dashboard_server, page, screenshot  # noqa: F401

pytestmark = pytest.mark.browser

# The trace names of every drawn Plotly chart of the page, in order (null until all 3 are).
TRACES_JS = """() => {
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')];
  if (charts.length < 3 || charts.some(chart => !chart._fullData)) return null;
  return charts.map(chart => chart._fullData.map(trace => trace.name));
}"""


@contextlib.contextmanager
def written_report_server(root: Path, skip=lambda config: False) -> Iterator[str]:
    """A dashboard server on a store of fake finished runs (but those `skip` names) whose
    quick report is written; yields its URL."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLNN_CACHE_DIR", str(root / "cache"))
        store = RunStore()
        fill_report_store(store, skip=skip)
        report.write_report(report.collect_parts(store, quick=True), True, store, png=False)
    with dashboard_server(root) as url:
        yield url


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with written_report_server(tmp_path_factory.mktemp("report-browser")) as url:
        yield url


def test_the_report_opens_with_a_figure_per_part_and_the_document_on_demand(
        server, page) -> None:  # noqa: F811
    page.goto(f"{server}/report")
    page.get_by_role("heading", name="Report", exact=True).wait_for()
    page.locator("[data-testid=stDataFrame]").first.wait_for()
    names = page.wait_for_function(TRACES_JS, timeout=60_000).json_value()
    assert {"original", "permuted"} <= set(names[1])  # Figure 4
    assert sorted(names[2]) == ["batch_size=256", "batch_size=32"]  # Figure 6
    assert page.locator("iframe").count() == 0
    screenshot(page, "report-page", height=3200)

    page.get_by_role("radio", name="Figure 7b").click()
    page.wait_for_function(
        """() => { const charts = document.querySelectorAll(
             '[data-testid="stPlotlyChart"] .js-plotly-plot');
           const last = charts[charts.length - 1];
           return last && last._fullData && last._fullData.length > 0
             && last._fullData.every(trace => trace.name.startsWith('activation='));
        }""", timeout=60_000)

    page.get_by_text("Show the whole document").click()
    frame = page.frame_locator("iframe").first
    frame.locator("#plot-figure-7c .plot-container").wait_for(timeout=120_000)


def test_a_report_with_parts_missing_lists_them(tmp_path: Path, page) -> None:  # noqa: F811
    def skip(config) -> bool:
        return (config.dataset == "fashion-mnist" and is_task2(config)
                or config.dataset == "clocks-easy")

    with written_report_server(tmp_path, skip) as url:
        page.goto(f"{url}/report")
        page.get_by_text("Missing: none of its 4 runs has finished yet.").wait_for(
            timeout=60_000)
        page.get_by_role("button", name="Train the 23 missing runs in the background").wait_for()
        assert page.get_by_role("radio", name="Figure 6").count() == 0
        names = page.wait_for_function("""() => {
          const charts = [...document.querySelectorAll(
            '[data-testid="stPlotlyChart"] .js-plotly-plot')];
          return charts.length == 2 && charts.every(chart => chart._fullData)
            ? charts.map(chart => chart._fullData.map(trace => trace.name)) : null;
        }""", timeout=60_000).json_value()
        assert json.dumps(names).count("original") >= 1  # Figure 4 drawn, 5 listed missing
        screenshot(page, "report-page-missing", height=3200)
