"""Dashboard pages driven headless with Streamlit's AppTest.

Every page renders with an empty store and with a finished, a failed and a cancelled run;
the Train page trains a tiny run to its result view and stops another; bad values are named.
Runs train on the tiny synthetic IDX data sets of conftest.py (50 training images).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dlnn import paths, runner
from dlnn.config import RunConfig
from dlnn.runs import RunStore
from tests.fake_runs import write_three_runs
from tests.synthetic import random_arrays, write_idx_files

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = str(ROOT / "dashboard.py")
PAGES = {"home": "pages/home.py", "train": "pages/train.py", "runs": "pages/runs.py"}
TITLES = {"home": "dlnn: a deep-learning lab", "train": "Train", "runs": "Runs"}
TIMEOUT = 60
W = "train.w."  # widget key prefix of the Train page


@pytest.fixture(scope="session")
def summaries(tmp_path_factory) -> Path:
    """Model summaries of the default architecture, computed once (a worker takes ~6 s)."""
    root = tmp_path_factory.mktemp("summaries")
    write_idx_files(root / "data" / "mnist", random_arrays(20, 20))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLNN_CACHE_DIR", str(root / "cache"))
        patch.setenv("DLNN_DATA_DIR", str(root / "data"))
        runner.model_summary(RunConfig())
    return root / "cache" / "summaries"


@pytest.fixture
def lab(tiny_data_dir, summaries) -> RunStore:
    """An empty run store and tiny data sets, with the default model summary in the cache."""
    shutil.copytree(summaries, paths.cache_dir() / "summaries")
    return RunStore()


def open_page(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=TIMEOUT)
    at.run()
    if page != "home":
        at.switch_page(PAGES[page])
    at.query_params.update(query)
    return at.run()


def texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


def run_until(at: AppTest, done, seconds: float = 90.0) -> AppTest:
    """Rerun the page (as the live fragment would) until `done(at)` or time runs out."""
    deadline = time.monotonic() + seconds
    while not done(at):
        assert time.monotonic() < deadline, f"gave up waiting; page shows:\n{texts(at.markdown)}"
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("stored", ["empty", "three runs"])
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders(lab, page, stored):
    if stored == "three runs":
        write_three_runs(lab)
    at = open_page(page)
    assert not at.exception, at.exception
    assert at.title[0].value == TITLES[page]
    if page == "runs" and stored == "three runs":
        table = at.dataframe[0].value
        assert sorted(table["status"]) == ["cancelled", "failed", "finished"]
    if page == "home":
        runs = next(metric for metric in at.metric if metric.label == "Runs stored")
        assert runs.value == ("0" if stored == "empty" else "3")


def test_home_renders_without_tensorflow(tiny_data_dir):
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({DASHBOARD!r}, default_timeout=60).run()\n"
        "assert not at.exception, at.exception\n"
        "assert at.title[0].value.startswith('dlnn')\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["False", "False"]


def test_train_page_shows_the_learning_rate_used_and_the_model(lab):
    at = open_page("train")
    assert "Learning rate used: **0.001**" in texts(at.markdown)
    assert at.expander[0].label.startswith("Model mlp-keras: 669,706 parameters")
    at.selectbox(key=W + "optimizer").set_value("adadelta").run()
    assert "Learning rate used: **1**" in texts(at.markdown)
    assert at.query_params["optimizer"] == "adadelta"


def test_a_link_restores_the_controls(lab):
    at = open_page("train", model="cnn-keras", epochs="3", permute="true", learning_rate="0.01")
    assert at.selectbox(key=W + "model").value == "cnn-keras"
    assert at.number_input(key=W + "epochs").value == 3
    assert at.toggle(key=W + "permute").value is True
    assert at.number_input(key=W + "learning_rate").value == 0.01
    assert not at.warning


def test_a_bad_link_value_is_named(lab):
    at = open_page("train", epochs="-1", optimizer="adam")
    assert "epochs" in texts(at.warning)
    assert at.number_input(key=W + "epochs").value == 10  # left at its default
    assert at.selectbox(key=W + "optimizer").value == "adam"


def test_a_bad_control_value_is_named(lab):
    at = open_page("train")
    at.number_input(key=W + "subset").set_value(100).run()
    at.number_input(key=W + "batch_size").set_value(4096).run()
    assert "batch_size" in texts(at.error) and "90 training images" in texts(at.error)
    assert not [button for button in at.button if button.key == "start"]


def test_a_failed_run_shows_its_reason(lab):
    runs = write_three_runs(lab)
    at = open_page("train", run=runs["failed"].run_id)
    assert "loss became nan" in texts(at.error)
    at = open_page("runs", run=runs["cancelled"].run_id)
    assert "cancelled" in texts(at.warning)


def test_a_finished_configuration_shows_its_result_and_can_train_again(lab):
    runs = write_three_runs(lab)
    finished = runs["finished"]
    at = open_page("train", epochs="2", subset="40", batch_size="16")
    assert at.button(key="train_again")
    accuracy = next(metric for metric in at.metric if metric.label == "Test accuracy")
    assert accuracy.value == "0.6500"
    assert at.query_params["run"] == finished.run_id


def test_runs_page_opens_one_run(lab):
    runs = write_three_runs(lab)
    at = open_page("runs", run=runs["finished"].run_id)
    assert not at.exception
    assert any(metric.label == "Test accuracy" for metric in at.metric)
    at = open_page("runs", run="no-such-run")
    assert "no-such-run" in texts(at.error)


def test_train_page_trains_a_tiny_run_to_its_result_view(lab):
    at = open_page("train")
    at.number_input(key=W + "subset").set_value(40)
    at.number_input(key=W + "epochs").set_value(2)
    at.number_input(key=W + "batch_size").set_value(8).run()
    at.button(key="start").click().run()
    run_id = at.session_state["train.run_id"]
    assert at.query_params["run"] == run_id
    run_until(at, lambda at: any(m.label == "Test accuracy" for m in at.metric))
    assert RunStore().get(run_id).status == "finished"
    assert "finished" in texts(at.markdown)
    labels = [button.label for button in at.get("download_button")]
    assert labels == ["Epoch history (CSV)", "Batch history (CSV)", "Configuration (JSON)",
                      "Model (.keras)"]


def test_stop_ends_a_live_run_as_cancelled(lab):
    at = open_page("train", subset="40", epochs="500", batch_size="8")
    at.button(key="start").click().run()
    run_id = at.session_state["train.run_id"]
    run_until(at, lambda at: bool(RunStore().get(run_id).events()))
    at.button(key="live_stop").click().run()
    run_until(at, lambda at: "cancelled" in texts(at.warning), seconds=30)
    assert RunStore().get(run_id).status == "cancelled"


def test_two_sessions_each_follow_their_own_run(lab):
    sessions = [open_page("train", subset="40", epochs="500", batch_size="8", seed=str(seed))
                for seed in (1, 2)]
    run_ids = []
    for at in sessions:
        at.button(key="start").click().run()
        run_ids.append(at.session_state["train.run_id"])
    assert run_ids[0] != run_ids[1]
    try:
        for at, mine, other in zip(sessions, run_ids, run_ids[::-1], strict=True):
            run_until(at, lambda at, mine=mine: bool(RunStore().get(mine).events()))
            shown = texts(at.markdown)
            assert mine in shown and other not in shown
            assert at.query_params["run"] == mine
    finally:
        for run_id in run_ids:
            RunStore().get(run_id).request_stop()
