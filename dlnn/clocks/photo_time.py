"""Reading the time from a photo with a stored clock model: seconds once, then a prediction.

Reading one photo costs little; importing TensorFlow and loading the model cost seconds, and
the dashboard never imports TensorFlow. `read_photo_time` therefore asks the warm standby
worker (`dlnn.standby.ask`), which keeps every model it loaded (`read_clock`), so each photo
after the first for a run costs one prediction. Without a waiting standby it runs
`python -m dlnn clocks predict` in a new process, as before.

Example:
    >>> read_photo_time(run, np.asarray(Image.open("kitchen-clock.jpg")))
    {'hour': 10, 'minute': 9, 'time': '10:09'}
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dlnn import paths, standby
from dlnn.clocks.datasets import model_input, photo_to_clock
from dlnn.runs import Run, RunStore

if TYPE_CHECKING:
    import keras

# A standby that is still importing TensorFlow answers within this time (else: a new process).
STANDBY_TIMEOUT_SECONDS = 30.0
PROCESS_TIMEOUT_SECONDS = 120.0
# In the standby: (run folder, model file's modification time) -> the loaded model.
_MODELS: dict[tuple[str, float], keras.Model] = {}


def time_answer(hour: int, minute: int) -> dict[str, Any]:
    """`{"hour", "minute", "time"}` as the views show it (hour 0 reads as 12)."""
    return {"hour": hour, "minute": minute, "time": f"{hour or 12}:{minute:02d}"}


def loaded_model(run: Run) -> keras.Model:
    """The run's saved model, loaded once per process (and again when the file changes)."""
    import keras

    from dlnn.clocks.dial import register_layers

    if not run.model_path.exists():
        raise ValueError(f"run {run.run_id} has no saved model (status {run.status})")
    key = (str(run.path), run.model_path.stat().st_mtime)
    if key not in _MODELS:
        register_layers()
        _MODELS[key] = keras.saving.load_model(run.model_path)
    return _MODELS[key]


def read_clock(run_path: str, pixels: list[list[int]]) -> dict[str, Any]:
    """The time a stored run reads from one grey clock image at its size (the standby's side).

    Args:
        run_path: the run's folder.
        pixels: the (size, size) uint8 image as nested lists.
    """
    from dlnn.clocks.task import predict_times

    run = Run(Path(run_path))
    image = np.asarray(pixels, dtype=np.uint8)[np.newaxis]
    hour, minute = (int(value) for value in
                    predict_times(run.config.model, loaded_model(run), model_input(image))[0])
    return time_answer(hour, minute)


def read_photo_time(run: Run, photo: np.ndarray, store: RunStore | None = None
                    ) -> dict[str, Any]:
    """The time the stored clock run `run` reads from a photo (any size, grey or colour).

    Returns `{"hour", "minute", "time"}`. Raises ValueError naming what went wrong (no
    saved model, not a clock model, the prediction failed).
    """
    if run.config.model not in _clock_models():
        raise ValueError(f"run {run.run_id} trained {run.config.model}, not a clock model")
    clock = photo_to_clock(photo, run.config.image_size)
    try:
        return standby.ask(store or RunStore(), f"{__name__}:read_clock",
                           STANDBY_TIMEOUT_SECONDS, run_path=str(run.path),
                           pixels=clock.tolist())
    except standby.NoAnswer:
        return _read_in_new_process(run, clock)
    except RuntimeError as error:
        raise ValueError(str(error).split(": ", 1)[-1]) from None


def _clock_models() -> tuple[str, ...]:
    from dlnn.clocks.lab import CLOCK_MODELS

    return tuple(CLOCK_MODELS)


def _read_in_new_process(run: Run, clock: np.ndarray) -> dict[str, Any]:
    from PIL import Image

    with tempfile.NamedTemporaryFile(suffix=".png") as handle:
        Image.fromarray(clock).save(handle.name)
        done = subprocess.run(
            [sys.executable, "-m", "dlnn", "clocks", "predict", "--run", run.run_id,
             "--image", handle.name, "--json"],
            capture_output=True, text=True, timeout=PROCESS_TIMEOUT_SECONDS, check=False,
            cwd=paths.REPO_ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise ValueError(lines[-1].removeprefix("dlnn: error: ") if lines
                         else "the prediction failed")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return time_answer(answer["hour"], answer["minute"])

