"""The "why" of Task 2, computed out of the dashboard's process and cached in the run folder.

The probes (`dlnn.permlab.probes`) need TensorFlow, which the dashboard never imports: this
module runs them as `python -m dlnn permutation invariance|filters --run RUN_ID` and keeps each
answer under the run's folder (`<run>/permlab/`), so a second visit reads a file. The CLI
commands (`dlnn.permlab.cli`) write the same files, and read them back when present.

Example:
    >>> answer = mlp_invariance(store.get(run_id))   # ~5 s the first time, then from disk
    >>> answer["predictions_changed"]
    0
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

from dlnn import files, paths
from dlnn.runs import Run

FOLDER = "permlab"
TIMEOUT_SECONDS = 300


class ExplainError(RuntimeError):
    """A probe could not run on this run; the message says why in one line."""


def invariance_path(run: Run) -> Path:
    """Where the MLP invariance answer of `run` is kept."""
    return run.path / FOLDER / "invariance.json"


def maps_path(run: Run, image_index: int) -> Path:
    """Where the first-layer filters and feature maps of `run` on test image `image_index` are."""
    return run.path / FOLDER / f"feature-maps-{image_index}.npz"


def cached_invariance(run: Run) -> dict[str, Any] | None:
    """The kept invariance answer of `run`, or None."""
    return files.read_json(invariance_path(run))


def cached_maps(run: Run, image_index: int) -> dict[str, np.ndarray] | None:
    """The kept filters and feature maps of `run` on test image `image_index`, or None."""
    path = maps_path(run, image_index)
    if not path.exists():
        return None
    with np.load(path) as stored:
        return {name: stored[name] for name in stored.files}


def mlp_invariance(run: Run) -> dict[str, Any]:
    """The invariance check of an MLP run trained on original pixels (computed once).

    Raises:
        ExplainError: the probe failed; the message says why.
    """
    answer = cached_invariance(run)
    if answer is None:
        _probe(run, "invariance")
        answer = cached_invariance(run)
    return answer


def cnn_feature_maps(run: Run, image_index: int = 0) -> dict[str, np.ndarray]:
    """Filters and feature maps of a CNN run on one test image and permuted (computed once).

    Raises:
        ExplainError: the probe failed; the message says why.
    """
    maps = cached_maps(run, image_index)
    if maps is None:
        _probe(run, "filters", "--image", str(image_index))
        maps = cached_maps(run, image_index)
    return maps


def _probe(run: Run, command: str, *arguments: str) -> None:
    """Run `python -m dlnn permutation COMMAND --run ...` in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-m", "dlnn", "permutation", command, "--run", run.run_id,
         "--store", str(run.path.parent), *arguments, "--json"],
        capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False,
        cwd=paths.REPO_ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        message = lines[-1] if lines else f"exit status {done.returncode}"
        raise ExplainError(message.removeprefix("dlnn: error: "))


def save_invariance(run: Run, answer: dict[str, Any]) -> None:
    """Keep an invariance answer in the run's folder."""
    files.write_json(invariance_path(run), answer)


def save_maps(run: Run, image_index: int, maps: dict[str, np.ndarray]) -> None:
    """Keep filters and feature maps in the run's folder (atomically)."""
    files.write_atomic(maps_path(run, image_index), lambda handle: np.savez(handle, **maps))


def summary_of_maps(maps: dict[str, np.ndarray]) -> dict[str, Any]:
    """A JSON-ready digest of `cnn_feature_maps` for `--json`: shapes and mean responses."""
    return {
        "filters": list(maps["filters"].shape),
        "maps": list(maps["maps_original"].shape),
        "mean_response_original": float(maps["maps_original"].mean()),
        "mean_response_permuted": float(maps["maps_permuted"].mean()),
    }

