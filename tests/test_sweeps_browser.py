"""The Sweeps page end to end in headless Chromium: start a tiny sweep, see its curves grow.

Starts `streamlit run dashboard.py` on a free port with an empty run store, opens a custom
two-optimizer sweep by its link, presses Start and waits until the four-panel figure shows a
validation curve for both members, then checks the summary table and the link after a reload.
Uses `$DLNN_DATA_DIR` when set, else synthetic data. Screenshots go to `test-artifacts/`.

    pytest -m browser tests/test_sweeps_browser.py
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    dashboard_server,
    screenshot,
)

pytestmark = pytest.mark.browser

TINY_SWEEP = ("sweep=custom&protocol=quick&panels=mlp-keras/mnist&seeds=1"
              "&vary1=optimizer:sgd,adam&epochs=3&subset=1000&batch_size=32")
# Name and number of points of every trace of the sweep figure (None while not drawn).
CURVES_JS = """() => {
  const chart = document.querySelector('.st-key-sweep_figure .js-plotly-plot');
  return chart && chart._fullData ? chart._fullData.map(t => [t.name, t._length || 0]) : null;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """A dashboard server with an empty run store; yields its URL."""
    with dashboard_server(tmp_path_factory.mktemp("sweeps-browser")) as url:
        yield url


@pytest.fixture
def page(server) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = chromium.new_context(viewport=VIEWPORT).new_page()
        page.set_default_timeout(60_000)
        yield page
        chromium.close()


def test_a_tiny_sweep_shows_both_members_curves(server, page) -> None:
    page.goto(f"{server}/sweeps?{TINY_SWEEP}")
    page.get_by_role("heading", name="Sweeps", exact=True).wait_for()
    page.get_by_role("button", name="Start (2 to train)").click()
    page.get_by_role("button", name="Stop").wait_for()  # the live view
    seen: list = []
    deadline = time.monotonic() + 240
    while True:
        curves = page.evaluate(CURVES_JS) or []
        if curves and curves != (seen[-1] if seen else None):
            seen.append(curves)
            if len(seen) == 2:
                screenshot(page, "sweeps-live", height=1600)
        if len(curves) == 2 and all(points == 3 for _, points in curves):
            break
        assert time.monotonic() < deadline, f"curves seen: {seen}"
        page.wait_for_timeout(250)
    assert sorted(name for name, _ in curves) == ["optimizer=adam", "optimizer=sgd"]
    # The curves filled in while training: first one member, then both.
    assert [len(state) for state in seen][0] == 1, seen
    page.get_by_text("2/2 done").wait_for()
    table = page.locator('[data-testid="stDataFrame"]').first
    table.wait_for()
    screenshot(page, "sweeps-done", height=1600)
    # The sweep lives in the URL: a reload shows the same finished sweep, nothing to start.
    page.reload()
    page.get_by_text("2/2 done").wait_for()
    assert page.get_by_role("button", name="Start (2 to train)").count() == 0
    assert len(page.wait_for_function(CURVES_JS).json_value()) == 2
