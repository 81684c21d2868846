"""Ensembles of runs: averaged softmax outputs, outputs kept by training or filled in later."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dlnn import training
from dlnn.config import RunConfig
from dlnn.ensembles import (
    EnsembleError,
    ensemble_result,
    fill_probabilities,
    kept_probabilities,
    missing_probabilities,
)
from dlnn.runs import RunStore
from tests.fake_runs import write_run

BASE = RunConfig(model="mlp-keras", epochs=2, subset=40, batch_size=16)


def test_three_runs_wrong_on_different_images_make_an_ensemble_right_on_all(
        tiny_data_dir: Path) -> None:
    store = RunStore()
    runs = [write_run(store, BASE.replace(seed=seed), "finished", wrong_from=seed)
            for seed in range(3)]
    result = ensemble_result(runs)
    # Each run is wrong on every third of the 20 test images, from its own offset on: 7, 7
    # and 6 wrong. The other two outvote each mistake.
    assert result["member_accuracies"] == [13 / 20, 13 / 20, 14 / 20]
    assert result["test_accuracy"] == 1.0
    assert result["mean_member_accuracy"] == pytest.approx(40 / 60)
    assert result["members"] == [run.run_id for run in runs] and result["test_samples"] == 20
    # Two runs wrong on the same images keep those mistakes.
    twins = [runs[0], write_run(store, BASE.replace(seed=7), "finished")]
    assert ensemble_result(twins)["test_accuracy"] == 13 / 20


def test_an_ensemble_waits_for_outputs_and_refuses_mixed_data_sets(tiny_data_dir: Path
                                                                   ) -> None:
    store = RunStore()
    first, second = (write_run(store, BASE.replace(seed=seed), "finished") for seed in (0, 1))
    assert ensemble_result([]) is None
    second.probabilities_path.write_bytes(b"not an array")  # damaged: as if never kept
    assert kept_probabilities(second) is None
    assert missing_probabilities([first, second]) == [second]
    assert ensemble_result([first, second]) is None
    fashion = write_run(store, BASE.replace(dataset="fashion-mnist"), "finished")
    with pytest.raises(EnsembleError, match="fashion-mnist, mnist"):
        ensemble_result([first, fashion])


def test_training_keeps_the_outputs_and_a_model_gives_them_again(learnable_data_dir: Path
                                                                 ) -> None:
    store = RunStore()
    run = store.create(RunConfig(model="mlp-geron", epochs=1, batch_size=32, seed=1))
    assert training.execute(run)["status"] == "finished"
    kept = kept_probabilities(run)
    assert kept.shape == (100, 10) and kept.dtype == np.float32
    assert np.allclose(kept.sum(axis=1), 1.0, atol=1e-5)
    assert (kept.argmax(axis=1) == np.load(run.predictions_path)).all()
    run.probabilities_path.unlink()  # a run trained before the outputs were kept
    assert missing_probabilities([run]) == [run]
    filled = fill_probabilities(run)
    assert np.allclose(filled, kept, atol=1e-5)
    assert np.allclose(kept_probabilities(run), kept, atol=1e-5)
    assert ensemble_result([run])["test_accuracy"] == run.result()["test_accuracy"]


def test_a_damaged_model_names_its_run(tiny_data_dir: Path) -> None:
    run = write_run(RunStore(), BASE, "finished")
    with pytest.raises(ValueError, match=f"{run.run_id} has no trained model"):
        fill_probabilities(run)
    run.model_path.write_bytes(b"cut short")
    with pytest.raises(ValueError, match=f"{run.run_id}: model.keras is not a Keras archive"):
        fill_probabilities(run)
    run.model_path.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip: not a model
    with pytest.raises(ValueError, match=f"{run.run_id}: model.keras cannot be loaded"):
        fill_probabilities(run)
