"""The clock lab's commands, registered through `dlnn.clocks.lab`.

    python -m dlnn clocks generate --n 18000 --preset course-like --seed 0 --out DIR
    python -m dlnn clocks evaluate --run RUN_ID --data DIR [--json] [--predictions FILE.csv]
    python -m dlnn clocks predict --run RUN_ID --image PHOTO.jpg [--json]
    python -m dlnn reproduce task3 [--quick] [--preset easy] [--json]   (the core's command)

`generate` writes the course's format (`images.npy`, `labels.npy`), so everything that reads
the course's photographs reads generated clocks too; `evaluate` scores a stored clock model on
any such folder (a student with the real photographs uses exactly this). TensorFlow is
imported only by the commands that run a model.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from dlnn.clocks.render import PRESETS
from dlnn.runs import Run, RunStore

CSV_COLUMNS = ("true_hour", "true_minute", "pred_hour", "pred_minute")
MAX_SEED = 2**31 - 1  # the range of train's --seed


def register(commands: Any) -> None:
    """Add `clocks` (generate, evaluate, predict) to the CLI."""
    from dlnn.cli import HelpFormatter, OneLineParser

    clocks = commands.add_parser("clocks", help="clock lab: generate, evaluate, predict",
                                 formatter_class=HelpFormatter)
    actions = clocks.add_subparsers(dest="clock_command", required=True,
                                    parser_class=OneLineParser)
    generate = actions.add_parser("generate", help="write generated clocks in the course format")
    generate.add_argument("--n", type=int, default=18000, help="number of clocks [18000]")
    generate.add_argument("--preset", choices=tuple(PRESETS), default="course-like",
                          help="realism preset [course-like]")
    generate.add_argument("--size", type=int, default=150, help="image side in pixels [150]")
    generate.add_argument("--seed", type=int, default=0, help="random seed [0]")
    generate.add_argument("--out", required=True, help="folder for images.npy and labels.npy")
    generate.set_defaults(handler=command_generate)

    evaluate = actions.add_parser("evaluate", help="score a stored clock model on a folder")
    evaluate.add_argument("--run", required=True, help="the stored clock run")
    evaluate.add_argument("--data", required=True, help="folder with images.npy, labels.npy")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument("--predictions", metavar="FILE.csv",
                          help="write one row per image: " + ", ".join(CSV_COLUMNS))
    evaluate.set_defaults(handler=command_evaluate)

    predict = actions.add_parser("predict", help="read the time from one clock photo")
    predict.add_argument("--run", required=True, help="the stored clock run")
    predict.add_argument("--image", required=True, help="PNG or JPEG, any size")
    predict.add_argument("--json", action="store_true", help="print one JSON object")
    predict.set_defaults(handler=command_predict)


def _fail(message: str) -> SystemExit:
    return SystemExit(f"dlnn: error: {message}")


def _run(run_id: str) -> Run:
    """The stored run `run_id` (inside the store, readable), or exit with one line."""
    try:
        run = RunStore().get(run_id)
    except KeyError as missing:
        raise _fail(missing.args[0]) from None
    problem = run.problem
    if problem is not None:
        raise _fail(f"run {run_id} is damaged: {problem}")
    return run


def command_generate(args: argparse.Namespace) -> int:
    import dataclasses

    from dlnn.clocks.course import save_course_data
    from dlnn.clocks.render import check_clock_budget, generate_clocks

    if args.n < 1:
        raise _fail(f"--n: {args.n} is not allowed; must be at least 1")
    if not 0 <= args.seed <= MAX_SEED:
        raise _fail(f"--seed: {args.seed} is not allowed; must be a whole number from 0 to "
                    f"{MAX_SEED} (as train's --seed)")
    try:
        style = dataclasses.replace(PRESETS[args.preset], size=args.size)
    except ValueError as error:
        raise _fail(f"--size: {error}") from None
    try:
        check_clock_budget(args.n, style.size)
    except ValueError as error:
        raise _fail(f"--n: {error}") from None
    folder = _output_path(args.out, "--out", folder=True)
    images, labels = generate_clocks(args.n, style, args.seed)
    try:
        save_course_data(folder, images, labels)
    except OSError as error:
        raise _fail(f"--out: cannot write into {folder} ({error.strerror or error})") from None
    print(f"wrote {args.n} {args.preset} clocks of {args.size}x{args.size} to {folder}")
    return 0


def _output_path(value: str, option: str, *, folder: bool) -> Path:
    """The path an option names for output, checked before any work: its folder exists (made
    if needed) and is writable, and a file is not named where a folder is wanted, or back."""
    path = Path(value).expanduser()
    if folder and path.exists() and not path.is_dir():
        raise _fail(f"{option}: {path} is a file; name a folder")
    if not folder and path.is_dir():
        raise _fail(f"{option}: {path} is a folder; name a file")
    parent = path if folder else path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _fail(f"{option}: cannot create {parent} ({error.strerror or error})") from None
    if not os.access(parent, os.W_OK):
        raise _fail(f"{option}: {parent} is not writable")
    return path


def command_evaluate(args: argparse.Namespace) -> int:
    from dlnn.clocks.course import CourseDataError, load_course_data
    from dlnn.clocks.framing import frame_clocks

    run = _run(args.run)
    table = _output_path(args.predictions, "--predictions", folder=False) if (
        args.predictions) else None
    from dlnn.clocks.task import clock_scores, read_times  # TensorFlow: after the checks

    try:
        images, labels = load_course_data(args.data)
        if run.config.learned_framing:  # framed where the run's learned locator finds them
            images = locate_and_frame(run, images)
        elif run.config.frame_clocks:  # framed as the run's own clocks were
            images = frame_clocks(images, run.config.image_size)[0]
        predicted = read_times(run, images)
    except (CourseDataError, ValueError) as error:
        raise _fail(str(error)) from None
    scores = clock_scores(labels, predicted)
    if table is not None:
        try:
            write_predictions_csv(table, labels, predicted)
        except OSError as error:
            raise _fail(f"--predictions: cannot write {table} ({error.strerror or error})"
                        ) from None
    summary = {"run_id": run.run_id, "data": str(args.data), "images": len(labels),
               **{name: value for name, value in scores.items()}}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{run.run_id} on {args.data} ({len(labels)} images): CSE "
              f"{scores['cse_minutes']:.2f} min (median {scores['cse_median_minutes']:.1f}), "
              f"hour accuracy {scores['hour_accuracy']:.4f}, "
              f"minute MAE {scores['minute_mae']:.2f} min")
    return 0


def write_predictions_csv(path: Path, labels: np.ndarray, predicted: np.ndarray) -> None:
    """One row per image: true_hour, true_minute, pred_hour, pred_minute."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for (true_hour, true_minute), (hour, minute) in zip(labels, predicted, strict=True):
            writer.writerow((int(true_hour), int(true_minute), int(hour), int(minute)))


def locate_and_frame(run: Any, images: np.ndarray) -> np.ndarray:
    """Square clock images framed where the run's learned locator finds each clock."""
    from dlnn.clocks.datasets import stored_locator
    from dlnn.clocks.framing import ClockFrame, frame_clock
    from dlnn.clocks.lab import picture_size
    from dlnn.clocks.photo import square_picture

    side = picture_size(run.config)
    pictures = np.stack([square_picture(image, side) for image in images])
    frames = stored_locator(run.config).locate(pictures)
    return np.stack([frame_clock(picture, run.config.image_size, ClockFrame(*frame[:3]))
                     for picture, frame in zip(pictures, frames, strict=True)])


def command_predict(args: argparse.Namespace) -> int:
    from dlnn.clocks.lab import picture_size
    from dlnn.clocks.photo import read_clock_photo, read_photo_picture

    run = _run(args.run)
    locate = bool(run.config.learned_framing)
    try:
        clock = (read_photo_picture(args.image, picture_size(run.config)) if locate
                 else read_clock_photo(args.image, run.config.image_size))
    except ValueError as error:
        raise _fail(f"--image: {error}") from None
    from dlnn.clocks.photo_time import locate_clock
    from dlnn.clocks.task import read_times  # TensorFlow: after the checks

    try:
        located = {}
        if locate:  # framed where the run's learned locator finds the clock
            clock, frame = locate_clock(run, clock)
            located = {"frame": [round(value, 2) for value in frame]}
        hour, minute = (int(value) for value in read_times(run, clock[np.newaxis])[0])
    except ValueError as error:
        raise _fail(str(error)) from None
    answer = {"run_id": run.run_id, "hour": hour, "minute": minute,
              "time": f"{hour or 12}:{minute:02d}", **located}
    print(json.dumps(answer) if args.json else answer["time"])
    return 0


def print_task3_table(rows: dict[str, dict[str, Any]]) -> None:
    """`reproduce task3`'s table: one row per model (the report's and ours)."""
    held_out = any(row.get("held_out_cse_minutes") is not None for row in rows.values())
    extra = f" {'held-out CSE':>12} {'held-out hour':>13}" if held_out else ""
    print(f"{'':<9} {'model':<16} {'hour acc.':>9} {'minute MAE':>10} {'CSE min':>8}{extra} "
          f"{'train s':>8}  run")
    for role, row in rows.items():
        extra = (f" {_number(row.get('held_out_cse_minutes'), 2):>12} "
                 f"{_number(row.get('held_out_hour_accuracy'), 4):>13}") if held_out else ""
        print(f"{role:<9} {row['model']:<16} {_number(row['hour_accuracy'], 4):>9} "
              f"{_number(row['minute_mae'], 2):>10} {_number(row['cse_minutes'], 2):>8}{extra} "
              f"{_number(row['train_seconds'], 0):>8}  {row['run_id']}")
    if held_out:
        print("CSE, hour acc., minute MAE: test clocks of the training makes; held-out: clocks "
              "of makes the model never saw.")
    for role, row in rows.items():
        if row.get("learned_framing"):
            seconds = row.get("locator_seconds")
            trained = "" if seconds is None else f" (the locator trained {seconds:,.0f} s more)"
            print(f"{role} ({row['model']}) read every picture framed: the clock's centre and "
                  "radius found by a learned locator trained on other pictures of the training "
                  f"makes (dlnn.clocks.locator), the picture cropped round it{trained}.")
        elif row.get("framed"):
            print(f"{role} ({row['model']}) read every picture framed: the clock's centre and "
                  "radius measured on the picture (dlnn.clocks.framing), the picture cropped "
                  "round it.")


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
