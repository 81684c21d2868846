"""Reading the time from a photo with a stored clock model: seconds once, then a prediction.

Reading one photo costs little; importing TensorFlow and loading the model cost seconds, and
the dashboard never imports TensorFlow. `read_photo_time` therefore asks the warm standby
worker (`dlnn.standby.ask`), which keeps every model it loaded (`read_clock`), so each photo
after the first for a run costs one prediction. Without a waiting standby it runs
`python -m dlnn clocks predict` in a new process, as before.

A dial reader (`clock-dial`) also says how the clock sits in the picture (where its 12 points,
whether it is mirrored: `dlnn.clocks.pose`), so its hands can be drawn over the clock's own;
the answer then carries `twelve_degrees` and `mirrored`, and `read_picture_poses` asks the
standby for the poses of a few pictures (the Results tab's grid). The photo is framed first
(`dlnn.clocks.framing`): the clock's centre and radius are measured and the picture cropped so
the clock sits as the models learnt it.

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
from dlnn.clocks.lab import picture_size
from dlnn.clocks.photo import square_picture
from dlnn.clocks.pose import DialPose
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


def read_clock(run_path: str, pixels: list[list[int]], locate: bool = False) -> dict[str, Any]:
    """The time a stored run reads from one grey clock image at its size (the standby's side).

    Args:
        run_path: the run's folder.
        pixels: the (size, size) uint8 image as nested lists; with `locate`, the whole photo
            as a square picture (`photo.read_photo_picture`) for the run's learned locator,
            which frames it first.

    Returns `time_answer`'s keys, a dial reader's pose, and with `locate` the frame found
    (`frame`: x, y, radius in the picture's pixels).
    """
    from dlnn.clocks.task import predict_times

    run = Run(Path(run_path))
    picture = np.asarray(pixels, dtype=np.uint8)
    located = {}
    if locate:
        picture, frame = locate_clock(run, picture)
        located = {"frame": [round(float(value), 2) for value in frame]}
    image = model_input(picture[np.newaxis])
    model = loaded_model(run)
    hour, minute = (int(value) for value in predict_times(run.config.model, model, image)[0])
    poses = _poses(run, model, image)
    return {**time_answer(hour, minute), **(pose_answer(poses[0]) if poses else {}), **located}


def locate_clock(run: Run, picture: np.ndarray) -> tuple[np.ndarray, tuple[float, float, float]]:
    """A square picture framed where the run's learned locator finds the clock: the framed
    (size, size) clock and the frame (x, y, radius) in the picture's pixels."""
    from dlnn.clocks.datasets import stored_locator
    from dlnn.clocks.framing import ClockFrame, frame_clock

    x, y, radius, _ = stored_locator(run.config).locate(picture[np.newaxis])[0]
    return (frame_clock(picture, run.config.image_size, ClockFrame(x, y, radius)),
            (float(x), float(y), float(radius)))


def pose_answer(pose: DialPose) -> dict[str, Any]:
    """`{"twelve_degrees", "mirrored"}`: a pose as JSON."""
    return {"twelve_degrees": round(pose.twelve_degrees, 2), "mirrored": pose.mirrored}


def answer_pose(answer: dict[str, Any]) -> DialPose | None:
    """The pose in a reading's answer, or None (not a dial reader: draw the hands upright)."""
    if "twelve_degrees" not in answer:
        return None
    return DialPose(float(answer["twelve_degrees"]), bool(answer["mirrored"]))


def _poses(run: Run, model: keras.Model, images: np.ndarray) -> list[DialPose]:
    from dlnn.clocks.models import CLOCK_MODEL_ENCODINGS
    from dlnn.clocks.pose import read_poses

    if CLOCK_MODEL_ENCODINGS.get(run.config.model) != "dial":
        return []
    return read_poses(model, images)


def read_clock_poses(run_path: str, pixels: list[list[list[int]]]) -> list[dict[str, Any]]:
    """The poses a stored dial reader sees in grey clock images at its size (the standby's
    side); an empty list for other models."""
    run = Run(Path(run_path))
    images = model_input(np.asarray(pixels, dtype=np.uint8))
    return [pose_answer(pose) for pose in _poses(run, loaded_model(run), images)]


def read_picture_poses(run: Run, images: np.ndarray, store: RunStore | None = None
                       ) -> list[DialPose] | None:
    """Poses of a few (N, size, size) grey clocks as the run's dial reader sees them, asked of
    the warm standby; None when the run is no dial reader or no standby answers."""
    from dlnn.clocks.models import CLOCK_MODEL_ENCODINGS

    if CLOCK_MODEL_ENCODINGS.get(run.config.model) != "dial" or len(images) == 0:
        return None
    try:
        answers = standby.ask(store or RunStore(), f"{__name__}:read_clock_poses",
                              STANDBY_TIMEOUT_SECONDS, run_path=str(run.path),
                              pixels=np.asarray(images, dtype=np.uint8).tolist())
    except (standby.NoAnswer, RuntimeError):
        return None
    return [answer_pose(answer) for answer in answers] or None


def read_photo_time(run: Run, photo: np.ndarray, store: RunStore | None = None
                    ) -> dict[str, Any]:
    """The time the stored clock run `run` reads from a photo (any size, grey or colour).

    Returns `{"hour", "minute", "time"}`. Raises ValueError naming what went wrong (no
    saved model, not a clock model, the prediction failed).
    """
    if run.config.model not in _clock_models():
        raise ValueError(f"run {run.run_id} trained {run.config.model}, not a clock model")
    locate = bool(run.config.learned_framing)
    # A run with a learned locator gets the whole photo, squared, and frames it itself.
    clock = (square_picture(photo, picture_size(run.config)) if locate
             else photo_to_clock(photo, run.config.image_size))
    try:
        return standby.ask(store or RunStore(), f"{__name__}:read_clock",
                           STANDBY_TIMEOUT_SECONDS, run_path=str(run.path),
                           pixels=clock.tolist(), locate=locate)
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
    return {**time_answer(answer["hour"], answer["minute"]),
            **({"frame": answer["frame"]} if "frame" in answer else {})}

