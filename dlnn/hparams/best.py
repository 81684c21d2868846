"""The best-settings step: the sweeps' winners per panel, trained longer with early stopping.

For each panel, every sweep in `BEST_SWEEPS` that has scored members under a protocol names a
winner: the value with the best mean validation accuracy (the report's score). The winners
are combined into one configuration (the report did the same after its 10-epoch scan), which
then trains on the protocol's training data with early stopping on validation accuracy,
keeping the best epoch's weights. Under the report's protocol it trains twice, with and without
halving the learning rate whenever validation accuracy stalls for two epochs (`reduce_lr`; the
sweeps themselves use none), and the run with the better validation accuracy counts: the
choice is made on validation data, like every other. An optimizer starts at its own default
learning rate, as it did in its sweep. Its test accuracy stands beside the report's.

`MEASURED` holds what this code measured on this project's machine (docs/benchmarks.md).

Example:
    >>> choice = choose_best(PANELS[0], REPORT, RunStore())
    >>> choice.config.early_stopping, choice.config.monitor
    (True, 'val_accuracy')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlnn.config import RunConfig
from dlnn.hparams.named import NAMED_SWEEPS, named_sweep
from dlnn.hparams.protocols import REPORT, Panel, Protocol
from dlnn.hparams.results import member_table, summary_table
from dlnn.runs import RunStore
from dlnn.sweeps import member_runs

# The sweeps whose winners make the best settings, in the order they are applied.
BEST_SWEEPS: tuple[str, ...] = ("models", "optimizers", "activations", "initializers")
# Test accuracy the report gives (Task 2, unpermuted data); it gives no CNN number.
REPORTED_TEST: dict[str, float] = {"mlp-keras/mnist": 0.9831, "mlp-keras/fashion-mnist": 0.8824}
# The targets for the best settings, full data, test accuracy.
TARGETS: dict[str, float] = {
    "mlp-keras/mnist": 0.984, "cnn-keras/mnist": 0.990,
    "mlp-keras/fashion-mnist": 0.890, "cnn-fashion/fashion-mnist": 0.920,
}


@dataclass(frozen=True)
class Winner:
    """The value a sweep found best for a panel."""

    sweep: str
    field: str
    value: Any
    score: float  # mean best validation accuracy over seeds
    members: int  # values that had a score


@dataclass(frozen=True)
class BestSettings:
    """A panel's best-settings configuration and the winners it combines."""

    panel: Panel
    protocol: Protocol
    winners: tuple[Winner, ...]
    config: RunConfig
    variants: tuple[RunConfig, ...] = ()  # the runs to train; `config` is the first

    @property
    def configs(self) -> tuple[RunConfig, ...]:
        """Every run the step trains (with and without `reduce_lr` where the protocol asks)."""
        return self.variants or (self.config,)

    @property
    def full_data(self) -> bool:
        """Whether the run trains on all training images (where the targets apply)."""
        return self.config.subset is None

    @property
    def missing(self) -> tuple[str, ...]:
        """The sweeps of `BEST_SWEEPS` that had no score yet (their field keeps the default)."""
        found = {winner.sweep for winner in self.winners}
        return tuple(name for name in BEST_SWEEPS if name not in found)

    def settings_text(self) -> str:
        """`cnn-keras-example, adam (lr 0.001), relu, glorot_uniform`."""
        config = self.config
        return (f"{config.model}, {config.optimizer} (lr {config.effective_learning_rate:g}), "
                f"{config.activation}, {config.initializer}")


def sweep_winner(name: str, panel: Panel, protocol: Protocol, store: RunStore,
                 seeds: tuple[int, ...] = ()) -> Winner | None:
    """The value of sweep `name` with the best mean validation accuracy, or None when no
    member has a score."""
    sweep = named_sweep(name, panel, protocol, seeds)
    members = sweep.members()
    table = member_table(members, member_runs(store, [m.config for m in members]))
    table = table[table["status"] == "finished"]
    summary = summary_table(table, sweep.fields)
    summary = summary[summary["best_val_accuracy"].notna()]
    if summary.empty:
        return None
    top = summary.iloc[0]
    field = NAMED_SWEEPS[name].field
    return Winner(name, field, _plain(top[field]), float(top["best_val_accuracy"]),
                  len(summary))


def best_config(panel: Panel, protocol: Protocol, changes: dict[str, Any]) -> RunConfig:
    """The panel's defaults with `changes`, trained with early stopping under `protocol`."""
    config = panel.base().replace(**changes)
    if "optimizer" in changes:
        config = config.replace(learning_rate=None)
    return config.replace(
        subset=protocol.best_subset, epochs=protocol.best_epochs, early_stopping=True,
        monitor="val_accuracy", patience=protocol.best_patience, restore_best=True,
    ).validate()


def choose_best(panel: Panel, protocol: Protocol, store: RunStore,
                seeds: tuple[int, ...] = (), full_data: bool = False) -> BestSettings:
    """Combine the winners of `BEST_SWEEPS` for one panel (missing sweeps keep defaults).

    The run trains the way `protocol` trains its best settings, or with `full_data` on all
    training images as the report protocol does (quick sweeps pick, the full data decides).
    """
    winners = tuple(winner for name in BEST_SWEEPS
                    if NAMED_SWEEPS[name].applies(panel)
                    and (winner := sweep_winner(name, panel, protocol, store, seeds)))
    changes = {winner.field: winner.value for winner in winners}
    trains_like = REPORT if full_data else protocol
    config = best_config(panel, trains_like, changes)
    variants = tuple(config.replace(reduce_lr=value) for value in trains_like.best_reduce_lr)
    return BestSettings(panel, protocol, winners, variants[0], variants)


def final_run(choice: BestSettings, store: RunStore) -> Any:
    """The finished run of `choice` with the best validation accuracy (None: none finished);
    its configuration says whether it halved the learning rate."""
    finished = [run for run in member_runs(store, list(choice.configs))
                if run is not None and run.status == "finished"]
    if not finished:
        return None
    return max(finished, key=lambda run: _best_validation(run))


def _best_validation(run: Any) -> float:
    scores = [event["metrics"].get("val_accuracy") for event in run.events()
              if event.get("type") == "epoch"]
    return max((score for score in scores if score is not None), default=float("-inf"))


def best_row(choice: BestSettings, run: Any) -> dict[str, Any]:
    """The numbers shown for a best-settings run, beside the report's and the target."""
    result = (run.result() or {}) if run is not None else {}
    timings = result.get("timings") or {}
    halved = run is not None and run.config.reduce_lr
    return {
        "panel": choice.panel.title,
        "protocol": choice.protocol.name,
        "settings": choice.settings_text() + (", rate halved on plateaus" if halved else ""),
        "epochs_run": result.get("epochs_run"),
        "train_seconds": timings.get("fit_seconds"),
        "test_accuracy": result.get("test_accuracy"),
        "report_test_accuracy": REPORTED_TEST.get(choice.panel.name),
        "trained_on": "all training images" if choice.full_data
        else f"{choice.config.subset:,} images",
        "target": TARGETS.get(choice.panel.name) if choice.full_data else None,
        "status": "not started" if run is None else run.status,
        "run_id": "" if run is None else run.run_id,
    }


def _plain(value: Any) -> Any:
    """A numpy scalar from a data frame as the plain Python value a RunConfig holds."""
    return value.item() if hasattr(value, "item") else value


# Measured on this project's 2-core machine, shared with other jobs (docs/benchmarks.md,
# "Task 1: best settings on the full data"): each sweep's winners, trained on 54,000 images
# with early stopping on validation accuracy (patience 5, best epoch kept).
def _measured(panel: str, settings: str, picked_by: str, epochs: int, seconds: int,
              test: float) -> dict[str, Any]:
    target = TARGETS[panel]
    return {"panel": panel, "settings": settings, "picked by": picked_by, "epochs": epochs,
            "train s": seconds, "test accuracy": test, "report": REPORTED_TEST.get(panel),
            "target": target, "met": "yes" if test >= target else "no"}


MEASURED: list[dict[str, Any]] = [
    _measured("mlp-keras/mnist", "mlp-keras, adamax (lr 0.002), relu, glorot_normal",
              "report sweeps", 27, 152, 0.9843),
    # The same with the rate halved on plateaus: validation 0.9835 against 0.9847, so the run
    # above counts (the better validation accuracy of the two).
    _measured("mlp-keras/mnist", "mlp-keras, adamax (lr 0.002), relu, glorot_normal, rate "
              "halved on plateaus", "report sweeps (lower validation: not counted)", 18, 75,
              0.9834),
    _measured("mlp-keras/mnist", "mlp-keras, adam (lr 0.001), relu, random_normal",
              "quick sweeps", 15, 137, 0.9797),
    _measured("mlp-keras/fashion-mnist", "mlp-keras, nadam (lr 0.001), relu, random_uniform, "
              "rate halved on plateaus", "report sweeps", 39, 153, 0.9018),
    _measured("mlp-keras/fashion-mnist", "mlp-keras, nadam (lr 0.001), relu, random_uniform",
              "report sweeps (lower validation: not counted)", 19, 136, 0.8884),
    _measured("mlp-keras/fashion-mnist", "mlp-keras, adamax (lr 0.002), tanh, random_normal",
              "quick sweeps", 16, 134, 0.8785),
    _measured("cnn-keras/mnist", "cnn-keras-example, nadam (lr 0.001), tanh, glorot_uniform",
              "quick sweeps", 15, 2759, 0.9851),
    _measured("cnn-keras/mnist", "cnn-keras-example, rmsprop (lr 0.001), relu, glorot_uniform, "
              "rate halved on plateaus", "report sweeps", 24, 1450, 0.9916),
    _measured("cnn-keras/mnist", "cnn-keras-example, rmsprop (lr 0.001), relu, glorot_uniform",
              "report sweeps (lower validation: not counted)", 16, 1188, 0.9922),
    _measured("cnn-fashion/fashion-mnist", "cnn-keras, adam (lr 0.001), linear, glorot_uniform",
              "quick sweeps", 13, 97, 0.8888),
    _measured("cnn-fashion/fashion-mnist", "cnn-keras-example, adadelta (lr 1), elu, "
              "glorot_normal, rate halved on plateaus", "report sweeps", 35, 1281, 0.9195),
    _measured("cnn-fashion/fashion-mnist", "cnn-keras-example, adadelta (lr 1), elu, "
              "glorot_normal", "report sweeps (lower validation: not counted)", 21, 1258,
              0.9106),
]
