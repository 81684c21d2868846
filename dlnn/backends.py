"""Keras backends: which ones are installed, and choosing one before Keras loads.

Keras 3 reads `KERAS_BACKEND` once, when it is first imported, so a process trains with one
backend for its whole life. The runner therefore starts each worker with the backend of the
runs it hands it (`worker_environment`), and the training loop refuses a run whose backend is
not the one loaded (`check_loaded`) rather than silently train it with another. TensorFlow is
the default and always installed; JAX is an optional extra (`requirements-jax.txt`).
Nothing here imports Keras unless asked to check it.

Example:
    >>> "tensorflow" in installed()
    True
"""

from __future__ import annotations

import importlib.util
import os
import sys

DEFAULT = "tensorflow"
VARIABLE = "KERAS_BACKEND"
# Each backend a run may name, and the package it needs.
PACKAGES: dict[str, str] = {"tensorflow": "tensorflow", "jax": "jax"}


class BackendMismatch(RuntimeError):
    """This process loaded Keras with another backend than the run asks for."""


def installed() -> tuple[str, ...]:
    """The backends whose package is installed here (the dashboard offers these)."""
    return tuple(name for name, package in PACKAGES.items()
                 if importlib.util.find_spec(package) is not None)


def worker_environment(backend: str) -> dict[str, str]:
    """Environment variables a worker process needs to train runs of `backend`."""
    return {VARIABLE: backend}


def select(backend: str) -> None:
    """Make `backend` the one Keras loads in this process.

    Raises:
        BackendMismatch: Keras is already loaded here with another backend.
    """
    if "keras" in sys.modules:
        check_loaded(backend)
    else:
        os.environ[VARIABLE] = backend


def check_loaded(backend: str) -> None:
    """Raise `BackendMismatch` unless the loaded Keras runs on `backend`."""
    import keras

    loaded = keras.backend.backend()
    if loaded != backend:
        raise BackendMismatch(
            f"this process loaded Keras with the {loaded} backend and cannot switch to "
            f"{backend}; train it in a new process (the dashboard and the runner do)")
