"""Task 2's numbers: test accuracy on original and permuted pixels, the difference, its spread.

`seed_table` reads a study's runs into one row per data set, model and seed (the two test
accuracies and their difference, permuted minus original: the two runs share the seed, so the
difference is paired). `summary_table` averages the seeds: mean and standard deviation of each
accuracy and of the difference, and a `verdict` that says in words whether the difference is
larger than its spread over seeds (an effect of the permutation) or within it (noise).
`REPORTED` and `PUBLIC` hold the report's numbers and public re-implementations' to print
beside ours. Pure pandas: nothing here trains or imports TensorFlow.

Example:
    >>> verdict(-0.005, 0.001, 3).kind
    'effect'
    >>> verdict(0.0003, 0.0012, 3).kind
    'noise'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dlnn import registry
from dlnn.permlab.study import RunKey, StudyPlan
from dlnn.runs import Run

# The report's test accuracies (SPEC.md, Task 2), by data set and kind of network; the report
# gives the CNNs' differences only. Difference = permuted minus original.
REPORTED: dict[tuple[str, str], dict[str, Any]] = {
    ("mnist", "mlp"): {"model": "mlp-keras", "original": 0.9831, "permuted": 0.9836,
                       "difference": 0.0005},
    ("mnist", "cnn"): {"model": "cnn-keras", "original": None, "permuted": None,
                       "difference": -0.005},
    ("fashion-mnist", "mlp"): {"model": "mlp-keras", "original": 0.8824, "permuted": 0.8819,
                               "difference": -0.0005},
    ("fashion-mnist", "cnn"): {"model": "cnn-fashion", "original": None, "permuted": None,
                               "difference": -0.002},
}
# Public re-implementations of the same assignment (SPEC.md): CNNs on MNIST.
PUBLIC: tuple[dict[str, Any], ...] = (
    {"source": "public re-implementation", "dataset": "mnist", "model": "small CNN",
     "original": 0.9897, "permuted": 0.9533, "difference": -0.0364},
    {"source": "another public re-implementation", "dataset": "mnist", "model": "CNN",
     "original": 0.9839, "permuted": 0.8802, "difference": -0.1037},
)
# `python -m dlnn reproduce task2` on the project's 2-core machine (docs/benchmarks.md): all
# images, early stopping, seeds 0, 1, 2; means and standard deviations over the seeds.
MEASURED: tuple[dict[str, Any], ...] = (
    {"dataset": "mnist", "model": "mlp-keras", "original": 0.9810, "permuted": 0.9811,
     "difference": 0.0001, "difference_std": 0.0019, "seeds": 3},
    {"dataset": "mnist", "model": "cnn-keras", "original": 0.9882, "permuted": 0.9747,
     "difference": -0.0135, "difference_std": 0.0020, "seeds": 3},
    {"dataset": "fashion-mnist", "model": "mlp-keras", "original": 0.8826, "permuted": 0.8746,
     "difference": -0.0080, "difference_std": 0.0055, "seeds": 3},
    {"dataset": "fashion-mnist", "model": "cnn-fashion", "original": 0.9052,
     "permuted": 0.8802, "difference": -0.0250, "difference_std": 0.0051, "seeds": 3},
)
EFFECT_SPREADS = 2.0  # a mean difference beyond twice its spread is an effect, within one noise
SEED_COLUMNS = ("dataset", "model", "seed", "original", "permuted", "difference",
                "original_epochs", "permuted_epochs", "original_run", "permuted_run")
SUMMARY_COLUMNS = ("dataset", "model", "seeds", "original", "permuted", "difference",
                   "original_std", "permuted_std", "difference_std", "verdict", "sentence")


def model_kind(model: str) -> str:
    """`cnn` for a convolutional zoo model (it takes a channel axis), else `mlp`."""
    spec = registry.models().get(model)
    return "cnn" if spec is not None and spec.channels else "mlp"


def _finished(run: Run | None) -> dict[str, Any] | None:
    if run is None or run.status != "finished":
        return None
    return run.result()


def seed_table(plan: StudyPlan, runs: dict[RunKey, Run | None]) -> pd.DataFrame:
    """One row per data set, model and seed; accuracies are NaN where a run is not finished."""
    rows = []
    for seed in plan.seeds:
        for dataset, model in plan.cells:
            row: dict[str, Any] = {"dataset": dataset, "model": model, "seed": seed}
            for permuted, name in ((False, "original"), (True, "permuted")):
                run = runs.get(RunKey(dataset, model, permuted, seed))
                result = _finished(run) or {}
                row[name] = result.get("test_accuracy", math.nan)
                row[f"{name}_epochs"] = result.get("epochs_run")
                row[f"{name}_run"] = run.run_id if run is not None else None
            row["difference"] = row["permuted"] - row["original"]
            rows.append(row)
    return pd.DataFrame(rows, columns=list(SEED_COLUMNS))


@dataclass(frozen=True)
class Verdict:
    """Whether a mean difference stands out of its spread over seeds.

    Attributes:
        kind: `effect`, `noise`, `unclear`, `one seed` or `no runs`.
        sentence: the same in plain words, with the numbers.
    """

    kind: str
    sentence: str


def verdict(mean: float, std: float, seeds: int) -> Verdict:
    """Compare the mean paired difference with its standard deviation over `seeds` seeds.

    An effect when the mean is more than `EFFECT_SPREADS` standard deviations from zero,
    noise when it is within one, unclear between (more seeds would tell).
    """
    if seeds == 0 or math.isnan(mean):
        return Verdict("no runs", "not trained yet")
    if seeds == 1:
        return Verdict("one seed", f"the difference is {mean:+.4f} with one seed, which has no "
                       "spread to compare it with: repeat the runs with 3 seeds")
    numbers = f"{mean:+.4f} ± {std:.4f} over {seeds} seeds"
    if abs(mean) > EFFECT_SPREADS * std:
        times = "" if std == 0 else f", {abs(mean) / std:.1f} times its spread"
        direction = "drop" if mean < 0 else "gain"
        return Verdict("effect", f"the difference is {numbers}{times}: a {direction} caused "
                       "by the permutation, not noise")
    if abs(mean) <= std:
        return Verdict("noise", f"the difference is {numbers}, within its spread: noise, "
                       "the permutation changes nothing")
    return Verdict("unclear", f"the difference is {numbers}, {abs(mean) / std:.1f} times its "
                   f"spread: between noise and effect; more seeds would tell")


def summary_table(seeds: pd.DataFrame) -> pd.DataFrame:
    """Mean and spread over seeds per data set and model, with the verdict on the difference.

    Only seeds where both runs finished count (the difference is paired); standard deviations
    are the sample's (ddof=1), NaN for a single seed.
    """
    rows = []
    for (dataset, model), group in seeds.groupby(["dataset", "model"], sort=False):
        pairs = group.dropna(subset=["original", "permuted"])
        n = len(pairs)
        row: dict[str, Any] = {"dataset": dataset, "model": model, "seeds": n}
        for name in ("original", "permuted", "difference"):
            row[name] = pairs[name].mean() if n else math.nan
            row[f"{name}_std"] = pairs[name].std(ddof=1) if n > 1 else math.nan
        found = verdict(row["difference"], row["difference_std"], n)
        row["verdict"] = found.kind
        row["sentence"] = f"{model} on {dataset}: {found.sentence}."
        rows.append(row)
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def comparison_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Our mean test accuracies beside the report's, one row per data set and model."""
    rows = []
    for row in summary.itertuples(index=False):
        reported = REPORTED.get((row.dataset, model_kind(row.model)), {})
        rows.append({
            "data set": row.dataset, "model": row.model, "seeds": row.seeds,
            "original": row.original, "permuted": row.permuted,
            "difference": row.difference, "± (std of difference)": row.difference_std,
            "report's model": reported.get("model"),
            "report original": reported.get("original"),
            "report permuted": reported.get("permuted"),
            "report difference": reported.get("difference"),
        })
    return pd.DataFrame(rows)


def measured_table() -> pd.DataFrame:
    """The full study as measured on the project's machine, with each difference's verdict."""
    rows = [{**row, "verdict": verdict(row["difference"], row["difference_std"],
                                       row["seeds"]).kind} for row in MEASURED]
    return pd.DataFrame(rows)


def public_table() -> pd.DataFrame:
    """The public re-implementations' numbers."""
    return pd.DataFrame(list(PUBLIC))


def summary_json(summary: pd.DataFrame) -> dict[str, dict[str, dict[str, Any]]]:
    """`{data set: {model: {original, permuted, difference[, spread]}}}` for `--json`.

    The spread (standard deviations and the verdict) is there when more than one seed
    finished; a number that could not be computed is null.
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for row in summary.itertuples(index=False):
        entry: dict[str, Any] = {
            "original": _number(row.original), "permuted": _number(row.permuted),
            "difference": _number(row.difference), "seeds": int(row.seeds),
        }
        if row.seeds > 1:
            entry["spread"] = {"original_std": _number(row.original_std),
                               "permuted_std": _number(row.permuted_std),
                               "difference_std": _number(row.difference_std),
                               "verdict": row.verdict}
        entry["sentence"] = row.sentence
        out.setdefault(row.dataset, {})[row.model] = entry
    return out


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 6)


def curve_histories(plan: StudyPlan, runs: dict[RunKey, Run | None], seed: int | None = None
                    ) -> dict[tuple[str, str], dict[str, pd.DataFrame | None]]:
    """Per-epoch histories of one seed's runs (default the first), for `figures.curve_panels`.

    A run still training gives the epochs it has finished so far.
    """
    from dlnn.history import epoch_history

    chosen = plan.seeds[0] if seed is None else seed
    histories: dict[tuple[str, str], dict[str, pd.DataFrame | None]] = {}
    for dataset, model in plan.cells:
        pair: dict[str, pd.DataFrame | None] = {}
        for permuted, name in ((False, "original"), (True, "permuted")):
            run = runs.get(RunKey(dataset, model, permuted, chosen))
            pair[name] = epoch_history(run.events()) if run is not None else None
        histories[(dataset, model)] = pair
    return histories


def status_table(runs: dict[RunKey, Run | None]) -> pd.DataFrame:
    """Every run of a study: where it stands, its epochs and test accuracy, its id."""
    rows = []
    for key, run in runs.items():
        result = (run.result() if run is not None else None) or {}
        rows.append({"data set": key.dataset, "model": key.model,
                     "pixels": "permuted" if key.permuted else "original", "seed": key.seed,
                     "status": run.status if run is not None else "not started",
                     "epochs": result.get("epochs_run"),
                     "test accuracy": result.get("test_accuracy"),
                     "run": run.run_id if run is not None else None})
    return pd.DataFrame(rows)
