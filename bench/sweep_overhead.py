"""Benchmark: what a sweep costs beyond its members' own `model.fit`.

Runs the quick optimizer sweep (mlp-keras on MNIST, a 5,000-image subset, 3 epochs, 7 members)
through the job runner, as the Sweeps page does: all members queued on one worker process,
which trains them one after another. Measured in a fresh run store each round:

- wall: from `sweeps.launch` to the last member finished, as a user waits for it;
- worker span: from the first member's start to the last member's end (no process start);
- the sum of the members' `model.fit` seconds (`result.json` timings);
- per member, the seconds beyond its fit: its own load/build/evaluate/save plus the gap
  before the next member starts (clear_session, run store writes).

`--warm` first starts the dashboard's standby worker (TensorFlow already imported) and
waits until it is ready, so the wall time leaves out TensorFlow's import, as on the page.

    DLNN_DATA_DIR=../shared/datasets python bench/sweep_overhead.py [--rounds 2] [--warm]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlnn import runner, standby, sweeps  # noqa: E402
from dlnn.hparams.named import named_sweep  # noqa: E402
from dlnn.hparams.protocols import PANELS, QUICK  # noqa: E402
from dlnn.runs import RunStore  # noqa: E402

POLL_SECONDS = 0.05


def wait_until(done, timeout: float = 1800.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the sweep did not finish in time")
        time.sleep(POLL_SECONDS)


def one_round(warm: bool) -> dict[str, float]:
    store = RunStore(Path(tempfile.mkdtemp(prefix="dlnn-sweep-bench-")))
    if warm:
        runner.keep_worker_ready(store)
        wait_until(lambda: any(standby.folder(store).glob("*.ready")), timeout=300)
    configs = named_sweep("optimizers", PANELS[0], QUICK).configs()
    started = time.time()
    runs = sweeps.launch(configs, store)
    wait_until(lambda: all(run.status in ("finished", "failed") for run in runs))
    ended = max(run.status_record()["finished"] for run in runs)
    first_start = min(run.status_record()["started"] for run in runs)
    fits = [run.result()["timings"]["fit_seconds"] for run in runs]
    totals = [run.result()["timings"]["total_seconds"] for run in runs]
    span = ended - first_start
    return {
        "wall": ended - started,
        "span": span,
        "fit_sum": sum(fits),
        "inside_run": statistics.mean(t - f for t, f in zip(totals, fits, strict=True)),
        "per_member_beyond_fit": (span - sum(fits)) / len(runs),
        "failed": sum(run.status != "finished" for run in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warm", action="store_true",
                        help="hand the sweep to a ready standby worker (as the dashboard does)")
    args = parser.parse_args()
    os.environ.setdefault("DLNN_STANDBY_WORKER", "1" if args.warm else "0")
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; quick optimizer "
          f"sweep, 7 members, {'warm standby' if args.warm else 'cold worker'}")
    for index in range(args.rounds):
        row = one_round(args.warm)
        print(f"round {index + 1}: wall {row['wall']:.1f} s, worker span {row['span']:.1f} s, "
              f"sum of fits {row['fit_sum']:.1f} s -> wall/fits {row['wall'] / row['fit_sum']:.2f}"
              f", span/fits {row['span'] / row['fit_sum']:.2f}; per member beyond its fit "
              f"{row['per_member_beyond_fit']:.2f} s (inside the run {row['inside_run']:.2f} s)"
              f"; failed {row['failed']:.0f}; load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
