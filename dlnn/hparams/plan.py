"""A sweep plan: a named or custom sweep over one or more panels, under a protocol, k seeds.

The Sweeps page and the CLI both start a `Plan`: every member of every panel goes to one
worker in order. A plan round-trips through a page's URL (`to_query` / `from_query`), so a
refreshed page finds its sweep again in the run store; a bad URL value raises `ConfigError`
naming the field. `curves` and `summary` read a plan's runs into the four-panel figure's input
and the summary table.

Example:
    >>> plan = Plan("optimizers", QUICK, PANELS[:2], seeds=2)
    >>> len(plan.configs()), plan.to_query()["panels"]
    (28, 'mlp-keras/mnist,cnn-keras/mnist')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dlnn import registry
from dlnn.config import ConfigError, RunConfig
from dlnn.hparams.named import NAMED_SWEEPS, named_sweep
from dlnn.hparams.protocols import PANELS, PROTOCOLS, Panel, Protocol
from dlnn.hparams.results import member_table, run_history, summary_table
from dlnn.runs import Run
from dlnn.sweeps import MAX_AXES, Axis, Member, Sweep

CUSTOM = "custom"
MAX_SEEDS = 10
VALUE_SEPARATOR = ","


@dataclass(frozen=True)
class Plan:
    """What to sweep, where and how.

    Attributes:
        name: a `NAMED_SWEEPS` name, or `custom` (then `axes` says what varies).
        protocol: how members train (report or quick).
        panels: the model x data set panels, each its own sweep.
        seeds: each member trains with seeds 0..k-1 (1: seed 0 only).
        axes: a custom sweep's one or two axes.
        changes: fields set on every panel's base after the protocol (`epochs=2`), as
            `(field, value)` pairs.
    """

    name: str
    protocol: Protocol
    panels: tuple[Panel, ...]
    seeds: int = 1
    axes: tuple[Axis, ...] = ()
    changes: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "panels", tuple(self.panels))
        object.__setattr__(self, "axes", tuple(self.axes))
        object.__setattr__(self, "changes", tuple(dict(self.changes).items()))

    @property
    def title(self) -> str:
        """`Figure 1: optimizers`, or `custom: optimizer x batch_size`."""
        if self.name == CUSTOM:
            return f"{CUSTOM}: " + " x ".join(axis.field for axis in self.axes)
        return NAMED_SWEEPS[self.name].title

    @property
    def label(self) -> str:
        """How the members train, for every figure and table (`QUICK protocol ...`)."""
        return self.protocol.describe(self.sweeps()[0][1].base)

    def seed_list(self) -> tuple[int, ...]:
        return tuple(range(self.seeds)) if self.seeds > 1 else ()

    def check(self) -> None:
        """Raise `ConfigError` naming the field for a plan that cannot run."""
        if self.name != CUSTOM and self.name not in NAMED_SWEEPS:
            raise ConfigError("sweep", self.name, "choose one of: "
                              + ", ".join([*NAMED_SWEEPS, CUSTOM]))
        if not self.panels:
            raise ConfigError("panels", "", "choose at least one model and data set")
        if not 1 <= self.seeds <= MAX_SEEDS:
            raise ConfigError("seeds", self.seeds, f"must be a whole number from 1 to {MAX_SEEDS}")
        if self.name == CUSTOM and not 1 <= len(self.axes) <= MAX_AXES:
            raise ConfigError("vary", len(self.axes), f"a custom sweep varies 1 to {MAX_AXES} "
                              "fields")
        swept = self.swept_fields()
        for field, value in self.changes:
            registry.field_named(field).check(value)
            if field in swept or field in ("model", "dataset"):
                raise ConfigError(field, value, "the sweep sets it; leave it out")
            if field == "seed" and self.seeds > 1:
                raise ConfigError("seed", value, "repeating over seeds trains seeds 0..k-1")
        if self.name != CUSTOM:
            entry = NAMED_SWEEPS[self.name]
            for panel in self.panels:
                if not entry.applies(panel):
                    raise ConfigError("panels", panel.name, f"the {self.name} sweep changes "
                                      f"nothing in {panel.model} (it has no convolutions)")

    def swept_fields(self) -> tuple[str, ...]:
        """The field(s) the sweep varies."""
        if self.name == CUSTOM:
            return tuple(axis.field for axis in self.axes)
        return (NAMED_SWEEPS[self.name].field,) if self.name in NAMED_SWEEPS else ()

    def sweeps(self) -> list[tuple[Panel, Sweep]]:
        """One sweep per panel, checked (every member validated)."""
        self.check()
        pairs = []
        for panel in self.panels:
            if self.name == CUSTOM:
                base = self.protocol.apply(panel.base()).replace(**dict(self.changes))
                sweep = Sweep(base, self.axes, self.seed_list())
            else:
                sweep = named_sweep(self.name, panel, self.protocol, self.seed_list(),
                                    dict(self.changes))
            sweep.members()  # validates every member: a bad value names its field
            pairs.append((panel, sweep))
        return pairs

    def members(self) -> list[tuple[Panel, Member]]:
        """Every member of every panel, in training order (panel by panel)."""
        return [(panel, member) for panel, sweep in self.sweeps() for member in sweep.members()]

    def configs(self) -> list[RunConfig]:
        return [member.config for _, member in self.members()]

    # -- URLs -----------------------------------------------------------------------------
    def to_query(self) -> dict[str, str]:
        """The plan as URL parameters (changed fields under their own names: `epochs=2`)."""
        query = {"sweep": self.name, "protocol": self.protocol.name,
                 "panels": VALUE_SEPARATOR.join(panel.name for panel in self.panels),
                 "seeds": str(self.seeds)}
        for index, axis in enumerate(self.axes):
            declared = registry.field_named(axis.field)
            query[f"vary{index + 1}"] = f"{axis.field}:" + VALUE_SEPARATOR.join(
                declared.format(value) for value in axis.values)
        for field, value in self.changes:
            query[field] = registry.field_named(field).format(value)
        return query

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> Plan:
        """The plan a URL describes; raises `ConfigError` naming the bad parameter."""
        protocol = query.get("protocol", "report")
        if protocol not in PROTOCOLS:
            raise ConfigError("protocol", protocol, "choose one of: " + ", ".join(PROTOCOLS))
        seeds = query.get("seeds", "1")
        if not seeds.isdigit():
            raise ConfigError("seeds", seeds, f"must be a whole number from 1 to {MAX_SEEDS}")
        axes = tuple(parse_vary(query[key]) for key in ("vary1", "vary2") if query.get(key))
        changes = {name: declared.parse(query[name])
                   for name, declared in registry.fields().items()
                   if name in query and name not in ("model", "dataset")}
        plan = cls(query.get("sweep", "optimizers"), PROTOCOLS[protocol],
                   parse_panels(query.get("panels", "")), int(seeds), axes,
                   tuple(changes.items()))
        plan.check()
        return plan


def parse_panels(text: str) -> tuple[Panel, ...]:
    """`mlp-keras/mnist,cnn-keras/mnist` as panels; an unknown model or data set is named."""
    panels = []
    for item in filter(None, (part.strip() for part in text.split(VALUE_SEPARATOR))):
        model, _, dataset = item.partition("/")
        registry.field_named("model").check(model)
        registry.field_named("dataset").check(dataset)
        RunConfig(model=model, dataset=dataset).validate()
        panels.append(Panel(model, dataset))
    return tuple(panels)


def parse_vary(text: str) -> Axis:
    """`optimizer:sgd,adam` (or `optimizer=sgd,adam`) as an axis; bad values name the field."""
    separator = ":" if ":" in text else "="
    field, found, values = text.partition(separator)
    if not found or not values.strip():
        raise ConfigError("vary", text, "write FIELD:VALUE,VALUE,... e.g. optimizer:sgd,adam")
    return Axis.parse(field.strip().replace("-", "_"),
                      [value for value in values.split(VALUE_SEPARATOR) if value.strip()])


# -- reading a plan's runs --------------------------------------------------------------------
def curves(plan: Plan, runs: Sequence[Run | None]) -> dict[str, dict[str, list[pd.DataFrame]]]:
    """The figure's input: panel title -> member label -> one epoch history per seed."""
    panels: dict[str, dict[str, list[pd.DataFrame]]] = {
        panel.title: {} for panel in plan.panels}
    for (panel, member), run in zip(plan.members(), runs, strict=True):
        if run is None:
            continue
        history = run_history(run)
        if len(history):
            panels[panel.title].setdefault(member.label, []).append(history)
    return panels


def summary(plan: Plan, runs: Sequence[Run | None]) -> pd.DataFrame:
    """The summary table of every panel (a `panel` column first), best first per panel."""
    tables = []
    members = plan.members()
    fields = plan.swept_fields()
    start = 0
    for panel in plan.panels:
        mine = [member for owner, member in members if owner == panel]
        rows = member_table(mine, runs[start:start + len(mine)])
        start += len(mine)
        table = summary_table(rows, fields)
        table.insert(0, "panel", panel.title)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def member_rows(plan: Plan, runs: Sequence[Run | None]) -> pd.DataFrame:
    """One row per member of every panel (for JSON output and checks)."""
    rows = member_table([member for _, member in plan.members()], runs)
    rows.insert(0, "panel", [panel.name for panel, _ in plan.members()])
    return rows


def default_plan() -> Plan:
    """The page's first sweep: the quick optimizer sweep on the MLP and MNIST."""
    return Plan("optimizers", PROTOCOLS["quick"], PANELS[:1])
