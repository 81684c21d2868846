"""Ctrl-C during `reproduce task1` / `task3`: the run in progress stops, finished runs are kept
and the same command resumes without training anything twice; no traceback."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from dlnn import cli, training
from dlnn.runs import Run, RunStore
from tests.report_runs import finish_run


class CtrlCTrainer:
    """Stands in for `dlnn.training.execute`: finishes fake runs; the `stop_at`-th gets a
    Ctrl-C in the middle and ends cancelled, as a real run asked to stop does."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.stop_at = stop_at
        self.trained: list[str] = []

    def __call__(self, run: Run, listener: object = None, **_: Any) -> dict[str, Any]:
        self.trained.append(run.config_key)
        if len(self.trained) == self.stop_at:
            os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C
            assert run.stop_requested()
            run.set_status("cancelled", reason="stopped by the user")
        else:
            finish_run(run)
        return {"status": run.status}


def reproduce(monkeypatch: pytest.MonkeyPatch, trainer: CtrlCTrainer, capsys,
              *target: str) -> tuple[int, dict]:
    monkeypatch.setattr(training, "execute", trainer)
    code = cli.main(["reproduce", *target, "--quick", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_ctrl_c_stops_task1_and_the_same_command_resumes(
        dlnn_dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    first = CtrlCTrainer(stop_at=3)
    code, summary = reproduce(monkeypatch, first, capsys, "task1")
    assert code == 1 and summary["stopped"] and not summary["complete"]
    assert len(first.trained) == 3  # nothing trains after the stopped member
    statuses = {run.config_key: run.status for run in RunStore().list()}
    assert [statuses[key] for key in first.trained] == ["finished", "finished", "cancelled"]

    second = CtrlCTrainer()
    code, summary = reproduce(monkeypatch, second, capsys, "task1")
    assert code == 0 and summary["complete"]
    assert not set(first.trained[:2]) & set(second.trained)  # finished ones are kept
    assert second.trained[0] == first.trained[2]  # the stopped one trains again, first
    assert len(second.trained) == len(set(second.trained))


def test_ctrl_c_stops_task3_before_its_second_model(
        dlnn_dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    trainer = CtrlCTrainer(stop_at=1)
    code, summary = reproduce(monkeypatch, trainer, capsys, "task3")
    assert code == 1 and len(trainer.trained) == 1
    assert summary["baseline"]["status"] == "cancelled" and "best" not in summary


def test_a_second_ctrl_c_ends_the_command_without_a_traceback(
        dlnn_dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from dlnn.permlab import reproduce as task2

    def interrupted(**_: Any) -> None:
        raise KeyboardInterrupt  # Ctrl-C between two runs, or a second one during a run

    monkeypatch.setattr(task2, "reproduce_task2", interrupted)
    assert cli.main(["reproduce", "task2", "--quick"]) == 130
    assert "stopped; finished runs are kept" in capsys.readouterr().err
