"""Tests for dlnn.summaries and the standby's asks: model summaries without a new process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlnn import files, standby, summaries
from dlnn.config import RunConfig
from dlnn.runs import RunStore
from tests.fake_runs import CLOCK_CONFIG


@pytest.fixture
def waiting_standby(dlnn_dirs: Path) -> Iterator[RunStore]:
    """A standby loop in a thread of this process, waiting for asks (no job comes)."""
    store = RunStore()
    server = threading.Thread(target=standby.serve, args=(store, lambda ids: 0),
                              kwargs={"idle_seconds": 60.0}, daemon=True)
    server.start()
    deadline = time.monotonic() + 5
    while not standby.waiting(store):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    yield store
    pid = standby.claim(store)  # hand it an empty job so the loop ends
    standby.hand_over(store, pid, [])
    server.join(timeout=5)


def test_architecture_keeps_only_what_changes_the_layers():
    config = RunConfig(model="cnn-keras", optimizer="adam", epochs=3, subset=1000, seed=4,
                       kernel_size=5, activation="tanh", image_size=64)
    assert summaries.architecture(config) == RunConfig(model="cnn-keras", kernel_size=5,
                                                       activation="tanh")
    assert summaries.architecture(RunConfig(kernel_size=5)) == RunConfig()  # an MLP: no kernel
    clock = summaries.architecture(CLOCK_CONFIG.replace(epochs=9))
    assert (clock.image_size, clock.conv_blocks, clock.epochs) == (48, 3, 10)
    assert summaries.summary_path(RunConfig(epochs=2)) == summaries.summary_path(RunConfig())


def test_a_cached_summary_is_read_without_building(dlnn_dirs, monkeypatch):
    monkeypatch.setattr(summaries, "_summary_in_new_process",
                        lambda config: pytest.fail("built the model again"))
    files.write_json(summaries.summary_path(RunConfig()), {"layers": [], "parameters": 7})
    started = time.perf_counter()
    assert summaries.model_summary(RunConfig(epochs=3, optimizer="sgd"))["parameters"] == 7
    assert time.perf_counter() - started < 0.3


def test_ask_without_a_waiting_standby_says_so(dlnn_dirs):
    with pytest.raises(standby.NoAnswer):
        standby.ask(RunStore(), "json:dumps", 1.0, obj=[1])


def test_the_waiting_standby_answers_asks(waiting_standby):
    assert standby.ask(waiting_standby, "json:dumps", 5.0, obj=[1, 2]) == "[1, 2]"
    with pytest.raises(RuntimeError, match="JSONDecodeError"):
        standby.ask(waiting_standby, "json:loads", 5.0, s="{")
    assert list((standby.folder(waiting_standby) / "asks").iterdir()) == []


def test_model_summary_asks_the_standby_and_caches_its_answer(waiting_standby, monkeypatch):
    monkeypatch.setattr(summaries, "_summary_in_new_process",
                        lambda config: pytest.fail("started a process"))
    config = RunConfig(model="mlp-geron", epochs=2)
    summary = summaries.model_summary(config, waiting_standby)
    # Flatten, Dense 300, Dense 100, Dense 10 on 28x28 images, named as in a fresh process.
    assert summary["parameters"] == 784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10
    assert [layer["name"] for layer in summary["layers"]] == [
        "flatten", "dense", "dense_1", "dense_2"]
    assert files.read_json(summaries.summary_path(config)) == summary
    # A second model in the same standby: its layers are numbered from the start again.
    other = summaries.model_summary(config.replace(activation="tanh"), waiting_standby)
    assert [layer["name"] for layer in other["layers"]][1] == "dense"
