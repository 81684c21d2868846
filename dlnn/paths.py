"""Where dlnn keeps its files.

`cache/` at the repository root holds downloaded data sets, parsed copies, generated images and
the run store. `DLNN_CACHE_DIR` moves it (tests point it at a temporary folder); `DLNN_DATA_DIR`
names a folder of ready IDX files (`mnist/`, `fashion-mnist/`) that is read before the cache.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """The cache root: `$DLNN_CACHE_DIR` or `<repo>/cache`."""
    return Path(os.environ.get("DLNN_CACHE_DIR") or REPO_ROOT / "cache")


def data_dir() -> Path | None:
    """The folder named by `$DLNN_DATA_DIR`, or None when unset."""
    value = os.environ.get("DLNN_DATA_DIR")
    return Path(value) if value else None


def runs_dir() -> Path:
    """Root of the run store: one folder per run."""
    return cache_dir() / "runs"
