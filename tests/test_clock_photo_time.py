"""dlnn.clocks.photo_time: a photo's time read by the waiting standby, the model loaded once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from dlnn import standby
from dlnn.clocks import photo_time as photo
from dlnn.clocks.render import ClockStyle, render_clock
from dlnn.clocks.task import read_times
from dlnn.config import RunConfig
from dlnn.runs import Run, RunStore
from tests.clock_runs import tiny_clock_store

pytest.importorskip("keras")


@pytest.fixture(scope="module")
def clock_run(tmp_path_factory) -> Iterator[Run]:
    yield from tiny_clock_store(tmp_path_factory)


@pytest.fixture
def waiting_standby(clock_run: Run) -> Iterator[RunStore]:
    """A standby loop in a thread of this process, answering asks for the clock run's store."""
    store = RunStore()
    server = threading.Thread(target=standby.serve, args=(store, lambda ids: 0),
                              kwargs={"idle_seconds": 60.0}, daemon=True)
    server.start()
    while not standby.waiting(store):
        time.sleep(0.01)
    yield store
    standby.hand_over(store, standby.claim(store), [])
    server.join(timeout=5)


def test_the_standby_reads_a_photo_with_a_model_it_loads_once(clock_run, waiting_standby,
                                                              monkeypatch):
    monkeypatch.setattr(photo, "_read_in_new_process",
                        lambda run, clock: pytest.fail("started a process"))
    picture = np.asarray(render_clock(10, 9, ClockStyle(size=96)))  # any size: it is resized
    expected = read_times(clock_run, photo.photo_to_clock(picture, 48)[np.newaxis])[0]
    first = photo.read_photo_time(clock_run, picture, waiting_standby)
    assert (first["hour"], first["minute"]) == tuple(int(value) for value in expected)
    assert first["time"] == f"{first['hour'] or 12}:{first['minute']:02d}"
    loaded = dict(photo._MODELS)
    assert list(loaded) == [(str(clock_run.path), clock_run.model_path.stat().st_mtime)]
    assert photo.read_photo_time(clock_run, picture, waiting_standby) == first
    assert photo._MODELS == loaded  # the same model object, not loaded again


def test_without_a_standby_a_new_process_reads_it(clock_run):
    picture = np.asarray(render_clock(3, 40, ClockStyle(size=48)))
    answer = photo.read_photo_time(clock_run, picture)
    expected = read_times(clock_run, picture[np.newaxis])[0]
    assert (answer["hour"], answer["minute"]) == tuple(int(value) for value in expected)


def test_a_run_without_a_model_is_named(clock_run, waiting_standby, tmp_path):
    broken = RunStore().create(clock_run.config)
    with pytest.raises(ValueError, match="has no saved model"):
        photo.read_photo_time(broken, np.zeros((48, 48), np.uint8), waiting_standby)


@pytest.fixture(scope="module")
def dial_run(clock_run) -> Run:
    """A tiny dial reader trained in the clock run's store (it knows where the 12 points)."""
    from tests.clock_runs import TINY_CLOCKS, train_tiny_clock_run

    return train_tiny_clock_run(TINY_CLOCKS.replace(model="clock-dial", conv_blocks=2,
                                                    dense_units=32, epochs=1))


def test_a_dial_reader_says_how_the_clock_sits(dial_run, clock_run, waiting_standby):
    from dlnn.clocks.datasets import model_input
    from dlnn.clocks.pose import read_poses

    clocks = np.stack([render_clock(hour, 10, ClockStyle(size=48)) for hour in (1, 7)])
    expected = read_poses(photo.loaded_model(dial_run), model_input(clocks))
    answer = photo.read_photo_time(dial_run, clocks[0], waiting_standby)
    pose = photo.answer_pose(answer)
    assert pose.mirrored == expected[0].mirrored
    assert pose.twelve_degrees == pytest.approx(expected[0].twelve_degrees, abs=0.01)
    poses = photo.read_picture_poses(dial_run, clocks, waiting_standby)
    assert [pose.mirrored for pose in poses] == [pose.mirrored for pose in expected]
    assert [pose.twelve_degrees for pose in poses] == pytest.approx(
        [pose.twelve_degrees for pose in expected], abs=0.01)
    # other models know nothing of the pose: their hands are drawn upright
    assert photo.answer_pose(photo.read_photo_time(clock_run, clocks[0], waiting_standby)) is None
    assert photo.read_picture_poses(clock_run, clocks, waiting_standby) is None


@pytest.fixture(scope="module")
def located_run(clock_run) -> Run:
    """A tiny dial reader on any-clock clocks framed by its own learned locator."""
    from tests.clock_runs import train_tiny_clock_run

    return train_tiny_clock_run(RunConfig(
        dataset="clocks-any-clock", model="clock-dial", clock_images=80, image_size=32,
        conv_blocks=2, conv_filters=8, convs_per_block=1, dense_units=16, epochs=1,
        batch_size=16, frame_clocks=True, learned_framing=True))


def test_a_learned_locator_frames_the_photo_before_the_reader_reads_it(located_run,
                                                                        waiting_standby):
    from dlnn.clocks.datasets import stored_locator
    from dlnn.clocks.framing import ClockFrame, frame_clock, place_clock
    from dlnn.clocks.photo import square_picture

    assert located_run.status == "finished", located_run.result()
    clock = np.asarray(render_clock(4, 20, ClockStyle(size=48)))
    snapshot = np.full((90, 130), 128, np.uint8)  # wider than high: squared, the whole kept
    snapshot[:, 20:110] = place_clock(clock, 90, centre=(50, 40), scale=0.8)
    answer = photo.read_photo_time(located_run, snapshot, waiting_standby)
    picture = square_picture(snapshot, 64)  # the run's pictures: twice its 32 px
    frame = stored_locator(located_run.config).locate(picture[np.newaxis])[0]
    np.testing.assert_allclose(answer["frame"], frame[:3], atol=0.01)
    framed = frame_clock(picture, 32, ClockFrame(*frame[:3]))
    expected = read_times(located_run, framed[np.newaxis])[0]
    assert (answer["hour"], answer["minute"]) == tuple(int(value) for value in expected)
    # Without a standby, `clocks predict` in a new process frames and reads it the same way.
    alone = photo._read_in_new_process(located_run, picture)
    assert alone == {key: answer[key] for key in ("hour", "minute", "time", "frame")}
