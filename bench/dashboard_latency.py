"""How fast the dashboard answers: start-up, live chart, model summaries, opening runs.

    python bench/dashboard_latency.py [--starts 3] [--model cnn-keras] [--subset 5000]
    python bench/dashboard_latency.py --measures summary,open   # some of them only

1. Start-up: seconds from launching `streamlit run dashboard.py` to the Home page fully
   rendered in headless Chromium (title, run store metrics and both tables drawn). Chromium
   is already running, as a user's browser would be. Each start is a fresh server and store.
   Target: <= 1.5 s. A one-line Streamlit app is timed the same way, interleaved, as the
   floor this machine allows.
2. Live chart delay: while a run trains, the live loss chart on the Train page is polled
   every 20 ms; each time new batch points appear, the newest one's delay is the time seen
   minus the time its `batch` event was written (the worker's `time.time()`, same clock).
   Target: <= 1 s.
3. Model summary: on the Train page, with the warm standby worker ready, seconds from
   choosing a model in the Model box to its summary ("Model NAME: N parameters") on the
   page; for models never summarised (target <= 3 s) and for models seen before (their
   summary is on disk; target <= 0.3 s). Also the disk read alone, in this process.
4. Opening a run: seconds from opening a link to a finished run (`/runs?run=ID`,
   `/train?run=ID`) on a warm server to its headline and every chart drawn (target <= 2 s),
   and from opening the link of a live run to its live loss chart with points. Beside the
   wall time, the CPU seconds the server and the browser spent on it (both together): on a
   machine busy with other jobs the wall time mostly measures waiting for a core, the CPU
   time is what a quiet machine would have to do.
5. Photo prediction: `dlnn.clocks.photo_time.read_photo_time` of a small trained clock model,
   asked of a warm standby worker: the first photo (loads the model) and the next ones
   (target <= 2 s), against a new process per photo (what the clock lab did before).

Uses `$DLNN_DATA_DIR` when it holds MNIST, else synthetic MNIST-shaped data; the run store is
a temporary folder. Prints the numbers; it is not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dlnn import presets, runner, summaries  # noqa: E402
from dlnn.config import RunConfig  # noqa: E402
from dlnn.files import read_jsonl  # noqa: E402
from dlnn.runs import RunStore  # noqa: E402
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
NEW_SUMMARY_TARGET = 3.0
SEEN_SUMMARY_TARGET = 0.3
OPEN_TARGET = 2.0
PHOTO_TARGET = 2.0
MEASURES = ("startup", "chart", "summary", "open", "photo")
# Models never summarised in a fresh cache (the Train page opens with the quick preset's).
NEW_MODELS = ("mlp-geron", "cnn-fashion", "cnn-keras-example")
# True once every chart on the page is drawn and a headline metric is shown.
DRAWN_JS = """() => {
  const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
  const metric = document.querySelector('[data-testid="stMetricValue"]');
  return Boolean(metric) && charts.length > 0 && charts.every(c => c.querySelector('.main-svg'));
}"""


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


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the body (this process's dlnn reads the same store)."""
    old = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def wait_for_standby(cache: Path, seconds: float = 120.0) -> None:
    """Wait until the server's warm standby worker is ready (TensorFlow imported)."""
    deadline = time.monotonic() + seconds
    while not list((cache / "runs" / ".standby").glob("*.ready")):
        if time.monotonic() > deadline:
            raise TimeoutError("the standby worker never became ready")
        time.sleep(0.1)


def choose_model(page, model: str) -> float:
    """Pick `model` in the Train page's Model box; seconds until its summary is shown."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has=page.get_by_text("Model", exact=True))
    box.click()
    option = page.get_by_role("option", name=re.compile(f"^{re.escape(model)} "))
    chosen = time.perf_counter()
    option.click()
    page.get_by_text(re.compile(f"^Model {re.escape(model)}: [0-9,]+ parameters")).wait_for()
    return time.perf_counter() - chosen


def measure_summaries(browser, workdir: Path, data_dir: str) -> dict[str, list[float]]:
    """Seconds from choosing a model to its summary: new ones, then the same ones again."""
    cache = Path(tempfile.mkdtemp(dir=workdir))
    process, url = start_server(cache, data_dir)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        wait_for_health(url, process)
        page.goto(f"{url}/train")
        page.get_by_text(re.compile(r"^Model cnn-keras: ")).wait_for()
        wait_for_standby(cache)
        new = [choose_model(page, model) for model in NEW_MODELS]
        seen = [choose_model(page, model) for model in ("cnn-keras", *NEW_MODELS)]
    finally:
        context.close()
        stop_server(process)
    with environment(DLNN_CACHE_DIR=str(cache)):
        config = RunConfig(model=NEW_MODELS[0], epochs=7)  # another field: the same summary
        started = time.perf_counter()
        summaries.model_summary(config)
        disk = [time.perf_counter() - started]
    return {"new": new, "seen": seen, "disk": disk}


def train_quick_run(cache: Path, data_dir: str) -> str:
    """Train the quick preset into `cache` with the CLI; returns its run id."""
    arguments = runner.config_arguments(presets.PRESETS["quick"].apply())
    done = subprocess.run(
        [sys.executable, "-m", "dlnn", "train", *arguments, "--json"], cwd=ROOT,
        env={**os.environ, "DLNN_CACHE_DIR": str(cache), "DLNN_DATA_DIR": data_dir,
             "TF_CPP_MIN_LOG_LEVEL": "3"}, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["run_id"]


def tree_cpu_seconds(root: int, skip: str = "dlnn worker") -> float:
    """CPU seconds (user + system) used so far by `root`'s descendants, e.g. the dashboard
    server and Chromium this benchmark started; processes whose command line contains `skip`
    (training and standby workers) are left out. Linux only (reads /proc)."""
    children: dict[int, list[int]] = {}
    info: dict[int, tuple[float, str]] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        info[int(entry.name)] = ((int(fields[11]) + int(fields[12])) / ticks, command)
    total, stack = 0.0, list(children.get(root, []))
    while stack:
        pid = stack.pop()
        seconds, command = info.get(pid, (0.0, ""))
        if skip in command:
            continue
        total += seconds
        stack.extend(children.get(pid, []))
    return total


def time_until_drawn(page, url: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of server and browser) from opening `url` to its headline
    and every chart drawn."""
    cpu = tree_cpu_seconds(os.getpid())
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(DRAWN_JS, polling=20)
    return time.perf_counter() - started, tree_cpu_seconds(os.getpid()) - cpu


def measure_open(browser, workdir: Path, data_dir: str, rounds: int = 3
                 ) -> dict[str, list[float]]:
    """Seconds to open a finished run's links (warm server), and a live run's link."""
    cache = Path(tempfile.mkdtemp(dir=workdir))
    run_id = train_quick_run(cache, data_dir)
    process, url = start_server(cache, data_dir)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(120_000)
    times: dict[str, list[float]] = {"live": []}
    try:
        wait_for_health(url, process)
        # The server's first visit also imports the views' libraries (pandas, Plotly).
        times["first"], times["first cpu"] = time_until_drawn(page, f"{url}/runs?run={run_id}")
        for name in ("runs", "train"):
            visits = [time_until_drawn(page, f"{url}/{name}?run={run_id}")
                      for _ in range(rounds)]
            times[name] = [wall for wall, _ in visits]
            times[f"{name} cpu"] = [cpu for _, cpu in visits]
        with environment(DLNN_CACHE_DIR=str(cache), DLNN_DATA_DIR=data_dir):
            live = runner.start_run(RunConfig(model="mlp-keras", subset=5000, epochs=200,
                                              batch_size=32), RunStore(cache / "runs"))
        while not any(event.get("type") == "batch" for event in live.events()):
            time.sleep(0.1)
        for _ in range(rounds):
            started = time.perf_counter()
            page.goto(f"{url}/runs?run={live.run_id}")
            page.wait_for_function(
                f"() => {{ const n = ({POINTS_JS})(); return n !== null && n[0] > 0; }}",
                polling=20)
            times["live"].append(time.perf_counter() - started)
        runner.stop_run(live)
    finally:
        context.close()
        stop_server(process)
    return times


def measure_photo(workdir: Path, rounds: int = 4) -> dict[str, list[float]]:
    """Seconds to read a photo's time: via the standby (first, then later), via a process."""
    from dlnn import standby
    from dlnn.clocks.photo_time import read_photo_time
    from dlnn.clocks.render import ClockStyle, render_clock
    from tests.clock_runs import TINY_CLOCKS

    cache = Path(tempfile.mkdtemp(dir=workdir))
    subprocess.run([sys.executable, "-m", "dlnn", "train",
                    *runner.config_arguments(TINY_CLOCKS)], cwd=ROOT, check=True,
                   env={**os.environ, "DLNN_CACHE_DIR": str(cache), "TF_CPP_MIN_LOG_LEVEL": "3"},
                   capture_output=True)
    picture = render_clock(10, 9, ClockStyle(size=300))
    times: dict[str, list[float]] = {"standby": [], "process": []}
    with environment(DLNN_CACHE_DIR=str(cache), DLNN_STANDBY_WORKER="0"):
        store = RunStore()
        run = store.list()[0]
        started = time.perf_counter()
        read_photo_time(run, picture, store)  # no standby: a new process
        times["process"].append(time.perf_counter() - started)
    with environment(DLNN_CACHE_DIR=str(cache), DLNN_STANDBY_WORKER="1"):
        runner.keep_worker_ready(store)
        wait_for_standby(cache)
        for _ in range(rounds):
            started = time.perf_counter()
            read_photo_time(run, picture, store)
            times["standby"].append(time.perf_counter() - started)
        pid = standby.claim(store)
        if pid is not None:
            os.kill(pid, signal.SIGTERM)  # a job would start a successor (TensorFlow again)
    return times


def spread(values: list[float]) -> str:
    """`median 1.23 s (1.10-1.40)` of a list of seconds."""
    return (f"median {statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f}, "
            f"{len(values)} tries)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="fresh server starts to time")
    parser.add_argument("--model", default="cnn-keras")
    parser.add_argument("--subset", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--measures", default=",".join(MEASURES),
                        help="comma-separated: " + ", ".join(MEASURES))
    args = parser.parse_args()
    measures = set(args.measures.split(","))

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        workdir = Path(tmp)
        data_dir = os.environ.get("DLNN_DATA_DIR", "")
        if not data_dir or not Path(data_dir, "mnist").is_dir():
            data_dir = str(workdir / "data")
            write_idx_files(Path(data_dir) / "mnist", learnable_arrays(args.subset, 1000))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print(f"data: {data_dir}; machine: {os.cpu_count()} cores")
        if "startup" in measures:
            report_startup(browser, workdir, data_dir, args.starts)
        if "chart" in measures:
            query = (f"model={args.model}&subset={args.subset}&epochs={args.epochs}"
                     f"&batch_size={args.batch_size}")
            report_chart_delay(measure_chart_delay(browser, workdir, data_dir, query))
        if "summary" in measures:
            times = measure_summaries(browser, workdir, data_dir)
            print(f"model summary, new model, warm standby: {spread(times['new'])} "
                  f"(target <= {NEW_SUMMARY_TARGET} s)")
            print(f"model summary, model seen before: {spread(times['seen'])} "
                  f"(target <= {SEEN_SUMMARY_TARGET} s); disk read alone "
                  f"{times['disk'][0] * 1000:.1f} ms")
        if "open" in measures:
            times = measure_open(browser, workdir, data_dir)
            for name in ("runs", "train"):
                print(f"open a finished run, /{name}?run=ID: {spread(times[name])} "
                      f"(target <= {OPEN_TARGET} s); CPU seconds of server and browser: "
                      f"{spread(times[name + ' cpu'])}")
            print(f"the same, the fresh server's first page: {times['first']:.2f} s "
                  f"({times['first cpu']:.2f} CPU seconds)")
            print(f"open a live run, /runs?run=ID, to its live loss chart: "
                  f"{spread(times['live'])}")
        if "photo" in measures:
            times = measure_photo(workdir)
            first, later = times["standby"][0], times["standby"][1:]
            print(f"photo prediction via the standby: first {first:.2f} s, then "
                  f"{spread(later)} (target <= {PHOTO_TARGET} s); a new process per photo: "
                  f"{times['process'][0]:.2f} s")
        browser.close()


def report_startup(browser, workdir: Path, data_dir: str, count: int) -> None:
    """Time `count` fresh starts of the dashboard and of a one-line app, interleaved."""
    baseline_script = workdir / "baseline" / "app.py"
    baseline_script.parent.mkdir(exist_ok=True)
    baseline_script.write_text(BASELINE_APP)
    starts, baselines = [], []
    for _ in range(count):  # interleaved, so both see the same machine load
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


def report_chart_delay(delays: list[float]) -> None:
    if not delays:
        print("live chart delay: no batch points seen")
        return
    delays = sorted(delays)
    p95 = delays[min(len(delays) - 1, round(0.95 * (len(delays) - 1)))]
    print(f"batch end to chart point ({len(delays)} updates): median "
          f"{statistics.median(delays):.2f} s, p95 {p95:.2f} s, max {max(delays):.2f} s "
          f"(target <= {DELAY_TARGET} s)")


if __name__ == "__main__":
    main()
