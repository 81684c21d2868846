"""Task 3's settings and tables: the class setting, what was measured, the stored runs."""

from __future__ import annotations

from pathlib import Path

from dlnn.clocks import reproduce
from dlnn.runs import RunStore


def test_the_class_setting_is_the_dial_reader_on_turned_clocks() -> None:
    setting = reproduce.class_setting().validate()
    assert setting == reproduce.task3_configs(quick=True)["best"]
    assert (setting.model, setting.dataset) == ("clock-dial", "clocks-course-like")
    assert (setting.clock_images, setting.image_size, setting.epochs) == (8000, 64, 8)
    assert setting.early_stopping and setting.monitor == "val_cse"
    # Only the dial reader on course-like clocks is shortened; the report's model keeps 12.
    assert reproduce.task3_configs(quick=True)["baseline"].epochs == 12
    assert reproduce.class_setting("any-clock").epochs == 12


def test_the_quick_baseline_keeps_the_reports_filters_on_report_like_clocks() -> None:
    # With 16 filters the report's model read 81% of report-like hours; with its own 32,
    # 94.6% (docs/benchmarks.md): the quick setting halves them only elsewhere.
    assert reproduce.task3_configs(quick=True)["baseline"].conv_filters == 16
    report_like = reproduce.task3_configs(quick=True, preset="report-like")
    assert report_like["baseline"].conv_filters == reproduce.REPORT_BASELINE.conv_filters == 32
    assert report_like["baseline"].clock_images == 8000
    assert report_like["best"].conv_filters == 16


def test_the_measured_table_says_what_ran_where_in_words() -> None:
    table = reproduce.measured_table()
    assert len(table) == len(reproduce.MEASURED)
    assert list(table[0]) == ["clocks", "model", "CSE", "hour accuracy", "minute error",
                              "held-out makes: CSE", "held-out makes: hour accuracy",
                              "training time", "epochs", "machine", "what was run"]
    assert {row["machine"] for row in table} == {reproduce.CPU, reproduce.BUSY_CPU,
                                                 reproduce.GPU, reproduce.LOADED_CPU,
                                                 reproduce.GPU_JAX, reproduce.TESTED_CPU}
    held_out = [row for row in table if row["held-out makes: CSE"] != "—"]
    assert [row["held-out makes: CSE"] for row in held_out] == [
        "173.62 min", "129.39 min", "4.40 min", "14.89 min", "13.41 min", "52.99 min",
        "0.60 min", "10.79 min", "8.42 min", "16.18 min", "6.81 min", "9.26 min", "182.63 min",
        "4.31 min", "4.31 min"]
    assert [row["training time"] for row in held_out][-8:] == [
        "872 s", "1,268 s", "1,280 s", "1,304 s", "1,957 s", "1,669 s", "3,656 s", "3,426 s"]
    assert [row["what was run"] for row in held_out][:3] == [
        *["python -m dlnn reproduce task3 --preset any-clock --quick"] * 2,
        "bench/clock_makes_explore.py"]
    assert all(row["machine"] == reproduce.GPU_JAX for row in held_out[3:7])
    assert [row["machine"] for row in held_out[7:]] == [reproduce.TESTED_CPU, reproduce.CPU,
                                                         reproduce.CPU, reproduce.TESTED_CPU,
                                                         reproduce.CPU, reproduce.CPU,
                                                         reproduce.CPU, reproduce.CPU]
    assert [row["model"] for row in held_out[7:]].count(reproduce.BASELINE) == 1
    assert all("learned locator" in row["model"] for row in held_out[7:]
               if row["model"] != reproduce.BASELINE)
    assert table[0]["CSE"] == "1.37 min" and table[0]["hour accuracy"] == "99.6%"
    assert table[6]["training time"] == "7,182 s"
    assert table[8]["minute error"] == "—"
    assert [row for row in table if "class setting" in row["model"]] == [{
        "clocks": "course-like (turned, mirrored), 8,000 at 64 px",
        "model": "ours: dial reader (clock-dial), the Clock lab's class setting",
        "CSE": "0.02 min", "hour accuracy": "100.0%", "minute error": "0.02 min",
        "held-out makes: CSE": "—", "held-out makes: hour accuracy": "—",
        "training time": "5,470 s", "epochs": 12, "machine": reproduce.BUSY_CPU,
        "what was run": "python -m dlnn reproduce task3 --quick"}]
    for row in table:
        assert row["what was run"].startswith(("python -m dlnn reproduce task3", "bench/"))
        assert "session" not in row["model"] and "torch," not in row["machine"]


def test_the_reported_table_keeps_the_reports_words() -> None:
    rows = {row["source"]: row for row in reproduce.reported_table()}
    assert rows["the report (course photographs)"]["hour accuracy"] == "above 93%"
    assert rows["best public result (course photographs)"]["CSE"] == "about 8.5 min"


def test_stored_runs_table_lists_the_finished_reproduce_runs(dlnn_dirs: Path) -> None:
    store = RunStore()
    assert reproduce.stored_runs_table(store) == []
    config = reproduce.class_setting()
    run = store.create(config)
    run.write_result({"status": "finished", "test_cse_minutes": 0.41,
                      "test_hour_accuracy": 0.999, "test_minute_mae": 0.3,
                      "timings": {"fit_seconds": 1234.0}})
    run.set_status("finished")
    store.create(reproduce.task3_configs(quick=True)["baseline"])  # queued: not listed
    assert reproduce.stored_runs_table(store) == [{
        "setting": "class (--quick)",
        "clocks": "8,000 generated course-like clocks (turned any way round, 25% mirrored) "
                  "at 64 px",
        "model": "ours (clock-dial)", "CSE": "0.41 min", "hour accuracy": "99.9%",
        "minute error": "0.30 min", "held-out makes: CSE": "—",
        "held-out makes: hour accuracy": "—", "training time": "1,234 s", "run": run.run_id,
    }]


def test_the_any_clock_setting_reports_the_held_out_makes(dlnn_dirs: Path) -> None:
    setting = reproduce.class_setting("any-clock").validate()
    assert (setting.model, setting.dataset) == ("clock-dial", "clocks-any-clock")
    assert (setting.clock_images, setting.image_size) == (8000, 64)
    store = RunStore()
    run = store.create(setting)
    run.write_result({"status": "finished", "test_cse_minutes": 3.0, "test_hour_accuracy": 0.97,
                      "test_minute_mae": 1.5, "held_out_cse_minutes": 12.5,
                      "held_out_hour_accuracy": 0.9, "held_out_minute_mae": 2.0})
    run.set_status("finished")
    row = reproduce.headline("clock-dial", run)
    assert (row["held_out_cse_minutes"], row["held_out_hour_accuracy"]) == (12.5, 0.9)
    [listed] = reproduce.stored_runs_table(store)
    assert listed["clocks"] == ("8,000 generated any-clock clocks (turned any way round, 25% "
                                "mirrored, 38 of 48 makes) at 64 px, framed (centre and radius "
                                "found by a learned locator)")
    assert (listed["held-out makes: CSE"], listed["held-out makes: hour accuracy"]) == (
        "12.50 min", "90.0%")
