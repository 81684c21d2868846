"""Benchmark: the quick Task 2 study from an empty run store, as the dashboard trains it.

Queues the quick study (both data sets, 10,000-image subsets, 3 epochs, one seed: 8 runs) with
`dlnn.permlab.study.start_study`, exactly what the Permutation lab's Train button does: one
worker process trains the runs in turn. Waits until every run has ended and prints the wall
time from the click to the last run's end, each run's fit and total seconds, and the load
average before and after (the machine is shared: compare on a quiet one).

    DLNN_DATA_DIR=../shared/datasets python bench/permlab_quick.py [--cache DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlnn.runs import ACTIVE, RunStore  # noqa: E402

TARGET_SECONDS = 300


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", help="an empty cache folder [a new temporary one]")
    parser.add_argument("--seeds", type=int, default=1, help="seeds per run [1]")
    args = parser.parse_args()
    cache = Path(args.cache or tempfile.mkdtemp(prefix="permlab-quick-"))
    os.environ["DLNN_CACHE_DIR"] = str(cache)
    os.environ["DLNN_STANDBY_WORKER"] = "0"  # a cold worker: TensorFlow's import is counted
    from dlnn.permlab.study import start_study, study_plan

    store = RunStore()
    if store.list():
        parser.error(f"{store.root} is not empty")
    load_before = os.getloadavg()
    started = time.perf_counter()
    runs = start_study(study_plan(quick=True, seeds=args.seeds), store)
    while any(run.status in ACTIVE for run in runs.values()):
        time.sleep(0.5)
    wall = time.perf_counter() - started
    print(f"cache {cache}; load average before {load_before[0]:.1f}, "
          f"after {os.getloadavg()[0]:.1f}")
    for key, run in runs.items():
        result = run.result() or {}
        timings = result.get("timings") or {}
        print(f"{key.dataset:<14} {key.model:<12} {'permuted' if key.permuted else 'original':<9}"
              f" seed {key.seed}  {run.status:<9} test accuracy "
              f"{result.get('test_accuracy', float('nan')):.4f}  fit "
              f"{timings.get('fit_seconds', 0):5.1f} s  total "
              f"{timings.get('total_seconds', 0):5.1f} s")
    print(f"{len(runs)} runs in {wall:.0f} s from the click to the last run's end "
          f"(target < {TARGET_SECONDS} s)")
    return 0 if all(run.status == "finished" for run in runs.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
