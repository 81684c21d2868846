"""The Task 1 lab's `sweep` command, registered through `dlnn.hparams.lab`.

    python -m dlnn sweep --list
    python -m dlnn sweep optimizers --model mlp-keras --dataset mnist [--epochs 10]
        [--subset N] [--seeds K] [--quick] [--retrain] [--json] [any run option]
    python -m dlnn sweep custom --vary optimizer:sgd,adam [--vary batch_size:32,256] ...

Members train in this process, one after another (TensorFlow loads once); finished members
are reused, so a second call trains nothing and an interrupted one resumes. Ctrl-C stops the
running member (kept as cancelled) and leaves the rest untrained. The table lists the values
best first (best validation accuracy, its epoch, test accuracy, seconds per epoch, learning
rate used); `--json` prints one object per member instead.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
from typing import Any

from dlnn import tensorboard_logs
from dlnn.config import ConfigError, RunConfig
from dlnn.hparams import plan as plans
from dlnn.hparams.named import NAMED_SWEEPS
from dlnn.hparams.protocols import PROTOCOLS, Panel
from dlnn.hparams.results import display_table, member_table, run_metrics, summary_table
from dlnn.runs import ACTIVE, Run, RunStore
from dlnn.sweeps import Member, member_runs, train_here

JSON_FIELDS = ("best_val_accuracy", "best_epoch", "test_accuracy", "seconds_per_epoch",
               "run_id", "status")


def register(commands: Any) -> None:
    """Add `sweep` to the CLI."""
    from dlnn.cli import HelpFormatter, add_config_options

    names = ", ".join(NAMED_SWEEPS)
    sweep = commands.add_parser(
        "sweep", formatter_class=HelpFormatter,
        help="train a sweep (one curve per value, as in the report's Figures 1-3)",
        description="Train every value of a named or custom sweep for one model and data set "
                    "and print the values best first.")
    sweep.add_argument("name", nargs="?", metavar="NAME",
                       help=f"a named sweep ({names}) or custom (with --vary)")
    sweep.add_argument("--list", action="store_true", help="list the named sweeps and exit")
    sweep.add_argument("--vary", action="append", default=[], metavar="FIELD:V1,V2",
                       help="a custom sweep's field and values (twice for a grid), e.g. "
                            "optimizer:sgd,adam")
    sweep.add_argument("--seeds", default="1", metavar="K",
                       help=f"train each value with seeds 0..K-1 and show mean ± spread; "
                            f"1 to {plans.MAX_SEEDS} [1]")
    sweep.add_argument("--quick", action="store_true",
                       help="the class protocol: a 5,000-image subset and 3 epochs (options "
                            "given explicitly still win)")
    sweep.add_argument("--retrain", action="store_true",
                       help="train every member again, even finished ones")
    sweep.add_argument("--json", action="store_true", help="print one JSON object per member")
    sweep.add_argument("--executor", choices=("local", "ray"), default=None,
                       help="where members train: here one after another (local), or in "
                            "parallel on the Ray cluster of $RAY_ADDRESS (ray; needs "
                            "requirements-ray.txt) [$DLNN_EXECUTOR, else local]")
    add_config_options(sweep)
    sweep.set_defaults(handler=command_sweep)


def command_sweep(args: argparse.Namespace) -> int:
    if args.list:
        for entry in NAMED_SWEEPS.values():
            cnn = " (CNNs only)" if entry.cnn_only else ""
            values = ("the zoo's MLPs or CNNs" if callable(entry.values)
                      else ", ".join(map(str, entry.values)))
            print(f"{entry.name:<14} {entry.field:<14} {entry.help}{cnn}; values: {values}")
        return 0
    if not args.name:
        raise SystemExit("dlnn: error: NAME: give a named sweep (see --list) or custom")
    plan = _plan(args)
    plan.sweeps()  # a bad value raises ConfigError naming its field before anything trains
    members = [member for _, member in plan.members()]
    configs = [member.config for member in members]
    store = RunStore()
    runs = _train(configs, store, args)
    rows = _rows(plan, members, runs)
    if args.json:
        print(json.dumps(rows))
    else:
        _print_table(plan, members, runs)
        logged = [run.run_id for run in runs
                  if run is not None and tensorboard_logs.log_dir(run.path).is_dir()]
        if logged:
            print(f"TensorBoard (the sweep in its HParams view): python -m dlnn tensorboard "
                  f"{' '.join(logged)} --start")
    return 0 if all(row["status"] == "finished" for row in rows) else 1


def _plan(args: argparse.Namespace) -> plans.Plan:
    """The plan for one panel; run options given explicitly override the protocol's."""
    from dlnn import registry

    explicit = {name: (raw if isinstance(raw, bool) else declared.parse(raw))
                for name, declared in registry.fields().items()
                if (raw := getattr(args, name, None)) is not None}
    defaults = RunConfig()
    panel = Panel(explicit.pop("model", defaults.model), explicit.pop("dataset", defaults.dataset))
    if not str(args.seeds).isdigit():
        raise ConfigError("seeds", args.seeds,
                          f"must be a whole number from 1 to {plans.MAX_SEEDS}")
    if args.name != plans.CUSTOM and args.vary:
        raise ConfigError("vary", args.vary[0],
                          f"only a custom sweep takes --vary, not {args.name}")
    axes = tuple(plans.parse_vary(text) for text in args.vary)
    protocol = PROTOCOLS["quick" if args.quick else "report"]
    plan = plans.Plan(args.name, protocol, (panel,), int(args.seeds), axes,
                      tuple(explicit.items()))
    try:
        plan.check()
    except ConfigError as error:
        if error.field == "sweep":
            raise SystemExit(f"dlnn: error: NAME: {error.reason}") from None
        if error.field == "panels":  # the CLI's panel is --model on --dataset
            raise ConfigError("model", panel.model, error.reason.split("; ", 1)[1]) from None
        raise
    return plan


def _train(configs: list[RunConfig], store: RunStore, args: argparse.Namespace
           ) -> list[Run | None]:
    from dlnn.cli import ProgressPrinter

    current: list[Run] = []  # the members this call started (on Ray, several at once)

    def told(index: int, config: RunConfig, run: Run) -> None:
        current.append(run)
        if not args.json:
            print(f"member {index + 1}/{len(configs)}: {config.optimizer} lr "
                  f"{config.effective_learning_rate:g}, {config.activation}, "
                  f"{config.initializer}, seed {config.seed} -> {run.run_id}", flush=True)

    signal.signal(signal.SIGINT, lambda *_: [run.request_stop() for run in current
                                             if run.status in ACTIVE])
    train_here(configs, store, retrain=args.retrain,
               listener=None if args.json else ProgressPrinter(), on_member=told,
               executor=args.executor)
    return member_runs(store, configs)


def _rows(plan: plans.Plan, members: list[Member], runs: list[Run | None]
          ) -> list[dict[str, Any]]:
    """One JSON object per member: the swept value(s) and the headline numbers."""
    rows = []
    for member, run in zip(members, runs, strict=True):
        metrics = run_metrics(run)
        values = [value for _, value in member.values]
        row = {**dict(member.values), "value": values[0] if len(values) == 1 else values,
               **{name: metrics.get(name) for name in JSON_FIELDS},
               "learning_rate": member.config.effective_learning_rate, "seed": member.seed,
               "panel": plan.panels[0].name, "protocol": plan.protocol.name}
        rows.append({key: _json_value(value) for key, value in row.items()})
    return rows


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _print_table(plan: plans.Plan, members: list[Member], runs: list[Run | None]) -> None:
    table = summary_table(member_table(members, runs), plan.swept_fields())
    print(f"\n{plan.title} · {plan.panels[0].title} · {plan.label}")
    shown = display_table(table)
    print(shown.to_string(index=False))
