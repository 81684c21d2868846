"""Benchmark: the Ray executor against local worker processes, on this machine.

1. One run: wall seconds from `runner.start_run(...)` until the run has ended, for the local
   executor (a cold worker process: no standby) and for Ray (the runner's driver process
   joins a `ray start --head` cluster that is already up, as a user's would be). Rounds
   alternate the order. Target: Ray adds at most 10%.
2. A sweep of M members: the local executor trains them in turn in one worker; Ray trains
   them as tasks on a cluster with 2 worker CPUs (2 at a time). Wall seconds until all ended.

Prints the load average next to each number (the machine may be shared).

    DLNN_DATA_DIR=../shared/datasets python bench/ray_overhead.py [--rounds 2] [--members 4]
        [--subset 0 --epochs 3]   # a full-data run instead of the 5,000-image one
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlnn import ray_executor, runner  # noqa: E402
from dlnn.config import RunConfig  # noqa: E402
from dlnn.runs import ACTIVE, Run, RunStore  # noqa: E402

CONFIG = RunConfig(dataset="mnist", model="mlp-keras", subset=5000, epochs=2)
OPTIMIZERS = ("rmsprop", "adam", "sgd", "adagrad", "nadam", "adamax")


def wall_seconds(configs: list[RunConfig], store: RunStore, executor: str) -> float:
    """Start `configs` with `executor` and wait until every run has ended."""
    started = time.perf_counter()
    runs = runner.start_queue(configs, store, retrain=True, executor=executor)
    _wait(runs)
    return time.perf_counter() - started


def _wait(runs: list[Run]) -> None:
    while any(run.status in ACTIVE for run in runs):
        time.sleep(0.1)
    for run in runs:
        if run.status != "finished":
            raise RuntimeError(f"{run.run_id} {run.status}: {run.status_record().get('reason')}")


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--members", type=int, default=4, help="sweep size; 0: no sweep")
    parser.add_argument("--subset", type=int, default=CONFIG.subset,
                        help="training images of the run; 0: all 60,000")
    parser.add_argument("--epochs", type=int, default=CONFIG.epochs)
    args = parser.parse_args()
    config = CONFIG.replace(subset=args.subset or None, epochs=args.epochs)
    os.environ["DLNN_STANDBY_WORKER"] = "0"
    store = RunStore(Path(tempfile.mkdtemp(prefix="dlnn-ray-bench-")))
    print(f"one run: {config!r}; {load()}", flush=True)
    with ray_executor.head_node(num_cpus=2) as address:
        os.environ["RAY_ADDRESS"] = address
        wall_seconds([config.replace(seed=99)], store, runner.RAY)  # the cluster's first job
        times: dict[str, list[float]] = {runner.LOCAL: [], runner.RAY: []}
        for round_ in range(args.rounds):
            order = (runner.LOCAL, runner.RAY) if round_ % 2 == 0 else (runner.RAY, runner.LOCAL)
            for executor in order:
                seconds = wall_seconds([config], store, executor)
                times[executor].append(seconds)
                print(f"  {executor:<5} round {round_ + 1}: {seconds:6.1f} s  {load()}",
                      flush=True)
        local, remote = min(times[runner.LOCAL]), min(times[runner.RAY])
        print(f"one run: local {local:.1f} s, ray {remote:.1f} s, ray / local "
              f"{remote / local:.3f} (fastest rounds)", flush=True)

        sweep = [config.replace(optimizer=name) for name in OPTIMIZERS[:args.members]]
        for executor in (runner.LOCAL, runner.RAY) if sweep else ():
            seconds = wall_seconds(sweep, store, executor)
            print(f"sweep of {len(sweep)}: {executor:<5} {seconds:6.1f} s  {load()}",
                  flush=True)


if __name__ == "__main__":
    main()
