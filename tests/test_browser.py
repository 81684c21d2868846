"""End to end in headless Chromium: the real server, a real worker, the real charts.

Starts `streamlit run dashboard.py` on a free port with an empty run store, opens the Train
page by its deep link (the first request the fresh server sees), trains a tiny run while
watching the loss chart grow, stops a second run, and compares both on the Runs page.
Screenshots go to `test-artifacts/`. Uses `$DLNN_DATA_DIR` when set, else synthetic data.

    pytest -m browser tests/test_browser.py
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlnn import registry
from tests.synthetic import learnable_arrays, write_idx_files

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
VIEWPORT = {"width": 1400, "height": 1000}
# The navigation dashboard.py declares, in order: the core's pages (one
# `st.Page(..., title="...")` each), then the pages the labs register, then the Report.
_CORE, _AFTER_LABS = (ROOT / "dashboard.py").read_text().split("for page in lab_pages()", 1)
NAV_TITLES = [*re.findall(r'st\.Page\([^)]*title="([^"]+)"', _CORE),
              *(page.title for page in registry.pages()),
              *re.findall(r'st\.Page\([^)]*title="([^"]+)"', _AFTER_LABS)]
# Enough work for the loss chart to be redrawn several times on two cores.
TINY_RUN = "model=cnn-keras&subset=3000&batch_size=32&epochs=4"
LONG_RUN = "model=cnn-keras&subset=3000&batch_size=32&epochs=200"
# Number of points of every trace of the live loss chart (None while it is not drawn).
POINTS_JS = """() => {
  const chart = document.querySelector('.st-key-live_loss .js-plotly-plot');
  return chart && chart._fullData ? chart._fullData.map(trace => trace._length || 0) : null;
}"""
# Name and number of points of every trace of the Runs page's comparison chart.
COMPARED_JS = """() => {
  const chart = document.querySelector('.st-key-runs_compare .js-plotly-plot');
  return chart && chart._fullData ? chart._fullData.map(t => [t.name, t._length || 0]) : null;
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(url: str, process: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"no answer from {url} in {seconds} s")


@contextlib.contextmanager
def dashboard_server(root: Path) -> Iterator[str]:
    """`streamlit run dashboard.py` on a free port with an empty run store under `root`;
    yields its URL. Real MNIST from `$DLNN_DATA_DIR` when it holds it, else synthetic."""
    data_dir = os.environ.get("DLNN_DATA_DIR")
    if not data_dir or not Path(data_dir, "mnist").is_dir():
        data_dir = str(root / "data")
        write_idx_files(Path(data_dir) / "mnist", learnable_arrays(3000, 500, label_noise=0.05))
    port = free_port()
    env = {**os.environ, "DLNN_CACHE_DIR": str(root / "cache"), "DLNN_DATA_DIR": data_dir}
    log = open(root / "server.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """A dashboard server with an empty run store; yields its URL."""
    with dashboard_server(tmp_path_factory.mktemp("browser")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def screenshot(page, name: str, height: int | None = None) -> None:
    """Save the page; a taller viewport captures long pages (Streamlit scrolls inside)."""
    ARTIFACTS.mkdir(exist_ok=True)
    if height:
        page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
        page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    if height:
        page.set_viewport_size(VIEWPORT)


def nav_titles(page) -> list[str]:
    links = page.locator('[data-testid="stTopNavLink"], [data-testid="stSidebarNavLink"]')
    return [text.strip() for text in links.all_inner_texts()]


def test_deep_link_train_watch_live_curves_and_stop(server, page):
    # The fresh server's very first request is a deep link to the Train page.
    page.goto(f"{server}/train?{TINY_RUN}")
    page.get_by_role("heading", name="Train", exact=True).wait_for()
    titles = nav_titles(page)
    assert NAV_TITLES[:3] == ["Home", "Train", "Runs"]  # the regex read dashboard.py
    assert [title.split("\n")[-1] for title in titles] == NAV_TITLES, titles
    # The link set the model: its summary (built by a worker) names it.
    page.get_by_text("Model cnn-keras:").wait_for(timeout=60_000)

    page.get_by_role("button", name="Start training").click()
    page.locator(".st-key-live_loss .js-plotly-plot").first.wait_for()
    seen: list[int] = []
    deadline = time.monotonic() + 120
    while not page.get_by_text("Test accuracy", exact=True).count():
        assert time.monotonic() < deadline, f"no result; batch point counts seen: {seen}"
        counts = page.evaluate(POINTS_JS)
        if counts and (not seen or counts[0] != seen[-1]):
            seen.append(counts[0])
            if len(seen) == 3:
                screenshot(page, "train-live")
        page.wait_for_timeout(100)
    growth = [later for earlier, later in zip(seen, seen[1:], strict=False) if later > earlier]
    assert len(growth) >= 2, f"the loss chart grew {len(growth)} times: {seen}"
    page.get_by_text("Test accuracy", exact=True).wait_for()
    assert "run=" in page.url
    screenshot(page, "train-result", height=2600)

    page.goto(f"{server}/train?{LONG_RUN}")
    page.get_by_role("button", name="Start training").click()
    page.get_by_text(re.compile(r"Epoch \d+/200 · batch [1-9]")).wait_for(timeout=60_000)
    stop_clicked = time.monotonic()
    page.get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text("The run was cancelled").wait_for(timeout=15_000)
    assert time.monotonic() - stop_clicked < 5
    screenshot(page, "train-cancelled")


def test_runs_page_lists_and_compares_both_runs(server, page):
    page.goto(f"{server}/runs")
    page.get_by_role("heading", name="Runs", exact=True).wait_for()
    page.get_by_text("2 of 2 runs").wait_for()
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    # Tick the two rows' checkboxes (the grid is a canvas: click by position).
    for row in (1, 2):
        page.mouse.click(box["x"] + 15, box["y"] + 35 * row + 17)
        page.wait_for_timeout(500)
    page.get_by_text("Comparing 2 runs").wait_for()
    page.get_by_text("Highlighted rows differ").wait_for()
    traces = page.wait_for_function(COMPARED_JS).json_value()
    # Legends name what the runs changed; the finished run has a point for each of its 4
    # epochs (the stopped one is drawn only if it finished an epoch before the Stop).
    assert all(re.search(r"· epochs=(4|200)\b", name) for name, _ in traces), traces
    assert [points for name, points in traces if re.search(r"epochs=4\b", name)] == [4], traces
    screenshot(page, "runs-compare", height=2000)


def test_home_shows_the_store(server, page):
    page.goto(server)
    page.get_by_role("heading", name="dlnn: a deep-learning lab").wait_for()
    page.get_by_text("cnn-keras-example").wait_for()
    assert [title.split("\n")[-1] for title in nav_titles(page)] == NAV_TITLES
    screenshot(page, "home")


def test_deleting_a_run_asks_first_and_leaves_nothing_selected(server, page):
    page.goto(server)
    page.get_by_text("Runs stored").wait_for()
    stored = re.findall(r"\d{8}-\d{6}-[\w-]+", page.inner_text("body"))
    assert len(set(stored)) == 2, stored  # the runs of the first test, newest first
    newest, oldest = dict.fromkeys(stored)

    page.goto(f"{server}/runs")
    page.get_by_text("2 of 2 runs").wait_for()
    box = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 + 17)  # the first row: the newest run
    page.get_by_role("button", name="Delete 1 run").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    # The dialog names the run on one line and its buttons say what they do.
    run_id = dialog.get_by_text(newest)
    assert run_id.bounding_box()["height"] < 30
    confirm = dialog.get_by_role("button", name="Delete 1 run")
    cancel = dialog.get_by_role("button", name="Cancel")
    assert confirm.bounding_box()["width"] > 100 and cancel.bounding_box()["width"] > 100
    screenshot(page, "runs-delete-dialog")
    confirm.click()

    page.get_by_text("1 of 1 run").wait_for()
    page.wait_for_timeout(1500)  # a selection would show its actions after the rerun
    assert not page.get_by_role("button", name=re.compile("^Delete")).count()
    assert not page.get_by_text("Comparing").count()
    page.goto(server)
    page.get_by_text("Runs stored").wait_for()
    assert set(re.findall(r"\d{8}-\d{6}-[\w-]+", page.inner_text("body"))) == {oldest}
