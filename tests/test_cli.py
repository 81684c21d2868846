"""The command line: options, one-line errors, progress, JSON output, run listing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dlnn.cli import main
from dlnn.config import ACTIVATIONS, OPTIMIZER_DEFAULT_LR, RunConfig
from dlnn.models import MODELS
from dlnn.runs import RunStore
from tests.fake_runs import write_clock_run, write_run


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlnn", *args], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.mark.parametrize(("args", "field"), [
    (["--epochs", "-1"], "epochs"),
    (["--optimizer", "lbfgs"], "optimizer"),
    (["--dropout", "1.5"], "dropout"),
    (["--model", "resnet"], "model"),
    (["--batch-size", "many"], "--batch-size"),
])
def test_bad_option_is_one_line_naming_it(args: list[str], field: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["train", *args])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("dlnn: error: ") and field in err


def test_help_lists_every_allowed_value(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name in [*MODELS, *ACTIVATIONS, *OPTIMIZER_DEFAULT_LR, "fashion-mnist"]:
        assert name in text
    assert "--early-stopping" in text and "--subset" in text and "--retrain" in text


def test_train_json_then_reuse_then_list(learnable_data_dir: Path, capsys) -> None:
    args = ["train", "--model", "mlp-geron", "--epochs", "2", "--optimizer", "adam",
            "--batch-size", "32", "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "finished" and summary["epochs_run"] == 2
    assert 0.5 < summary["test_accuracy"] <= 1 and summary["test_loss"] > 0
    assert summary["seconds_per_epoch"] > 0

    assert main(args) == 0  # the same configuration is not trained again
    assert json.loads(capsys.readouterr().out)["run_id"] == summary["run_id"]
    assert main([*args, "--retrain"]) == 0
    assert json.loads(capsys.readouterr().out)["run_id"] != summary["run_id"]

    assert main(["runs", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 2
    assert main(["runs"]) == 0
    assert summary["run_id"] in capsys.readouterr().out


def test_train_prints_progress_and_test_accuracy(learnable_data_dir: Path, capsys) -> None:
    assert main(["train", "--model", "mlp-geron", "--epochs", "2", "--batch-size", "32",
                 "--log-every", "3"]) == 0
    out = capsys.readouterr().out
    assert "epoch 1/2 batch 3/12" in out
    assert "epoch 2/2" in out and "val_accuracy" in out
    assert "test accuracy" in out


def test_runs_show_and_delete_unknown_id(dlnn_dirs: Path) -> None:
    done = _cli("runs", "show", "nope")
    assert done.returncode != 0 and "no run 'nope'" in done.stderr


def test_summary_builds_the_model_without_loading_data(dlnn_dirs: Path, capsys) -> None:
    # No data set anywhere (dlnn_dirs unsets DLNN_DATA_DIR): a summary must not need one.
    assert main(["summary", "--json", "--model", "cnn-keras"]) == 0
    summary = json.loads(capsys.readouterr().out)
    # conv 3x3x28 (280) + dense 13*13*28 -> 128 (605,824) + dense 128 -> 10 (1,290)
    assert summary["parameters"] == 607_394
    assert main(["summary", "--json", "--dataset", "clocks-course-like", "--model",
                 "clock-two-head", "--image-size", "64", "--conv-blocks", "3"]) == 0
    layers = json.loads(capsys.readouterr().out)["layers"]
    assert layers[0]["output_shape"].startswith("(None, 64, 64")
    assert not (dlnn_dirs / "clocks").exists()  # no clock images were generated


def test_runs_table_shows_each_task_its_own_numbers(dlnn_dirs: Path, capsys) -> None:
    store = RunStore()
    clock = write_clock_run(store)
    mnist = write_run(store, RunConfig(model="mlp-keras"), "finished")
    assert main(["runs"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    # A clock reader reads in minutes, not as a classifier's test accuracy.
    assert lines[clock.run_id].endswith("CSE 12.5 min, hour accuracy 87.5%")
    accuracy = mnist.result()["test_accuracy"]
    assert lines[mnist.run_id].endswith(f"accuracy {accuracy:.4f}, loss "
                                        f"{mnist.result()['test_loss']:.4f}")
    assert main(["runs", "--json"]) == 0
    summaries = {s["run_id"]: s for s in json.loads(capsys.readouterr().out)}
    assert summaries[clock.run_id]["headline"]["test_cse_minutes"] == 12.5


@pytest.mark.parametrize("port", ["0", "65536", "99999999", "http"])
def test_tensorboard_refuses_a_port_that_cannot_be(dlnn_dirs: Path, port: str, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["tensorboard", "--port", port])
    assert "argument --port" in capsys.readouterr().err
