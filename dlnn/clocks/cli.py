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
from pathlib import Path
from typing import Any

import numpy as np

from dlnn.clocks.render import PRESETS
from dlnn.runs import Run, RunStore

CSV_COLUMNS = ("true_hour", "true_minute", "pred_hour", "pred_minute")


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
    try:
        return RunStore().get(run_id)
    except KeyError as missing:
        raise _fail(missing.args[0]) from None


def command_generate(args: argparse.Namespace) -> int:
    import dataclasses

    from dlnn.clocks.course import save_course_data
    from dlnn.clocks.render import generate_clocks

    if args.n < 1:
        raise _fail(f"--n: {args.n} is not allowed; must be at least 1")
    try:
        style = dataclasses.replace(PRESETS[args.preset], size=args.size)
    except ValueError as error:
        raise _fail(f"--size: {error}") from None
    images, labels = generate_clocks(args.n, style, args.seed)
    folder = save_course_data(args.out, images, labels)
    print(f"wrote {args.n} {args.preset} clocks of {args.size}x{args.size} to {folder}")
    return 0


def command_evaluate(args: argparse.Namespace) -> int:
    from dlnn.clocks.course import CourseDataError, load_course_data
    from dlnn.clocks.task import clock_scores, read_times

    run = _run(args.run)
    try:
        images, labels = load_course_data(args.data)
        predicted = read_times(run, images)
    except (CourseDataError, ValueError) as error:
        raise _fail(str(error)) from None
    scores = clock_scores(labels, predicted)
    if args.predictions:
        write_predictions_csv(Path(args.predictions), labels, predicted)
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


def command_predict(args: argparse.Namespace) -> int:
    from PIL import Image, UnidentifiedImageError

    from dlnn.clocks.datasets import photo_to_clock
    from dlnn.clocks.task import read_times

    run = _run(args.run)
    try:
        photo = np.asarray(Image.open(args.image))
    except (OSError, UnidentifiedImageError) as error:
        raise _fail(f"--image: {args.image} cannot be read as an image ({error})") from None
    try:
        clock = photo_to_clock(photo, run.config.image_size)
        hour, minute = (int(value) for value in read_times(run, clock[np.newaxis])[0])
    except ValueError as error:
        raise _fail(str(error)) from None
    answer = {"run_id": run.run_id, "hour": hour, "minute": minute,
              "time": f"{hour or 12}:{minute:02d}"}
    print(json.dumps(answer) if args.json else answer["time"])
    return 0


def print_task3_table(rows: dict[str, dict[str, Any]]) -> None:
    """`reproduce task3`'s table: one row per model (the report's and ours)."""
    print(f"{'':<9} {'model':<16} {'hour acc.':>9} {'minute MAE':>10} {'CSE min':>8} "
          f"{'train s':>8}  run")
    for role, row in rows.items():
        print(f"{role:<9} {row['model']:<16} {_number(row['hour_accuracy'], 4):>9} "
              f"{_number(row['minute_mae'], 2):>10} {_number(row['cse_minutes'], 2):>8} "
              f"{_number(row['train_seconds'], 0):>8}  {row['run_id']}")


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
