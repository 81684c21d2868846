"""Benchmark: seconds per epoch of the same runs on each installed Keras backend, back to back.

Each run is `python -m dlnn train --backend B --model M --epochs E --retrain --json` in a fresh
process (a process loads one backend), on full MNIST, into a temporary run store. Rounds
alternate the order of the backends. Prints, per model and backend, every run's epoch seconds
(the first epoch pays tracing / JIT compilation, the later ones are steady), the fastest
steady epoch and the load average before and after (the machine may be shared).

    DLNN_DATA_DIR=../shared/datasets python bench/backend_speed.py [--epochs 3] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dlnn import backends  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def epoch_seconds(backend: str, model: str, epochs: int, cache: Path) -> tuple[list[float], str]:
    """One fresh-process run: its epoch wall seconds and the backend its result recorded."""
    command = [sys.executable, "-m", "dlnn", "train", "--dataset", "mnist", "--model", model,
               "--backend", backend, "--epochs", str(epochs), "--retrain", "--json"]
    environment = {**os.environ, "DLNN_CACHE_DIR": str(cache), "DLNN_STANDBY_WORKER": "0"}
    output = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True,
                            check=True).stdout
    summary = json.loads(output.strip().splitlines()[-1])
    run = cache / "runs" / summary["run_id"]
    result = json.loads((run / "result.json").read_text())
    return result["epoch_seconds"], result["backend"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--models", nargs="+", default=["mlp-keras", "cnn-keras"])
    parser.add_argument("--backends", nargs="+", default=list(backends.installed()))
    args = parser.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="dlnn-backends-"))
    print(f"backends {args.backends}; full MNIST, {args.epochs} epochs x {args.rounds} rounds; "
          f"load average before: {os.getloadavg()}", flush=True)
    for model in args.models:
        steady: dict[str, list[float]] = {backend: [] for backend in args.backends}
        for round_ in range(args.rounds):
            order = args.backends if round_ % 2 == 0 else list(reversed(args.backends))
            for backend in order:
                seconds, recorded = epoch_seconds(backend, model, args.epochs, cache)
                steady[backend] += seconds[1:]
                print(f"{model:<10} {recorded:<10} round {round_ + 1}: epochs "
                      f"{[round(s, 2) for s in seconds]}  load {os.getloadavg()[0]:.2f}",
                      flush=True)
        for backend, values in steady.items():
            print(f"{model:<10} {backend:<10} fastest steady epoch {min(values):.2f} s, "
                  f"median {sorted(values)[len(values) // 2]:.2f} s", flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
