"""Tables that list and compare stored runs: the data behind the dashboard's Runs page.

`runs_table` gives one row per run (status, task, data set, model, key hyperparameters, the
headline metrics of its task from `dlnn.headlines`, time); `config_table` puts several runs'
configurations side by side with a `differs` column, so a view can highlight what changed
between them; `epoch_histories` collects their per-epoch curves for `dlnn.figures.compare_runs`;
`ensemble_text` says what the selected classifiers' averaged outputs score.

Example:

```python
runs = RunStore().list()[:2]
table = config_table(runs)
table.index[table["differs"]].tolist()  # e.g. ['optimizer']
```
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from dlnn import headlines, history, registry
from dlnn.config import RunConfig
from dlnn.ensembles import EnsembleError, ensemble_result
from dlnn.runs import Run, RunDamaged

# The columns of `runs_table` before the headline metrics, in order. `learning_rate` is the
# rate actually used.
RUN_COLUMNS = (
    "run_id", "status", "task", "dataset", "model", "optimizer", "learning_rate", "activation",
    "initializer", "batch_size", "epochs", "subset", "permute", "epochs_run",
)  # fmt: skip
# The columns of `runs_table` taken from the run's configuration, and the text ones among them.
_CONFIG_COLUMNS = (
    "dataset", "model", "optimizer", "learning_rate", "activation", "initializer",
    "batch_size", "epochs", "subset", "permute",
)  # fmt: skip
_TEXT_COLUMNS = ("dataset", "model", "optimizer", "activation", "initializer")
UNREADABLE = "unreadable"  # a damaged run's configuration fields in `runs_table`
# After the headline metrics.
TRAILING_COLUMNS = ("seconds", "created")


def table_columns() -> list[str]:
    """Every column of `runs_table`: the run, the headline metrics of every task, the time."""
    metrics = [column for task in headlines.all_task_metrics().values()
               for column in task.columns()]
    return [*RUN_COLUMNS, *dict.fromkeys(metrics), *TRAILING_COLUMNS]


def headline_columns(table: pd.DataFrame) -> dict[str, headlines.Metric]:
    """The headline columns of the tasks that have runs in `table` (column -> metric), in the
    order the tasks were declared (classification first)."""
    declared = headlines.all_task_metrics()
    # A task that declared no headline is shown as a classifier (`headlines.for_task`).
    present = {task if task in declared else headlines.DEFAULT_TASK for task in table["task"]}
    columns: dict[str, headlines.Metric] = {}
    for task, metrics in declared.items():
        if task in present:
            columns.update(metrics.columns())
    return columns


def run_row(run: Run) -> dict[str, Any]:
    """One run's line of `runs_table`; a damaged run's status is `damaged`, and fields it
    cannot read are `UNREADABLE` (text) or None."""
    status = run.status_record()
    result = run.result() or {}
    epochs = history.epoch_history(run.events())
    try:
        config = run.config
        values = {**config.to_dict(), "learning_rate": config.effective_learning_rate}
        task, headline = headlines.task_of(config), headlines.headline_values(config, result,
                                                                               epochs)
    except RunDamaged:  # text columns say so (tables sort and filter them); numbers are None
        values = dict.fromkeys(_TEXT_COLUMNS, UNREADABLE)
        task, headline = UNREADABLE, {}
    created = status.get("created")
    return {
        "run_id": run.run_id,
        "status": status["status"],
        "task": task,
        **{name: values.get(name) for name in _CONFIG_COLUMNS},
        "epochs_run": len(epochs),
        **headline,
        "seconds": _run_seconds(status, result),
        "created": pd.Timestamp(created, unit="s", tz="UTC") if created else pd.NaT,
    }


def runs_table(runs: Iterable[Run]) -> pd.DataFrame:
    """One row per run with the columns of `table_columns()` (empty table: the columns only).

    A headline metric of another task than the run's is NaN: a clock run has no test
    accuracy, a classifier no CSE.
    """
    rows = [run_row(run) for run in runs]
    columns = table_columns()
    table = pd.DataFrame.from_records(rows, columns=columns)
    for column in columns[len(RUN_COLUMNS):-1]:
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(float)
    return table


def filter_runs(
    table: pd.DataFrame,
    *,
    statuses: Sequence[str] = (),
    datasets: Sequence[str] = (),
    models: Sequence[str] = (),
) -> pd.DataFrame:
    """The rows of `runs_table` whose status, data set and model are among those given.

    An empty selection does not filter that column.
    """
    keep = pd.Series(True, index=table.index)
    for column, allowed in (("status", statuses), ("dataset", datasets), ("model", models)):
        if allowed:
            keep &= table[column].isin(list(allowed))
    return table[keep]


def config_table(runs: Sequence[Run], labels: Sequence[str] | None = None) -> pd.DataFrame:
    """Configurations side by side: one row per field, one column per run.

    Only the fields that change something for at least one of the runs are listed (no clock
    fields for MNIST runs, no pooling for MLPs). A final boolean column `differs` is True where
    the runs disagree. Values are shown as text (None as what it means, e.g. "all of them"
    for the subset), and the learning rate is the one used, so "None" vs "0.001" under rmsprop
    does not count as a difference.
    """
    labels = list(labels) if labels is not None else [run.run_id for run in runs]
    if len(labels) != len(runs):
        raise ValueError(f"got {len(labels)} labels for {len(runs)} runs")
    configs = [run.config for run in runs]
    fields = [name for name, declared in registry.fields().items()
              if any(declared.relevant(config) for config in configs)]
    columns = {label: _config_values(config) for label, config in zip(labels, configs,
                                                                      strict=True)}
    table = pd.DataFrame(columns, index=fields)
    table.index.name = "field"
    table["differs"] = table.nunique(axis=1) > 1 if len(runs) else False
    return table


def comparison_labels(runs: Sequence[Run]) -> list[str]:
    """Short distinct names for runs shown together: model, data set and what differs.

    E.g. `cnn-keras / mnist · epochs=200 (843f3d)`: the fields every run shares are left
    out, and so are those that change nothing for the run (the clock fields of an MNIST run),
    so a legend says what each curve changed.
    """
    if not runs:
        return []
    table = config_table(runs)
    fields = registry.fields()
    differing = [field for field in table.index[table["differs"]]
                 if field not in ("model", "dataset")]
    labels = []
    for index, run in enumerate(runs):
        config = run.config
        changes = ", ".join(f"{field}={table.iloc[table.index.get_loc(field), index]}"
                            for field in differing if fields[field].relevant(config))
        labels.append(f"{config.model} / {config.dataset}{' · ' + changes if changes else ''}"
                      f" ({run.run_id[-6:]})")
    return labels


def epoch_histories(runs: Sequence[Run], labels: Sequence[str] | None = None
                    ) -> dict[str, pd.DataFrame]:
    """Each run's per-epoch history, keyed by label (default: the run id)."""
    labels = list(labels) if labels is not None else [run.run_id for run in runs]
    return {label: history.epoch_history(run.events()) for label, run in zip(labels, runs,
                                                                              strict=True)}


def _config_values(config: RunConfig) -> dict[str, str]:
    values = config.to_dict()
    values["learning_rate"] = config.effective_learning_rate
    fields = registry.fields()
    return {name: (fields[name].none_means or headlines.MISSING) if value is None
            else fields[name].format(value) for name, value in values.items()}


def _run_seconds(status: dict[str, Any], result: dict[str, Any]) -> float | None:
    """Wall seconds of the run: the recorded total, or the time since it started."""
    total = (result.get("timings") or {}).get("total_seconds")
    if total is not None:
        return float(total)
    started, ended = status.get("started"), status.get("finished") or status.get("updated")
    if started and ended:
        return max(float(ended) - float(started), 0.0)
    return None


def ensemble_text(runs: Sequence[Run]) -> str | None:
    """What averaging the finished classifiers' test-set outputs gives, beside each run's own
    accuracy; None where it does not apply (fewer than two finished classifiers of one data
    set). Runs that kept no outputs (trained before runs kept them) are named."""
    finished = [run for run in runs if run.status == "finished"
                and headlines.task_of(run.config) == headlines.DEFAULT_TASK]
    if len(finished) < 2 or len({run.config.dataset for run in finished}) > 1:
        return None
    try:
        result = ensemble_result(finished)
    except (EnsembleError, OSError, ValueError, RuntimeError) as error:  # data set missing
        return f"No ensemble of these runs: {error}"
    if result is None:
        return ("No ensemble of these runs: some kept no test-set outputs (trained before "
                "runs kept them).")
    each = ", ".join(f"{value:.4f}" for value in result["member_accuracies"])
    return (f"Averaged, the {len(finished)} finished runs' softmax outputs classify "
            f"{result['test_accuracy']:.4f} of the {result['test_samples']:,} test images "
            f"correctly (an ensemble; each run alone: {each}).")
