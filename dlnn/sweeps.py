"""Comparisons of runs that differ in one configuration field.

The report's figures are all of this shape: one curve per optimizer, activation, initializer or
batch size, everything else fixed. `vary` makes the configurations, `start_sweep` queues the
missing ones on one worker (finished ones are reused from the store), and `sweep_runs` finds
the stored runs of a sweep again, so a page can draw them whether they were trained now or
last week. Works for any `RunConfig` field, so the clock lab's Figure 6/7 and the Task 1
sweeps share it.

Example:
    >>> configs = vary(RunConfig(model="cnn-keras"), "optimizer", ["sgd", "adam"])
    >>> [c.optimizer for c in configs]
    ['sgd', 'adam']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from dlnn import registry
from dlnn.config import ConfigError, RunConfig
from dlnn.history import epoch_history
from dlnn.runs import Run, RunDamaged, RunStore

# Fields that make sense to sweep, with the values the report tried.
REPORT_SWEEPS: dict[str, tuple[Any, ...]] = {
    "optimizer": ("sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam"),
    "activation": ("tanh", "relu", "elu", "sigmoid", "hard_sigmoid", "exponential", "linear"),
    "initializer": (
        "zeros", "ones", "random_normal", "random_uniform", "glorot_normal", "glorot_uniform",
    ),
    "batch_size": (32, 256),
    "pooling": ("max", "average"),
    "dropout": (0.0, 0.2, 0.5, 0.7),
}


def vary(base: RunConfig, field: str, values: Sequence[Any]) -> list[RunConfig]:
    """One validated configuration per value of `field`, everything else as in `base`.

    Sweeping the optimizer resets an explicit learning rate, so each optimizer trains at its
    own sensible default (Adadelta at Keras' 0.001 looks broken).
    """
    if registry.known_field(field) is None:
        raise ConfigError(field, field, "not a RunConfig field")
    extra = {"learning_rate": None} if field == "optimizer" else {}
    return [base.replace(**{field: value}, **extra).validate() for value in values]


def start_sweep(
    base: RunConfig, field: str, values: Sequence[Any], store: RunStore | None = None,
    *, retrain: bool = False,
) -> list[Run]:
    """Queue the sweep on one worker process; already finished configurations are reused."""
    from dlnn.runner import start_queue

    return start_queue(vary(base, field, values), store, retrain=retrain)


def sweep_runs(
    store: RunStore, base: RunConfig, field: str, values: Sequence[Any]
) -> dict[Any, Run | None]:
    """The newest stored run of each configuration in the sweep (None where there is none).

    A finished run wins over a newer failed or cancelled one.
    """
    wanted = {config.key(): getattr(config, field) for config in vary(base, field, values)}
    found: dict[Any, Run | None] = dict.fromkeys(wanted.values())
    for run in store.list():  # newest first
        try:
            key = run.config_key
        except RunDamaged:
            continue
        value = wanted.get(key)
        if value is None and key not in wanted:
            continue
        current = found[value]
        if current is None or (current.status != "finished" and run.status == "finished"):
            found[value] = run
    return found


def sweep_histories(found: dict[Any, Run | None], field: str) -> dict[str, pd.DataFrame]:
    """Per-epoch histories of a sweep's runs keyed `field=value`, for `figures.compare_runs`."""
    return {
        f"{field}={value}": epoch_history(run.events())
        for value, run in found.items()
        if run is not None
    }
