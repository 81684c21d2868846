"""How fast the Report page opens with every run stored (target: under 3 s).

    DLNN_CACHE_DIR=/path/with/a/report python bench/report_page.py [--opens 3]

Starts `streamlit run dashboard.py` on the store in `$DLNN_CACHE_DIR` (a `reproduce all` has
written its report there), opens the Home page once so the server is warm, then opens
`/report` `--opens` times in headless Chromium, timing from the request to the page's status
table drawn and every figure of the embedded report drawn inside its frame. Prints each time
and the median; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    free_port,
    wait_for_health,
)

TARGET = 3.0
FIGURES = 9  # Figures 1-6, 7a, 7b, 7c


def time_open(page, url: str) -> tuple[float, float]:
    """Seconds from asking for the Report page to its status table drawn, and to every
    figure of the embedded report drawn too."""
    started = time.perf_counter()
    page.goto(f"{url}/report")
    page.locator("[data-testid=stDataFrame]").first.wait_for(timeout=60_000)
    table = time.perf_counter() - started
    frame = page.frame_locator("iframe").first
    frame.locator(".plot-container").nth(FIGURES - 1).wait_for(timeout=60_000)
    return table, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "DLNN_STANDBY_WORKER": "0"},
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url)
            page.get_by_text("Runs stored").first.wait_for(timeout=120_000)  # a warm server
            seconds = [time_open(page, url) for _ in range(args.opens)]
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    for name, values in (("status table", [table for table, _ in seconds]),
                         ("every figure", [figures for _, figures in seconds])):
        print(f"{name}: " + " ".join(f"{value:.2f}" for value in values) + " s; median "
              f"{statistics.median(values):.2f} s (target {TARGET:.0f} s)")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
