"""The clocks commands: generate, evaluate (JSON and CSV), predict, and reproduce's settings."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dlnn.cli import main
from dlnn.clocks.render import render_clock
from dlnn.clocks.reproduce import task3_configs
from dlnn.runs import Run
from tests.clock_runs import tiny_clock_store

pytest.importorskip("keras")


@pytest.fixture(scope="module")
def clock_run(tmp_path_factory) -> Iterator[Run]:
    yield from tiny_clock_store(tmp_path_factory)


def test_generate_writes_the_course_format(tmp_path: Path, capsys) -> None:
    out = tmp_path / "clocks"
    assert main(["clocks", "generate", "--n", "12", "--preset", "hard", "--size", "40",
                 "--seed", "1", "--out", str(out)]) == 0
    images, labels = np.load(out / "images.npy"), np.load(out / "labels.npy")
    assert images.shape == (12, 40, 40) and images.dtype == np.uint8
    assert labels.shape == (12, 2) and labels[:, 0].max() < 12 and labels[:, 1].max() < 60
    assert "wrote 12 hard clocks" in capsys.readouterr().out


def test_evaluate_prints_scores_and_writes_predictions(clock_run: Run, tmp_path: Path,
                                                       capsys) -> None:
    data = tmp_path / "eval"
    main(["clocks", "generate", "--n", "9", "--preset", "easy", "--size", "60",
          "--out", str(data)])
    capsys.readouterr()
    table = tmp_path / "predictions.csv"
    assert main(["clocks", "evaluate", "--run", clock_run.run_id, "--data", str(data),
                 "--json", "--predictions", str(table)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["run_id"] == clock_run.run_id and summary["images"] == 9
    assert {"cse_minutes", "hour_accuracy", "minute_mae"} <= set(summary)
    with table.open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["true_hour", "true_minute", "pred_hour", "pred_minute"]
    labels = np.load(data / "labels.npy")
    assert [[int(r["true_hour"]), int(r["true_minute"])] for r in rows] == labels.tolist()


def test_evaluate_names_a_bad_folder(clock_run: Run, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["clocks", "evaluate", "--run", clock_run.run_id, "--data", str(tmp_path)])
    assert "images.npy" in str(stop.value)


def test_predict_reads_a_photo(clock_run: Run, tmp_path: Path, capsys) -> None:
    photo = tmp_path / "clock.jpg"
    Image.fromarray(render_clock(4, 20, "easy")).convert("RGB").resize((300, 200)).save(photo)
    assert main(["clocks", "predict", "--run", clock_run.run_id, "--image", str(photo),
                 "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert 0 <= answer["hour"] < 12 and 0 <= answer["minute"] < 60
    assert answer["time"] == f"{answer['hour'] or 12}:{answer['minute']:02d}"


def test_predict_names_an_unreadable_image(clock_run: Run, tmp_path: Path) -> None:
    junk = tmp_path / "junk.png"
    junk.write_text("not an image")
    with pytest.raises(SystemExit) as stop:
        main(["clocks", "predict", "--run", clock_run.run_id, "--image", str(junk)])
    assert "--image" in str(stop.value)


@pytest.mark.parametrize("quick", [False, True])
def test_reproduce_compares_both_models_on_the_same_data(quick: bool) -> None:
    configs = task3_configs(quick)
    data_fields = ("dataset", "clock_images", "image_size", "seed", "validation_fraction")
    baseline, best = configs["baseline"], configs["best"]
    assert [getattr(baseline, f) for f in data_fields] == [getattr(best, f) for f in data_fields]
    assert baseline.model == "clock-two-head" and not baseline.batch_norm
    assert (baseline.optimizer, baseline.initializer, baseline.batch_size) == (
        "adam", "random_uniform", 32)
    assert best.dataset == "clocks-course-like" and best.model == "clock-dial"
    assert task3_configs(quick, "easy")["best"].model == "clock-hands"  # upright clocks


def test_reproduce_table_adds_the_held_out_makes_when_measured(capsys) -> None:
    from dlnn.clocks.cli import print_task3_table

    row = {"model": "clock-dial", "hour_accuracy": 0.99, "minute_mae": 0.5, "cse_minutes": 0.8,
           "train_seconds": 100.0, "run_id": "r1"}
    print_task3_table({"best": row})
    assert "held-out" not in capsys.readouterr().out
    print_task3_table({"best": {**row, "held_out_cse_minutes": 4.25,
                                "held_out_hour_accuracy": 0.96}})
    out = capsys.readouterr().out
    assert "held-out CSE" in out and "4.25" in out and "0.9600" in out
    assert "makes the model never saw" in out


def test_reproduce_table_says_which_model_read_framed_clocks(capsys) -> None:
    from dlnn.clocks.cli import print_task3_table

    row = {"model": "clock-dial", "hour_accuracy": 0.99, "minute_mae": 0.5, "cse_minutes": 0.8,
           "train_seconds": 100.0, "run_id": "r1"}
    print_task3_table({"baseline": {**row, "model": "clock-two-head", "framed": False},
                       "best": {**row, "framed": True}})
    lines = [line for line in capsys.readouterr().out.splitlines() if "framed" in line]
    assert len(lines) == 1 and lines[0].startswith("best (clock-dial) read every picture framed")
    assert "measured on the picture" in lines[0]
    print_task3_table({"best": {**row, "framed": True, "learned_framing": True,
                                "locator_seconds": 821.5}})
    lines = [line for line in capsys.readouterr().out.splitlines() if "framed" in line]
    assert len(lines) == 1 and "found by a learned locator" in lines[0]
    assert lines[0].endswith("(the locator trained 822 s more).")
