"""Crash-safe file writes shared by the run store and the caches.

A whole file is written to a temporary sibling and renamed over the target, so a reader (or a
process killed mid-write) never sees half a file. Event logs are append-only JSON lines: a
crash loses at most the line being written, and readers skip a torn last line.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any


def write_atomic(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write a file through `write(fileobj)` so it appears complete or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    """Atomically write `data` as indented JSON."""
    payload = json.dumps(data, indent=2, sort_keys=True, default=str).encode()
    write_atomic(path, lambda handle: handle.write(payload))


def read_json(path: Path, default: Any = None) -> Any:
    """Read a JSON file, or return `default` when it does not exist."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return default


def read_json_object(path: Path) -> dict[str, Any] | None:
    """Read a file that must hold one JSON object; None when it does not exist.

    Raises:
        ValueError: a one-line reason when the file is empty, unreadable, not JSON (a torn or
            garbled write) or holds something other than an object.
    """
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ValueError(f"cannot be read ({error.strerror or error})") from None
    if not text.strip():
        raise ValueError("is empty")
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"is not valid JSON ({error})") from None
    except RecursionError:
        raise ValueError("is not valid JSON (nested too deeply)") from None
    if not isinstance(data, dict):
        raise ValueError(f"holds a JSON {type(data).__name__}, not an object")
    return data


def append_jsonl(path: Path, record: dict) -> None:
    """Append one JSON object as a line; the line is flushed before returning."""
    line = json.dumps(record, default=str) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()


def read_jsonl(path: Path) -> Iterator[dict]:
    """Yield the complete JSON objects of `path`, one a line.

    A torn last line is skipped, and so are garbled lines and lines that hold anything but an
    object: a damaged log loses those lines, never the run.
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if not line.endswith("\n"):
                    return
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(record, dict):
                    yield record
    except FileNotFoundError:
        return
