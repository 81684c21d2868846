"""Why an MLP ignores the permutation and a CNN does not, on real Keras models; the study
trained end to end; the probes' commands and their answers kept in the run folder."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from dlnn import training
from dlnn.cli import main
from dlnn.data import load_raw
from dlnn.models import build_model
from dlnn.permlab import explain, probes
from dlnn.permlab.study import RunKey, train_study
from dlnn.permutation import make_permutation, permute_pixels, run_permutation, unpermute_pixels
from dlnn.runs import RunStore
from tests.permlab_runs import tiny_plan, trained_tiny_study

MLP = RunKey("mnist", "mlp-geron", False, 0)
CNN = RunKey("mnist", "cnn-keras", False, 0)


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    yield from trained_tiny_study(tmp_path_factory)


@pytest.mark.parametrize("model", ["mlp-keras", "mlp-geron"])
def test_an_mlp_with_permuted_rows_predicts_the_same_on_permuted_images(model):
    keras.utils.set_random_seed(4)
    network = build_model(model, (28, 28), 10, initializer="random_normal")
    images = np.random.default_rng(0).random((64, 28, 28), dtype=np.float32)
    labels = np.random.default_rng(1).integers(0, 10, 64)
    perm = make_permutation(784, seed=9)
    before = network.predict(images, verbose=0)
    report = probes.invariance(network, images, labels, perm)
    assert report["max_probability_difference"] < 1e-5
    assert report["predictions_changed"] == 0
    assert report["accuracy_permuted_rows"] == report["accuracy_original"]
    assert report["images"] == 64
    np.testing.assert_array_equal(network.predict(images, verbose=0), before)  # left as it was
    twin = keras.models.clone_model(network)
    twin.set_weights(network.get_weights())
    probes.permute_first_dense(twin, perm)
    np.testing.assert_allclose(twin.predict(permute_pixels(images, perm), verbose=0), before,
                               atol=1e-5)
    # Without the moved rows the same weights see different inputs and answer differently.
    assert np.abs(network.predict(permute_pixels(images, perm), verbose=0) - before).max() > 1e-3


def test_the_row_permutation_needs_an_mlp():
    cnn = build_model("cnn-keras", (28, 28, 1), 10)
    with pytest.raises(ValueError, match="Conv2D"):
        probes.permute_first_dense(cnn, make_permutation(784, 0))
    mlp = build_model("mlp-geron", (28, 28), 10)
    with pytest.raises(ValueError, match="784 inputs"):
        probes.permute_first_dense(mlp, make_permutation(100, 0))
    with pytest.raises(ValueError, match="convolution"):
        probes.first_layer_maps(mlp, np.zeros((28, 28)), make_permutation(784, 0))


def test_first_layer_maps_are_the_filters_slid_over_each_image():
    keras.utils.set_random_seed(2)
    cnn = build_model("cnn-keras", (28, 28, 1), 10, initializer="random_normal")
    image = np.random.default_rng(3).random((28, 28), dtype=np.float32)
    perm = make_permutation(784, seed=1)
    maps = probes.first_layer_maps(cnn, image, perm)
    assert maps["filters"].shape == (28, 3, 3)
    assert maps["maps_original"].shape == maps["maps_permuted"].shape == (28, 26, 26)
    np.testing.assert_array_equal(maps["permuted_image"], permute_pixels(image[None], perm)[0])
    bias = cnn.layers[0].get_weights()[1]
    for picture, name in ((image, "maps_original"), (maps["permuted_image"], "maps_permuted")):
        for f, row, col in ((0, 0, 0), (5, 10, 3), (27, 25, 25)):
            patch = picture[row:row + 3, col:col + 3]
            expected = max(0.0, float((patch * maps["filters"][f]).sum() + bias[f]))  # ReLU
            assert maps[name][f, row, col] == pytest.approx(expected, abs=1e-5)


def test_a_permuted_study_run_sees_every_split_through_its_one_permutation(study):
    plan, _ = study
    config = plan.config("mnist", "cnn-keras", True, 0)
    task = training.ClassificationTask()
    permuted = task.load_data(config)
    original = task.load_data(config.replace(permute=False))
    perm = run_permutation(config, 784)
    for split in ("train", "val", "test"):
        scrambled = getattr(permuted, f"x_{split}")
        assert not np.array_equal(scrambled, getattr(original, f"x_{split}"))
        np.testing.assert_array_equal(permute_pixels(getattr(original, f"x_{split}"), perm),
                                      scrambled)
        np.testing.assert_array_equal(unpermute_pixels(scrambled, perm),
                                      getattr(original, f"x_{split}"))
        np.testing.assert_array_equal(getattr(permuted, f"y_{split}"),
                                      getattr(original, f"y_{split}"))


def test_the_tiny_study_trains_every_run_once(study):
    plan, runs = study
    assert list(runs) == plan.keys()
    assert all(run.status == "finished" for run in runs.values())
    again = train_study(plan, RunStore())
    assert {key: run.run_id for key, run in again.items()} == \
        {key: run.run_id for key, run in runs.items()}
    assert len(RunStore().list()) == len(plan.keys())


def test_invariance_command_answers_and_keeps_the_answer(study, capsys):
    _, runs = study
    run = runs[MLP]
    assert explain.cached_invariance(run) is None
    assert main(["permutation", "invariance", "--run", run.run_id, "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["run_id"] == run.run_id and answer["images"] == 100
    assert answer["max_probability_difference"] < 1e-5 and answer["predictions_changed"] == 0
    assert answer["accuracy_permuted_rows"] == answer["accuracy_original"]
    assert explain.cached_invariance(run) == answer
    assert explain.mlp_invariance(run) == answer  # read from the run folder, no process
    assert main(["permutation", "invariance", "--run", run.run_id]) == 0
    assert "predictions changed: 0" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["invariance", "--run", "no-such-run"], "no run 'no-such-run'"),
    (["invariance", "--run", "{cnn}"], "needs an MLP"),
    (["invariance", "--run", "{permuted}"], "trained on permuted pixels"),
    (["filters", "--run", "{mlp}"], "needs a CNN"),
    (["filters", "--run", "{cnn}", "--image", "100"], "--image: 100 is not allowed"),
    (["filters", "--run", "{cnn}", "--image", "x"], "--image"),
])
def test_probe_commands_refuse_with_one_line(study, capsys, args, message):
    _, runs = study
    names = {"cnn": runs[CNN].run_id, "mlp": runs[MLP].run_id,
             "permuted": runs[MLP._replace(permuted=True)].run_id}
    with pytest.raises(SystemExit) as exit_:
        main(["permutation", *[arg.format(**names) for arg in args]])
    assert exit_.value.code not in (0, None)
    err = capsys.readouterr().err + str(exit_.value.code)
    assert message in err and "Traceback" not in err


def test_feature_maps_are_computed_in_a_worker_process_and_kept(study):
    _, runs = study
    run = runs[CNN]
    maps = explain.cnn_feature_maps(run, 7)  # python -m dlnn permutation filters ...
    assert explain.maps_path(run, 7).exists()
    assert maps["filters"].shape == (28, 3, 3)
    assert maps["maps_original"].shape == (28, 26, 26)
    np.testing.assert_allclose(maps["image"], load_raw("mnist").x_test[7] / 255.0, atol=1e-6)
    with pytest.raises(explain.ExplainError, match="needs a CNN"):
        explain.cnn_feature_maps(runs[MLP], 0)


def test_reproduce_task2_prints_the_table_as_json(study, capsys, monkeypatch):
    from dlnn.permlab import study as study_module

    plan, runs = study
    monkeypatch.setattr(study_module, "QUICK_CHANGES", {"subset": 40, "epochs": 2,
                                                        "batch_size": 8})
    monkeypatch.setattr(study_module, "REPORT_MODELS", {"mnist": ("mlp-geron", "cnn-keras")})
    assert main(["reproduce", "task2", "--quick", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["seeds"] == [0] and summary["finished_runs"] == summary["planned_runs"] == 4
    row = summary["mnist"]["cnn-keras"]
    original = runs[CNN].result()["test_accuracy"]
    assert row["original"] == pytest.approx(original, abs=1e-6)
    assert row["difference"] == pytest.approx(row["permuted"] - row["original"], abs=1e-5)
    assert "spread" not in row
    for path in summary["figures"].values():
        assert Path(path).exists() and Path(path).read_text().count("plotly") > 0
    assert (Path(summary["figures"]["training_accuracy"]).parent / "plotly.min.js").exists()
    assert len(RunStore().list()) == 4  # the trained study was reused
    assert main(["reproduce", "task2", "--quick"]) == 0
    shown = capsys.readouterr().out
    assert "mnist          cnn-keras" in shown and "0.9897 -> 0.9533" in shown


def test_reproduce_with_seeds_reports_the_spread(study, capsys, monkeypatch):
    from dlnn.permlab import study as study_module

    monkeypatch.setattr(study_module, "REPORT_MODELS", {"mnist": ("mlp-geron",)})
    monkeypatch.setattr(study_module, "STUDY_BASE", tiny_plan().base)
    monkeypatch.setattr(study_module, "QUICK_CHANGES", {})
    assert main(["reproduce", "task2", "--quick", "--seeds", "2", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["mnist"]["mlp-geron"]
    assert row["seeds"] == 2 and set(row["spread"]) == {
        "original_std", "permuted_std", "difference_std", "verdict"}
