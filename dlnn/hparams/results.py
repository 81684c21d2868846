"""A sweep's results as tables: one row per member, one row per value, any runs for HParams.

`member_table` reads each member's run (best validation accuracy and its epoch, test
accuracy, seconds per epoch, the learning rate actually used, status); `summary_table`
averages the members of one value over their seeds (mean and standard deviation, the error
bars) and sorts the values best first. `runs_table` turns any set of stored runs into one row
per run with every configuration field and the headline metrics, for the parallel-coordinates
view; `varying_fields` picks the fields that differ and `apply_brushes` keeps the rows inside
the brushed ranges. Pure functions of the run store's files.

Example:
    >>> rows = member_table(sweep.members(), member_runs(store, sweep.configs()))
    >>> summary_table(rows, ["optimizer"]).iloc[0]["optimizer"]
    'adam'
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from dlnn import registry
from dlnn.history import best_value, epoch_history
from dlnn.runs import Run
from dlnn.sweeps import Member

SCORE = "val_accuracy"  # the report's score: validation accuracy
METRIC_COLUMNS = ("best_val_accuracy", "best_epoch", "test_accuracy", "seconds_per_epoch",
                  "learning_rate_used", "epochs_run")
# Columns of `runs_table` that are results, not configuration.
RESULT_COLUMNS = ("status", *METRIC_COLUMNS, "run_id")
CHANCE = 0.1  # ten classes
NEAR_CHANCE = 0.2  # a best validation accuracy below this learned (almost) nothing


def run_metrics(run: Run | None) -> dict[str, Any]:
    """A run's headline numbers; NaN where it has none yet."""
    if run is None:
        return {"status": "not started", "best_val_accuracy": float("nan"),
                "best_epoch": float("nan"), "test_accuracy": float("nan"),
                "seconds_per_epoch": float("nan"), "epochs_run": 0, "run_id": ""}
    return {**_stored_metrics(str(run.path), *_stamps(run.path)), "status": run.status,
            "run_id": run.run_id}


def _stamps(path: Path) -> tuple[int, ...]:
    """Modification times of the files the metrics come from (the cache key)."""
    return tuple(
        (path / name).stat().st_mtime_ns if (path / name).exists() else 0
        for name in ("events.jsonl", "result.json")
    )


def run_history(run: Run) -> pd.DataFrame:
    """The run's epoch history (read again only when its event log changed)."""
    return _history(str(run.path), _stamps(run.path)[0])


@functools.lru_cache(maxsize=4096)
def _history(path: str, _stamp: int) -> pd.DataFrame:
    return epoch_history(Run(Path(path)).events())


@functools.lru_cache(maxsize=4096)
def _stored_metrics(path: str, *stamps: int) -> dict[str, Any]:
    run = Run(Path(path))
    history = _history(path, stamps[0])
    best = best_value(history, SCORE, "max")
    result = run.result() or {}
    return {
        "best_val_accuracy": float("nan") if best is None else best[1],
        "best_epoch": float("nan") if best is None else best[0],
        "test_accuracy": result.get("test_accuracy", float("nan")),
        "seconds_per_epoch": result.get("seconds_per_epoch") or (
            float(history["seconds"].mean()) if len(history) else float("nan")),
        "epochs_run": len(history),
    }


def member_table(members: Sequence[Member], runs: Sequence[Run | None]) -> pd.DataFrame:
    """One row per member: its axis values, seed, learning rate used, status and metrics."""
    rows = []
    for member, run in zip(members, runs, strict=True):
        rows.append({
            **dict(member.values), "seed": member.seed,
            "learning_rate_used": member.config.effective_learning_rate,
            **run_metrics(run),
        })
    return pd.DataFrame(rows)


def summary_table(members: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """One row per value (pair of values in a grid), best mean validation accuracy first.

    Columns: the fields, `seeds` (members with a score), `best_val_accuracy` and `_std`
    (over seeds), `best_epoch` (median), `test_accuracy` and `_std`, `seconds_per_epoch`,
    `learning_rate_used`, `status` (`finished`, or e.g. `1 finished, 1 running`), `run_ids`.
    """
    if members.empty:
        return pd.DataFrame(columns=[*fields, "seeds", "best_val_accuracy"])
    rows = []
    for values, group in members.groupby(list(fields), sort=False, dropna=False):
        values = values if isinstance(values, tuple) else (values,)
        statuses = group["status"].value_counts()
        rows.append({
            **dict(zip(fields, values, strict=True)),
            "seeds": int(group["best_val_accuracy"].notna().sum()),
            "best_val_accuracy": group["best_val_accuracy"].mean(),
            "best_val_accuracy_std": group["best_val_accuracy"].std(ddof=1),
            "best_epoch": group["best_epoch"].median(),
            "test_accuracy": group["test_accuracy"].mean(),
            "test_accuracy_std": group["test_accuracy"].std(ddof=1),
            "seconds_per_epoch": group["seconds_per_epoch"].mean(),
            "learning_rate_used": group["learning_rate_used"].iloc[0],
            "status": (statuses.index[0] if len(statuses) == 1 else
                       ", ".join(f"{count} {status}" for status, count in statuses.items())),
            "run_ids": " ".join(run_id for run_id in group["run_id"] if run_id),
        })
    table = pd.DataFrame(rows)
    return table.sort_values("best_val_accuracy", ascending=False, na_position="last",
                             kind="stable").reset_index(drop=True)


def display_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as text for a person: `0.9812 ± 0.0011`, `0.001`, `4.1 s`."""
    shown = pd.DataFrame(index=summary.index)
    for column in summary.columns:
        if column.endswith("_std") or column == "run_ids":
            continue
        if column in ("best_val_accuracy", "test_accuracy"):
            shown[column] = [_with_spread(mean, spread) for mean, spread in
                             zip(summary[column], summary[f"{column}_std"], strict=True)]
        elif column == "best_epoch":
            shown[column] = [_number(value, "{:.0f}") for value in summary[column]]
        elif column == "seconds_per_epoch":
            shown[column] = [_number(value, "{:.1f} s") for value in summary[column]]
        elif column == "learning_rate_used":
            shown[column] = [_number(value, "{:g}") for value in summary[column]]
        else:
            shown[column] = summary[column].astype(str)
    return shown


def _with_spread(mean: float, spread: float) -> str:
    if pd.isna(mean):
        return "—"
    return f"{mean:.4f}" if pd.isna(spread) else f"{mean:.4f} ± {spread:.4f}"


def _number(value: float, pattern: str) -> str:
    return "—" if pd.isna(value) else pattern.format(value)


def near_chance(members: pd.DataFrame) -> pd.DataFrame:
    """The finished members whose best validation accuracy stayed near chance (10 classes)."""
    finished = members[members["status"] == "finished"]
    return finished[finished["best_val_accuracy"] < NEAR_CHANCE]


# -- any runs, for the parallel-coordinates view ----------------------------------------------
def runs_table(runs: Sequence[Run]) -> pd.DataFrame:
    """One row per run: every configuration field, the learning rate used, and the metrics.

    An optional number field that some run left empty (subset: all images, dropout: the
    model's own) becomes text (`none`, `5000`), so its axis shows both instead of dropping
    the empty ones.
    """
    rows = []
    for run in runs:
        config = run.config
        rows.append({**config.to_dict(),
                     "learning_rate_used": config.effective_learning_rate,
                     **run_metrics(run)})
    table = pd.DataFrame(rows)
    for name, declared in registry.fields().items():
        if declared.optional and name in table.columns and table[name].isna().any():
            table[name] = [declared.format(None if pd.isna(value) else declared.kind(value))
                           for value in table[name]]
    return table


def varying_fields(table: pd.DataFrame) -> list[str]:
    """The configuration fields whose value differs between the rows, in declaration order.

    The learning rate counts as it was used (an optimizer's default included), so it is
    listed as `learning_rate_used`.
    """
    if table.empty:
        return []
    names = [name for name in registry.fields() if name in table.columns]
    varying = [name for name in names
               if table[name].astype("string").fillna("none").nunique() > 1]
    if "learning_rate" in varying or "optimizer" in varying:
        varying = [name for name in varying if name != "learning_rate"]
        if table["learning_rate_used"].nunique() > 1:
            varying.append("learning_rate_used")
    return varying


def log_scale_columns(columns: Sequence[str]) -> list[str]:
    """The columns to draw on a log scale: log-scale fields and the learning rate used."""
    logged = {name for name, declared in registry.fields().items() if declared.log_scale}
    return [column for column in columns
            if column in logged or column == "learning_rate_used"]


def apply_brushes(
    table: pd.DataFrame, brushes: Mapping[str, tuple[float, float] | Sequence[Any]]
) -> pd.DataFrame:
    """The rows inside every brush: `(low, high)` for a number column (inclusive), the kept
    values for a categorical one (compared as text, so `None` matches `none`)."""
    keep = pd.Series(True, index=table.index)
    for column, brush in brushes.items():
        values = table[column]
        if _is_number_column(values):
            low, high = brush
            keep &= values.between(low, high)
        else:
            allowed = {str(value).lower() for value in brush}
            keep &= values.astype("string").fillna("none").str.lower().isin(allowed)
    return table[keep]


def _is_number_column(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
