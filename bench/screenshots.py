"""Screenshots of the dashboard for the README: Home, Train, Runs and the clock lab, light and dark.

    DLNN_DATA_DIR=../shared/datasets python bench/screenshots.py [--out docs/screenshots]
        [--cache DIR]   # keep the trained runs there and reuse them next time

Trains a few small runs into a temporary run store (the quick preset on MNIST, an MLP, a clock
reader), starts `streamlit run dashboard.py` on a free port once per theme, opens each page
in headless Chromium (Debian's `/usr/bin/chromium`) and saves `<page>-<theme>.png`. The Runs
page is shown with two runs selected, so the comparison is in the picture. Without MNIST in
`$DLNN_DATA_DIR` it uses synthetic MNIST-shaped data. Takes a few minutes; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dashboard_latency import stop_server  # noqa: E402
from dlnn import presets, runner  # noqa: E402
from dlnn.config import RunConfig  # noqa: E402
from tests.synthetic import learnable_arrays, write_idx_files  # noqa: E402
from tests.test_browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    free_port,
    wait_for_health,
)

WIDTH = 1400
THEMES = ("light", "dark")
# True once the page's Plotly charts are all drawn.
CHARTS_DRAWN = """() => {
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  return charts.length > 0 && charts.every(c => c.querySelector('.main-svg'));
}"""
# True once every picture on the page has loaded.
IMAGES_LOADED = """() => {
  const images = [...document.querySelectorAll('[data-testid="stImage"] img')];
  return images.length > 0 && images.every(image => image.complete && image.naturalWidth > 0);
}"""
# The runs shown, oldest first: a small clock reader, an MLP and the quick preset (the newest
# two, the first rows of the Runs table, are compared there).
RUNS = (
    RunConfig(dataset="clocks-easy", model="clock-hands", clock_images=3000, image_size=64,
              conv_blocks=3, conv_filters=16, dense_units=64, epochs=6, batch_size=32,
              optimizer="adam", initializer="glorot_uniform"),
    presets.PRESETS["quick"].apply().replace(model="mlp-keras"),
    presets.PRESETS["quick"].apply(),
)
# Page -> (URL path, text to wait for, page height in pixels).
PAGES = {
    "home": ("/", "Model zoo", 1500),
    "train": ("/train", "Seconds per epoch", 1700),
    "runs": ("/runs", "runs. Select rows", 2300),
    "clock-lab": ("/clocks", "Every control below", 1500),
}


def train_runs(cache: Path, data_dir: str) -> None:
    """Train RUNS into the store under `cache` with the command line."""
    env = {**os.environ, "DLNN_CACHE_DIR": str(cache), "DLNN_DATA_DIR": data_dir,
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    for config in RUNS:
        print(f"training {config.model} on {config.dataset}...", flush=True)
        subprocess.run([sys.executable, "-m", "dlnn", "train",
                        *runner.config_arguments(config)], cwd=ROOT, env=env, check=True,
                       capture_output=True)


def start_server(cache: Path, data_dir: str, theme: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DLNN_CACHE_DIR": str(cache), "DLNN_DATA_DIR": data_dir}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--theme.base", theme], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for_health(url, process)
    return process, url


def select_two_runs(page) -> None:
    """Tick the first two rows of the Runs table (a canvas: click by position)."""
    box = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
    for row in (1, 2):
        page.mouse.click(box["x"] + 15, box["y"] + 35 * row + 17)
        page.wait_for_timeout(800)
    page.get_by_text("Comparing 2 runs").wait_for()


def shoot(browser, url: str, theme: str, out: Path) -> None:
    """Save every page of PAGES in one theme."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000},
                                  color_scheme=theme)
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(url)  # the first visit ends Streamlit's legacy page mode (pages/__init__.py)
    page.get_by_text("Model zoo").wait_for()
    for name, (path, ready, height) in PAGES.items():
        page.set_viewport_size({"width": WIDTH, "height": height})
        page.goto(url + path)
        page.get_by_text(ready).first.wait_for()
        if name == "runs":
            select_two_runs(page)
        if name in ("train", "runs", "clock-lab"):
            page.wait_for_function(CHARTS_DRAWN, polling=100)
        if name == "clock-lab":
            page.wait_for_function(IMAGES_LOADED, polling=100)
        page.wait_for_timeout(2000)  # charts settle, fonts load
        target = out / f"{name}-{theme}.png"
        page.screenshot(path=str(target))
        print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
    context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--cache", type=Path,
                        help="a dlnn cache folder to keep the runs in (reused when it has them)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        workdir = Path(tmp)
        data_dir = os.environ.get("DLNN_DATA_DIR", "")
        if not data_dir or not Path(data_dir, "mnist").is_dir():
            data_dir = str(workdir / "data")
            write_idx_files(Path(data_dir) / "mnist", learnable_arrays(12_000, 2_000))
        cache = args.cache or workdir / "cache"
        if not list((cache / "runs").glob("*/result.json")):
            train_runs(cache, data_dir)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for theme in THEMES:
            process, url = start_server(cache, data_dir, theme)
            try:
                shoot(browser, url, theme, args.out)
            finally:
                stop_server(process)
        browser.close()


if __name__ == "__main__":
    main()
