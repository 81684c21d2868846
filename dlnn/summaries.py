"""Model summaries (layers, output shapes, parameters) for the dashboard, fast and cached.

Building a model needs TensorFlow, which the dashboard's process never imports. A summary is
asked, in this order, of: the disk cache (`cache/summaries/<key>.json`, a few milliseconds);
the warm standby worker (`dlnn.standby.ask`: TensorFlow is loaded already, a summary takes a
fraction of a second); a new process (`python -m dlnn summary --json`, seconds). The cache key
is the configuration's *architecture*: the fields that change no layer (optimizer, epochs,
seed, ...) and those that do not apply to the configuration (the clock fields of an MNIST
run) are left at their defaults, so changing them never asks again.

This module does not import TensorFlow.

Example:
    >>> architecture(RunConfig(model="cnn-keras", epochs=3, optimizer="adam"))
    RunConfig(model='cnn-keras')
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from dlnn import files, paths, registry, standby
from dlnn.config import RunConfig
from dlnn.runner import config_arguments
from dlnn.runs import RunStore

# Core fields that change how a model trains, not its layers.
TRAINING_ONLY = (
    "optimizer", "learning_rate", "initializer", "batch_size", "epochs", "validation_fraction",
    "early_stopping", "monitor", "patience", "restore_best", "reduce_lr", "lr_schedule", "seed",
    "permute", "subset",
)  # fmt: skip
# A standby that is still importing TensorFlow answers within this time (else: a new process).
STANDBY_TIMEOUT_SECONDS = 30.0


def architecture(config: RunConfig) -> RunConfig:
    """`config` with every field that cannot change its model's layers at its default."""
    kept = {name: getattr(config, name) for name, declared in registry.fields().items()
            if name not in TRAINING_ONLY and declared.relevant(config)}
    return RunConfig(**kept)


def summary_path(config: RunConfig) -> Path:
    """Where the summary of `config`'s architecture is cached."""
    return paths.cache_dir() / "summaries" / f"{architecture(config).key()}.json"


def cached_summary(config: RunConfig) -> dict[str, Any] | None:
    """The cached summary of `config`'s architecture, or None."""
    return files.read_json(summary_path(config))


def build_summary(config: dict[str, Any]) -> dict[str, Any]:
    """The summary of a configuration's model (given as `RunConfig.to_dict`), built here.

    Imports TensorFlow: the standby worker calls it. The layer names are those of a fresh
    process (Keras numbers layers per session, so the session is cleared first).
    """
    import keras

    from dlnn import training
    from dlnn.models import summarize

    keras.backend.clear_session()
    parsed = RunConfig.from_dict(config)
    return summarize(training.task_for(parsed).model_for_summary(parsed))


def model_summary(config: RunConfig, store: RunStore | None = None) -> dict[str, Any]:
    """Layers and parameter count of `config`'s model, without TensorFlow in this process.

    Returns `{"layers": [{"name", "type", "output_shape", "parameters"}, ...], "parameters"}`.
    Raises RuntimeError naming the reason when the model cannot be built.
    """
    path = summary_path(config)
    summary = files.read_json(path)
    if summary is not None:
        return summary
    shape = architecture(config)
    try:
        summary = standby.ask(store or RunStore(), f"{__name__}:build_summary",
                              STANDBY_TIMEOUT_SECONDS, config=shape.to_dict())
    except standby.NoAnswer:
        summary = _summary_in_new_process(shape)
    files.write_json(path, summary)
    return summary


def _summary_in_new_process(config: RunConfig) -> dict[str, Any]:
    command = [sys.executable, "-m", "dlnn", "summary", "--json", *config_arguments(config)]
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise RuntimeError(lines[-1] if lines else "the summary failed")
    return json.loads(done.stdout)
