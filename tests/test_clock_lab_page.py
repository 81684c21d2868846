"""The clock lab page driven headless with Streamlit's AppTest."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dlnn.clocks.datasets import clock_split
from dlnn.clocks.render import clear_memory_cache
from dlnn.clocks.reproduce import class_setting
from dlnn.runs import Run
from pages.clock_tabs import generator
from tests.clock_runs import tiny_clock_store

DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")
TABS = ["Generator", "Train", "Results", "Figures 6 & 7", "Your photo", "Course data",
        "Measured"]
GENERATOR, TRAIN, RESULTS, FIGURES, PHOTO, COURSE, MEASURED = range(len(TABS))


@pytest.fixture(scope="module")
def clock_run(tmp_path_factory) -> Iterator[Run]:
    yield from tiny_clock_store(tmp_path_factory)


def open_clock_lab(**query: str) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    at.switch_page("pages/clocks.py")
    at.query_params.update(query)
    return at.run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def texts(block) -> str:
    """Every markdown, caption, info, success and error text in a block, joined."""
    parts = [*block.markdown, *block.caption, *block.info, *block.success, *block.error]
    return "\n".join(str(part.value) for part in parts)


def test_every_tab_renders_with_an_empty_store(dlnn_dirs: Path) -> None:
    at = open_clock_lab()
    no_exception(at)
    assert at.title[0].value == "Clock lab"
    assert [tab.label for tab in at.tabs] == TABS
    tabs = at.tabs
    samples = json.loads(tabs[GENERATOR].get("plotly_chart")[0].proto.spec)
    assert len(samples["layout"]["annotations"]) == generator.SAMPLE_COUNT  # a caption each
    assert at.button(key="clock.start").label == "Start training"
    assert "No finished clock run yet" in texts(tabs[RESULTS])
    assert "common-sense error" in texts(tabs[FIGURES])
    assert "Train a clock model first" in texts(tabs[PHOTO])
    assert "MB" in texts(tabs[COURSE])
    measured = tabs[MEASURED].table[0].value
    assert {"CSE", "hour accuracy", "machine", "what was run"} <= set(measured.columns)
    words = " ".join(measured.astype(str).to_numpy().ravel())
    assert "session 1" not in words and "on torch" not in words
    assert "one NVIDIA H200 GPU" in words and "2-core CPU" in words


def test_the_first_visit_and_the_quick_button_give_the_class_setting(dlnn_dirs: Path) -> None:
    at = open_clock_lab()
    quick = class_setting()
    assert at.selectbox(key="clock.w.model").value == "clock-dial"
    assert at.selectbox(key="clock.w.dataset").value == "clocks-course-like"
    at.selectbox(key="clock.w.dataset").set_value("clocks-easy").run()
    at.selectbox(key="clock.w.model").set_value("clock-hands").run()
    at.number_input(key="clock.w.epochs").set_value(3).run()
    assert at.selectbox(key="clock.w.model").value == "clock-hands"
    assert "clock-dial on course-like clocks, 64 px, 8,000 clocks, 8 epochs" in texts(
        at.tabs[TRAIN])
    at.button(key="clock.quick").click().run()
    no_exception(at)
    assert at.selectbox(key="clock.w.model").value == quick.model == "clock-dial"
    assert at.selectbox(key="clock.w.dataset").value == quick.dataset == "clocks-course-like"
    assert at.number_input(key="clock.w.epochs").value == quick.epochs == 8
    assert at.number_input(key="clock.w.image_size").value == 64
    assert at.number_input(key="clock.w.clock_images").value == 8000


def test_any_clock_on_the_generator_and_its_setting_button(dlnn_dirs: Path) -> None:
    at = open_clock_lab()
    assert at.selectbox(key="clock.gen.preset").value == "course-like"
    at.selectbox(key="clock.gen.preset").set_value("any-clock").run()
    no_exception(at)
    assert at.selectbox(key="clock.gen.any-clock.numeral_style").value == "segment"
    samples = json.loads(at.tabs[GENERATOR].get("plotly_chart")[0].proto.spec)
    assert len(samples["layout"]["annotations"]) == generator.SAMPLE_COUNT
    assert "one of 48 makes of clock" in texts(at.tabs[GENERATOR])
    at.button(key="clock.any").click().run()
    no_exception(at)
    assert at.selectbox(key="clock.w.dataset").value == "clocks-any-clock"
    assert at.selectbox(key="clock.w.model").value == "clock-dial"
    assert ("clock-dial on any-clock clocks, framed by a learned locator, 64 px, 8,000 clocks, "
            "12 epochs") in texts(at.tabs[TRAIN])
    assert at.toggle(key="clock.w.frame_clocks").value is True
    assert at.toggle(key="clock.w.learned_framing").value is True


def test_controls_take_their_bounds_from_the_field_declarations(dlnn_dirs: Path) -> None:
    from dlnn import registry

    at = open_clock_lab()
    for name in ("epochs", "clock_images", "image_size", "conv_blocks", "dense_units"):
        widget = at.number_input(key=f"clock.w.{name}")
        declared = registry.field_named(name)
        assert (widget.min, widget.max) == (declared.low, declared.high), name


def test_results_lead_with_cse_and_hour_accuracy(clock_run: Run) -> None:
    at = open_clock_lab(run=clock_run.run_id)
    no_exception(at)
    result = clock_run.result()
    tabs = at.tabs
    tiles = [(metric.label, metric.value) for metric in tabs[RESULTS].metric]
    assert tiles[:2] == [("Common-sense error", f"{result['test_cse_minutes']:.2f} min"),
                         ("Hour accuracy", f"{result['test_hour_accuracy']:.1%}")]
    charts = [chart.proto.spec for chart in tabs[RESULTS].get("plotly_chart")]
    assert "Common-sense error (minutes" in charts[0] and "Hour accuracy" in charts[1]
    expanders = [expander.label for expander in tabs[RESULTS].expander]
    assert any(label.startswith("All training curves") for label in expanders)
    assert any('"type":"image"' in spec.replace(" ", "") for spec in charts)
    assert "Clocks read wrong" in texts(tabs[RESULTS])
    # The Train tab shows the finished run of its setup, with its numbers, and offers a retrain.
    assert at.selectbox(key="clock.w.model").value == clock_run.config.model
    assert [metric.label for metric in tabs[TRAIN].metric][:2] == ["Common-sense error",
                                                                     "Hour accuracy"]
    assert at.button(key="clock.again").label == "Train again"
    assert not [button for button in at.button if button.key == "clock.start"]
    assert "Results" in texts(tabs[TRAIN])
    assert "trained on 64 generated easy clocks (upright) at 48 px" in texts(tabs[PHOTO])
    assert "trained on clocks of many makes reads those better" in texts(tabs[PHOTO])


def test_a_run_without_errors_says_so_instead_of_showing_worst_clocks(
        clock_run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    perfect = cache / "runs" / clock_run.run_id
    shutil.copytree(clock_run.path, perfect)
    monkeypatch.setenv("DLNN_CACHE_DIR", str(cache))
    clear_memory_cache()
    labels = clock_split(clock_run.config).test_labels
    np.save(perfect / "predictions.npy", labels)
    at = open_clock_lab(run=clock_run.run_id)
    no_exception(at)
    assert f"No errors: all {len(labels)} test clocks are read to the minute" in texts(
        at.tabs[RESULTS])


def test_the_figures_text_names_the_selected_curve(clock_run: Run) -> None:
    at = open_clock_lab(run=clock_run.run_id)
    radio = at.radio(key="clock.fig.metric")
    assert radio.value == "val_cse"
    assert "Validation **common-sense error**" in texts(at.tabs[FIGURES])
    assert "minute MAE" not in at.tabs[FIGURES].markdown[0].value
    radio.set_value("val_minute_error").run()
    assert "Validation **minute error**" in texts(at.tabs[FIGURES])


def test_bad_settings_are_named_in_one_line(clock_run: Run) -> None:
    at = open_clock_lab(run=clock_run.run_id)
    at.number_input(key="clock.w.conv_blocks").set_value(6).run()
    no_exception(at)
    assert any(error.value.startswith("**conv_blocks**") for error in at.error)
    at.number_input(key="clock.w.conv_blocks").set_value(3).run()
    at.selectbox(key="clock.w.dataset").set_value("clocks-course").run()
    assert any(error.value.startswith("**data_path**") for error in at.error)
    at.text_input(key="clock.course.folder").input("/no/such/folder").run()
    at.button(key="clock.course.check").click().run()
    no_exception(at)
    assert [error.value for error in at.tabs[COURSE].error] == ["/no/such/folder: folder not found"]


def test_a_course_folder_becomes_the_training_data(clock_run: Run, tmp_path: Path) -> None:
    from dlnn.clocks.course import save_course_data
    from dlnn.clocks.render import generate_clocks

    folder = save_course_data(tmp_path / "course", *generate_clocks(30, "easy", seed=1))
    at = open_clock_lab(run=clock_run.run_id)
    at.text_input(key="clock.course.folder").input(str(folder)).run()
    at.button(key="clock.course.check").click().run()
    assert "30 clocks of 150x150 pixels" in texts(at.tabs[COURSE])
    at.button(key="clock.course.use_folder").click().run()
    no_exception(at)
    assert at.selectbox(key="clock.w.dataset").value == "clocks-course"
    assert at.text_input(key="clock.w.data_path").value == str(folder)
    assert at.number_input(key="clock.w.image_size").value == 150
    assert str(folder) in texts(at.tabs[TRAIN])


def test_results_switch_to_the_sessions_run_once_it_finishes(dlnn_dirs: Path) -> None:
    from dlnn.runs import RunStore

    store = RunStore()
    runs = []
    for seed, cse in ((1, 3.0), (2, 90.0)):
        run = store.create(class_setting().replace(seed=seed))
        run.write_result({"status": "finished", "test_cse_minutes": cse})
        run.set_status("finished")
        runs.append(run)
    at = open_clock_lab()
    assert at.selectbox(key="clock.result_run").value == runs[0].run_id  # the best first
    at.session_state["clock.run_id"] = runs[1].run_id  # as Start does, the run then finishes
    at.run()
    no_exception(at)
    assert at.selectbox(key="clock.result_run").value == runs[1].run_id
    at.selectbox(key="clock.result_run").set_value(runs[0].run_id).run()
    assert at.selectbox(key="clock.result_run").value == runs[0].run_id  # the user's pick stays


def test_the_page_renders_without_tensorflow(dlnn_dirs: Path) -> None:
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({DASHBOARD!r}, default_timeout=60).run()\n"
        "at.switch_page('pages/clocks.py').run()\n"
        "assert not at.exception, at.exception\n"
        "assert at.title[0].value == 'Clock lab'\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(DASHBOARD).parent, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["False", "False"]


def test_a_failed_run_says_why_above_the_start_button(dlnn_dirs: Path) -> None:
    from dlnn.runs import RunStore
    from tests.fake_runs import write_run

    failed = write_run(RunStore(), class_setting(), "failed", epochs_done=1,
                       reason="the loss became nan at epoch 1, batch 3")
    at = open_clock_lab(run=failed.run_id)
    no_exception(at)
    assert [error.value for error in at.tabs[TRAIN].error] == [
        "The last run of this setup failed: the loss became nan at epoch 1, batch 3"]
    assert at.button(key="clock.start").label == "Start training"


def test_a_link_to_a_missing_run_is_named_and_the_class_setting_loads(dlnn_dirs: Path) -> None:
    at = open_clock_lab(run="20990101-000000-nothing")
    no_exception(at)
    assert [warning.value for warning in at.warning] == [
        "Ignored from the link: there is no run 20990101-000000-nothing in the store."]
    assert at.selectbox(key="clock.w.model").value == "clock-dial"
