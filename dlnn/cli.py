"""The command line: every experiment headless.

    python -m dlnn train --dataset mnist --model cnn-keras --optimizer adam --epochs 3
    python -m dlnn train ... --json          # one JSON object at the end instead of progress
    python -m dlnn runs                      # the run store as a table
    python -m dlnn runs show RUN_ID | runs delete RUN_ID
    python -m dlnn runs repair [RUN_ID]      # rebuild or set aside damaged runs
    python -m dlnn tensorboard [RUN_ID ...]  # the command that opens runs in TensorBoard
    python -m dlnn reproduce task3 --quick   # a target a lab registered
    python -m dlnn reproduce all --quick     # every target, then cache/report/index.html

Every run-configuration field is an option (`--batch-size N`), declared once in the registry
with its limits and help; the labs add their own options and commands.

`train` runs in this process (it is the worker) and prints events as they come; Ctrl-C or
SIGTERM asks the run to stop and keeps it as cancelled. The same configuration already
training elsewhere is joined (its progress is printed), not trained twice. Bad options exit
with status 2 and one line that names the option; a closed pipe (`| head`) ends the output,
never the run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import textwrap
from collections.abc import Sequence
from typing import Any, NoReturn

from dlnn import registry
from dlnn.config import ConfigError, RunConfig
from dlnn.fields import Field
from dlnn.runs import DAMAGED, Run, RunDamaged, RunStore

# How often `train` logs a batch (not a RunConfig field: it changes no result).
LOG_EVERY = Field("log_every", int, 5, "a batch event every N batches", low=1, high=10_000)
PORT = Field("port", int, 6006, "a TCP port", low=1, high=65_535)


class HelpFormatter(argparse.HelpFormatter):
    """Wraps help text without splitting hyphenated names such as `cnn-keras`."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are a single line naming the option."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"dlnn: error: {message}\n")


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """One option per declared run-configuration field, help and limits from its declaration.

    Values are read as text and parsed by the field itself (`Field.parse`), so the command
    line refuses exactly what validation refuses, with the same message naming the field.
    """
    for declared in registry.fields().values():
        help_text = f"{declared.help}; {declared.allowed_text()} [default: " \
                    f"{declared.format(declared.default)}]"
        if declared.kind is bool:
            parser.add_argument(declared.flag, dest=declared.name,
                                action=argparse.BooleanOptionalAction, default=None,
                                help=help_text)
        else:
            parser.add_argument(declared.flag, dest=declared.name, default=None,
                                help=help_text, metavar=_metavar(declared))


def _metavar(declared: Field) -> str:
    return {int: "N", float: "X"}.get(declared.kind, declared.name.upper())


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The validated RunConfig the parsed options describe (unset options: the defaults)."""
    values: dict[str, Any] = {}
    for name, declared in registry.fields().items():
        raw = getattr(args, name, None)
        if raw is None:
            continue
        values[name] = raw if isinstance(raw, bool) else declared.parse(raw)
    return RunConfig(**values).validate()


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m dlnn", description="dlnn: the deep-learning lab.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    train = commands.add_parser("train", help="train one configuration",
                                formatter_class=HelpFormatter)
    add_config_options(train)
    train.add_argument("--retrain", action="store_true",
                       help="train even if this configuration already finished")
    train.add_argument("--json", action="store_true",
                       help="print one JSON object at the end instead of progress")
    train.add_argument("--log-every", type=_declared(LOG_EVERY), default=5, metavar="N",
                       help=f"{LOG_EVERY.help}; {LOG_EVERY.allowed_text()} [5]")
    train.set_defaults(handler=command_train)

    runs = commands.add_parser("runs", help="list, show, delete or repair stored runs")
    runs.add_argument("action", nargs="?", choices=("list", "show", "delete", "repair"),
                      default="list")
    runs.add_argument("run_id", nargs="?", help="the run for show / delete (/ repair)")
    runs.add_argument("--json", action="store_true", help="machine-readable output")
    runs.set_defaults(handler=command_runs)

    summary = commands.add_parser("summary", formatter_class=HelpFormatter,
                                  help="a configuration's model: layers, shapes, parameters")
    add_config_options(summary)
    summary.add_argument("--json", action="store_true", help="print JSON")
    summary.set_defaults(handler=command_summary)

    board = commands.add_parser("tensorboard", formatter_class=HelpFormatter,
                                help="print (or --start) the command that opens runs in "
                                     "TensorBoard")
    board.add_argument("run_ids", nargs="*", metavar="RUN_ID",
                       help="the runs to open (default: every stored run)")
    board.add_argument("--start", action="store_true",
                       help="start TensorBoard here instead of printing the command")
    board.add_argument("--port", type=_declared(PORT), default=None,
                       help="TensorBoard's port [6006, or the next free one]")
    board.set_defaults(handler=command_tensorboard)

    worker = commands.add_parser("worker", help="(internal) train queued runs")
    worker.add_argument("--store", required=True, help="run store folder")
    worker.add_argument("--standby", action="store_true",
                        help="load TensorFlow, then wait for runs to be handed over")
    worker.add_argument("--owner", type=int, help="a standby exits when idle and this pid ends")
    worker.add_argument("--executor", choices=("local", "ray"), default="local",
                        help="ray: send the runs to the Ray cluster and store what comes back")
    worker.add_argument("run_ids", nargs="*")
    worker.set_defaults(handler=command_worker)
    add_reproduce_command(commands)
    for register in registry.commands():
        register(commands)
    return parser


def _declared(declared: Field) -> Any:
    """An argparse `type` that parses and checks a value as `declared` says."""
    def parse(text: str) -> Any:
        try:
            value = declared.parse(text)
            declared.check(value)
        except ConfigError as error:
            raise argparse.ArgumentTypeError(error.reason) from None
        return value
    return parse


def add_reproduce_command(commands: Any) -> None:
    """`reproduce NAME` for every registered target, and `reproduce all` for all of them."""
    reproduce = commands.add_parser("reproduce", help="reproduce the report's tasks",
                                    formatter_class=HelpFormatter)
    targets = reproduce.add_subparsers(dest="target", required=True, parser_class=OneLineParser,
                                       metavar="{" + ",".join([*registry.reproduce_entries(),
                                                                "all"]) + "}")
    entries = registry.reproduce_entries()
    for entry in entries.values():
        parser = targets.add_parser(entry.name, help=entry.help, formatter_class=HelpFormatter)
        _reproduce_options(parser)
        entry.add_arguments(parser)
        parser.set_defaults(handler=command_reproduce, entries=[entry.name])
    # Two labs may both declare an option (`--seeds`, say): `all` passes one value to both.
    every = targets.add_parser("all", help="every task above, then the whole report as one "
                               "HTML file (cache/report/index.html)",
                               formatter_class=HelpFormatter, conflict_handler="resolve")
    _reproduce_options(every)
    every.add_argument("--no-png", action="store_true",
                       help="skip the PNG copies of the figures (Kaleido and Chromium)")
    for entry in entries.values():
        entry.add_arguments(every)
    every.set_defaults(handler=command_reproduce_all)


def _reproduce_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="the class-sized protocol: subsets and fewer epochs")
    parser.add_argument("--retrain", action="store_true",
                        help="train even where a finished run exists")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def command_reproduce(args: argparse.Namespace) -> int:
    args.listener = None if args.json else ProgressPrinter()
    entries = registry.reproduce_entries()
    summaries: dict[str, Any] = {}
    complete = True
    for name in args.entries:
        summary, finished = entries[name].run(args)
        summaries[name] = summary
        complete = complete and finished
        if not args.json:
            entries[name].show(summary)
    if args.json:
        single = len(args.entries) == 1
        print(json.dumps(summaries[args.entries[0]] if single else summaries))
    return 0 if complete else 1


def command_reproduce_all(args: argparse.Namespace) -> int:
    from dlnn.reproduce_all import reproduce_all

    args.listener = None if args.json else ProgressPrinter()
    return reproduce_all(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    code = 1
    try:
        code = args.handler(args)
        sys.stdout.flush()  # a closed pipe shows here at the latest, not at exit
    except ConfigError as error:  # named as the user typed it: --batch-size, not batch_size
        parser.exit(2, f"dlnn: error: --{error.field.replace('_', '-')}: {error.reason}\n")
    except BrokenPipeError:  # `dlnn runs | head`: the reader has gone, nothing to say
        silence_stdout()
    except KeyboardInterrupt:  # a second Ctrl-C, or one between runs: no traceback
        print("\ndlnn: stopped; finished runs are kept, and the same command resumes",
              file=sys.stderr)
        code = 130
    return code


def silence_stdout() -> None:
    """Send the rest of stdout to /dev/null (its reader closed the pipe), so that no later
    print, nor Python's flush at exit, raises BrokenPipeError."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


# -- train ----------------------------------------------------------------------------------
def command_train(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    run, created = RunStore().create_or_join(config, reuse_finished=not args.retrain)
    listener = None if args.json else ProgressPrinter()
    if created:
        from dlnn import backends

        backends.select(config.backend)
        from dlnn import training  # a queued run waits up to QUEUE_GRACE_SECONDS for this

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: run.request_stop())
        if not args.json:
            print(f"run {run.run_id}: {config.model} on {config.dataset}, "
                  f"{config.optimizer} lr={config.effective_learning_rate}")
        training.execute(run, log_every=args.log_every, listener=listener)
    elif run.status_record()["status"] == "finished":
        if not args.json:
            print(f"reusing finished run {run.run_id} (use --retrain to train again)")
    else:
        if not args.json:
            print(f"joining run {run.run_id}: the same configuration is training already")
        try:
            for event in run.follow():
                if listener is not None:
                    listener(event)
        except KeyboardInterrupt:
            print(f"stopped following run {run.run_id}; it goes on training", file=sys.stderr)
            return 130
    summary = run_summary(run)
    if args.json:
        print(json.dumps(summary))
    else:
        print(_summary_text(summary))
    return 0 if summary["status"] == "finished" else 1


def run_summary(run: Any) -> dict[str, Any]:
    """The headline numbers of a run, as `train --json` prints them.

    A damaged run has status `damaged`, the file and the reason as `reason`, and None for
    whatever cannot be read.
    """
    from dlnn import headlines  # pandas: only when runs are shown

    result = run.result() or {}
    status = run.status_record()
    try:
        config = run.config.to_dict()
        metrics = headlines.for_config(run.config).test
    except RunDamaged:
        config, metrics = None, ()
    return {
        "run_id": run.run_id,
        "status": status["status"],
        "reason": status.get("reason", ""),
        # The task's own test numbers (a clock reader's CSE, hour accuracy, ...).
        "headline": {metric.name: result.get(metric.name) for metric in metrics},
        "test_accuracy": result.get("test_accuracy"),
        "test_loss": result.get("test_loss"),
        "epochs_run": run.epochs_run(),
        "seconds_per_epoch": result.get("seconds_per_epoch"),
        "config": config,
    }


def _summary_text(summary: dict[str, Any]) -> str:
    if summary["status"] != "finished":
        return f"run {summary['run_id']} {summary['status']}: {summary['reason']}"
    return (f"run {summary['run_id']} finished: test accuracy {summary['test_accuracy']:.4f}, "
            f"test loss {summary['test_loss']:.4f}, {summary['epochs_run']} epochs, "
            f"{summary['seconds_per_epoch']:.1f} s/epoch")


class ProgressPrinter:
    """Prints events: a rewritten line per batch on a terminal, one line per epoch."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.epochs = 0
        self.steps = 0

    def __call__(self, event: dict[str, Any]) -> None:
        try:
            self._print(event)
        except BrokenPipeError:  # `dlnn train | head`: go quiet, the run trains on
            silence_stdout()

    def _print(self, event: dict[str, Any]) -> None:
        kind = event["type"]
        if kind == "started":
            self.epochs, self.steps = event["epochs"], event["steps_per_epoch"]
            print(f"training on {event['train_samples']} images, {event['parameters']:,} "
                  f"parameters, {self.steps} batches per epoch", file=self.stream)
        elif kind == "batch":
            self._batch(event)
        elif kind == "epoch":
            end = "\r\033[K" if self.tty else ""
            print(f"{end}epoch {event['epoch']}/{self.epochs} {event['seconds']:.1f}s  "
                  f"{_metrics_text(event['metrics'])}", file=self.stream, flush=True)

    def _batch(self, event: dict[str, Any]) -> None:
        text = (f"epoch {event['epoch']}/{self.epochs} batch {event['batch']}/{self.steps}  "
                f"{_metrics_text(event['metrics'])}")
        if self.tty:
            print(f"\r\033[K{text}", end="", file=self.stream, flush=True)
        elif event["batch"] % max(1, self.steps // 4) < 5 and event["batch"] != self.steps:
            print(text, file=self.stream, flush=True)


def _metrics_text(metrics: dict[str, float]) -> str:
    return "  ".join(f"{name} {value:.4f}" for name, value in metrics.items())


# -- runs -----------------------------------------------------------------------------------
def command_runs(args: argparse.Namespace) -> int:
    store = RunStore()
    if args.action == "list":
        summaries = [run_summary(run) for run in store.list()]
        if args.json:
            print(json.dumps(summaries))
        else:
            _print_table(summaries)
        return 0
    if args.action == "repair":
        return _repair(store, args.run_id)
    if not args.run_id:
        raise SystemExit(f"dlnn: error: runs {args.action} needs a RUN_ID")
    run = _stored_run(store, args.run_id)
    if args.action == "delete":
        store.delete(run.run_id)
        print(f"deleted {run.run_id}")
    else:
        print(json.dumps({**run_summary(run), "result": run.result(),
                          "environment": run.environment()}, indent=2))
    return 0


def _stored_run(store: RunStore, run_id: str) -> Run:
    try:
        return store.get(run_id)
    except KeyError as missing:
        raise SystemExit(f"dlnn: error: {missing.args[0]}") from None


def _repair(store: RunStore, run_id: str | None) -> int:
    if run_id is not None:
        _stored_run(store, run_id)  # a path or an unknown id is refused with one line
    done = store.repair(run_id)
    for repaired, action in done:
        print(f"{repaired}: {action}")
    if not done:
        print("no run is damaged: nothing to repair" if run_id is None
              else f"{run_id} is not damaged: nothing to repair")
    return 0


def _print_table(summaries: list[dict[str, Any]]) -> None:
    if not summaries:
        print("no runs yet: try `python -m dlnn train --epochs 1 --subset 2000`")
        return
    from dlnn import headlines

    print(f"{'run_id':<48} {'status':<11} {'dataset':<14} {'model':<18} {'opt':<8} "
          f"{'epochs':>6}  test result")
    for s in summaries:
        config = s["config"] or {}
        dataset, model, optimizer = (str(config.get(name, "-"))
                                     for name in ("dataset", "model", "optimizer"))
        outcome = "-"
        if s["headline"] and s["status"] == "finished":
            metrics = headlines.for_config(RunConfig.from_dict(config)).test[:2]
            outcome = ", ".join(f"{_in_a_line(metric.label)} "
                                f"{metric.format(s['headline'][metric.name])}"
                                for metric in metrics)
        print(f"{s['run_id']:<48} {s['status']:<11} {dataset:<14} {model:<18} {optimizer:<8} "
              f"{s['epochs_run']:>6}  {outcome}")
    damaged = [s for s in summaries if s["status"] == DAMAGED]
    for s in damaged:
        print(f"{s['run_id']} is damaged: {s['reason']}")
    if damaged:
        print("`python -m dlnn runs repair` rebuilds or sets aside damaged runs; "
              "`runs delete RUN_ID` removes one")


def _in_a_line(label: str) -> str:
    """A metric's label inside a line of text: `Test accuracy` -> `accuracy`, `Test CSE` ->
    `CSE`, `Hour accuracy` -> `hour accuracy`."""
    words = label.removeprefix("Test ").split(" ")
    if not words[0].isupper():
        words[0] = words[0].lower()
    return " ".join(words)


# -- tensorboard ----------------------------------------------------------------------------
def command_tensorboard(args: argparse.Namespace) -> int:
    import shlex
    import subprocess

    from dlnn import tensorboard_logs

    store = RunStore()
    runs = [_stored_run(store, run_id) for run_id in args.run_ids]
    missing = [run.run_id for run in runs
               if not tensorboard_logs.log_dir(run.path).is_dir()]
    if missing:
        raise SystemExit(f"dlnn: error: RUN_ID: {', '.join(missing)} wrote no TensorBoard "
                         "logs (trained before dlnn wrote them, or never started)")
    command = tensorboard_logs.tensorboard_command(runs, args.port)
    if not args.start:
        print(shlex.join(command))
        return 0
    if not tensorboard_logs.available():
        raise SystemExit("dlnn: error: --start: TensorBoard is not installed; "
                         "pip install -r requirements.txt")
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


# -- summary --------------------------------------------------------------------------------
def command_summary(args: argparse.Namespace) -> int:
    from dlnn import training
    from dlnn.models import summarize

    config = config_from_args(args)
    summary = summarize(training.task_for(config).model_for_summary(config))
    if args.json:
        print(json.dumps(summary))
    else:
        for layer in summary["layers"]:
            print(f"{layer['name']:<24} {layer['type']:<20} {layer['output_shape']:<22} "
                  f"{layer['parameters']:>10,}")
        print(f"total parameters: {summary['parameters']:,}")
    return 0


# -- worker ---------------------------------------------------------------------------------
def command_worker(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dlnn.runner import work

    store = RunStore(Path(args.store))
    if args.executor == "ray":
        from dlnn import ray_executor

        return ray_executor.work(store, args.run_ids)
    if not args.standby:
        return work(store, args.run_ids)
    from dlnn import standby, training  # noqa: F401  (importing TensorFlow is the point)
    from dlnn.runner import keep_worker_ready

    return standby.serve(store, lambda run_ids: work(store, run_ids),
                         successor=lambda: keep_worker_ready(store, owner=args.owner),
                         owner=args.owner)
