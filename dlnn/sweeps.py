"""Sweeps: runs that differ in one or two configuration fields, optionally over seeds.

The report's figures are all of this shape: one curve per optimizer, activation, initializer or
batch size, everything else fixed. A `Sweep` is a base configuration plus one `Axis` of values
(or a grid of two), repeated over seeds; `Sweep.members` expands it into validated
configurations. Every member goes through the run store: `launch` reuses a finished member,
joins one that is training right now, and queues only the rest, in order, on one worker
process, so a stopped or interrupted sweep resumes where it stopped and a finished one trains
nothing. `member_runs` finds a sweep's runs again (a page draws them whether they trained now
or last week), `sweep_progress` says how far it is and how long it has left, and `stop` ends
the running member after its batch and cancels the queued ones.

`vary`, `start_sweep`, `sweep_runs` and `sweep_histories` are the one-field shortcuts the clock
lab's Figures 6 and 7 use. Nothing here imports TensorFlow.

Example:
    >>> sweep = Sweep(RunConfig(model="cnn-keras"), (Axis("optimizer", ("sgd", "adam")),),
    ...               seeds=(0, 1))
    >>> [(m.label, m.seed) for m in sweep.members()]
    [('optimizer=sgd', 0), ('optimizer=sgd', 1), ('optimizer=adam', 0), ('optimizer=adam', 1)]
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dlnn import registry
from dlnn.config import ConfigError, RunConfig
from dlnn.history import epoch_history, progress
from dlnn.runs import ACTIVE, Run, RunDamaged, RunStore

MAX_AXES = 2
# Statuses a sweep keeps (never trains again unless asked); the others are resumed.
KEPT = ("finished", "queued", "running", "failed")
_RANKS = {status: rank for rank, status in enumerate(KEPT)}
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


@dataclass(frozen=True)
class Axis:
    """One swept field and its values, in the order they are trained and drawn."""

    field: str
    values: tuple[Any, ...]

    @classmethod
    def parse(cls, field: str, texts: Iterable[str]) -> Axis:
        """An axis from text (a command line, a text box); a bad value names the field."""
        declared = registry.field_named(field)
        values = []
        for text in texts:
            value = declared.parse(text)
            declared.check(value)
            values.append(value)
        return cls(field, tuple(values))

    @classmethod
    def spaced(cls, field: str, low: float, high: float, count: int) -> Axis:
        """`count` values from `low` to `high`: geometric for a log-scale field (the learning
        rate), even steps otherwise; whole numbers for an integer field."""
        declared = registry.field_named(field)
        if count < 2 or not low < high:
            raise ConfigError(field, (low, high, count),
                              "a range needs low < high and at least 2 values")
        if declared.log_scale:
            if low <= 0:
                raise ConfigError(field, low, "a log-scale range must start above 0")
            ratio = math.log(high / low) / (count - 1)
            values = [float(f"{low * math.exp(ratio * i):.3g}") for i in range(count)]
        else:
            values = [low + (high - low) * i / (count - 1) for i in range(count)]
        if declared.kind is int:
            values = [round(value) for value in values]
        elif declared.kind is float and not declared.log_scale:
            values = [round(value, 6) for value in values]
        for value in values:
            declared.check(value)
        return cls(field, tuple(dict.fromkeys(values)))


@dataclass(frozen=True)
class Member:
    """One configuration of a sweep: its axis values, its seed and the full configuration."""

    values: tuple[tuple[str, Any], ...]
    seed: int
    config: RunConfig

    @property
    def label(self) -> str:
        """`optimizer=adam`, or `optimizer=adam, batch_size=32` in a grid (no seed)."""
        return ", ".join(f"{field}={value}" for field, value in self.values)

    def value(self, field: str) -> Any:
        """This member's value of the swept `field`."""
        return dict(self.values)[field]


@dataclass(frozen=True)
class Sweep:
    """A base configuration, one or two axes, and the seeds each member is repeated with.

    Sweeping the optimizer resets an explicit learning rate, so each optimizer trains at its
    own sensible default (Keras' Adadelta at 0.001 looks broken), unless the learning rate is
    the other axis of the grid.

    Attributes:
        base: everything the members share.
        axes: one axis, or two for a grid (every pair of values).
        seeds: each member trains once per seed; empty means the base's seed only.
    """

    base: RunConfig
    axes: tuple[Axis, ...]
    seeds: tuple[int, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(axis.field for axis in self.axes)

    def check(self) -> None:
        """Raise `ConfigError` naming the field for a malformed sweep."""
        if not 1 <= len(self.axes) <= MAX_AXES:
            raise ConfigError("axes", len(self.axes), f"a sweep has 1 to {MAX_AXES} axes")
        for axis in self.axes:
            registry.field_named(axis.field)
            if not axis.values:
                raise ConfigError(axis.field, axis.values, "give at least one value")
            if len(set(map(repr, axis.values))) != len(axis.values):
                raise ConfigError(axis.field, axis.values, "each value once")
        if len(set(self.fields)) != len(self.fields):
            raise ConfigError(self.fields[0], self.fields, "two axes need two different fields")
        if "seed" in self.fields and self.seeds:
            raise ConfigError("seed", self.seeds, "sweep the seed or repeat over seeds, not both")
        for seed in self.seeds:
            registry.field_named("seed").check(seed)

    def members(self) -> list[Member]:
        """Every member, validated: values in axis order (the first axis outermost), each
        repeated over the seeds."""
        self.check()
        members = []
        for combination in itertools.product(*(axis.values for axis in self.axes)):
            values = tuple(zip(self.fields, combination, strict=True))
            changes = dict(values)
            if "optimizer" in changes and "learning_rate" not in changes:
                changes["learning_rate"] = None
            config = self.base.replace(**changes)
            for seed in self.seeds or (config.seed,):
                members.append(Member(values, seed, config.replace(seed=seed).validate()))
        return members

    def configs(self) -> list[RunConfig]:
        return [member.config for member in self.members()]


# -- finding, starting and stopping a sweep's runs --------------------------------------------
def member_runs(store: RunStore, configs: Sequence[RunConfig]) -> list[Run | None]:
    """The stored run of each configuration, or None: a finished run first, then an active
    one, then a failed one (a result too: the loss diverged), then the newest cancelled or
    interrupted one. One pass over the store."""
    found = runs_by_key(store, {config.key() for config in configs})
    return [found.get(config.key()) for config in configs]


def runs_by_key(store: RunStore, keys: Collection[str] | None = None) -> dict[str, Run]:
    """The stored run of each configuration key (every key in the store when `keys` is None),
    ranked as `member_runs` ranks them. One pass over the store."""
    best: dict[str, tuple[int, Run]] = {}
    for run in store.list():  # newest first
        try:
            key = run.config_key
        except RunDamaged:  # a damaged run is no member of anything
            continue
        if keys is not None and key not in keys:
            continue
        status = run.status
        rank = _RANKS.get(status, len(_RANKS))
        if key not in best or rank < best[key][0]:
            best[key] = (rank, run)
    return {key: run for key, (_, run) in best.items()}


def launch(
    configs: Sequence[RunConfig], store: RunStore | None = None, *, retrain: bool = False
) -> list[Run]:
    """Train whatever of `configs` has no finished or active run, in order, on one worker.

    Returns one run per configuration: the finished, active or failed one where it exists (a
    second launch of a finished sweep trains nothing, a second launch of a running one joins
    it), else a new queued one; cancelled and interrupted members train again (resume).
    `retrain` trains every member again.
    """
    from dlnn.runner import start_queue

    store = store or RunStore()
    found = [None] * len(configs) if retrain else member_runs(store, configs)
    missing = [index for index, run in enumerate(found) if run is None or run.status not in KEPT]
    started = start_queue([configs[index] for index in missing], store, retrain=True)
    runs = list(found)
    for index, run in zip(missing, started, strict=True):
        runs[index] = run
    return runs


def train_here(
    configs: Sequence[RunConfig],
    store: RunStore | None = None,
    *,
    retrain: bool = False,
    listener: Callable[[dict[str, Any]], None] | None = None,
    on_member: Callable[[int, RunConfig, Run], None] | None = None,
    executor: str | None = None,
) -> list[Run]:
    """Train the missing members in this process, one after another (the CLI's way).

    Finished and failed members are reused, so an interrupted call resumes where it stopped; a
    member that ends cancelled (Ctrl-C) stops the loop and the rest stay untrained.
    `on_member` is told about each run before it trains. With the Ray executor (`executor`
    or `$DLNN_EXECUTOR`) this process drives the cluster instead, which trains the missing
    members in parallel.
    """
    from dlnn.runner import RAY, executor_name

    store = store or RunStore()
    found = [None] * len(configs) if retrain else member_runs(store, configs)
    if executor_name(executor) == RAY:
        return _train_on_ray(configs, found, store, listener, on_member)
    runs: list[Run] = []
    for index, (config, run) in enumerate(zip(configs, found, strict=True)):
        if run is None or run.status not in ("finished", "failed"):
            from dlnn import training  # TensorFlow loads only when something trains

            run = store.create(config)
            if on_member is not None:
                on_member(index, config, run)
            if training.execute(run, listener=listener)["status"] == "cancelled":
                runs.append(run)
                break
        runs.append(run)
    return runs


def _train_on_ray(
    configs: Sequence[RunConfig],
    found: Sequence[Run | None],
    store: RunStore,
    listener: Callable[[dict[str, Any]], None] | None,
    on_member: Callable[[int, RunConfig, Run], None] | None,
) -> list[Run]:
    from dlnn import ray_executor

    runs: list[Run] = []
    for index, (config, run) in enumerate(zip(configs, found, strict=True)):
        if run is None or run.status not in ("finished", "failed"):
            run = store.create(config)
            if on_member is not None:
                on_member(index, config, run)
        runs.append(run)
    ready = [run.run_id for run in runs if run.status == "queued"]
    ray_executor.work(store, ready, listener=listener)
    return runs


def stop(runs: Iterable[Run | None]) -> int:
    """Stop a sweep: queued members are cancelled at once, the running one after its batch.

    Returns how many members were asked to stop.
    """
    from dlnn.runner import stop_run

    active = [run for run in runs if run is not None and run.status in ACTIVE]
    # Queued first, so the worker cannot move on to one of them while the running one ends.
    for run in sorted(active, key=lambda run: run.status != "queued"):
        stop_run(run)
    return len(active)


@dataclass(frozen=True)
class SweepProgress:
    """How far a sweep is: members by status and the time left."""

    total: int
    finished: int = 0
    running: int = 0
    queued: int = 0
    failed: int = 0  # a result too (the loss diverged, say): not trained again
    stopped: int = 0  # cancelled or interrupted: the next launch resumes them
    missing: int = 0  # never started
    eta_seconds: float | None = None  # None while nothing tells the pace

    @property
    def done(self) -> int:
        return self.finished + self.failed

    @property
    def active(self) -> bool:
        return bool(self.running or self.queued)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def text(self) -> str:
        """`5/7 done · 1 running · 1 queued · about 40 s left`."""
        parts = [f"{self.done}/{self.total} done"]
        for name in ("running", "queued", "failed", "stopped", "missing"):
            if getattr(self, name):
                parts.append(f"{getattr(self, name)} {name if name != 'missing' else 'to train'}")
        if self.active and self.eta_seconds is not None:
            parts.append(f"about {duration_text(self.eta_seconds)} left")
        return " · ".join(parts)


def sweep_progress(runs: Sequence[Run | None], now: float | None = None) -> SweepProgress:
    """Count a sweep's members by status and estimate the time left.

    Time left: the running member's own estimate plus, for each queued member, the mean
    wall time of the sweep's finished members (or the running member's expected total while
    none has finished).
    """
    counts = dict.fromkeys(("finished", "running", "queued", "failed", "stopped", "missing"), 0)
    member_seconds: list[float] = []
    running_left = running_total = None
    for run in runs:
        status = "missing" if run is None else run.status
        status = "stopped" if status in ("cancelled", "interrupted") else status
        counts[status] += 1
        if status == "finished":
            total = ((run.result() or {}).get("timings") or {}).get("total_seconds")
            if total is not None:
                member_seconds.append(float(total))
        elif status == "running":
            state = progress(run.events(), now=now or time.time())
            if state.eta_seconds is not None:
                running_left = (running_left or 0.0) + state.eta_seconds
                running_total = state.elapsed_seconds + state.eta_seconds
    per_member = (sum(member_seconds) / len(member_seconds) if member_seconds
                  else running_total)
    eta = None
    if counts["running"] == 0 and counts["queued"] == 0:
        eta = 0.0
    elif per_member is not None and (running_left is not None or counts["running"] == 0):
        eta = (running_left or 0.0) + counts["queued"] * per_member
    return SweepProgress(total=len(runs), eta_seconds=eta, **counts)


def duration_text(seconds: float) -> str:
    """`42 s`, `12 min`, `1.5 h`: a duration at the precision an estimate deserves."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


# -- the one-field shortcuts ------------------------------------------------------------------
def vary(base: RunConfig, field: str, values: Sequence[Any]) -> list[RunConfig]:
    """One validated configuration per value of `field`, everything else as in `base`."""
    if registry.known_field(field) is None:
        raise ConfigError(field, field, "not a RunConfig field")
    return Sweep(base, (Axis(field, tuple(values)),)).configs()


def start_sweep(
    base: RunConfig, field: str, values: Sequence[Any], store: RunStore | None = None,
    *, retrain: bool = False,
) -> list[Run]:
    """Queue the sweep on one worker process; finished and active members are reused."""
    return launch(vary(base, field, values), store, retrain=retrain)


def sweep_runs(
    store: RunStore, base: RunConfig, field: str, values: Sequence[Any]
) -> dict[Any, Run | None]:
    """The stored run of each value in the sweep (None where there is none).

    A finished run wins over a newer failed or cancelled one.
    """
    configs = vary(base, field, values)
    return dict(zip((getattr(config, field) for config in configs),
                    member_runs(store, configs), strict=True))


def sweep_histories(found: dict[Any, Run | None], field: str) -> dict[str, pd.DataFrame]:
    """Per-epoch histories of a sweep's runs keyed `field=value`, for `figures.compare_runs`."""
    return {
        f"{field}={value}": epoch_history(run.events())
        for value, run in found.items()
        if run is not None
    }
