"""The Report page driven headless with Streamlit's AppTest."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dlnn import report, sweeps
from dlnn.runs import RunStore
from tests.report_runs import fill_report_store, is_task2

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
    assert at.get("iframe")
    print(f"Report page opened in {seconds:.2f} s")  # docs/benchmarks.md
