"""`python -m dlnn reproduce all`: every task's runs, trained or loaded, then the whole report.

The parts come from the registry (each reproduce target's `report` hook says which runs it
needs), so the core imports no lab. Runs with a finished (or failed) run in the store are
loaded, the rest train in this process one after another under one progress line: the run
now training, runs done and left, and the time left estimated from the runs finished so far.
A part may need more runs once others end (Task 1's best settings follow its sweeps): the
parts are asked again until nothing is left. Then `cache/report/index.html` is written.

Ctrl-C stops the run in progress after its batch (a second Ctrl-C stops at once); every
finished run stays in the store, and the same command continues where it stopped.

Example:
    $ python -m dlnn reproduce all --quick
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dlnn import report
from dlnn.config import RunConfig
from dlnn.runs import ACTIVE, Run, RunStore
from dlnn.sweeps import duration_text

BAR_WIDTH = 24


@dataclass
class Progress:
    """Runs done and left over every part, and the pace of the runs trained here."""

    total: int
    done: int
    seconds: list[float] = field(default_factory=list)  # each run trained by this command

    @property
    def left(self) -> int:
        return self.total - self.done

    def eta_seconds(self) -> float | None:
        """Time left: the mean of the runs trained so far times the runs left."""
        if not self.seconds:
            return None
        return sum(self.seconds) / len(self.seconds) * self.left

    def line(self, current: str) -> str:
        """`[#####-------] 12/98 runs, 86 left, about 14 min left | now: task1 ...`."""
        filled = round(BAR_WIDTH * self.done / self.total) if self.total else BAR_WIDTH
        eta = self.eta_seconds()
        pace = ("time left known after the first run" if eta is None
                else f"about {duration_text(eta)} left")
        return (f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {self.done}/{self.total} runs, "
                f"{self.left} left, {pace} | now: {current}")


class Stopper:
    """Ctrl-C asks the run in progress to stop after its batch; a second one raises."""

    def __init__(self) -> None:
        self.current: Run | None = None
        self.stopped = False

    def __call__(self, *_: Any) -> None:
        if self.stopped or self.current is None:
            raise KeyboardInterrupt
        self.stopped = True
        self.current.request_stop()
        print("\nstopping after this batch (Ctrl-C again to stop at once); finished runs are "
              "kept", file=sys.stderr, flush=True)

    def watch(self, run: Run) -> None:
        """`run` is the one training now: the next Ctrl-C stops it."""
        self.current = run


@contextmanager
def ctrl_c_stops(stopper: Stopper) -> Iterator[Stopper]:
    previous = signal.signal(signal.SIGINT, stopper)
    try:
        yield stopper
    finally:
        signal.signal(signal.SIGINT, previous)


def reproduce_all(args: argparse.Namespace, store: RunStore | None = None,
                  say: Callable[[str], None] | None = None) -> int:
    """Train what every part misses, write the report; 0 when every run is there."""
    store = store or RunStore()
    say = say or (lambda text: None if args.json else print(text, flush=True))
    options = vars(args)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    stopper = Stopper()
    with ctrl_c_stops(stopper):
        parts = train_missing(store, args, options, stopper, timings, say)
    timings = {part.name: timings.get(part.name, 0.0) for part in parts}  # 0: all loaded
    say("writing the report ...")
    writing = time.perf_counter()
    written = report.write_report(parts, args.quick, store, timings,
                                  png=not getattr(args, "no_png", False))
    timings["report"] = time.perf_counter() - writing
    overview = report.overview(parts, store)
    complete = not overview.missing and not any(part.waiting for part in parts)
    summary = json_summary(parts, overview, written, stopper.stopped,
                           time.perf_counter() - started, timings)
    summary["report_seconds"] = round(timings["report"], 1)
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        show(parts, overview, written, stopper.stopped, summary["seconds"])
        print(f"writing the report took {timings['report']:.0f} s")
    return 0 if complete else 1


def train_missing(store: RunStore, args: argparse.Namespace, options: dict[str, Any],
                  stopper: Stopper, timings: dict[str, float], say: Callable[[str], None]
                  ) -> list[report.ReportPart]:
    """Ask the parts for their runs and train the missing ones until none is left (or Ctrl-C);
    the parts as they stand at the end. `timings` gets each part's training seconds here."""
    handled: set[str] = set()  # configurations this command has trained or joined
    paces: list[float] = []  # seconds of each run trained here, for the time left
    while True:
        parts = report.collect_parts(store, args.quick, options)
        overview = report.overview(parts, store)
        todo = _todo(parts, overview, handled, args.retrain)
        if not todo or stopper.stopped:
            return parts
        done = sum(state.done for state in overview.states.values())
        total = done + len(todo)  # the runs training elsewhere are in `todo` (joined)
        progress = Progress(total, done, paces)
        for line in (line for part in parts for line in part.waiting):
            say(f"later: {line}")
        for name, config in todo:
            handled.add(config.key())
            seconds = _train_one(store, config, args, stopper, progress, f"{name}: ", say)
            timings[name] = timings.get(name, 0.0) + seconds
            progress.done += 1
            if stopper.stopped:
                return report.collect_parts(store, args.quick, options)


def _todo(parts: Sequence[report.ReportPart], overview: report.Overview, handled: set[str],
          retrain: bool) -> list[tuple[str, RunConfig]]:
    """(part, configuration) of every run to train or join now, each once; the runs that
    train elsewhere (the dashboard's worker) last, so that waiting for them comes after
    everything this command can train itself."""
    todo, joined, seen = [], [], set(handled)
    for part in parts:
        state = overview.states[part.name]
        wanted = {config.key() for config in state.missing}
        for config in part.configs:
            key = config.key()
            run = state.runs.get(key)
            if key in seen:
                continue
            seen.add(key)
            if run is not None and run.status in ACTIVE and not retrain:
                joined.append((part.name, config))
            elif retrain or key in wanted:
                todo.append((part.name, config))
    return todo + joined


def _train_one(store: RunStore, config: RunConfig, args: argparse.Namespace, stopper: Stopper,
               progress: Progress, prefix: str, say: Callable[[str], None]) -> float:
    """Train (or join the worker training) one run; the seconds it took here."""
    started = time.perf_counter()
    run, created = store.create_or_join(config, reuse_finished=not args.retrain)
    say(progress.line(prefix + describe(config)))
    stopper.current = run
    try:
        if created:
            execute(run, args.listener)
        elif run.status in ACTIVE:  # queued or training elsewhere (the dashboard): wait
            for event in run.follow():
                if args.listener is not None:
                    args.listener(event)
    finally:
        stopper.current = None
    seconds = time.perf_counter() - started
    if created and run.status == "finished":
        progress.seconds.append(seconds)
    return seconds


def execute(run: Run, listener: Callable[[dict[str, Any]], None] | None) -> None:
    """Train `run` here (`dlnn.training.execute`; TensorFlow loads only when something
    trains)."""
    from dlnn import training

    training.execute(run, listener=listener)


def describe(config: RunConfig) -> str:
    """`mlp-keras on mnist, adam lr 0.001, relu, random_uniform, batch 128`."""
    return (f"{config.model} on {config.dataset}, {config.optimizer} lr "
            f"{config.effective_learning_rate:g}, {config.activation}, {config.initializer}, "
            f"batch {config.batch_size}{', permuted' if config.permute else ''}")


# -- telling --------------------------------------------------------------------------------
def json_summary(parts: Sequence[report.ReportPart], overview: report.Overview,
                 written: report.WrittenReport, stopped: bool, seconds: float,
                 timings: dict[str, float]) -> dict[str, Any]:
    """What `--json` prints: per part its runs, figures and tables; the files written."""
    return {
        "html": str(written.html), "pngs": [str(path) for path in written.pngs],
        "png_problem": written.png_problem, "stopped": stopped, "seconds": round(seconds, 1),
        "missing_runs": len(overview.missing),
        "parts": {part.name: {
            "title": part.title, "runs": len(part.configs),
            "done": overview.states[part.name].done,
            "missing": len(overview.states[part.name].missing),
            "waiting": list(part.waiting),
            "train_seconds_here": round(timings.get(part.name, 0.0), 1),
            "train_seconds_stored": round(overview.states[part.name].seconds, 1),
            "figures": {figure.label: {"drawn": figure.draw is not None,
                                       "runs": figure.runs, "missing": figure.missing}
                        for figure in part.figures},
            "tables": {table.title: table.frame.to_dict(orient="records")
                       for table in part.tables},
        } for part in parts},
    }


def show(parts: Sequence[report.ReportPart], overview: report.Overview,
         written: report.WrittenReport, stopped: bool, seconds: float) -> None:
    """The tables as text, what is missing, and where the files are."""
    for part in parts:
        state = overview.states[part.name]
        print(f"\n== {part.title}: {state.done_text(len(part.configs))} runs ==")
        for table in part.tables:
            print(f"\n{table.title}")
            print(table.frame.to_string(index=False) if not table.frame.empty else "missing")
        for figure in part.figures:
            if figure.draw is None:
                print(f"{figure.label}: missing ({figure.runs} runs to train)")
    if stopped:
        print("\nstopped: every finished run is kept; run the same command again to continue")
    print(f"\nreport: {written.html}")
    if written.pngs:
        print(f"PNG copies: {len(written.pngs)} in {written.pngs[0].parent}")
    else:
        print(f"no PNG copies: {written.png_problem}")
    print(f"wall time {duration_text(seconds)}")
