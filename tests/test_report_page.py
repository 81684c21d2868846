"""The Report page driven headless with Streamlit's AppTest."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dlnn import report, sweeps
from dlnn.runs import RunStore
from tests.report_runs import (
    BEST_ACCURACY,
    OURS_CSE,
    fill_report_store,
    is_task2,
    make_old_report,
)

DASHBOARD = str(Path(__file__).resolve().parent.parent / "dashboard.py")


def open_report() -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=120)
    at.run()
    at.switch_page("pages/report.py")
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> str:
    return "\n".join(str(element.value) for element in (*at.markdown, *at.info, *at.caption,
                                                        *at.warning, *at.success))


def status_rows(at: AppTest) -> dict[str, dict]:
    """The status table's rows by part title."""
    frame = at.dataframe[0].value
    return {row["part"]: row for row in frame.to_dict(orient="records")}


@pytest.fixture
def missing_fashion(dlnn_dirs: Path) -> Iterator[RunStore]:
    """Every run of the quick report but Task 2's four Fashion-MNIST runs."""
    store = RunStore()
    fill_report_store(store, skip=lambda config: config.dataset == "fashion-mnist"
                      and is_task2(config))
    yield store


def test_no_report_yet_offers_to_build_one_from_the_store(missing_fashion: RunStore) -> None:
    at = open_report()
    assert "No report written yet" in texts(at)
    assert not report.report_path().exists()  # opening trains and writes nothing
    at.button(key="report.build").click().run()
    assert not at.exception, at.exception
    assert report.report_path().exists()
    rows = status_rows(at)
    task2 = rows["Task 2: one fixed random pixel permutation"]
    assert (task2["runs done"], task2["missing"]) == ("4/8", 4)
    assert rows["Task 1: Keras basics on MNIST and Fashion-MNIST"]["missing"] == 0
    assert "Rebuilt in" in texts(at)


def test_the_missing_runs_are_queued_in_the_background(
        missing_fashion: RunStore, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = report.collect_parts(missing_fashion, quick=True)
    report.write_report(parts, True, missing_fashion, png=False)
    queued = []
    monkeypatch.setattr(sweeps, "launch", lambda configs, store: queued.append(list(configs)))
    at = open_report()
    at.button(key="report.queue").click().run()
    assert not at.exception, at.exception
    assert len(queued) == 1 and len(queued[0]) == 4
    assert {(config.dataset, config.permute) for config in queued[0]} == {
        ("fashion-mnist", False), ("fashion-mnist", True)}


def test_a_complete_report_opens_at_once(dlnn_dirs: Path) -> None:
    store = RunStore()
    fill_report_store(store)
    report.write_report(report.collect_parts(store, quick=True), True, store, png=False)
    started = time.perf_counter()
    at = open_report()
    seconds = time.perf_counter() - started
    rows = status_rows(at)
    assert all(row["missing"] == 0 and row["newer than the file"] == 0 for row in rows.values())
    assert not [button for button in at.button if button.key == "report.queue"]
    assert at.get("download_button")
    # Each part's tables as the document prints them, and its first figure; no document.
    tables = [table.value for table in at.table]
    best = next(frame for frame in tables if "settings (chosen by the sweeps)" in frame.columns)
    assert f"{BEST_ACCURACY:.4g}" in set(best["ours"])
    clocks = next(frame for frame in tables if "common-sense error" in frame.columns)
    assert f"{OURS_CSE:.2f} min" in set(clocks["common-sense error"])
    assert [control.value for control in at.segmented_control] == [
        "Figure 1", "Figure 4", "Figure 6"]
    assert [chart.key for chart in at.get("plotly_chart")] == [
        "report.plot.task1", "report.plot.task2", "report.plot.task3"]
    assert sorted(trace_names(at, "task3")) == ["batch_size=256", "batch_size=32"]
    assert not at.get("iframe")
    print(f"Report page opened in {seconds:.2f} s")  # docs/benchmarks.md

    at.segmented_control(key="report.figure.task3").set_value("Figure 7b").run()
    assert not at.exception, at.exception
    assert {name.split("=")[0] for name in trace_names(at, "task3")} == {"activation"}
    at.toggle(key="report.document").set_value(True).run()
    assert at.get("iframe")


def trace_names(at: AppTest, part: str) -> list[str]:
    """The trace names of the figure a part draws."""
    chart = next(chart for chart in at.get("plotly_chart") if chart.key == f"report.plot.{part}")
    return [trace["name"] for trace in json.loads(chart.proto.spec)["data"]]


def test_a_missing_figure_is_listed_as_missing(missing_fashion: RunStore) -> None:
    report.write_report(report.collect_parts(missing_fashion, quick=True), True,
                        missing_fashion, png=False)
    at = open_report()
    listed = [str(warning.value) for warning in at.warning if "Figure 5" in str(warning.value)]
    assert len(listed) == 1 and "Missing: none of its 4 runs has finished yet." in listed[0]
    assert at.segmented_control(key="report.figure.task2").options == ["Figure 4"]


def test_a_report_written_before_the_page_showed_it_still_opens(dlnn_dirs: Path) -> None:
    store = RunStore()
    fill_report_store(store)
    report.write_report(report.collect_parts(store, quick=True), True, store, png=False)
    make_old_report(report.report_folder())
    at = open_report()
    assert "rebuild the file to see figures here" in texts(at)
    assert status_rows(at) and not at.get("plotly_chart") and not at.segmented_control
    at.toggle(key="report.document").set_value(True).run()
    assert at.get("iframe")
    at.button(key="report.rebuild").click().run()
    assert not at.exception, at.exception
    assert [control.value for control in at.segmented_control] == [
        "Figure 1", "Figure 4", "Figure 6"]


def test_a_garbled_figure_file_is_named_and_the_rest_drawn(dlnn_dirs: Path) -> None:
    store = RunStore()
    fill_report_store(store)
    report.write_report(report.collect_parts(store, quick=True), True, store, png=False)
    (report.report_folder() / "figure-1.json").write_text("{not json")
    at = open_report()
    assert any("figure-1.json` cannot be read: rebuild the file" in str(warning.value)
               for warning in at.warning)
    assert [chart.key for chart in at.get("plotly_chart")] == [
        "report.plot.task2", "report.plot.task3"]
