"""TensorBoard event files for every run, and the command that opens them.

A run writes `tensorboard/` in its folder while it trains: `train/` holds the scalars of every
logged batch (`batch_loss`, ... against the global step) and of every epoch (`epoch_loss`, ...),
`validation/` the epoch's validation metrics under the same names (so TensorBoard overlays
training and validation in one chart, as for Keras' own callback), and the folder itself the
run's hyperparameters for the HParams plugin (one session per run, named by its id) and the
model's conceptual graph where Keras can write it as JSON. The scalars come from the same
events as `events.jsonl`, so TensorBoard and the dashboard show the same numbers.

`tensorboard_command(runs)` is the shell command that opens some runs (`python -m dlnn
tensorboard RUN_ID ...` prints or starts it). Writing imports TensorFlow's summary API (the
worker has TensorFlow anyway); the command and everything else here import neither.

Example:
    >>> " ".join(tensorboard_command([]))  # doctest: +ELLIPSIS
    '... -m tensorboard.main --logdir .../runs'
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlnn import paths

if TYPE_CHECKING:
    from dlnn.config import RunConfig
    from dlnn.runs import Run

FOLDER = "tensorboard"
DEFAULT_PORT = 6006
VALIDATION_PREFIX = "val_"


def available() -> bool:
    """Whether runs can write TensorBoard files: the `tensorboard` package and TensorFlow,
    whose summary API writes them, are installed (both ship with requirements.txt; a machine
    that trains on JAX alone may have neither, or TensorBoard without TensorFlow)."""
    return all(importlib.util.find_spec(name) is not None
               for name in ("tensorboard", "tensorflow"))


def log_dir(run_path: Path) -> Path:
    """A run folder's TensorBoard folder."""
    return run_path / FOLDER


def hparams_of(config: RunConfig) -> dict[str, bool | int | float | str]:
    """The configuration's set fields as HParams values (None means "default": left out)."""
    return {name: value for name, value in config.to_dict().items()
            if isinstance(value, bool | int | float | str)}


class TensorBoardWriter:
    """Writes a run's events as TensorBoard summaries; call it with each event.

    Args:
        folder: the run's `tensorboard/` folder.
        run_id: the HParams session name.
        config: its hyperparameters.
    """

    def __init__(self, folder: Path, run_id: str, config: RunConfig) -> None:
        import tensorflow as tf

        self._tf = tf
        self._train = tf.summary.create_file_writer(str(folder / "train"))
        self._validation = tf.summary.create_file_writer(str(folder / "validation"))
        self._root = tf.summary.create_file_writer(str(folder))
        self._write_hparams(run_id, config)

    def _write_hparams(self, run_id: str, config: RunConfig) -> None:
        from tensorboard.plugins.hparams import api as hp

        with self._root.as_default():
            hp.hparams(hparams_of(config), trial_id=run_id)
        self._root.flush()

    def write_graph(self, model: Any) -> bool:
        """The model's conceptual graph (TensorBoard's Graphs tab); False when Keras cannot
        write the model as JSON."""
        from tensorflow.compat.v1 import SummaryMetadata

        try:
            text = model.to_json()
        except Exception:  # a model Keras cannot serialise simply has no graph
            return False
        metadata = SummaryMetadata()
        metadata.plugin_data.plugin_name = "graph_keras_model"  # what the Graphs tab reads
        metadata.plugin_data.content = b"1"
        with self._train.as_default():
            self._tf.summary.write(tag="keras", tensor=text, step=0, metadata=metadata)
        return True

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "batch":
            self._scalars(self._train, "batch_", event["metrics"], event["step"])
        elif kind == "epoch":
            metrics = event["metrics"]
            self._scalars(self._train, "epoch_", {name: value for name, value in metrics.items()
                                                   if not name.startswith(VALIDATION_PREFIX)},
                          event["epoch"])
            self._scalars(self._validation, "epoch_",
                          {name[len(VALIDATION_PREFIX):]: value
                           for name, value in metrics.items()
                           if name.startswith(VALIDATION_PREFIX)}, event["epoch"])
        elif kind in ("finished", "failed", "cancelled"):
            self.close()

    def _scalars(self, writer: Any, prefix: str, metrics: dict[str, float], step: int) -> None:
        if not metrics:
            return
        with writer.as_default():
            for name, value in metrics.items():
                self._tf.summary.scalar(prefix + name, value, step=step)

    def close(self) -> None:
        for writer in (self._train, self._validation, self._root):
            writer.close()


def tensorboard_command(runs: Sequence[Run], port: int | None = None) -> list[str]:
    """The command that opens `runs` in TensorBoard (every stored run when empty).

    Each run shows under its id, so the HParams view lists one session per run.
    """
    command = [sys.executable, "-m", "tensorboard.main"]
    if runs:
        spec = ",".join(f"{run.run_id}:{log_dir(run.path)}" for run in runs)
        command += ["--logdir_spec", spec]
    else:
        command += ["--logdir", str(paths.runs_dir())]
    if port is not None:
        command += ["--port", str(port)]
    return command


def url(port: int = DEFAULT_PORT, run_id: str | None = None) -> str:
    """Where a TensorBoard started on this machine shows `run_id` (or every run)."""
    address = f"http://localhost:{port}/"
    return address + (f"?runFilter={run_id}#timeseries" if run_id else "")
