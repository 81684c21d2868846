"""A warm worker: a process that has imported TensorFlow and waits for the next run.

Starting a worker costs seconds (importing TensorFlow), which a user pressing Start feels. The
dashboard keeps one standby worker per run store; the runner hands a new run to it instead of
starting a process. The handshake goes through files in `<store>/.standby/`, so it works
across the dashboard's sessions and processes:

    <pid>.starting the standby is importing TensorFlow
    <pid>.ready    the standby is idle and can be claimed
    <pid>.claimed  a runner renamed `ready` to this (renames are atomic: one claimer wins)
    <pid>.job      the run ids the runner hands over
    <pid>.busy     the standby trains them; then it starts its successor and exits

Only one standby exists per store at a time (ready, starting or busy). A standby that nobody
claims for `idle_seconds`, or whose dashboard process has ended, renames its `ready` file away
and exits, so it does not hold TensorFlow's memory forever; so does one whose files vanish (its
store was deleted). Each standby trains one job only: every run still gets a fresh process.

While it waits, the standby also answers small questions that need TensorFlow (a model's
summary, say) so the dashboard does not start a process for each: `ask` writes
`asks/<id>.ask` naming a function (`"module:function"`) and its keyword arguments; the standby
calls it and writes `asks/<id>.answer`.

This module does not import TensorFlow.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dlnn import files
from dlnn.runs import RunStore, pid_alive

IDLE_SECONDS = 900.0  # an unclaimed standby exits after this long
CLAIM_WAIT_SECONDS = 10.0  # a claimed standby waits this long for its job, then exits
POLL_SECONDS = 0.05  # fast enough for a person pressing Start
ASK_POLL_SECONDS = 0.01  # how often an asker looks for its answer


def folder(store: RunStore) -> Path:
    return store.root / ".standby"


def enabled() -> bool:
    """False when `DLNN_STANDBY_WORKER=0` (the tests turn it off)."""
    return os.environ.get("DLNN_STANDBY_WORKER", "1") != "0"


def present(store: RunStore) -> bool:
    """True when a live standby is ready, starting or busy; dead workers' files are removed."""
    base = folder(store)
    for marker in [*base.glob("*.ready"), *base.glob("*.starting"), *base.glob("*.busy")]:
        if pid_alive(int(marker.stem)):
            return True
        marker.unlink(missing_ok=True)
    return False


def waiting(store: RunStore) -> bool:
    """True when a live standby is ready or still starting (so it will answer an ask)."""
    base = folder(store)
    return any(pid_alive(int(marker.stem))
               for marker in [*base.glob("*.ready"), *base.glob("*.starting")])


def starting(store: RunStore, pid: int) -> None:
    """Note that standby `pid` is importing TensorFlow (so nobody starts a second one)."""
    (folder(store) / f"{pid}.starting").touch()


def claim(store: RunStore) -> int | None:
    """Take a ready standby for this caller; returns its pid, or None when there is none."""
    for ready in sorted(folder(store).glob("*.ready")):
        claimed = ready.with_suffix(".claimed")
        try:
            os.rename(ready, claimed)
        except FileNotFoundError:
            continue  # another caller was faster, or it just expired
        pid = int(ready.stem)
        if pid_alive(pid):
            return pid
        claimed.unlink(missing_ok=True)
    return None


def hand_over(store: RunStore, pid: int, run_ids: Sequence[str]) -> None:
    """Give the claimed standby `pid` its runs (call after their status names the pid)."""
    files.write_json(folder(store) / f"{pid}.job", list(run_ids))


class NoAnswer(Exception):
    """No standby answered an ask (none is waiting, or it was claimed or timed out)."""


def ask(store: RunStore, call: str, timeout: float, **kwargs: Any) -> Any:
    """What the waiting standby's `call(**kwargs)` returns (JSON values only).

    Args:
        store: the run store whose standby answers.
        call: `"module:function"`, imported by the standby.
        timeout: seconds to wait for the answer (a starting standby first imports TensorFlow).
        kwargs: the function's keyword arguments.

    Raises:
        NoAnswer: no standby is waiting, it stopped waiting (claimed for a run), or time ran
            out; the caller computes the answer another way.
        RuntimeError: the function raised; the message is its error's.
    """
    if not waiting(store):
        raise NoAnswer("no standby worker is waiting")
    asks = folder(store) / "asks"
    name = uuid.uuid4().hex
    question, answer = asks / f"{name}.ask", asks / f"{name}.answer"
    files.write_json(question, {"call": call, "kwargs": kwargs})
    deadline = time.monotonic() + timeout
    checked = time.monotonic()
    try:
        while not answer.exists():
            now = time.monotonic()
            if now > deadline:
                raise NoAnswer(f"no answer within {timeout:g} s")
            if now - checked > POLL_SECONDS * 10:
                checked = now
                if question.exists() and not waiting(store):
                    raise NoAnswer("the standby worker stopped waiting")
            time.sleep(ASK_POLL_SECONDS)
        reply = files.read_json(answer)
    finally:
        question.unlink(missing_ok=True)
        answer.unlink(missing_ok=True)
    if "error" in reply:
        raise RuntimeError(reply["error"])
    return reply["value"]


def answer_asks(store: RunStore) -> int:
    """Answer every waiting ask (the standby's side of `ask`); returns how many."""
    answered = 0
    for question in sorted((folder(store) / "asks").glob("*.ask")):
        request = files.read_json(question)
        if request is None:
            continue  # the asker gave up
        try:
            module, _, function = request["call"].partition(":")
            reply = {"value": getattr(importlib.import_module(module), function)(
                **request["kwargs"])}
        except Exception as error:  # the asker reports it; the standby keeps waiting
            reply = {"error": f"{type(error).__name__}: {error}"}
        if question.exists():
            files.write_json(question.with_suffix(".answer"), reply)
        question.unlink(missing_ok=True)
        answered += 1
    return answered


def serve(
    store: RunStore,
    work: Callable[[list[str]], int],
    idle_seconds: float = IDLE_SECONDS,
    successor: Callable[[], None] | None = None,
    owner: int | None = None,
) -> int:
    """The standby's loop: announce readiness, answer asks, wait for a job, train it, exit.

    While it trains, `<pid>.busy` tells the dashboard not to start another standby (that would
    import TensorFlow on the cores the run needs); when the job is done, `successor()` starts
    the next standby, unless the store or the owner is gone. An idle standby also exits when
    its `owner` process (the dashboard server that asked for it) is gone, or its files are
    (the store was deleted): within one poll, never spinning. Answering an ask counts as not
    idle.
    """
    base = folder(store)
    base.mkdir(parents=True, exist_ok=True)
    pid = os.getpid()
    ready, claimed, job = (base / f"{pid}.{kind}" for kind in ("ready", "claimed", "job"))
    ready.touch()
    (base / f"{pid}.starting").unlink(missing_ok=True)
    idle_until = time.monotonic() + idle_seconds
    claimed_at: float | None = None
    while True:
        if job.exists():
            run_ids = files.read_json(job)
            job.unlink()
            busy = base / f"{pid}.busy"
            os.replace(claimed, busy)
            try:
                return work(run_ids)
            finally:
                busy.unlink(missing_ok=True)
                if successor is not None and base.is_dir() and (
                        owner is None or pid_alive(owner)):  # else nobody needs a successor
                    successor()
        if not claimed.exists() and answer_asks(store):
            idle_until = time.monotonic() + idle_seconds
        now = time.monotonic()
        # `ready` is renamed to `claimed` atomically, so checking in this order never misses
        # both: when neither exists, the store (or its .standby folder) is gone.
        if ready.exists():
            if now > idle_until or (owner is not None and not pid_alive(owner)):
                with contextlib.suppress(FileNotFoundError):  # else claimed this very moment
                    os.rename(ready, base / f"{pid}.expired")
                    (base / f"{pid}.expired").unlink(missing_ok=True)
                    return 0
        elif claimed.exists():
            claimed_at = claimed_at or now
            if now - claimed_at > CLAIM_WAIT_SECONDS:  # the claimer died before handing over
                claimed.unlink(missing_ok=True)
                return 0
        else:
            return 0
        time.sleep(POLL_SECONDS)
