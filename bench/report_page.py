"""How fast the Report page opens with every run stored (target: under 3 s).

    DLNN_CACHE_DIR=/path/with/a/report python bench/report_page.py [--opens 5] [--document]
    python bench/report_page.py --fake [--opens 5]   # a store of fake runs, report written

Starts `streamlit run dashboard.py` on the store in `$DLNN_CACHE_DIR` (a `reproduce all` has
written its report there; `--fake` instead fills a temporary store with a fake finished run
for every run of the quick report, as the tests do, and writes the report), opens the Home
page once so the server is warm, then opens `/report` `--opens` times in headless Chromium,
timing from the request to the page's status table drawn and to its first figure drawn.
`--document` also turns on the embedded self-contained document after each open and times
until all of its figures are drawn inside the frame. Prints each time, the median and the
load average; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
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
DOCUMENT = "Show the whole document"


def time_open(page, url: str, document: bool) -> list[float]:
    """Seconds from asking for the Report page to its status table drawn, to its first
    figure drawn, and (`document`) from turning the document on to its every figure drawn."""
    started = time.perf_counter()
    page.goto(f"{url}/report")
    page.locator("[data-testid=stDataFrame]").first.wait_for(timeout=60_000)
    table = time.perf_counter() - started
    page.locator("[data-testid=stPlotlyChart] .plot-container").first.wait_for(timeout=60_000)
    seconds = [table, time.perf_counter() - started]
    if document:
        started = time.perf_counter()
        page.get_by_text(DOCUMENT).click()
        frame = page.frame_locator("iframe").first
        frame.locator(".plot-container").nth(FIGURES - 1).wait_for(timeout=120_000)
        seconds.append(time.perf_counter() - started)
    return seconds


def fake_store(folder: Path) -> None:
    """A fake finished run for every run of the quick report, and the report written."""
    os.environ["DLNN_CACHE_DIR"] = str(folder)
    from dlnn import report
    from dlnn.runs import RunStore
    from tests.report_runs import fill_report_store

    store = RunStore()
    fill_report_store(store)
    report.write_report(report.collect_parts(store, quick=True), True, store, png=False)


def measure(opens: int, document: bool) -> list[list[float]]:
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
            seconds = [time_open(page, url, document) for _ in range(opens)]
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=5)
    parser.add_argument("--document", action="store_true",
                        help="also time the embedded document's figures")
    parser.add_argument("--fake", action="store_true",
                        help="a temporary store of fake runs instead of $DLNN_CACHE_DIR")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="report-bench-") as folder:
        if args.fake:
            fake_store(Path(folder))
        seconds = measure(args.opens, args.document)
    names = ["status table", "first figure", "document's every figure (after the toggle)"]
    for index, name in enumerate(names[:len(seconds[0])]):
        values = [row[index] for row in seconds]
        print(f"{name}: " + " ".join(f"{value:.2f}" for value in values) + " s; median "
              f"{statistics.median(values):.2f} s" + (f" (target {TARGET:.0f} s)"
                                                      if index < 2 else ""))
    print(f"load average {' '.join(f'{value:.1f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
