"""How fast the dashboard answers: start-up to a rendered landing page, batch end to chart.

    python bench/dashboard_latency.py [--starts 3] [--model cnn-keras] [--subset 5000]

1. Start-up: seconds from launching `streamlit run dashboard.py` to the Home page fully
   rendered in headless Chromium (title, run store metrics and both tables drawn). Chromium
   is already running, as a user's browser would be. Each start is a fresh server and store.
   Target: <= 1.5 s. A one-line Streamlit app is timed the same way, interleaved, as the
   floor this machine allows.
2. Live chart delay: while a run trains, the live loss chart on the Train page is polled
   every 20 ms; each time new batch points appear, the newest one's delay is the time seen
   minus the time its `batch` event was written (the worker's `time.time()`, same clock).
   Target: <= 1 s.

Uses `$DLNN_DATA_DIR` when it holds MNIST, else synthetic MNIST-shaped data; the run store is
a temporary folder. Prints the numbers; it is not a test.
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
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dlnn.files import read_jsonl  # noqa: E402
from tests.synthetic import learnable_arrays, write_idx_files  # noqa: E402
from tests.test_browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    POINTS_JS,
    VIEWPORT,
    free_port,
    wait_for_health,
)

POLL_SECONDS = 0.02
# What the landing page shows last: the store metrics and the last row of the model table.
LANDING_TEXTS = ("Runs stored", "No runs yet", "Model zoo", "cnn-keras-example")
# The floor: the same measurement for a one-line Streamlit app.
BASELINE_APP = 'import streamlit as st\nst.title("baseline")\n'
START_TARGET = 1.5
DELAY_TARGET = 1.0


def start_server(cache: Path, data_dir: str, script: Path = ROOT / "dashboard.py"
                 ) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DLNN_CACHE_DIR": str(cache), "DLNN_DATA_DIR": data_dir}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=script.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}"


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=20)


def measure_start(browser, workdir: Path, data_dir: str, script: Path = ROOT / "dashboard.py",
                  last_texts: tuple[str, ...] = LANDING_TEXTS) -> tuple[float, float]:
    """(seconds to a healthy server, seconds to the rendered landing page), both from launch."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    launched = time.perf_counter()
    process, url = start_server(Path(tempfile.mkdtemp(dir=workdir)), data_dir, script)
    try:
        wait_for_health(url, process)
        healthy = time.perf_counter() - launched
        page.goto(url)
        for text in last_texts:
            page.get_by_text(text).first.wait_for()
        rendered = time.perf_counter() - launched
    finally:
        stop_server(process)
        context.close()
    return healthy, rendered


def measure_chart_delay(browser, workdir: Path, data_dir: str, query: str) -> list[float]:
    """Delay of each newest batch point on the live loss chart, in seconds."""
    cache = Path(tempfile.mkdtemp(dir=workdir))
    process, url = start_server(cache, data_dir)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    seen: list[tuple[int, float]] = []  # (batch points drawn, wall time seen)
    try:
        wait_for_health(url, process)
        page.goto(f"{url}/train?{query}")
        page.get_by_role("button", name="Start training").click(timeout=60_000)
        page.locator(".st-key-live_loss").wait_for(timeout=60_000)
        while not page.get_by_text("Test accuracy", exact=True).count():
            counts = page.evaluate(POINTS_JS)
            now = time.time()
            if counts and counts[0] and (not seen or counts[0] > seen[-1][0]):
                seen.append((counts[0], now))
            time.sleep(POLL_SECONDS)
        run_id = parse_qs(urlparse(page.url).query)["run"][0]
    finally:
        context.close()
        stop_server(process)
    events = [event for event in read_jsonl(cache / "runs" / run_id / "events.jsonl")
              if event.get("type") == "batch"]
    return [now - events[count - 1]["time"] for count, now in seen if count <= len(events)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="fresh server starts to time")
    parser.add_argument("--model", default="cnn-keras")
    parser.add_argument("--subset", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        workdir = Path(tmp)
        data_dir = os.environ.get("DLNN_DATA_DIR", "")
        if not data_dir or not Path(data_dir, "mnist").is_dir():
            data_dir = str(workdir / "data")
            write_idx_files(Path(data_dir) / "mnist", learnable_arrays(args.subset, 1000))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(f"data: {data_dir}; machine: {os.cpu_count()} cores")
        baseline_script = workdir / "baseline" / "app.py"
        baseline_script.parent.mkdir()
        baseline_script.write_text(BASELINE_APP)
        starts, baselines = [], []
        for _ in range(args.starts):  # interleaved, so both see the same machine load
            starts.append(measure_start(browser, workdir, data_dir))
            baselines.append(measure_start(browser, workdir, data_dir, baseline_script,
                                           ("baseline",)))
        for (healthy, rendered), (_, floor) in zip(starts, baselines, strict=True):
            print(f"start-up: server healthy after {healthy:.2f} s, landing page rendered "
                  f"after {rendered:.2f} s (one-line app: {floor:.2f} s)")
        median_start = statistics.median(rendered for _, rendered in starts)
        median_floor = statistics.median(floor for _, floor in baselines)
        print(f"start-up to rendered landing page: median {median_start:.2f} s "
              f"(target <= {START_TARGET} s; a one-line Streamlit app: {median_floor:.2f} s)")

        query = (f"model={args.model}&subset={args.subset}&epochs={args.epochs}"
                 f"&batch_size={args.batch_size}")
        delays = measure_chart_delay(browser, workdir, data_dir, query)
        browser.close()
    if not delays:
        print("live chart delay: no batch points seen")
        return
    delays.sort()
    p95 = delays[min(len(delays) - 1, round(0.95 * (len(delays) - 1)))]
    print(f"batch end to chart point ({len(delays)} updates): median "
          f"{statistics.median(delays):.2f} s, p95 {p95:.2f} s, max {max(delays):.2f} s "
          f"(target <= {DELAY_TARGET} s)")


if __name__ == "__main__":
    main()
