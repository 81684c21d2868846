"""The Permutation lab in headless Chromium: the page opens by its address on a fresh server
and draws the image grid (original, permuted, restored) and the permutation as a picture.

    pytest -m browser tests/test_permlab_browser.py
"""

from __future__ import annotations

import pytest

from tests.test_browser import browser, page, screenshot, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

# Number of heatmaps (images) and of RGB pictures in the first two charts of the page.
GRID_JS = """() => {
  const charts = [...document.querySelectorAll('.js-plotly-plot')];
  return charts.length < 2 || !charts[1]._fullData ? null : charts.slice(0, 2).map(
    chart => chart._fullData.map(trace => trace.type));
}"""


def test_permutation_page_shows_images_permuted_and_restored(server, page):  # noqa: F811
    page.goto(f"{server}/permutation")
    page.get_by_role("heading", name="Permutation lab").wait_for()
    page.get_by_text("train and test alike").wait_for()
    grid, picture = page.wait_for_function(GRID_JS, timeout=60_000).json_value()
    assert grid == ["heatmap"]  # 8 images in 3 rows, tiled into one mosaic
    assert picture == ["image", "image"]
    assert page.get_by_text("permuted", exact=True).count() >= 8  # the captions
    page.get_by_role("tab", name="Study").click()
    page.get_by_role("button", name="Train the 8 missing runs of 8").wait_for()
    screenshot(page, "permutation-lab", height=2200)
