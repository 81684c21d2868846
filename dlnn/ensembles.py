"""Ensembles of finished classification runs: their test-set softmax outputs averaged.

A classifier run keeps its softmax outputs on the test set (`probabilities.npy`). An ensemble
of runs of one data set predicts the class with the highest mean probability; its test
accuracy is usually above each member's (seeds make different mistakes). `ensemble_result`
needs no TensorFlow, so a page can show it. A run trained before the outputs were kept has
only its model: `fill_probabilities` loads `model.keras` and predicts the test set once
(TensorFlow, so for the CLI and the worker), then keeps them like a new run would.

Example:
    >>> result = ensemble_result(runs)  # MLP MNIST's final fit, seeds 0-2 (measured here)
    >>> result["test_accuracy"], result["member_accuracies"]
    (0.9858, [0.983, 0.9838, 0.9839])
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from dlnn.runs import Run


class EnsembleError(ValueError):
    """The runs cannot make an ensemble (different data sets or test sets)."""


def kept_probabilities(run: Run) -> np.ndarray | None:
    """The run's softmax outputs on the test set, or None when it kept none (trained before
    they were kept, not a classifier, or the file is damaged)."""
    path = run.probabilities_path
    if not path.exists():
        return None
    with contextlib.suppress(OSError, ValueError, EOFError):
        probabilities = np.load(path, allow_pickle=False)
        if probabilities.ndim == 2 and np.isfinite(probabilities).all():
            return probabilities
    return None


def missing_probabilities(runs: Sequence[Run]) -> list[Run]:
    """The runs that kept no softmax outputs (`fill_probabilities` makes them)."""
    return [run for run in runs if kept_probabilities(run) is None]


def fill_probabilities(run: Run) -> np.ndarray:
    """Load the run's model, predict the test set and keep the outputs in its folder.

    A ValueError says when the model is missing or damaged. Imports TensorFlow.
    """
    from dlnn.training import ClassificationTask, load_run_model, predict_eagerly

    if run.problem is not None:
        raise ValueError(f"run {run.run_id}: {run.problem}; train it again")
    if run.status != "finished" or not run.model_path.exists():
        raise ValueError(f"run {run.run_id} has no trained model (status {run.status})")
    config = run.config

    model = load_run_model(run)
    data = ClassificationTask().load_data(config)
    probabilities = predict_eagerly(model, data.x_test).astype(np.float32)
    predicted = probabilities.argmax(axis=1)
    accuracy = float((predicted == np.asarray(data.y_test)).mean())
    stored = (run.result() or {}).get("test_accuracy")
    if stored is not None and abs(accuracy - stored) > 0.001:
        raise ValueError(f"run {run.run_id}: its model scores {accuracy:.4f} on the test set "
                         f"now, but {stored:.4f} when it was trained; not used")
    temporary = run.path / "probabilities.partial.npy"
    np.save(temporary, probabilities)
    temporary.replace(run.probabilities_path)
    return probabilities


def ensemble_result(runs: Sequence[Run]) -> dict[str, Any] | None:
    """Test accuracy of the runs' averaged softmax outputs, beside each run's own; None when a
    run kept no outputs. An EnsembleError says when the runs are of different data sets."""
    from dlnn.data import load_raw

    if not runs:
        return None
    datasets = {run.config.dataset for run in runs}
    if len(datasets) > 1:
        raise EnsembleError("an ensemble needs runs of one data set, not "
                            + ", ".join(sorted(datasets)))
    outputs = [kept_probabilities(run) for run in runs]
    if any(output is None for output in outputs):
        return None
    truth = np.asarray(load_raw(datasets.pop()).y_test, dtype=np.int64)
    if any(output.shape[0] != len(truth) for output in outputs):
        raise EnsembleError(f"a run's outputs do not cover the {len(truth):,} test images")
    mean = np.mean(outputs, axis=0)
    members = [float((output.argmax(axis=1) == truth).mean()) for output in outputs]
    return {
        "test_accuracy": float((mean.argmax(axis=1) == truth).mean()),
        "member_accuracies": members,
        "mean_member_accuracy": float(np.mean(members)),
        "members": [run.run_id for run in runs],
        "test_samples": len(truth),
    }
