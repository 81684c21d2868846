"""Reading the time from one uploaded photo in a worker process.

The dashboard never loads TensorFlow, so a stored model reads a photo in a worker process:
`read_photo` writes the upload to a temporary file and asks `python -m dlnn clocks predict
--json` for the time (one JSON line back; the command's one-line error becomes a `PhotoError`).
The picture the model sees comes from `dlnn.clocks.photo.read_clock_photo`, which checks a
photo before decoding it, here and in the worker alike.

Example:
    >>> reading = read_photo(run.run_id, Path("kitchen-clock.jpg").read_bytes(), ".jpg")
    >>> reading.time
    '10:09'
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from dlnn import paths
from dlnn.clocks.drawing import format_time

PREDICT_TIMEOUT_SECONDS = 120  # the worker loads TensorFlow and the model first


class PhotoError(ValueError):
    """A photo that cannot be read, or a worker that could not read the time from it."""


@dataclass(frozen=True)
class PhotoReading:
    """The time a model read from a photo."""

    hour: int  # 0-11
    minute: int  # 0-59

    @property
    def time(self) -> str:
        """`10:09`, with hour 0 as 12 as on the dial."""
        return format_time(self.hour, self.minute)


def read_photo(run_id: str, data: bytes, suffix: str,
               timeout: float = PREDICT_TIMEOUT_SECONDS) -> PhotoReading:
    """The time the stored clock run `run_id` reads from a photo, asked of a worker process.

    Args:
        run_id: a finished clock run in the run store (`$DLNN_CACHE_DIR/runs`).
        data: the photo's bytes.
        suffix: the file's extension (`.png`, `.jpg`), so the worker decodes it as such.
        timeout: seconds to wait for the worker.

    Raises:
        PhotoError: the worker's error in one line (no such run, not an image, ...), or that
            it did not answer in time.
    """
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        handle.write(data)
        handle.flush()
        try:
            done = subprocess.run(
                [sys.executable, "-m", "dlnn", "clocks", "predict", "--run", run_id,
                 "--image", handle.name, "--json"],
                capture_output=True, text=True, timeout=timeout, check=False,
                cwd=paths.REPO_ROOT,
            )
        except subprocess.TimeoutExpired:
            raise PhotoError(f"the worker did not answer within {timeout:g} s") from None
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise PhotoError(lines[-1].removeprefix("dlnn: error: ") if lines
                         else f"the worker failed (exit status {done.returncode})")
    try:
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        return PhotoReading(int(answer["hour"]), int(answer["minute"]))
    except (IndexError, KeyError, TypeError, ValueError):
        raise PhotoError(f"the worker gave no reading: {done.stdout.strip()[-200:]!r}") from None
