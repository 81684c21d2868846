"""The best-settings step: the sweeps' winners per panel, trained longer with early stopping.

For each panel, every sweep in `BEST_SWEEPS` that has scored members under a protocol names a
winner: the value with the best mean validation accuracy (the report's score). The winners
are combined into one configuration (the report did the same after its 10-epoch scan), which
then trains on the protocol's training data with early stopping on validation accuracy,
keeping the best epoch's weights. Under the report's protocol it trains three times, once per
learning-rate schedule (`Protocol.best_variants`): halving the rate whenever validation accuracy
stalls for two epochs (`reduce_lr`), a constant rate, and cosine decay over the 40 epochs (the
sweeps themselves use a constant rate). The run with the best validation accuracy is picked:
the choice is made on validation data, like every other. An optimizer starts at its own
default learning rate, as it did in its sweep.

Then the final fit (`Protocol.final_fit`): the picked settings train once more on every
training image, the tenth held out for validation included, for the number of epochs at which
the picked run's validation accuracy was best, and with its schedule. That run's test accuracy
counts and stands beside the report's. A picked run that halved its rate on plateaus gets no
final fit (the halving watches validation accuracy, which the final fit does not have); its
own test accuracy counts.

Under the report's protocol the run that counts trains with three seeds
(`Protocol.final_seeds`), and their softmax outputs on the test set are averaged: the
ensemble's test accuracy counts (`counted_result`), and each seed's own stands beside it.

`MEASURED` holds what this code measured on this project's machine (docs/benchmarks.md).

Example:
    >>> choice = choose_best(PANELS[0], REPORT, RunStore())
    >>> choice.config.early_stopping, choice.config.monitor
    (True, 'val_accuracy')
    >>> final_fit(choice, RunStore())  # nothing trained yet: not known
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlnn.config import RunConfig
from dlnn.data import DataFileError, DataUnavailableError
from dlnn.ensembles import EnsembleError, ensemble_result
from dlnn.hparams.named import NAMED_SWEEPS, named_sweep
from dlnn.hparams.protocols import REPORT, Panel, Protocol
from dlnn.hparams.results import member_table, summary_table
from dlnn.runs import Run, RunStore
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
    refit: bool = False  # the picked run is trained again on every training image
    seeds: int = 1  # seeds of the run that counts; more than one: their ensemble counts

    @property
    def configs(self) -> tuple[RunConfig, ...]:
        """The runs validation picks from (one per schedule where the protocol asks); the
        final fit depends on the pick (`final_fit`)."""
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
    variants = tuple(config.replace(**dict(variant)).validate()
                     for variant in trains_like.best_variants)
    return BestSettings(panel, protocol, winners, variants[0], variants, trains_like.final_fit,
                        trains_like.final_seeds)


def picked_run(choice: BestSettings, store: RunStore) -> Run | None:
    """The finished run of `choice.configs` with the best validation accuracy (None: none
    finished); its configuration says which schedule it used."""
    finished = [run for run in member_runs(store, list(choice.configs))
                if run is not None and run.status == "finished"]
    if not finished:
        return None
    return max(finished, key=lambda run: max(_validation_scores(run), default=float("-inf")))


def final_fit(choice: BestSettings, store: RunStore) -> RunConfig | None:
    """The picked run's settings on every training image for its best epoch count, or None:
    no final fit (the protocol has none, or the pick halved its rate on plateaus) or not
    known yet (a schedule has not ended, so the pick may change)."""
    if not choice.refit or not _settled(choice, store):
        return None
    picked = picked_run(choice, store)
    if picked is None or picked.config.reduce_lr:
        return None
    scores = _validation_scores(picked)
    if not scores:
        return None
    best_epoch = scores.index(max(scores)) + 1
    return picked.config.replace(validation_fraction=0.0, early_stopping=False,
                                 epochs=best_epoch).validate()


def counted_configs(choice: BestSettings, store: RunStore) -> list[RunConfig]:
    """The runs whose test accuracy counts, once the pick is known (else none): the final fit,
    or the picked run where there is none, with each of `choice.seeds` seeds (its own
    first)."""
    picked = picked_run(choice, store)
    if picked is None or not _settled(choice, store):
        return []
    counted = final_fit(choice, store) or picked.config
    return [counted.replace(seed=counted.seed + offset).validate()
            for offset in range(choice.seeds)]


def wanted_configs(choice: BestSettings, store: RunStore) -> list[RunConfig]:
    """Every run the step trains as far as is known now: the variants, then the runs that
    count once a variant is picked."""
    variants = list(choice.configs)
    return [*variants, *(config for config in counted_configs(choice, store)
                         if config not in variants)]


def counted_runs(choice: BestSettings, store: RunStore) -> list[Run] | None:
    """The finished runs whose test accuracy counts, or None until all have finished."""
    runs = member_runs(store, counted_configs(choice, store))
    if not runs or any(run is None or run.status != "finished" for run in runs):
        return None
    return runs


def counted_result(choice: BestSettings, store: RunStore) -> dict[str, Any] | None:
    """The test accuracy that counts and each seed's own; None until every run has finished
    and (several seeds) kept its softmax outputs (`reproduce task1` fills them in for runs
    trained before they were kept)."""
    runs = counted_runs(choice, store)
    if runs is None:
        return None
    if len(runs) == 1:
        accuracy = (runs[0].result() or {}).get("test_accuracy")
        return None if accuracy is None else {"test_accuracy": accuracy,
                                              "member_accuracies": [accuracy]}
    return ensemble_result(runs)


def _settled(choice: BestSettings, store: RunStore) -> bool:
    """Whether every schedule's run has ended (finished or failed): the pick is final."""
    return all(run is not None and run.status in ("finished", "failed")
               for run in member_runs(store, list(choice.configs)))


def _validation_scores(run: Run) -> list[float]:
    """The validation accuracy of every epoch (0 where an epoch has none)."""
    return [event["metrics"].get("val_accuracy") or 0.0 for event in run.events()
            if event.get("type") == "epoch"]


def schedule_text(config: RunConfig) -> str:
    """`, rate halved on plateaus` or `, cosine rate decay` (nothing for a constant rate)."""
    if config.reduce_lr and config.early_stopping:
        return ", rate halved on plateaus"
    return ", cosine rate decay" if config.lr_schedule == "cosine" else ""


def best_row(choice: BestSettings, store: RunStore) -> dict[str, Any]:
    """The numbers shown for a panel's best settings, beside the report's and the target:
    those of the runs that count (`counted_result`), and the validation that picked them."""
    picked = picked_run(choice, store)
    final = final_fit(choice, store)
    counted = member_runs(store, counted_configs(choice, store))
    problem = ""
    try:
        result = counted_result(choice, store)
    except (EnsembleError, DataFileError, DataUnavailableError) as error:
        result, problem = None, f"ensemble not evaluated: {error}"
    scores = _validation_scores(picked) if picked is not None else []
    ended = [run.status for run in counted if run is not None and run.status in
             ("failed", "cancelled")]
    to_train = sum(run is None or run.status != "finished" for run in counted)
    if picked is None:
        status = "not started"
    elif not _settled(choice, store):
        status = "schedules to train"
    elif ended:
        status = ended[0]
    elif to_train:
        runs = "final fit" if final is not None else "seed"
        status = (f"{runs} to train" if len(counted) == 1
                  else f"{to_train} of {len(counted)} {runs}s to train")
    elif result is None:
        status = problem or "ensemble to evaluate"
    else:
        status = "finished"
    first = (counted[0].result() or {}) if counted and counted[0] is not None else {}
    seconds = [((run.result() or {}).get("timings") or {}).get("fit_seconds")
               for run in counted if run is not None]
    averaged = f", {choice.seeds} seeds averaged" if choice.seeds > 1 else ""
    return {
        "panel": choice.panel.title,
        "protocol": choice.protocol.name,
        "settings": choice.settings_text() + (schedule_text(picked.config) if picked else ""),
        "validation_accuracy": max(scores) if scores else None,
        "final_fit": f"all images, {final.epochs} epochs{averaged}" if final is not None
        else averaged.lstrip(", ") if counted else "",
        "epochs_run": first.get("epochs_run"),
        "train_seconds": sum(seconds) if seconds and None not in seconds else None,
        "test_accuracy": result["test_accuracy"] if result else None,
        "seed_test_accuracies": ", ".join(f"{value:.4f}" for value in
                                          result["member_accuracies"]) if result else "",
        "report_test_accuracy": REPORTED_TEST.get(choice.panel.name),
        "trained_on": "all training images" if choice.full_data
        else f"{choice.config.subset:,} images",
        "target": TARGETS.get(choice.panel.name) if choice.full_data else None,
        "status": status,
        "run_id": ", ".join(run.run_id for run in counted if run is not None),
    }


def _plain(value: Any) -> Any:
    """A numpy scalar from a data frame as the plain Python value a RunConfig holds."""
    return value.item() if hasattr(value, "item") else value


# Measured on this project's 2-core machine, shared with other jobs (docs/benchmarks.md,
# "Task 1: best settings on the full data", "three schedules and a final fit" and "three
# seeds"): each sweep's winners, trained on 54,000 images with early stopping on validation
# accuracy (patience 5, best epoch kept; the cosine schedule runs all 40 epochs), one run per
# schedule; then the final fit of the validation pick on all 60,000 images, seeds 0-2. Only
# the result that counts (the three seeds' averaged outputs) is held against the target.
def _measured(panel: str, settings: str, role: str, epochs: int, seconds: int,
              validation: float | None, test: float, counts: bool = False) -> dict[str, Any]:
    target = TARGETS[panel]
    met = ("yes" if test >= target else "no") if counts else "not counted"
    return {"panel": panel, "settings": settings, "role": role, "epochs": epochs,
            "train s": seconds, "best validation": validation, "test accuracy": test,
            "report": REPORTED_TEST.get(panel), "target": target, "met": met}


def _final_fits(panel: str, pick: str, epochs: int, seeds: tuple[tuple[int, float], ...],
                averaged: float) -> list[dict[str, Any]]:
    """The final fit's rows: each seed's (train seconds, test accuracy), then their averaged
    outputs' test accuracy, which counts."""
    rows = [_measured(panel, f"{pick}, {epochs} epochs, seed 0" if seed == 0
                      else f"the same, seed {seed}", _FINAL, epochs, seconds, None, test)
            for seed, (seconds, test) in enumerate(seeds)]
    total = sum(seconds for seconds, _ in seeds)
    return [*rows, _measured(panel, f"seeds 0-{len(seeds) - 1} averaged", _ENSEMBLE, epochs,
                             total, None, averaged, counts=True)]


_PICK = "report sweeps; validation pick"
_OTHER = "report sweeps; lower validation"
_FINAL = "report sweeps; final fit on all 60,000 images, one seed"
_ENSEMBLE = "report sweeps; the final fit's 3 seeds, outputs averaged (counts)"
_QUICK = "quick sweeps (a class demo; not the step's pick)"
MEASURED: list[dict[str, Any]] = [
    _measured("mlp-keras/mnist", "mlp-keras, adamax (lr 0.002), relu, glorot_normal",
              _PICK, 27, 152, 0.9847, 0.9843),
    _measured("mlp-keras/mnist", "same, rate halved on plateaus", _OTHER, 18, 75, 0.9835,
              0.9834),
    _measured("mlp-keras/mnist", "same, cosine rate decay", _OTHER, 40, 154, 0.9842, 0.9847),
    *_final_fits("mlp-keras/mnist", "the pick (constant rate)", 22,
                 ((91, 0.9830), (92, 0.9838), (86, 0.9839)), 0.9858),
    _measured("mlp-keras/mnist", "mlp-keras, adam (lr 0.001), relu, random_normal", _QUICK,
              15, 137, None, 0.9797),
    _measured("cnn-keras/mnist", "cnn-keras-example, rmsprop (lr 0.001), relu, glorot_uniform, "
              "cosine rate decay", _PICK, 40, 1487, 0.9935, 0.9923),
    _measured("cnn-keras/mnist", "same, rate halved on plateaus", _OTHER, 24, 1450, 0.9930,
              0.9916),
    _measured("cnn-keras/mnist", "same, constant rate", _OTHER, 16, 1188, 0.9925, 0.9922),
    *_final_fits("cnn-keras/mnist", "the pick (cosine)", 36,
                 ((1356, 0.9929), (2012, 0.9940), (1355, 0.9932)), 0.9938),
    _measured("cnn-keras/mnist", "cnn-keras-example, nadam (lr 0.001), tanh, glorot_uniform",
              _QUICK, 15, 2759, None, 0.9851),
    _measured("mlp-keras/fashion-mnist", "mlp-keras, nadam (lr 0.001), relu, random_uniform, "
              "cosine rate decay", _PICK, 40, 160, 0.9140, 0.9036),
    _measured("mlp-keras/fashion-mnist", "same, rate halved on plateaus", _OTHER, 39, 153,
              0.9107, 0.9018),
    _measured("mlp-keras/fashion-mnist", "same, constant rate", _OTHER, 19, 136, 0.8988, 0.8884),
    *_final_fits("mlp-keras/fashion-mnist", "the pick (cosine)", 40,
                 ((166, 0.9081), (237, 0.9054), (202, 0.9068)), 0.9105),
    _measured("mlp-keras/fashion-mnist", "mlp-keras, adamax (lr 0.002), tanh, random_normal",
              _QUICK, 16, 134, None, 0.8785),
    _measured("cnn-fashion/fashion-mnist", "cnn-keras-example, adadelta (lr 1), elu, "
              "glorot_normal, cosine rate decay", _PICK, 40, 1558, 0.9215, 0.9203),
    _measured("cnn-fashion/fashion-mnist", "same, rate halved on plateaus", _OTHER, 35, 1281,
              0.9205, 0.9195),
    _measured("cnn-fashion/fashion-mnist", "same, constant rate", _OTHER, 21, 1258, 0.9173,
              0.9106),
    *_final_fits("cnn-fashion/fashion-mnist", "the pick (cosine)", 36,
                 ((1993, 0.9231), (1354, 0.9236), (1335, 0.9211)), 0.9254),
    _measured("cnn-fashion/fashion-mnist", "cnn-keras, adam (lr 0.001), linear, glorot_uniform",
              _QUICK, 13, 97, None, 0.8888),
]
