"""The plug-in registry: where the core and the labs declare what they add.

A lab (the clock lab, the Task 1 sweeps lab, the permutation lab, ...) is a module listed in
`LABS` whose import registers its run-configuration fields, data sets, models, training tasks,
CLI commands, `reproduce` entries and dashboard pages here. The core never imports a lab: it
asks this registry, which imports the labs the first time anyone asks (`load_labs`). Importing
`dlnn.config`, `dlnn.models`, `dlnn.training` or `dlnn.cli` therefore loads no lab.

Labs outside this package are added with `DLNN_LABS=package.module,other.module`.

Example:
    >>> sorted(name for name, spec in models().items() if spec.task == "classification")[:2]
    ['cnn-fashion', 'cnn-geron']
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dlnn.fields import ConfigError, Field

if TYPE_CHECKING:
    import argparse

    from dlnn.config import RunConfig

# The labs, in the order their pages and commands appear.
LABS: tuple[str, ...] = ("dlnn.hparams.lab", "dlnn.permlab.lab", "dlnn.clocks.lab")
# Core modules that register the engine's own fields, data sets and models.
CORE: tuple[str, ...] = ("dlnn.config", "dlnn.data", "dlnn.models")
EXTRA_LABS_VARIABLE = "DLNN_LABS"


@dataclass(frozen=True)
class DatasetEntry:
    """A data set a run can name.

    Attributes:
        name: the `RunConfig.dataset` value.
        title: shown in the dashboard.
        task: the training task that reads it (`classification`, `clock`, ...).
        lab: who registered it.
        train_images: how many images a configuration trains on before the validation split
            (None: unknown); validation uses it to refuse a batch larger than the data.
    """

    name: str
    title: str
    task: str
    lab: str = "core"
    train_images: Callable[[RunConfig], int] | None = None


@dataclass(frozen=True)
class PageEntry:
    """A dashboard page: a script in `pages/` and its place in the navigation."""

    path: str  # relative to the repository root, or absolute
    title: str
    url_path: str
    lab: str
    summary: str = ""  # one line for the Home page


@dataclass(frozen=True)
class ReproduceEntry:
    """One `python -m dlnn reproduce NAME` target.

    Attributes:
        name: `task1`, `task2`, ...
        help: one line for `--help`.
        add_arguments: adds the target's own options to its parser (`--quick` and `--json`
            are added for every target).
        run: runs or loads the target; returns a JSON-ready summary and whether every run
            it needed finished (the command's exit status).
        show: prints that summary for a person.
        report: `report(store, quick, options)` returns the target's part of the whole report
            (`dlnn.report.ReportPart`: the runs it needs, its figures and tables), read from
            the run store without training; `reproduce all` and the Report page use it.
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], dict[str, Any]]
    show: Callable[[dict[str, Any]], None]
    report: Callable[..., Any] | None = None


@dataclass
class _Registry:
    fields: dict[str, Field] = field(default_factory=dict)
    validators: list[Callable[[RunConfig], None]] = field(default_factory=list)
    datasets: dict[str, DatasetEntry] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)  # name -> dlnn.models.ModelSpec
    tasks: dict[str, Any] = field(default_factory=dict)  # name -> Task or "module:Class"
    commands: list[Callable[[Any], None]] = field(default_factory=list)
    reproduce: dict[str, ReproduceEntry] = field(default_factory=dict)
    pages: list[PageEntry] = field(default_factory=list)
    loaded: set[str] = field(default_factory=set)


_REGISTRY = _Registry()
_LOCK = threading.RLock()


# -- declaring ------------------------------------------------------------------------------
def add_field(declared: Field) -> None:
    """Declare a run-configuration field (its name must be new)."""
    if declared.name in _REGISTRY.fields:
        raise ValueError(f"field {declared.name!r} is declared twice")
    _REGISTRY.fields[declared.name] = declared


def add_validator(check: Callable[[RunConfig], None]) -> None:
    """A rule across fields; it raises `ConfigError` naming the field to change."""
    _REGISTRY.validators.append(check)


def add_dataset(entry: DatasetEntry) -> None:
    _REGISTRY.datasets[entry.name] = entry


def add_model(spec: Any) -> None:
    """Add a `dlnn.models.ModelSpec` to the zoo."""
    _REGISTRY.models[spec.name] = spec


def add_task(name: str, task: Any) -> None:
    """A training task: an object (see `dlnn.training.Task`) or `"module:Class"`, imported
    and instantiated when a run first needs it (so registering costs no TensorFlow)."""
    _REGISTRY.tasks[name] = task


def add_command(register: Callable[[Any], None]) -> None:
    """A CLI sub-command: `register(subparsers)` adds its parser and handler."""
    _REGISTRY.commands.append(register)


def add_reproduce(entry: ReproduceEntry) -> None:
    _REGISTRY.reproduce[entry.name] = entry


def add_page(entry: PageEntry) -> None:
    _REGISTRY.pages.append(entry)


# -- loading --------------------------------------------------------------------------------
def lab_modules() -> tuple[str, ...]:
    """`LABS` plus the modules named in `$DLNN_LABS`."""
    extra = os.environ.get(EXTRA_LABS_VARIABLE, "")
    return (*LABS, *(name.strip() for name in extra.split(",") if name.strip()))


def load_labs(modules: Iterable[str] | None = None) -> None:
    """Import the core's registering modules and every lab (once each)."""
    with _LOCK:
        for name in (*CORE, *(lab_modules() if modules is None else modules)):
            if name not in _REGISTRY.loaded:
                _REGISTRY.loaded.add(name)  # first, so a lab importing the core is no loop
                importlib.import_module(name)


# -- asking ---------------------------------------------------------------------------------
def fields() -> dict[str, Field]:
    """Every run-configuration field, the core's first."""
    load_labs()
    return _REGISTRY.fields


def field_named(name: str) -> Field:
    """One field; an unknown name raises `ConfigError` listing the known ones."""
    if name not in _REGISTRY.fields:
        load_labs()
    try:
        return _REGISTRY.fields[name]
    except KeyError:
        raise ConfigError(name, name, "unknown field; known fields: "
                          + ", ".join(_REGISTRY.fields)) from None


def known_field(name: str) -> Field | None:
    """The field called `name`, or None."""
    if name not in _REGISTRY.fields:
        load_labs()
    return _REGISTRY.fields.get(name)


def validators() -> list[Callable[[RunConfig], None]]:
    load_labs()
    return _REGISTRY.validators


def datasets() -> dict[str, DatasetEntry]:
    load_labs()
    return _REGISTRY.datasets


def models() -> dict[str, Any]:
    load_labs()
    return _REGISTRY.models


def models_for(dataset: str) -> dict[str, Any]:
    """The models that can train on `dataset` (those of its task)."""
    entry = datasets().get(dataset)
    task = entry.task if entry is not None else None
    return {name: spec for name, spec in models().items() if spec.task == task}


def task(name: str) -> Any:
    """The training task `name`, imported and made on first use."""
    load_labs()
    found = _REGISTRY.tasks[name]
    if isinstance(found, str):
        module, _, attribute = found.partition(":")
        found = getattr(importlib.import_module(module), attribute)()
        _REGISTRY.tasks[name] = found
    return found


def commands() -> list[Callable[[Any], None]]:
    load_labs()
    return _REGISTRY.commands


def reproduce_entries() -> dict[str, ReproduceEntry]:
    load_labs()
    return _REGISTRY.reproduce


def pages() -> list[PageEntry]:
    load_labs()
    return _REGISTRY.pages
