"""Task 2's study: the same networks trained on original and on permuted pixels.

A `StudyPlan` is the report's experiment as data: for each data set its models (an MLP and a
CNN), each trained twice with one configuration, seed and early stopping, once on the original
images and once with `permute` set, and all of it repeated for k seeds. `configs` lists the
runs in training order (seed by seed, so the first seed's table is complete first),
`start_study` queues the missing ones on one worker process (finished ones are reused from the
run store), `train_study` trains them in the calling process (the CLI), and `study_runs` finds
them again, whether they were trained now or last week.

Example:
    >>> plan = study_plan(quick=True)
    >>> len(plan.configs()), plan.configs()[1].permute
    (8, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from dlnn.config import RunConfig
from dlnn.runs import Run, RunStore

# The report's networks per data set (SPEC.md, Task 2): its MLP and its CNN.
REPORT_MODELS: dict[str, tuple[str, ...]] = {
    "mnist": ("mlp-keras", "cnn-keras"),
    "fashion-mnist": ("mlp-keras", "cnn-fashion"),
}
# One configuration for every run of the study; only data set, model, permute and seed change.
# RMSprop at 0.001 and batch 128 as in the report; Keras' Glorot initializer, which trains the
# small CNN faster than the report's RandomUniform(-0.05, 0.05); early stopping on the
# validation loss, back to the best epoch's weights, as the report stopped every run early.
STUDY_BASE = RunConfig(
    optimizer="rmsprop", initializer="glorot_uniform", batch_size=128, epochs=30,
    validation_fraction=0.1, early_stopping=True, monitor="val_loss", patience=3,
    restore_best=True,
)
# The class-sized study: 10,000 training images, 3 epochs, one seed (minutes on two cores).
# Batch 64 doubles the 213 updates that batch 128 leaves in 3 epochs of 9,000 images: the
# MLPs' test accuracies then scatter less from seed to seed (about 0.6 points apart).
QUICK_CHANGES: dict[str, Any] = {"subset": 10_000, "epochs": 3, "batch_size": 64}
DEFAULT_SEEDS = 3  # the full study repeats every run with seeds 0, 1, 2
QUICK_SEEDS = 1
MAX_SEEDS = 10


class RunKey(NamedTuple):
    """Where a run sits in a study."""

    dataset: str
    model: str
    permuted: bool
    seed: int

    @property
    def label(self) -> str:
        """In words, e.g. `cnn-keras on mnist, permuted pixels, seed 0`."""
        pixels = "permuted" if self.permuted else "original"
        return f"{self.model} on {self.dataset}, {pixels} pixels, seed {self.seed}"


@dataclass(frozen=True)
class StudyPlan:
    """The runs of one permutation study.

    Attributes:
        base: the configuration every run shares (data set, model, permute and seed are set
            per run).
        cells: (data set, model) pairs, in the order of the table and the figure's panels.
        seeds: the seeds every cell is trained with, original and permuted alike.
    """

    base: RunConfig
    cells: tuple[tuple[str, str], ...]
    seeds: tuple[int, ...]

    def config(self, dataset: str, model: str, permuted: bool, seed: int) -> RunConfig:
        """The validated configuration of one run."""
        return self.base.replace(dataset=dataset, model=model, permute=permuted,
                                 seed=seed).validate()

    def keys(self) -> list[RunKey]:
        """Every run of the plan, in training order: seed by seed, original before permuted."""
        return [RunKey(dataset, model, permuted, seed) for seed in self.seeds
                for dataset, model in self.cells for permuted in (False, True)]

    def configs(self) -> list[RunConfig]:
        """The configurations of `keys()`, in the same order."""
        return [self.config(*key) for key in self.keys()]

    @property
    def datasets(self) -> tuple[str, ...]:
        """The data sets of the plan, in order."""
        return tuple(dict.fromkeys(dataset for dataset, _ in self.cells))


def describe_base(base: RunConfig) -> str:
    """The configuration every run of a study shares, in one line."""
    subset = "all images" if base.subset is None else f"{base.subset:,} images"
    stopping = (f"early stopping on {base.monitor} (patience {base.patience}, best weights "
                "restored)" if base.early_stopping else "no early stopping")
    return (f"{base.optimizer} lr {base.effective_learning_rate:g} · {base.initializer} · "
            f"batch {base.batch_size} · up to {base.epochs} epochs · {stopping} · {subset} "
            f"({base.validation_fraction:.0%} for validation)")


def study_plan(
    quick: bool = False,
    seeds: int | None = None,
    models: dict[str, Sequence[str]] | None = None,
    base: RunConfig | None = None,
    first_seed: int = 0,
) -> StudyPlan:
    """The report's study, or a variant of it.

    Args:
        quick: the class-sized version (`QUICK_CHANGES`: 10,000 images, 3 epochs).
        seeds: k, how many seeds each run is repeated with (default 3, quick: 1).
        models: the models per data set (default `REPORT_MODELS`; any zoo classifier).
        base: the shared configuration (default `STUDY_BASE`).
        first_seed: the seeds are `first_seed, first_seed + 1, ...`.

    Raises:
        ConfigError: a bad seed count, model or data set, naming the field.
    """
    from dlnn.fields import ConfigError

    count = (QUICK_SEEDS if quick else DEFAULT_SEEDS) if seeds is None else seeds
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_SEEDS:
        raise ConfigError("seeds", count, f"must be a whole number from 1 to {MAX_SEEDS}")
    shared = (base or STUDY_BASE).replace(**(QUICK_CHANGES if quick else {}))
    chosen = REPORT_MODELS if models is None else models
    cells = tuple((dataset, model) for dataset, names in chosen.items() for model in names)
    if not cells:
        raise ConfigError("dataset", "", "choose at least one data set and model")
    plan = StudyPlan(shared, cells, tuple(range(first_seed, first_seed + count)))
    for dataset, model in cells:
        plan.config(dataset, model, True, plan.seeds[-1])  # names a bad model or data set
    return plan


def start_study(plan: StudyPlan, store: RunStore | None = None, *, retrain: bool = False
                ) -> dict[RunKey, Run]:
    """Queue the plan's runs on one worker process; finished configurations are reused."""
    from dlnn.runner import start_queue

    return dict(zip(plan.keys(), start_queue(plan.configs(), store, retrain=retrain),
                    strict=True))


def train_study(
    plan: StudyPlan,
    store: RunStore | None = None,
    *,
    listener: Callable[[dict[str, Any]], None] | None = None,
    retrain: bool = False,
    on_run: Callable[[RunKey, Run], None] | None = None,
) -> dict[RunKey, Run]:
    """Train the plan's missing runs in this process, in order; finished ones are reused.

    `on_run(key, run)` is called before each run trains (the CLI points Ctrl-C at it); a run
    that ends cancelled ends the study, leaving the rest untrained.
    """
    from dlnn import training

    store = store or RunStore()
    runs: dict[RunKey, Run] = {}
    for key, config in zip(plan.keys(), plan.configs(), strict=True):
        run = None if retrain else store.find_finished(config)
        if run is None:
            run = store.create(config)
            if on_run is not None:
                on_run(key, run)
            if training.execute(run, listener=listener)["status"] == "cancelled":
                runs[key] = run
                break
        runs[key] = run
    return runs


def study_runs(plan: StudyPlan, store: RunStore) -> dict[RunKey, Run | None]:
    """The newest stored run of each run of the plan (None where there is none).

    A finished run wins over a newer failed, cancelled or interrupted one.
    """
    keys = plan.keys()
    wanted = {config.key(): key for key, config in zip(keys, plan.configs(), strict=True)}
    found: dict[RunKey, Run | None] = dict.fromkeys(keys)
    for run in store.list():  # newest first
        key = wanted.get(run.config_key)
        if key is None:
            continue
        current = found[key]
        if current is None or (current.status != "finished" and run.status == "finished"):
            found[key] = run
    return found
