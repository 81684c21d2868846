"""The permutation lab's commands, registered through `dlnn.permlab.lab`.

    python -m dlnn permutation invariance --run RUN_ID [--json]   # an MLP ignores the permutation
    python -m dlnn permutation filters --run RUN_ID [--image N] [--json]   # a CNN's first layer
    python -m dlnn reproduce task2 [--quick] [--seeds K] [--json]   (the core's command)

`invariance` permutes the rows of a trained MLP's first Dense kernel with the permutation its
permuted twin trained on and compares its predictions on the permuted test images with the
original model's; `filters` computes a CNN's first-layer filters and feature maps on a test
image and on its permuted version. Both keep their answer in the run's folder (the dashboard
reads it there) and import TensorFlow only when they compute.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from dlnn import registry
from dlnn.permlab import explain
from dlnn.runs import Run, RunStore


def register(commands: Any) -> None:
    """Add `permutation` (invariance, filters) to the CLI."""
    from dlnn.cli import HelpFormatter, OneLineParser

    permutation = commands.add_parser("permutation", formatter_class=HelpFormatter,
                                      help="permutation lab: why an MLP ignores it, a CNN not")
    actions = permutation.add_subparsers(dest="permutation_command", required=True,
                                         parser_class=OneLineParser)
    invariance = actions.add_parser(
        "invariance", formatter_class=HelpFormatter,
        help="permute a trained MLP's first-layer rows; compare predictions on permuted images")
    filters = actions.add_parser(
        "filters", formatter_class=HelpFormatter,
        help="a trained CNN's first-layer filters and feature maps on an image and permuted")
    filters.add_argument("--image", type=_image_index, default=0, metavar="N",
                         help="index of the test image [0]")
    for parser in (invariance, filters):
        parser.add_argument("--run", required=True, help="a finished run on original pixels")
        parser.add_argument("--store", help="run store folder [the default store]")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
    invariance.set_defaults(handler=command_invariance)
    filters.set_defaults(handler=command_filters)


def _image_index(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; must be a whole number "
                                         "from 0 to the test set's size - 1")
    return int(text)


def _fail(message: str) -> SystemExit:
    return SystemExit(f"dlnn: error: {message}")


def _original_run(args: argparse.Namespace, kind: str) -> Run:
    """The finished run `--run` names, checked to be a `kind` trained on original pixels."""
    from dlnn.permlab.results import model_kind

    store = RunStore(Path(args.store)) if args.store else RunStore()
    try:
        run = store.get(args.run)
    except KeyError as missing:
        raise _fail(f"--run: {missing.args[0]}") from None
    config = run.config
    if run.status != "finished" or not run.model_path.exists():
        raise _fail(f"--run: run {run.run_id} is {run.status}; it needs a finished, saved model")
    if config.permute:
        raise _fail(f"--run: run {run.run_id} trained on permuted pixels; name its twin "
                    "trained on the original pixels")
    if registry.datasets()[config.dataset].task != "classification" or \
            model_kind(config.model) != kind:
        raise _fail(f"--run: run {run.run_id} is {config.model} on {config.dataset}; this "
                    f"command needs {'an MLP' if kind == 'mlp' else 'a CNN'} on MNIST-like images")
    return run


def _test_set(run: Run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The run's test images as its model takes them, their labels, and its permutation."""
    from dlnn.data import load_raw
    from dlnn.permutation import run_permutation

    raw = load_raw(run.config.dataset)
    images = raw.x_test.astype(np.float32) / 255.0
    if registry.models()[run.config.model].channels:
        images = images[..., np.newaxis]
    permutation = run_permutation(run.config, int(np.prod(raw.x_test.shape[1:])))
    return images, np.asarray(raw.y_test, dtype=np.int64), permutation


def command_invariance(args: argparse.Namespace) -> int:
    run = _original_run(args, "mlp")
    answer = explain.cached_invariance(run)
    if answer is None:
        import keras

        from dlnn.permlab.probes import invariance

        images, labels, permutation = _test_set(run)
        model = keras.saving.load_model(run.model_path)
        answer = {"run_id": run.run_id, "model": run.config.model,
                  "dataset": run.config.dataset, "permutation_seed": run.config.seed,
                  **invariance(model, images, labels, permutation)}
        explain.save_invariance(run, answer)
    if args.json:
        print(json.dumps(answer))
    else:
        print_invariance(answer)
    return 0


def print_invariance(answer: dict[str, Any]) -> None:
    """The invariance check in words."""
    print(f"{answer['model']} trained on original {answer['dataset']} (run {answer['run_id']}), "
          f"{answer['images']} test images, permutation seed {answer['permutation_seed']}:")
    rows = (("original weights, original images", "accuracy_original"),
            ("original weights, permuted images", "accuracy_permuted_same_weights"),
            ("first-layer rows permuted, permuted images", "accuracy_permuted_rows"))
    for text, name in rows:
        print(f"  {text + ':':<44} accuracy {answer[name]:.4f}")
    print(f"  largest probability difference: {answer['max_probability_difference']:.2e}; "
          f"predictions changed: {answer['predictions_changed']}")


def command_filters(args: argparse.Namespace) -> int:
    run = _original_run(args, "cnn")
    path = explain.maps_path(run, args.image)
    maps = explain.cached_maps(run, args.image)
    if maps is None:
        import keras

        from dlnn.permlab.probes import first_layer_maps

        images, _, permutation = _test_set(run)
        if args.image >= len(images):
            raise _fail(f"--image: {args.image} is not allowed; must be a whole number from 0 "
                        f"to {len(images) - 1}")
        model = keras.saving.load_model(run.model_path)
        maps = first_layer_maps(model, images[args.image], permutation)
        explain.save_maps(run, args.image, maps)
    digest = {"run_id": run.run_id, "image": args.image, "path": str(path),
              **explain.summary_of_maps(maps)}
    if args.json:
        print(json.dumps(digest))
    else:
        print(f"{digest['filters'][0]} filters of {digest['filters'][1]}x{digest['filters'][2]};"
              f" feature maps {digest['maps'][1]}x{digest['maps'][2]}; mean response "
              f"{digest['mean_response_original']:.4f} on the original image, "
              f"{digest['mean_response_permuted']:.4f} on the permuted one; saved in {path}")
    return 0


# -- reproduce task2 ------------------------------------------------------------------------
def print_task2_table(summary: dict[str, Any]) -> None:
    """`reproduce task2` for a person: our test accuracies beside the report's, the verdicts."""
    from dlnn.permlab.results import PUBLIC, REPORTED, model_kind

    seeds = summary["seeds"]
    print(f"\nTask 2: test accuracy on original and permuted pixels, mean over {len(seeds)} "
          f"seed(s) {', '.join(map(str, seeds))}; difference = permuted - original")
    print(f"{'data set':<14} {'model':<12} {'original':>8} {'permuted':>8} {'diff':>8} "
          f"{'± std':>7} | {'report':>7} {'report':>7} {'report':>7}")
    print(f"{'':<14} {'':<12} {'':>8} {'':>8} {'':>8} {'':>7} | {'orig':>7} {'perm':>7} "
          f"{'diff':>7}")
    sentences = []
    for dataset in summary["datasets"]:
        for model, row in summary[dataset].items():
            reported = REPORTED.get((dataset, model_kind(model)), {})
            spread = (row.get("spread") or {}).get("difference_std")
            print(f"{dataset:<14} {model:<12} {_cell(row['original'])} "
                  f"{_cell(row['permuted'])} {_cell(row['difference'], '+')} "
                  f"{_cell(spread, width=7)} | {_cell(reported.get('original'), width=7)} "
                  f"{_cell(reported.get('permuted'), width=7)} "
                  f"{_cell(reported.get('difference'), '+', 7)}")
            sentences.append(row["sentence"])
    for public in PUBLIC:
        print(f"{public['source']}: {public['model']} on {public['dataset']} "
              f"{public['original']:.4f} -> {public['permuted']:.4f} permuted")
    print()
    for sentence in sentences:
        print(sentence)
    print(f"\n{summary['finished_runs']}/{summary['planned_runs']} runs finished in "
          f"{summary['seconds']:.0f} s; figures: {', '.join(summary['figures'].values())}")


def _cell(value: float | None, sign: str = "", width: int = 8) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{sign}{width}.4f}"
