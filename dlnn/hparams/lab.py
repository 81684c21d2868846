"""The Task 1 lab's plug-in: what it adds to the core, declared in one place.

Registers the `sweep` command, `reproduce task1` and the Sweeps page. It adds no fields, data
sets or models: the sweeps vary the core's fields over the core's zoo. Importing this module
is cheap (no TensorFlow, no pandas): the heavy modules load when a command or the page runs.
"""

from __future__ import annotations

import argparse
from typing import Any

from dlnn import registry

LAB = "task1"


def _register_commands(commands: Any) -> None:
    from dlnn.hparams.cli import register

    register(commands)


def _reproduce_arguments(parser: argparse.ArgumentParser) -> None:
    """`reproduce task1`'s own option, besides the common --quick, --retrain, --json."""
    parser.add_argument(
        "--best-full-data", action="store_true",
        help="with --quick: the quick sweeps pick the best settings, which then train on all "
             "training images with early stopping, as under the report's protocol")


def _reproduce(args: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    from dlnn.hparams.reproduce import reproduce_task1
    from dlnn.reproduce_all import Stopper, ctrl_c_stops

    say = None if args.listener is None else print
    with ctrl_c_stops(Stopper()) as stopper:
        summary = reproduce_task1(quick=args.quick, listener=args.listener,
                                  retrain=args.retrain, say=say,
                                  best_full_data=getattr(args, "best_full_data", False),
                                  on_run=stopper.watch)
    return summary, summary["complete"]


def _show(summary: dict[str, Any]) -> None:
    from dlnn.hparams.reproduce import print_summary

    print_summary(summary)


def _report(store: Any, quick: bool, options: Any) -> Any:
    from dlnn.hparams.report import report_part

    return report_part(store, quick, options)


registry.add_command(_register_commands)
registry.add_reproduce(registry.ReproduceEntry(
    "task1", "Task 1: the report's optimizer, activation and initializer sweeps (Figures 1-3) "
    "over four panels, then the best settings", _reproduce_arguments, _reproduce, _show,
    report=_report,
))
registry.add_page(registry.PageEntry(
    "pages/sweeps.py", "Sweeps", "sweeps", LAB,
    "Task 1: compare optimizers, activations, initializers and more, live; the report's "
    "Figures 1-3, parallel coordinates and the best settings.",
))
