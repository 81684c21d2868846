"""Dashboard pages driven headless with Streamlit's AppTest.

Every page renders with an empty store and with a finished, a failed and a cancelled run;
the Train page starts from the quick preset, offers only what fits the chosen data set and
model, explains every control, trains a tiny run to its result view and stops another; bad
values are named once; the Runs page and the run view show each task its own headline numbers.
Runs train on the tiny synthetic IDX data sets of conftest.py (50 training images).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dlnn import files, paths, presets, registry, summaries
from dlnn.config import RunConfig
from dlnn.runs import RunStore
from tests.fake_runs import write_clock_run, write_run, write_three_runs
from tests.synthetic import random_arrays, write_idx_files

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = str(ROOT / "dashboard.py")
PAGES = {"home": "pages/home.py", "train": "pages/train.py", "runs": "pages/runs.py"}
TITLES = {"home": "dlnn: a deep-learning lab", "train": "Train", "runs": "Runs"}
TIMEOUT = 60
W = "train.w."  # widget key prefix of the Train page


QUICK = presets.PRESETS["quick"].apply()
SUMMARIZED = (RunConfig(), QUICK)  # the architectures whose summaries the tests find cached


@pytest.fixture(scope="session")
def summary_cache(tmp_path_factory) -> Path:
    """Model summaries of the report's and the quick preset's architectures, built once."""
    root = tmp_path_factory.mktemp("summaries")
    write_idx_files(root / "data" / "mnist", random_arrays(20, 20))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLNN_CACHE_DIR", str(root / "cache"))
        patch.setenv("DLNN_DATA_DIR", str(root / "data"))
        for config in SUMMARIZED:
            files.write_json(summaries.summary_path(config),
                             summaries.build_summary(config.to_dict()))
    return root / "cache" / "summaries"


@pytest.fixture
def lab(tiny_data_dir, summary_cache) -> RunStore:
    """An empty run store and tiny data sets, with the presets' model summaries cached."""
    shutil.copytree(summary_cache, paths.cache_dir() / "summaries")
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


def test_train_page_starts_from_the_quick_preset_and_offers_the_report(lab):
    at = open_page("train")
    assert at.selectbox(key="train.preset").value == "quick"
    assert [at.selectbox(key=W + name).value for name in ("model", "optimizer", "initializer")
            ] == ["cnn-keras", "adam", "glorot_uniform"]
    assert at.number_input(key=W + "epochs").value == 3
    assert at.number_input(key=W + "subset").value == 10_000
    assert "about 96% test accuracy" in texts(at.sidebar.caption)
    assert at.query_params["model"] == "cnn-keras"
    assert at.expander[0].label.startswith("Model cnn-keras: 607,394 parameters")
    at.selectbox(key="train.preset").set_value("report").run()
    assert at.selectbox(key=W + "model").value == "mlp-keras"
    assert at.selectbox(key=W + "initializer").value == "random_uniform"
    assert at.number_input(key=W + "epochs").value == 10
    assert at.number_input(key=W + "subset").value is None
    assert dict(at.query_params) == {"preset": "report"}
    assert at.expander[0].label.startswith("Model mlp-keras: 669,706 parameters")
    at.number_input(key=W + "epochs").set_value(4).run()
    assert at.selectbox(key="train.preset").value is None  # custom settings now
    assert "Custom settings" in texts(at.sidebar.caption)


def test_a_report_link_opens_the_report_settings(lab):
    at = open_page("train", preset="report")
    assert at.selectbox(key="train.preset").value == "report"
    assert at.selectbox(key=W + "model").value == "mlp-keras"
    assert not at.warning


def test_train_page_shows_the_learning_rate_used(lab):
    at = open_page("train")
    assert "Learning rate used: **0.001**" in texts(at.markdown)
    at.selectbox(key=W + "optimizer").set_value("adadelta").run()
    assert "Learning rate used: **1**" in texts(at.markdown)
    assert at.query_params["optimizer"] == "adadelta"


def test_train_page_offers_only_what_fits_the_data_set_and_model(lab):
    at = open_page("train", model="mlp-keras")
    assert "clock-hands" not in at.selectbox(key=W + "model").options
    assert not [widget for widget in at.sidebar.selectbox if widget.key == W + "pooling"]
    assert not [widget for widget in at.sidebar.number_input if widget.key == W + "image_size"]
    at.selectbox(key=W + "model").set_value("cnn-keras").run()
    assert at.selectbox(key=W + "pooling").value == "max"  # a CNN pools
    at.selectbox(key=W + "dataset").set_value("clocks-easy").run()
    models = at.selectbox(key=W + "model").options
    assert models and all(model.startswith("clock-") for model in models)
    assert at.number_input(key=W + "image_size").value == 150
    assert not [widget for widget in at.sidebar.toggle if widget.key == W + "permute"]
    assert not at.error


def test_every_train_control_says_what_it_changes_and_what_the_report_used(lab):
    for query in ({"model": "cnn-keras", "early_stopping": "true"},
                  {"dataset": "clocks-easy", "model": "clock-hands"}):
        at = open_page("train", **query)
        controls = [*at.sidebar.selectbox, *at.sidebar.number_input, *at.sidebar.toggle]
        fields = [control for control in controls if control.key.startswith(W)]
        assert len(fields) >= 15
        for control in fields:
            assert control.help and "report" in control.help and "Allowed:" in control.help, (
                control.key, control.help)


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


def test_a_cosine_schedule_says_where_the_rate_ends_and_refuses_halving_too(lab):
    at = open_page("train", epochs="4", learning_rate="0.001", lr_schedule="cosine")
    assert ("Learning rate used: **0.001**, decaying by cosine to 0.000146 in the last epoch"
            in texts(at.markdown))
    at.toggle(key=W + "early_stopping").set_value(True).run()
    at.toggle(key=W + "reduce_lr").set_value(True).run()
    assert texts(at.error).startswith("**lr_schedule**: 'cosine' is not allowed; it sets the "
                                      "rate of every epoch; turn reduce_lr")
    assert not [button for button in at.button if button.key == "start"]


def test_a_bad_control_value_is_named(lab):
    at = open_page("train")
    at.number_input(key=W + "subset").set_value(100).run()
    at.number_input(key=W + "batch_size").set_value(4096).run()
    assert texts(at.error) == ("**batch_size**: 4096 is not allowed; larger than the 90 "
                               "training images; at most 90")  # the field named once
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
    # Only the open tab's charts are drawn; the others when their tab is chosen.
    assert [tab.label for tab in at.tabs] == ["Learning curves", "Confusion matrix",
                                             "Misclassified test images"]
    assert [chart.key for chart in at.get("plotly_chart")] == ["one_curves_loss",
                                                              "one_curves_accuracy"]
    at.session_state["one_view"] = "Confusion matrix"
    assert [chart.key for chart in at.run().get("plotly_chart")] == ["one_confusion",
                                                                    "one_per_class"]
    at.session_state["one_view"] = "Misclassified test images"
    assert [chart.key for chart in at.run().get("plotly_chart")] == ["one_mistakes"]
    assert "7 of 20 test images are misclassified" in texts(at.caption)
    at = open_page("runs", run="no-such-run")
    assert "no-such-run" in texts(at.error)


def test_a_run_with_tensorboard_logs_says_how_to_open_them(lab):
    runs = write_three_runs(lab)
    finished = runs["finished"]
    assert "TensorBoard" not in texts(open_page("runs", run=finished.run_id).caption)
    (finished.path / "tensorboard").mkdir()
    shown = texts(open_page("runs", run=finished.run_id).caption)
    assert f"python -m dlnn tensorboard {finished.run_id} --start" in shown
    assert f"runFilter={finished.run_id}" in shown


def test_runs_table_shows_each_task_its_own_headline_metrics(lab):
    runs = write_three_runs(lab)
    clock = write_clock_run(lab)
    at = open_page("runs")
    grid = at.dataframe[0]
    table = grid.value.set_index("run_id")
    assert table.loc[clock.run_id, "test_cse_minutes"] == 12.5
    assert pd.isna(table.loc[clock.run_id, "test_accuracy"])  # no hour accuracy as accuracy
    assert pd.isna(table.loc[clock.run_id, "best_val_accuracy"])
    assert table.loc[runs["finished"].run_id, "test_accuracy"] == pytest.approx(0.65)
    order = list(grid.proto.column_order)
    assert order[:4] == ["status", "task", "model", "dataset"]
    assert order[4:11] == ["test_accuracy", "test_loss", "best_val_accuracy",
                           "test_cse_minutes", "test_hour_accuracy", "test_minute_mae",
                           "best_val_cse"]
    labels = {name: column.get("label") for name, column in
              json.loads(grid.proto.columns).items()}
    assert labels["test_cse_minutes"] == "Test CSE"
    assert labels["test_hour_accuracy"] == "Hour accuracy"
    assert grid.proto.placeholder == "—"  # missing values read the same everywhere
    sort = at.selectbox(key="runs.sort")
    assert "Test CSE" in sort.options and "Best val. accuracy" in sort.options
    at = sort.set_value("test_cse_minutes").run()
    assert at.dataframe[0].value["run_id"].tolist()[0] == clock.run_id  # the only CSE


def test_a_final_fit_says_it_kept_no_validation_data(lab):
    final = write_run(lab, RunConfig(epochs=2, subset=40, batch_size=16, validation_fraction=0.0),
                      "finished")
    at = open_page("runs", run=final.run_id)
    shown = {metric.label: metric.value for metric in at.metric}
    assert shown["Best val. accuracy"] == "none held out" and shown["Test accuracy"] == "0.6500"
    assert any("no validation data held out" in caption.value for caption in at.caption)


def test_runs_table_of_classifiers_only_has_no_clock_columns(lab):
    write_three_runs(lab)
    order = list(open_page("runs").dataframe[0].proto.column_order)
    assert "test_accuracy" in order and "test_cse_minutes" not in order


def test_a_clock_run_is_shown_by_its_cse_and_a_classifier_by_its_accuracy(lab):
    clock = write_clock_run(lab)
    at = open_page("runs", run=clock.run_id)
    shown = {metric.label: metric.value for metric in at.metric}
    assert shown["Test CSE"] == "12.5 min" and shown["Hour accuracy"] == "87.5%"
    assert shown["Minute error"] == "3.2 min" and shown["Best val. CSE"] == "40.0 min"
    assert "Test accuracy" not in shown and "Test loss" not in shown
    # The main curves are CSE and hour accuracy; the others wait behind a switch.
    charts = [chart.key for chart in at.get("plotly_chart")]
    assert charts == ["one_curves_cse", "one_curves_hour_accuracy"], charts
    at.toggle(key="one_curves_all").set_value(True).run()
    assert len(at.get("plotly_chart")) == 6  # + loss, hour_hand_loss, minute_error, lr
    finished = write_three_runs(lab)["finished"]
    at = open_page("train", run=finished.run_id)
    shown = {metric.label: metric.value for metric in at.metric}
    assert shown["Test accuracy"] == "0.6500" and "Test CSE" not in shown


def test_the_server_opens_a_finished_run_in_a_fraction_of_a_second(lab):
    """The server's share of opening a run (the browser's is in bench/dashboard_latency.py),
    counted in CPU seconds of this process, which other jobs on the machine do not inflate
    the way they inflate wall time."""
    finished = write_three_runs(lab)["finished"]
    at = open_page("runs", run=finished.run_id)  # the first visit imports the views
    started = time.process_time()
    at.run()
    assert time.process_time() - started < 2.0  # 1.4 CPU s measured under load
    assert any(metric.label == "Test accuracy" for metric in at.metric)


def test_home_links_every_page_and_names_the_labs(lab):
    at = open_page("home")
    links = [link.label for link in at.get("page_link")]
    labs = [f"**{page.title}** →" for page in registry.pages()]
    assert links == ["**Train a model** →", "**Compare runs** →", *labs, "**Report** →"]
    assert "**Clock lab** →" in labs and "**Sweeps** →" in labs
    assert "clock lab (Task 3)" in texts(at.markdown)
    assert "`clock-dial`" in texts(at.markdown)  # the lab's models are in the zoo


def test_train_page_trains_a_tiny_run_to_its_result_view(lab):
    at = open_page("train")
    at.number_input(key=W + "subset").set_value(40)
    # Batches of one image: 180 steps, so the run is still live when the page first renders
    # (with 8 images a batch, a fast machine's warm worker finished it before that).
    at.number_input(key=W + "epochs").set_value(5)
    at.number_input(key=W + "batch_size").set_value(1).run()
    at.button(key="start").click().run()
    run_id = at.session_state["train.run_id"]
    assert at.query_params["run"] == run_id
    # The live tiles hold their places from the start ("—" until an epoch ends). A run that is
    # still active after the render was active during it.
    labels = [metric.label for metric in at.metric]
    if RunStore().get(run_id).status in ("queued", "running"):
        assert labels == ["Loss", "Accuracy", "Val. loss", "Val. accuracy"]
    run_until(at, lambda at: any(m.label == "Test accuracy" for m in at.metric))
    assert RunStore().get(run_id).status == "finished"
    assert "finished" in texts(at.markdown)
    labels = [button.label for button in at.get("download_button")]
    assert labels == ["Epoch history (CSV)", "Batch history (CSV)", "Configuration (JSON)",
                      "Model (.keras)"]


def test_stop_ends_a_live_run_as_cancelled(lab):
    at = open_page("train", subset="40", epochs="500", batch_size="1")
    at.button(key="start").click().run()
    run_id = at.session_state["train.run_id"]
    run_until(at, lambda at: bool(RunStore().get(run_id).events()))
    at.button(key="live_stop").click().run()
    run_until(at, lambda at: "cancelled" in texts(at.warning), seconds=30)
    assert RunStore().get(run_id).status == "cancelled"


def test_two_sessions_each_follow_their_own_run(lab):
    sessions = [open_page("train", subset="40", epochs="500", batch_size="1", seed=str(seed))
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


def test_a_runs_caption_names_a_backend_other_than_the_default() -> None:
    from pages.components import config_caption

    assert "backend" not in config_caption(RunConfig())
    assert config_caption(RunConfig(backend="jax")).endswith("seed 0 · jax backend")
