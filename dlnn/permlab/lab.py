"""The permutation lab's plug-in (Task 2): what it adds to the core, declared in one place.

Registers the `permutation` CLI commands (the MLP invariance and the CNN feature maps),
`reproduce task2` with its `--seeds K` option, and the Permutation lab page. The lab adds no
run-configuration field: `permute` is the core's, and the lab is the study around it.
Importing this module is cheap (no TensorFlow, no pandas): the heavy modules are imported when
a command or the page needs them.
"""

from __future__ import annotations

import argparse
import signal
from typing import Any

from dlnn import registry
from dlnn.fields import ConfigError, Field

LAB = "permutation"
SEEDS = Field("seeds", int, None, "repeat every run with this many seeds (0, 1, ...) to see "
              "the spread of each difference", optional=True, none_means="3, quick: 1", low=1,
              high=10)


def _register_commands(commands: Any) -> None:
    from dlnn.permlab.cli import register

    register(commands)


def _seeds(text: str) -> int | None:
    try:
        value = SEEDS.parse(text)
        SEEDS.check(value)
    except ConfigError as error:
        raise argparse.ArgumentTypeError(error.reason) from None
    return value


def _reproduce_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=_seeds, default=None, metavar="K",
                        help=f"{SEEDS.help}; {SEEDS.allowed_text()}")


def _reproduce(args: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    """Train or reuse the study; Ctrl-C stops the run in progress and ends the study."""
    from dlnn.permlab.reproduce import reproduce_task2
    from dlnn.permlab.study import study_plan

    plan = study_plan(quick=args.quick, seeds=args.seeds)
    keys = plan.keys()
    current: list[Any] = []

    def on_run(key: Any, run: Any) -> None:
        current[:] = [run]
        if args.listener is not None:
            print(f"\n[{keys.index(key) + 1}/{len(keys)}] {key.label}: run {run.run_id}",
                  flush=True)

    def stop(*_: Any) -> None:
        if not current:
            raise KeyboardInterrupt
        current[0].request_stop()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        return reproduce_task2(quick=args.quick, listener=args.listener, retrain=args.retrain,
                               on_run=on_run, plan=plan)
    finally:
        signal.signal(signal.SIGINT, previous)


def _show(summary: dict[str, Any]) -> None:
    from dlnn.permlab.cli import print_task2_table

    print_task2_table(summary)


def _report(store: Any, quick: bool, options: Any) -> Any:
    from dlnn.permlab.report import report_part

    return report_part(store, quick, options)


registry.add_command(_register_commands)
registry.add_reproduce(registry.ReproduceEntry(
    "task2", "Task 2: MLP and CNN on original vs permuted pixels (the report's table)",
    _reproduce_arguments, _reproduce, _show,
    report=_report,
))
registry.add_page(registry.PageEntry(
    "pages/permutation.py", "Permutation lab", "permutation", LAB,
    "Task 2: one fixed pixel permutation; why it leaves an MLP untouched and hurts a CNN.",
))
