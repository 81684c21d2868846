"""The Task 1 lab's engine: named sweeps, protocols, plans, tables, figures, best settings.

Runs are hand-made in a temporary run store (tests/fake_runs.py), so nothing trains here.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from dlnn import data, sweeps
from dlnn.config import ConfigError, RunConfig
from dlnn.hparams import plan as plans
from dlnn.hparams.best import (
    BEST_SWEEPS,
    MEASURED,
    TARGETS,
    best_row,
    choose_best,
    counted_configs,
    counted_result,
    counted_runs,
    final_fit,
    picked_run,
    wanted_configs,
)
from dlnn.hparams.named import FIGURES, LEARNING_RATES, NAMED_SWEEPS, named_sweep
from dlnn.hparams.plots import hparams_view, seed_statistics, sweep_figure
from dlnn.hparams.protocols import PANELS, QUICK, REPORT, Panel
from dlnn.hparams.results import (
    apply_brushes,
    display_table,
    member_table,
    near_chance,
    runs_table,
    summary_table,
    varying_fields,
)
from dlnn.runs import RunStore
from tests.fake_runs import write_run

MLP_MNIST, CNN_MNIST, MLP_FASHION, CNN_FASHION = PANELS


# -- named sweeps and protocols ---------------------------------------------------------------
@pytest.mark.parametrize(("name", "count"), [("optimizers", 7), ("activations", 7),
                                             ("initializers", 6)])
@pytest.mark.parametrize("panel", PANELS, ids=lambda panel: panel.name)
def test_the_reports_figures_expand_over_every_panel(name, count, panel) -> None:
    members = named_sweep(name, panel, REPORT).members()
    assert len(members) == count
    for member in members:
        config = member.config
        assert (config.model, config.dataset) == (panel.model, panel.dataset)
        assert (config.epochs, config.subset, config.early_stopping) == (10, None, False)
        assert (config.validation_fraction, config.batch_size) == (0.1, 128)
    assert [m.value(NAMED_SWEEPS[name].field) for m in members] == list(
        NAMED_SWEEPS[name].values)


def test_optimizers_train_at_their_own_default_rates() -> None:
    rates = {m.value("optimizer"): m.config.effective_learning_rate
             for m in named_sweep("optimizers", MLP_MNIST, QUICK).members()}
    assert rates == {"sgd": 0.01, "rmsprop": 0.001, "adagrad": 0.01, "adadelta": 1.0,
                     "adam": 0.001, "adamax": 0.002, "nadam": 0.001}


def test_the_quick_protocol_is_a_seeded_subset_and_says_so() -> None:
    sweep = named_sweep("activations", CNN_FASHION, QUICK, seeds=(0, 1, 2))
    members = sweep.members()
    assert len(members) == 21 and {m.config.subset for m in members} == {5000}
    assert {m.config.epochs for m in members} == {3}
    assert [m.config.seed for m in members[:3]] == [0, 1, 2]
    assert QUICK.describe(sweep.base) == QUICK.label and "QUICK" in QUICK.label
    assert QUICK.describe(sweep.base.replace(epochs=2)) == (
        "QUICK protocol (class demo), changed: 4,500 training images, 2 epochs, "
        "no early stopping")
    assert REPORT.describe(REPORT.apply(MLP_MNIST.base())) == REPORT.label


def test_the_other_named_sweeps() -> None:
    assert LEARNING_RATES == sweeps.Axis.spaced("learning_rate", 1e-4, 1e-2, 5).values
    assert named_sweep("models", MLP_MNIST, REPORT).axes[0].values == ("mlp-geron", "mlp-keras")
    assert named_sweep("models", CNN_FASHION, REPORT).axes[0].values == (
        "cnn-keras", "cnn-fashion", "cnn-keras-example")
    kernels = named_sweep("kernel_size", CNN_MNIST, REPORT).members()
    assert [m.config.kernel_size for m in kernels] == [2, 3, 5, 7]
    assert not NAMED_SWEEPS["pooling"].applies(MLP_MNIST)
    assert NAMED_SWEEPS["pooling"].applies(CNN_MNIST)
    assert FIGURES == ("optimizers", "activations", "initializers")


# -- plans ------------------------------------------------------------------------------------
def test_a_plan_round_trips_through_its_url() -> None:
    plan = plans.Plan(plans.CUSTOM, QUICK, (MLP_MNIST, CNN_FASHION), seeds=3,
                      axes=(sweeps.Axis("optimizer", ("sgd", "adam")),
                            sweeps.Axis("dropout", (0.0, 0.5))),
                      changes=(("epochs", 2), ("subset", 1000)))
    query = plan.to_query()
    assert query == {"sweep": "custom", "protocol": "quick",
                     "panels": "mlp-keras/mnist,cnn-fashion/fashion-mnist", "seeds": "3",
                     "vary1": "optimizer:sgd,adam", "vary2": "dropout:0.0,0.5",
                     "epochs": "2", "subset": "1000"}
    again = plans.Plan.from_query(query)
    assert again == plan
    configs = again.configs()
    assert len(configs) == 2 * 2 * 2 * 3
    assert {(c.epochs, c.subset) for c in configs} == {(2, 1000)}
    assert again.title == "custom: optimizer x dropout"


@pytest.mark.parametrize(("query", "field"), [
    ({"sweep": "optimisers"}, "sweep"),
    ({"sweep": "optimizers", "panels": "mlp-keras/mnist", "protocol": "slow"}, "protocol"),
    ({"sweep": "optimizers", "panels": "resnet/mnist"}, "model"),
    ({"sweep": "optimizers", "panels": "mlp-keras/cifar"}, "dataset"),
    ({"sweep": "optimizers", "panels": ""}, "panels"),
    ({"sweep": "optimizers", "panels": "mlp-keras/mnist", "seeds": "11"}, "seeds"),
    ({"sweep": "optimizers", "panels": "mlp-keras/mnist", "epochs": "0"}, "epochs"),
    ({"sweep": "optimizers", "panels": "mlp-keras/mnist", "optimizer": "adam"}, "optimizer"),
    ({"sweep": "pooling", "panels": "mlp-keras/mnist"}, "panels"),
    ({"sweep": "custom", "panels": "mlp-keras/mnist", "vary1": "batch_size:32,x"}, "batch_size"),
    ({"sweep": "custom", "panels": "mlp-keras/mnist", "vary1": "batch_size"}, "vary"),
    ({"sweep": "custom", "panels": "mlp-keras/mnist"}, "vary"),
])
def test_a_bad_plan_names_the_field(query, field) -> None:
    with pytest.raises(ConfigError) as error:
        plans.Plan.from_query(query).configs()
    assert error.value.field == field


# -- tables -----------------------------------------------------------------------------------
def _stored_sweep(store: RunStore, scores: dict[str, tuple[float, ...]], seeds: int = 1
                  ) -> tuple[list, list]:
    """Members of the quick optimizer sweep on the MLP/MNIST panel, one score list per
    optimizer and seed (its per-epoch validation accuracy); others stay untrained."""
    sweep = named_sweep("optimizers", MLP_MNIST, QUICK, tuple(range(seeds)) if seeds > 1 else ())
    members = sweep.members()
    runs = []
    for member in members:
        curve = scores.get(f"{member.value('optimizer')}/{member.seed}")
        runs.append(None if curve is None else write_run(
            store, member.config, "finished", epochs_done=len(curve), val_accuracies=curve))
    return members, runs


def test_the_summary_is_best_first_with_mean_and_spread_over_seeds(dlnn_dirs: Path) -> None:
    members, runs = _stored_sweep(RunStore(), {
        "adam/0": (0.8, 0.9), "adam/1": (0.85, 0.95),
        "sgd/0": (0.3, 0.5), "sgd/1": (0.45, 0.4),
        "rmsprop/0": (0.7, 0.8),
    }, seeds=2)
    rows = member_table(members, runs)
    assert len(rows) == 14
    adam = rows[rows["optimizer"] == "adam"]
    assert list(adam["best_val_accuracy"]) == [0.9, 0.95]
    table = summary_table(rows, ["optimizer"])
    assert list(table["optimizer"][:3]) == ["adam", "rmsprop", "sgd"]
    top = table.iloc[0]
    assert top["best_val_accuracy"] == pytest.approx(0.925)
    assert top["best_val_accuracy_std"] == pytest.approx(math.sqrt(2) * 0.025)
    assert (top["seeds"], top["best_epoch"], top["learning_rate_used"]) == (2, 2, 0.001)
    assert table.iloc[2]["best_epoch"] == 1.5  # sgd peaked at epoch 2 and at epoch 1
    assert math.isnan(table.iloc[1]["best_val_accuracy_std"])  # one seed: no spread
    assert table.iloc[1]["status"] == "1 finished, 1 not started"
    assert table.iloc[-1]["status"] == "not started"
    shown = display_table(table)
    assert list(shown.iloc[0][["best_val_accuracy", "learning_rate_used"]]) == [
        "0.9250 ± 0.0354", "0.001"]
    assert shown.iloc[1]["best_val_accuracy"] == "0.8000"
    assert "run_ids" not in shown.columns


def test_near_chance_members_are_found(dlnn_dirs: Path) -> None:
    members, runs = _stored_sweep(RunStore(), {"sgd/0": (0.11, 0.12), "adam/0": (0.8, 0.9)})
    stuck = near_chance(member_table(members, runs))
    assert list(stuck["optimizer"]) == ["sgd"]


def test_any_runs_as_a_table_with_the_fields_that_differ(dlnn_dirs: Path) -> None:
    store = RunStore()
    base = RunConfig(model="mlp-keras", epochs=2, subset=40, batch_size=8)
    for optimizer, dropout, score in (("sgd", 0.2, 0.5), ("adam", 0.2, 0.9),
                                      ("adam", 0.5, 0.7)):
        write_run(store, base.replace(optimizer=optimizer, dropout=dropout), "finished",
                  val_accuracies=(0.1, score))
    table = runs_table(store.list())
    assert varying_fields(table) == ["optimizer", "dropout", "learning_rate_used"]
    kept = apply_brushes(table, {"optimizer": ["adam"], "dropout": (0.3, 0.6)})
    assert list(kept["best_val_accuracy"]) == [0.7]
    assert len(apply_brushes(table, {"learning_rate_used": (0.005, 0.02)})) == 1
    assert apply_brushes(table, {}).equals(table)
    write_run(store, base.replace(subset=None, dropout=0.2), "finished")
    table = runs_table(store.list())
    assert sorted(table["subset"]) == ["40", "40", "40", "none"]  # an axis for "all images"
    assert "subset" in varying_fields(table)
    assert list(apply_brushes(table, {"subset": ["None"]})["subset"]) == ["none"]


# -- figures ----------------------------------------------------------------------------------
def _history(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"epoch": range(1, len(values) + 1), "val_accuracy": values})


def test_the_four_panel_figure_has_one_trace_per_value_and_panel() -> None:
    panels = {panel.title: {"optimizer=sgd": [_history([0.5, 0.6, 0.7])],
                            "optimizer=adam": [_history([0.9, 0.95])]}
              for panel in PANELS}
    fig = sweep_figure(panels, title="Figure 1: optimizers", note=QUICK.label)
    assert len(fig.data) == 8
    assert [trace.name for trace in fig.data[:2]] == ["optimizer=sgd", "optimizer=adam"]
    assert list(fig.data[0].x) == [1, 2, 3] and list(fig.data[0].y) == [0.5, 0.6, 0.7]
    assert list(fig.data[1].y) == [0.9, 0.95]
    assert [trace.xaxis for trace in fig.data[::2]] == ["x", "x2", "x3", "x4"]
    # One legend entry per value; its colour is the same in every panel.
    assert [trace.showlegend for trace in fig.data] == [True, True] + [False] * 6
    assert len({trace.line.color for trace in fig.data[::2]}) == 1
    assert [a.text for a in fig.layout.annotations] == [panel.title for panel in PANELS]
    assert "QUICK protocol" in fig.layout.title.text


def test_seeds_give_a_mean_line_over_a_band() -> None:
    panels = {"MLP · MNIST": {"optimizer=adam": [_history([0.8, 0.9]), _history([0.6, 0.7]),
                                                 _history([0.7])]}}
    band, line = sweep_figure(panels).data
    assert band.fill == "toself" and band.name == "optimizer=adam (seed range)"
    assert list(band.x) == [1, 2, 2, 1]
    assert list(band.y) == pytest.approx([0.8, 0.9, 0.7, 0.6])  # highest, then lowest back
    assert list(line.y) == pytest.approx([0.7, 0.8])
    assert list(line.customdata) == [3, 2]  # seeds behind each point
    stats = seed_statistics([_history([0.8]), _history([0.6])], "val_accuracy")
    assert list(stats["mean"]) == pytest.approx([0.7])


def test_an_empty_sweep_gives_an_empty_figure() -> None:
    fig = sweep_figure({"MLP · MNIST": {}})
    assert not fig.data and fig.layout.annotations[0].text == "no data yet"


def test_parallel_coordinates_has_one_axis_per_varying_field() -> None:
    table = pd.DataFrame({
        "optimizer": ["sgd", "adam", "adadelta"],
        "dropout": [0.2, 0.5, 0.2],
        "learning_rate_used": [0.01, 0.001, 1.0],
        "best_val_accuracy": [0.9, 0.97, 0.95],
    })
    brushes = {"optimizer": ["adam", "adadelta"], "dropout": (0.1, 0.3)}
    trace = hparams_view(table, ["optimizer", "dropout", "learning_rate_used"],
                         brushes=brushes).data[0]
    optimizer, dropout, rate, score = trace.dimensions
    assert list(optimizer.values) == [0, 1, 2]
    assert list(optimizer.ticktext) == ["sgd", "adam", "adadelta"]
    assert list(optimizer.tickvals) == [0, 1, 2]
    assert [list(r) for r in optimizer.constraintrange] == [[0.75, 1.25], [1.75, 2.25]]
    assert list(dropout.constraintrange) == [0.1, 0.3]
    # The learning rate spans four decades: a log axis labelled with the rates.
    assert rate.label == "learning_rate_used (log)"
    assert list(rate.values) == pytest.approx([-2, -3, 0])
    assert list(rate.ticktext) == ["0.001", "0.01", "1"]
    assert score.label == "best_val_accuracy"
    assert list(trace.line.color) == [0.9, 0.97, 0.95]


# -- best settings ----------------------------------------------------------------------------
def test_best_settings_combine_the_sweeps_winners(dlnn_dirs: Path) -> None:
    store = RunStore()
    winners = {"models": "mlp-geron", "optimizers": "adam", "activations": "elu",
               "initializers": "glorot_uniform"}
    for name in BEST_SWEEPS:
        for member in named_sweep(name, MLP_MNIST, REPORT).members():
            value = member.value(NAMED_SWEEPS[name].field)
            score = 0.97 if value == winners[name] else 0.95
            write_run(store, member.config, "finished", epochs_done=2,
                      val_accuracies=(0.5, score))
    choice = choose_best(MLP_MNIST, REPORT, store)
    assert [(w.sweep, w.value) for w in choice.winners] == list(winners.items())
    assert not choice.missing
    config = choice.config
    assert (config.model, config.optimizer, config.activation, config.initializer) == (
        "mlp-geron", "adam", "elu", "glorot_uniform")
    assert (config.early_stopping, config.monitor, config.restore_best) == (
        True, "val_accuracy", True)
    assert (config.epochs, config.patience, config.subset) == (40, 5, None)
    assert config.effective_learning_rate == 0.001
    assert choice.settings_text() == "mlp-geron, adam (lr 0.001), elu, glorot_uniform"


def test_best_settings_without_sweeps_keep_the_reports_defaults(dlnn_dirs: Path) -> None:
    choice = choose_best(Panel("cnn-fashion", "fashion-mnist"), QUICK, RunStore())
    assert choice.winners == () and choice.missing == BEST_SWEEPS
    assert (choice.config.model, choice.config.optimizer, choice.config.subset) == (
        "cnn-fashion", "rmsprop", 5000)


def test_quick_sweeps_best_settings_on_all_images(dlnn_dirs: Path) -> None:
    store = RunStore()
    for member in named_sweep("optimizers", MLP_MNIST, QUICK).members():
        score = 0.9 if member.config.optimizer == "adamax" else 0.8
        write_run(store, member.config, "finished", epochs_done=2, val_accuracies=(0.5, score))
    quick = choose_best(MLP_MNIST, QUICK, store)
    full = choose_best(MLP_MNIST, QUICK, store, full_data=True)
    assert quick.winners == full.winners and full.config.optimizer == "adamax"
    assert (quick.config.subset, quick.config.epochs) == (5000, 10)
    assert (full.config.subset, full.config.epochs, full.config.patience) == (None, 40, 5)
    assert best_row(quick, store)["target"] is None
    assert best_row(full, store)["target"] == 0.984
    assert best_row(full, store)["trained_on"] == "all training images"


def test_on_all_images_the_best_validation_of_three_schedules_is_picked(
        dlnn_dirs: Path) -> None:
    store = RunStore()
    quick = choose_best(MLP_MNIST, QUICK, store)
    assert [config.reduce_lr for config in quick.configs] == [False]  # a class demo: one run
    assert not quick.refit and final_fit(quick, store) is None
    choice = choose_best(MLP_MNIST, REPORT, store)
    halved, plain, cosine = choice.configs
    assert [(c.reduce_lr, c.lr_schedule) for c in choice.configs] == [
        (True, "constant"), (False, "constant"), (False, "cosine")]
    assert halved.replace(reduce_lr=False) == plain and choice.config == halved
    # Cosine decay runs its whole schedule (it never stops early), keeping the best epoch.
    assert plain.replace(lr_schedule="cosine", patience=REPORT.best_epochs) == cosine
    assert counted_runs(choice, store) is None and picked_run(choice, store) is None
    assert best_row(choice, store)["status"] == "not started"
    write_run(store, halved, "finished", epochs_done=3, val_accuracies=(0.99, 0.983, 0.982))
    assert picked_run(choice, store).config == halved  # the only one finished so far
    # The pick is not final until every schedule has ended: nothing counts yet.
    assert final_fit(choice, store) is None and counted_configs(choice, store) == []
    assert best_row(choice, store)["status"] == "schedules to train"
    write_run(store, plain, "finished", epochs_done=2, val_accuracies=(0.97, 0.985))
    write_run(store, cosine, "failed", epochs_done=1, val_accuracies=(0.97,))
    write_run(store, plain.replace(seed=1), "finished", epochs_done=1,
              val_accuracies=(0.999,))  # not one of the variants
    # Halving watches validation accuracy: no final fit, the picked run itself counts, with
    # two more seeds.
    assert final_fit(choice, store) is None
    assert counted_configs(choice, store) == [halved, halved.replace(seed=1),
                                              halved.replace(seed=2)]
    assert wanted_configs(choice, store) == [*choice.configs, *counted_configs(choice, store)[1:]]
    row = best_row(choice, store)
    assert row["settings"] == "mlp-keras, rmsprop (lr 0.001), relu, random_uniform, " \
        "rate halved on plateaus"
    assert (row["validation_accuracy"], row["status"], row["final_fit"]) == (
        0.99, "2 of 3 seeds to train", "3 seeds averaged")


def test_the_final_fit_trains_the_pick_on_every_image_for_its_best_epochs(
        tiny_data_dir: Path) -> None:
    store = RunStore()
    choice = choose_best(MLP_MNIST, REPORT, store)
    _halved, plain, cosine = choice.configs
    write_run(store, _halved, "finished", epochs_done=2, val_accuracies=(0.97, 0.98))
    write_run(store, plain, "finished", epochs_done=2, val_accuracies=(0.97, 0.98))
    write_run(store, cosine, "finished", epochs_done=5,
              val_accuracies=(0.97, 0.98, 0.988, 0.985, 0.984))
    row = best_row(choice, store)
    assert row["settings"].endswith(", cosine rate decay")
    assert (row["validation_accuracy"], row["status"]) == (0.988, "3 of 3 final fits to train")
    final = final_fit(choice, store)
    assert final == cosine.replace(validation_fraction=0.0, early_stopping=False, epochs=3)
    seeds = [final, final.replace(seed=1), final.replace(seed=2)]
    assert counted_configs(choice, store) == seeds
    assert wanted_configs(choice, store) == [*choice.configs, *seeds]
    assert best_row(choice, store)["final_fit"] == "all images, 3 epochs, 3 seeds averaged"
    runs = [write_run(store, seeds[0], "finished", epochs_done=3, val_accuracies=(0, 0, 0))]
    assert counted_runs(choice, store) is None  # counted only once every seed has finished
    assert best_row(choice, store)["status"] == "2 of 3 final fits to train"
    runs += [write_run(store, config, "finished", epochs_done=3, val_accuracies=(0, 0, 0),
                       wrong_from=seed) for seed, config in enumerate(seeds[1:], 1)]
    assert counted_runs(choice, store) == runs
    row = best_row(choice, store)
    # Each seed gets 6 or 7 of the fake's 20 test images wrong, each different ones: the
    # averaged outputs get all right.
    assert (row["test_accuracy"], row["seed_test_accuracies"], row["epochs_run"],
            row["status"]) == (1.0, "0.6500, 0.6500, 0.7000", 3, "finished")
    assert row["run_id"] == ", ".join(run.run_id for run in runs)
    assert row["validation_accuracy"] == 0.988  # the validation that picked it
    # The test labels cannot be read: the row says so (the page never dies of it).
    labels = tiny_data_dir / data.DATASETS["mnist"].folder / data.IDX_FILES["y_test"]
    labels.write_bytes(b"garbage")
    data.clear_memory_cache()
    status = best_row(choice, store)["status"]
    assert status.startswith("ensemble not evaluated: ") and labels.name in status, status
    runs[2].probabilities_path.unlink()  # trained before runs kept their outputs
    assert counted_result(choice, store) is None
    assert best_row(choice, store)["status"] == "ensemble to evaluate"
    write_run(store, seeds[2].replace(epochs=4), "failed")  # another configuration
    assert best_row(choice, store)["status"] == "ensemble to evaluate"




def test_what_was_measured_counts_one_averaged_result_per_panel() -> None:
    counted = [row for row in MEASURED if row["met"] != "not counted"]
    assert sorted(row["panel"] for row in counted) == sorted(TARGETS)
    assert all(row["settings"] == "seeds 0-2 averaged" and row["target"] == TARGETS[row["panel"]]
               for row in counted)
    for row in counted:  # beside it, the three seeds it averages
        seeds = [other for other in MEASURED if other["panel"] == row["panel"]
                 and other["role"].endswith("one seed")]
        assert len(seeds) == 3 and all(seed["epochs"] == row["epochs"] for seed in seeds)
        assert row["train s"] == pytest.approx(sum(seed["train s"] for seed in seeds), abs=3)
