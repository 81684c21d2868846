"""Memory of the dashboard process over 20 runs and 60 page loads (issue 11: at most +150 MB).

    python bench/dashboard_memory.py [--runs 20] [--loads 60]

Starts `streamlit run dashboard.py` on a free port over a temporary run store with synthetic
MNIST-shaped data, trains `--runs` tiny runs (each started by the benchmark through
`dlnn.runner`, one worker each, as the Train page does), and meanwhile opens `--loads` pages in
headless Chromium, cycling through every page of the navigation and the run view of each run.
After every load it reads the server process's resident memory (`VmRSS`) and prints the
curve; the growth is the last reading against the first after warm-up (the first load of each
page imports its modules once). Not a test: it takes minutes and its numbers depend on the
machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dashboard_latency import stop_server  # noqa: E402
from dlnn import registry, runner  # noqa: E402
from dlnn.config import RunConfig  # noqa: E402
from dlnn.runs import RunStore  # noqa: E402
from tests.synthetic import learnable_arrays, write_idx_files  # noqa: E402
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, wait_for_health  # noqa: E402

LIMIT_MB = 150.0


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def page_paths() -> list[str]:
    return ["home", "train", "runs", *(page.url_path for page in registry.pages())]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--loads", type=int, default=60)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        for folder in ("mnist", "fashion-mnist"):
            write_idx_files(work / "data" / folder, learnable_arrays(400, 100, 0))
        env = {**os.environ, "DLNN_CACHE_DIR": str(work / "cache"),
               "DLNN_DATA_DIR": str(work / "data"), "DLNN_STANDBY_WORKER": "0"}
        os.environ.update({key: env[key] for key in ("DLNN_CACHE_DIR", "DLNN_DATA_DIR")})
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port",
             str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url = f"http://localhost:{port}"
            wait_for_health(url, server)
            run_ids: list[str] = []
            curve: list[tuple[int, int, float]] = []
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1300, "height": 900})
                paths = page_paths()
                for load in range(args.loads):
                    if len(run_ids) < args.runs and load % max(1, args.loads // args.runs) == 0:
                        config = RunConfig(model="mlp-geron", epochs=2, subset=200,
                                           batch_size=32, seed=len(run_ids))
                        run_ids.append(runner.start_run(config).run_id)
                    target = paths[load % len(paths)]
                    if run_ids and load % 3 == 2:
                        target = f"runs?run={run_ids[load % len(run_ids)]}"
                    page.goto(f"{url}/{target}")
                    page.wait_for_timeout(1500)
                    curve.append((load + 1, len(run_ids), rss_mb(server.pid)))
                    print(f"load {load + 1:>3} runs {len(run_ids):>2} {target:<40} "
                          f"{curve[-1][2]:7.1f} MB", flush=True)
                browser.close()
            while any(run.status in ("queued", "running") for run in RunStore().list()):
                time.sleep(1)
        finally:
            stop_server(server)
    warm = curve[len(page_paths())][2]  # after every page was opened once
    growth = curve[-1][2] - warm
    peak = max(mb for _, _, mb in curve)
    print(f"dashboard process: {curve[0][2]:.0f} MB at the first load, {warm:.0f} MB once every "
          f"page was open, {curve[-1][2]:.0f} MB after {args.loads} loads and {len(run_ids)} "
          f"runs (peak {peak:.0f} MB): growth {growth:+.0f} MB (limit {LIMIT_MB:.0f} MB)")
    return 0 if growth <= LIMIT_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
