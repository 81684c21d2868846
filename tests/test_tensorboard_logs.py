"""TensorBoard logs: every run writes scalars, graph and hyperparameters; the command opens them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import metadata as hparams_metadata
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard.util import tensor_util

from dlnn import tensorboard_logs, training
from dlnn.cli import main
from dlnn.config import RunConfig
from dlnn.runs import RunStore

TINY = RunConfig(model="mlp-geron", epochs=2, batch_size=32, optimizer="adam", seed=1)


def _scalars(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """Every tag of a TensorBoard folder as (step, value) pairs."""
    accumulator = EventAccumulator(str(folder))
    accumulator.Reload()
    return {tag: [(event.step, float(tensor_util.make_ndarray(event.tensor_proto)))
                  for event in accumulator.Tensors(tag)]
            for tag in accumulator.Tags()["tensors"] if tag != "keras"}


def test_a_run_writes_the_scalars_of_its_events(learnable_data_dir: Path) -> None:
    run = RunStore().create(TINY)
    assert training.execute(run, log_every=4)["status"] == "finished"
    folder = tensorboard_logs.log_dir(run.path)
    train, validation = _scalars(folder / "train"), _scalars(folder / "validation")
    events = run.events()
    epochs = [e for e in events if e["type"] == "epoch"]
    batches = [e for e in events if e["type"] == "batch"]
    assert [step for step, _ in train["epoch_loss"]] == [1, 2]
    assert [value for _, value in train["epoch_loss"]] == pytest.approx(
        [e["metrics"]["loss"] for e in epochs], rel=1e-6)
    assert [value for _, value in validation["epoch_accuracy"]] == pytest.approx(
        [e["metrics"]["val_accuracy"] for e in epochs], rel=1e-6)
    assert [step for step, _ in train["batch_loss"]] == [e["step"] for e in batches]
    assert set(validation) == {"epoch_loss", "epoch_accuracy"}

    graph = EventAccumulator(str(folder / "train"))
    graph.Reload()
    assert "keras" in graph.Tags()["tensors"]  # the conceptual graph of the Graphs tab


def test_the_hparams_session_is_the_run_with_its_configuration(learnable_data_dir: Path
                                                                 ) -> None:
    run = RunStore().create(TINY.replace(learning_rate=0.003))
    training.execute(run)
    accumulator = EventAccumulator(str(tensorboard_logs.log_dir(run.path)))
    accumulator.Reload()
    tensor = accumulator.Tensors(hparams_metadata.SESSION_START_INFO_TAG)
    content = accumulator.SummaryMetadata(
        hparams_metadata.SESSION_START_INFO_TAG).plugin_data.content
    assert tensor
    info = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    assert info.group_name == run.run_id
    assert info.hparams["optimizer"].string_value == "adam"
    assert info.hparams["learning_rate"].number_value == pytest.approx(0.003)
    assert info.hparams["permute"].bool_value is False
    assert "dropout" not in info.hparams  # None: the model's own rates, not a value


def test_the_command_names_each_run_or_the_whole_store(dlnn_dirs: Path) -> None:
    store = RunStore()
    first, second = store.create(TINY), store.create(TINY.replace(seed=2))
    command = tensorboard_logs.tensorboard_command([first, second], port=6100)
    assert command[:3] == [sys.executable, "-m", "tensorboard.main"]
    spec = command[command.index("--logdir_spec") + 1]
    assert spec == (f"{first.run_id}:{first.path / 'tensorboard'},"
                    f"{second.run_id}:{second.path / 'tensorboard'}")
    assert command[-2:] == ["--port", "6100"]
    whole = tensorboard_logs.tensorboard_command([])
    assert whole[-2:] == ["--logdir", str(store.root)]


def test_cli_prints_the_command_and_refuses_runs_without_logs(dlnn_dirs: Path, capsys
                                                              ) -> None:
    store = RunStore()
    run = store.create(TINY)
    with pytest.raises(SystemExit, match=f"{run.run_id} wrote no TensorBoard logs"):
        main(["tensorboard", run.run_id])
    tensorboard_logs.log_dir(run.path).mkdir()
    assert main(["tensorboard", run.run_id]) == 0
    printed = capsys.readouterr().out
    assert "-m tensorboard.main --logdir_spec" in printed and run.run_id in printed
    with pytest.raises(SystemExit, match="no run 'nope'"):
        main(["tensorboard", "nope"])


@pytest.mark.parametrize("missing", ["tensorflow", "tensorboard"])
def test_a_machine_without_tensorflow_trains_without_logs(learnable_data_dir: Path, monkeypatch,
                                                          missing: str) -> None:
    # A JAX-only machine may have TensorBoard but not TensorFlow, whose summary API writes
    # the logs: its runs must still train (they failed with "No module named 'tensorflow'").
    real = importlib.util.find_spec
    fake = SimpleNamespace(util=SimpleNamespace(
        find_spec=lambda name, *a: None if name == missing else real(name, *a)))
    monkeypatch.setattr(tensorboard_logs, "importlib", fake)  # here only, not for Keras
    assert not tensorboard_logs.available()
    run = RunStore().create(TINY.replace(epochs=1))
    assert training.execute(run)["status"] == "finished"
    assert not tensorboard_logs.log_dir(run.path).exists()
