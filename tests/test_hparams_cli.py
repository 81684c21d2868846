"""`python -m dlnn sweep` and `python -m dlnn reproduce task1`.

The sweep command trains a tiny custom sweep on the learnable synthetic data, once; reproduce
runs over hand-made runs (its trainer is replaced), so it checks the files and numbers it
writes, not TensorFlow.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dlnn import sweeps, training
from dlnn.cli import main
from dlnn.config import RunConfig
from dlnn.hparams import reproduce
from dlnn.hparams.protocols import PANELS
from dlnn.runs import Run, RunStore
from tests.fake_runs import write_run

TINY = ["--model", "mlp-keras", "--dataset", "mnist", "--epochs", "2", "--subset", "40",
        "--batch-size", "8"]


def test_list_names_every_sweep(capsys) -> None:
    assert main(["sweep", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("optimizers", "activations", "initializers", "pooling", "dropout",
                 "batch_size", "kernel_size", "learning_rate", "models"):
        assert f"\n{name} " in f"\n{out}"
    assert "0.0001, 0.000316, 0.001, 0.00316, 0.01" in out


def test_a_custom_sweep_trains_once_then_is_reused(learnable_data_dir: Path, capsys,
                                                   monkeypatch) -> None:
    args = ["sweep", "custom", "--vary", "optimizer:sgd,adadelta", *TINY, "--json"]
    assert main(args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(row["optimizer"], row["value"], row["learning_rate"]) for row in rows] == [
        ("sgd", "sgd", 0.01), ("adadelta", "adadelta", 1.0)]
    assert {row["status"] for row in rows} == {"finished"}
    assert all(0 <= row["best_val_accuracy"] <= 1 and 0 <= row["test_accuracy"] <= 1
               for row in rows)
    stored = {run.run_id: run for run in RunStore().list()}
    assert sorted(stored) == sorted(row["run_id"] for row in rows)
    assert stored[rows[0]["run_id"]].config.epochs == 2

    monkeypatch.setattr(training, "execute", lambda *a, **k: pytest.fail("trained again"))
    assert main(args) == 0
    assert [row["run_id"] for row in json.loads(capsys.readouterr().out)] == [
        row["run_id"] for row in rows]
    assert main(args[:-1]) == 0  # the table, best first, with the rates used
    table = capsys.readouterr().out
    assert "custom: optimizer · MLP · MNIST (mlp-keras) · report protocol, changed" in table
    assert "learning_rate_used" in table and " 1 " in table


@pytest.mark.parametrize(("args", "named"), [
    (["custom", "--vary", "batch_size:32,0"], "--batch-size"),
    (["custom", "--vary", "optimiser:sgd"], "--optimiser"),
    (["custom"], "--vary"),
    (["optimizers", "--vary", "dropout:0.1"], "--vary"),
    (["optimizers", "--optimizer", "adam"], "--optimizer"),
    (["pooling", "--model", "mlp-keras"], "--model"),
    (["optimizers", "--seeds", "0"], "--seeds"),
    (["optimizers", "--seeds", "2", "--seed", "3"], "--seed"),
    (["optimisers"], "NAME"),
    ([], "NAME"),
])
def test_a_bad_sweep_is_one_line_naming_the_option(args, named, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["sweep", *args])
    error = capsys.readouterr().err + str(exit_.value.code)
    line = next(line for line in error.splitlines() if line.startswith("dlnn: error: "))
    assert line.startswith(f"dlnn: error: {named}:"), error


def _fake_member(store: RunStore, config: RunConfig) -> Run:
    """A finished run whose validation accuracy follows the report's findings."""
    scores = {"zeros": 0.11, "ones": 0.1, "adam": 0.97, "elu": 0.96, "cnn-keras-example": 0.99,
              "mlp-geron": 0.9, "glorot_uniform": 0.965}
    score = min((scores[value] for value in (config.initializer, config.optimizer,
                                             config.activation, config.model)
                 if value in scores), default=0.95)
    return write_run(store, config, "finished", val_accuracies=(score - 0.05, score))


def test_reproduce_task1_writes_figures_tables_and_best_settings(dlnn_dirs: Path, capsys,
                                                                 monkeypatch) -> None:
    trained: list[RunConfig] = []

    def fake_train_here(configs, store=None, **_):
        store = store or RunStore()
        for config in configs:
            trained.append(config)
            _fake_member(store, config)
        return []

    monkeypatch.setattr(reproduce, "train_here", fake_train_here)
    assert main(["reproduce", "task1", "--quick", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    # Figures 1-3 and the architectures over four panels, then a best run per panel.
    assert len(trained) == (7 + 7 + 6) * 4 + (2 + 3 + 2 + 3) + 4
    assert summary["protocol"] == "quick" and "QUICK" in summary["label"]
    folder = Path(summary["folder"])
    assert folder == dlnn_dirs / "task1" / "quick"
    for number, name in enumerate(("optimizers", "activations", "initializers"), start=1):
        html = (folder / f"figure{number}_{name}.html").read_text()
        assert summary["figures"][name] == str(folder / f"figure{number}_{name}.html")
        assert "QUICK protocol" in html and "plotly.min.js" in html
    assert (folder / "plotly.min.js").exists()
    optimizers = (folder / "optimizers.csv").read_text().splitlines()
    assert len(optimizers) == 1 + 4 * 7 and ",adam," in optimizers[1]
    assert optimizers[0].endswith(",protocol") and "QUICK protocol" in optimizers[1]
    stuck = {(item["value"], item["panel"]) for item in summary["near_chance"]}
    assert {value for value, _ in stuck} == {"zeros", "ones"} and len(stuck) == 8
    best = summary["best"]
    assert [row["settings"] for row in best] == [
        "mlp-keras, adam (lr 0.001), elu, glorot_uniform",
        "cnn-keras-example, adam (lr 0.001), elu, glorot_uniform",
        "mlp-keras, adam (lr 0.001), elu, glorot_uniform",
        "cnn-keras-example, adam (lr 0.001), elu, glorot_uniform"]
    assert [row["report_test_accuracy"] for row in best] == [0.9831, None, 0.8824, None]
    assert all(row["status"] == "finished" and row["test_accuracy"] == 0.65 for row in best)
    assert trained[-1].early_stopping and trained[-1].subset == 5000

    # Everything is stored now: a second call loads it and trains nothing.
    monkeypatch.setattr(reproduce, "train_here", sweeps.train_here)
    monkeypatch.setattr(training, "execute", lambda *a, **k: pytest.fail("trained again"))
    assert main(["reproduce", "task1", "--quick"]) == 0
    out = capsys.readouterr().out
    assert ("near chance: initializers zeros on mlp-keras/mnist (best validation accuracy "
            "0.1100)") in out
    assert "0.9831" in out and "cnn-keras-example, adam" in out


def test_reproduce_task1_picks_a_schedule_on_validation_then_fits_on_every_image(
        tiny_data_dir: Path, capsys, monkeypatch) -> None:
    trained: list[RunConfig] = []

    def fake_train_here(configs, store=None, **_):
        store = store or RunStore()
        for config in configs:
            trained.append(config)
            if config.activation == "exponential":  # diverges: a result too
                write_run(store, config, "failed", epochs_done=1,
                          reason="the loss became nan at epoch 1, batch 3")
            elif not config.early_stopping:  # a sweep member, or a final fit
                _fake_member(store, config)
            elif config.lr_schedule == "cosine":  # best at epoch 2 of 3
                write_run(store, config, "finished", epochs_done=3,
                          val_accuracies=(0.97, 0.985, 0.98))
            else:
                write_run(store, config, "finished", val_accuracies=(0.97, 0.98))
        return []

    monkeypatch.setattr(reproduce, "train_here", fake_train_here)
    assert main(["reproduce", "task1", "--json"]) == 0  # nothing is left to train
    summary = json.loads(capsys.readouterr().out)
    assert summary["complete"]
    assert [(item["sweep"], item["value"], item["reason"]) for item in summary["failed"]] == [
        ("activations", "exponential", "the loss became nan at epoch 1, batch 3")] * 4
    assert [item["panel"] for item in summary["failed"]] == [panel.name for panel in PANELS]
    best_settings = [config for config in trained if config.early_stopping]
    assert len(best_settings) == 3 * 4  # halved, constant, cosine per panel
    finals = [config for config in trained if config.validation_fraction == 0]
    assert len(finals) == len(set(finals)) == 4 * 3  # three seeds per panel
    assert [final.seed for final in finals] == [0, 1, 2] * 4
    assert all((final.epochs, final.lr_schedule, final.subset, final.early_stopping) ==
               (2, "cosine", None, False) for final in finals)
    rows = summary["best"]
    assert all(row["settings"].endswith(", cosine rate decay") for row in rows)
    # The fake seeds make the same mistakes, so their ensemble does too.
    assert all((row["final_fit"], row["validation_accuracy"], row["status"],
                row["test_accuracy"], row["seed_test_accuracies"]) == (
        "all images, 2 epochs, 3 seeds averaged", 0.985, "finished", 0.65,
        "0.6500, 0.6500, 0.6500") for row in rows)

    # A seed trained before runs kept their test-set outputs: the next call predicts them
    # with its model (here a stand-in that writes them back) and trains nothing.
    old = RunStore().get(rows[0]["run_id"].split(", ")[1])
    kept = old.probabilities_path.read_bytes()
    old.probabilities_path.unlink()
    filled: list[str] = []

    def fill(run: Run) -> None:
        filled.append(run.run_id)
        run.probabilities_path.write_bytes(kept)

    monkeypatch.setattr(reproduce, "fill_probabilities", fill)
    monkeypatch.setattr(reproduce, "train_here", sweeps.train_here)
    monkeypatch.setattr(training, "execute", lambda *a, **k: pytest.fail("trained again"))
    assert main(["reproduce", "task1", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert filled == [old.run_id] and again["best"] == rows
    assert summary["complete"]
