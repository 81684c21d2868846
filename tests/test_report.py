"""The whole report: built from a store of fake runs, parsed back; `reproduce all` resumes."""

from __future__ import annotations

import json
import os
import re
import signal
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from plotly.offline import get_plotlyjs

from dlnn import cli, report, reproduce_all
from dlnn.config import RunConfig
from dlnn.runs import Run, RunStore
from tests.report_runs import (
    BASELINE_CSE,
    BEST_ACCURACY,
    FIGURE_MINUTE_ERROR,
    ORIGINAL,
    OURS_CSE,
    PERMUTED,
    SWEEP_ACCURACY,
    fill_report_store,
    finish_run,
    is_task2,
    make_old_report,
)
from tests.test_permlab_page import array

LABELS = ["Figure 1", "Figure 2", "Figure 3", "Figure 4", "Figure 5", "Figure 6", "Figure 7a",
          "Figure 7b", "Figure 7c"]


class ReportReader(HTMLParser):
    """The figures (id -> caption), the tables (title -> rows of cell texts) of a report."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}  # by the heading above it
        self.headings: list[str] = ["(none)"]  # h2 and h3 texts
        self._rows: list[list[str]] = []
        self._figure: str | None = None
        self._text: list[str] | None = None
        self._tag = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "figure":
            self._figure = found.get("id")
        elif tag == "table":
            self._rows = self.tables.setdefault(self.headings[-1], [])
        elif tag == "tr":
            self._rows.append([])
        if tag in ("td", "th", "figcaption", "h2", "h3"):
            self._text, self._tag = [], tag

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag != self._tag or self._text is None:
            return
        text = "".join(self._text).strip()
        if tag in ("td", "th"):
            self._rows[-1].append(text)
        elif tag == "figcaption" and self._figure:
            self.figures[self._figure] = text
        elif tag in ("h2", "h3"):
            self.headings.append(text)
        self._text = None


def plots(html: str) -> dict[str, list[dict]]:
    """Every embedded Plotly figure's traces, by its div id (`plot-figure-1`)."""
    found = {}
    decoder = json.JSONDecoder()
    for match in re.finditer(r'Plotly\.newPlot\(\s*"([^"]+)",\s*', html):
        traces, _ = decoder.raw_decode(html, match.end())
        found[match.group(1)] = traces
    return found


def read(html: str) -> ReportReader:
    reader = ReportReader()
    reader.feed(html)
    return reader


def row_with(table: list[list[str]], *cells: str) -> list[str]:
    """The first row of `table` holding every one of `cells`."""
    for row in table:
        if all(any(cell in text for text in row) for cell in cells):
            return row
    raise AssertionError(f"no row with {cells} in {table}")


@pytest.fixture(scope="module")
def full_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunStore]:
    """Every run of the quick report, fake and finished, in a cache of its own."""
    cache = tmp_path_factory.mktemp("report-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLNN_CACHE_DIR", str(cache))
        store = RunStore()
        fill_report_store(store)
        yield store


@pytest.fixture(scope="module")
def written(full_store: RunStore) -> str:
    parts = report.collect_parts(full_store, quick=True)
    return report.write_report(parts, True, full_store, png=False).html.read_text()


def test_every_figure_is_drawn_from_the_runs(written: str) -> None:
    reader = read(written)
    assert [reader.figures.get(label.lower().replace(" ", "-"), "").split(":")[0]
            for label in LABELS] == LABELS
    traces = plots(written)
    assert sorted(traces) == sorted(f"plot-{label.lower().replace(' ', '-')}"
                                    for label in LABELS)
    # Figure 1: one curve per optimizer the report tried (in each of the four panels).
    names = {trace.get("name") for trace in traces["plot-figure-1"]}
    assert {"sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam"} <= {
        re.sub(r"^optimizer=", "", str(name)).split(" ")[0] for name in names}
    # Figure 4: MNIST only, original and permuted pixels of both networks.
    assert {trace.get("name") for trace in traces["plot-figure-4"]} >= {"original", "permuted"}
    # Figure 6: batch 32 against 256, at the fake runs' minute error.
    figure6 = traces["plot-figure-6"]
    assert sorted(trace["name"] for trace in figure6) == ["batch_size=256", "batch_size=32"]
    assert all(value == FIGURE_MINUTE_ERROR for trace in figure6 for value in array(trace["y"]))


def test_plotly_js_is_embedded_once_and_nothing_is_fetched(written: str) -> None:
    assert written.count(get_plotlyjs()[:500]) == 1
    assert not re.search(r"<script[^>]*\ssrc=", written)  # no script fetched from anywhere


def test_tables_put_the_reports_numbers_beside_ours(written: str) -> None:
    tables = read(written).tables
    best = row_with(tables["Best settings: test accuracy"], "MLP", "MNIST")
    assert "0.9831" in best and f"{BEST_ACCURACY:.4g}" in best
    assert any("0.9840" in cell for cell in best)  # the Keras example's public number
    permutation = tables["Test accuracy, original vs permuted pixels"]
    mlp = row_with(permutation, "mnist", "mlp-keras")  # the report: 0.9831 vs 0.9836
    assert {"0.9831", "0.9836", f"{ORIGINAL:.4g}", f"{PERMUTED:.4g}",
            f"{PERMUTED - ORIGINAL:.4g}", report.NOT_GIVEN} <= set(mlp)
    cnn = row_with(permutation, "mnist", "cnn-keras")
    assert any("0.9897 → 0.9533" in cell for cell in cnn)
    clocks = tables["Telling the time: test set"]
    assert row_with(clocks, "our best model")[-1] == f"{OURS_CSE:.2f} min"
    assert row_with(clocks, "the report's model")[-1] == f"{BASELINE_CSE:.2f} min"
    assert row_with(clocks, "best public result")[-1] == "about 8.5 min"
    assert row_with(clocks, "the report (course photographs)")[1] == "above 93%"
    assert row_with(tables["Machine and libraries"], "plotly")[1] == report.environment()["plotly"]
    assert "Every run is there." in written


@pytest.fixture(scope="module")
def saved(full_store: RunStore, written: str) -> report.SavedReport:
    found = report.saved_report(full_store)
    assert found is not None and found.contents is not None
    return found


def test_each_drawn_figure_is_saved_as_plotly_json(saved: report.SavedReport) -> None:
    assert saved.contents is not None
    figures = {figure.label: figure for part in saved.contents.values()
               for figure in part.figures}
    assert list(figures) == LABELS
    assert [figure.path.name for figure in figures.values() if figure.path] == [
        f"{label.lower().replace(' ', '-')}.json" for label in LABELS]
    spec = {label: json.loads(figure.path.read_text()) for label, figure in figures.items()
            if figure.path}
    assert sorted(trace["name"] for trace in spec["Figure 6"]["data"]) == [
        "batch_size=256", "batch_size=32"]
    assert all(value == FIGURE_MINUTE_ERROR for trace in spec["Figure 6"]["data"]
               for value in array(trace["y"]))
    assert {trace["name"] for trace in spec["Figure 4"]["data"]} == {"original", "permuted"}
    assert {"sgd", "adam", "nadam"} <= {
        re.sub(r"^optimizer=", "", str(trace.get("name"))).split(" ")[0]
        for trace in spec["Figure 1"]["data"]}
    # What the page draws is that figure, read back.
    loaded = figures["Figure 7b"].load()
    assert loaded is not None
    assert {trace.name for trace in loaded.data} == {
        trace["name"] for trace in spec["Figure 7b"]["data"]}
    assert all(figure.gap == "" for figure in figures.values())  # every run drawn


def test_the_saved_tables_are_the_documents(saved: report.SavedReport, written: str) -> None:
    assert saved.contents is not None
    printed = read(written).tables
    for name, part in saved.contents.items():
        assert part.protocol and saved.titles[name] in read(written).headings
        for table in part.tables:
            shown = [list(table.columns), *map(list, table.rows)]
            assert shown == printed[table.title][:len(shown)]  # figures' tables follow
            assert table.frame.shape == (len(table.rows), len(table.columns))
    best = row_with([list(row) for row in saved.contents["task1"].tables[0].rows],
                    "MLP", "MNIST")
    assert "0.9831" in best and f"{BEST_ACCURACY:.4g}" in best
    figure1 = saved.contents["task1"].figures[0]
    assert figure1.table is not None and figure1.table.title.startswith("its numbers")
    numbers = figure1.table.frame
    assert numbers.columns[0] == "panel" and {"sgd", "adam"} <= set(numbers["optimizer"])
    assert set(numbers["best_val_accuracy"]) == {f"{SWEEP_ACCURACY:.4f}"}  # every member


def test_a_missing_part_is_listed_not_drawn_empty(dlnn_dirs: Path) -> None:
    store = RunStore()
    fill_report_store(store, skip=lambda config: config.dataset == "fashion-mnist"
                      and is_task2(config) or config.dataset == "clocks-easy")
    parts = report.collect_parts(store, quick=True)
    stale = report.report_folder() / "figure-5.json"  # from a file written when it had runs
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    html = report.write_report(parts, True, store, png=False).html.read_text()
    assert not stale.exists()
    traces = plots(html)
    assert "plot-figure-4" in traces
    for label in ("figure-5", "figure-6", "figure-7a", "figure-7b", "figure-7c"):
        assert f"plot-{label}" not in traces
        assert re.search(rf"<figure id='{label}' class='missing-figure'>.*?Missing: none of "
                         r"its \d+ runs", html)
    assert "23 runs are missing" in html  # 4 of Task 2, 19 of Figures 6-7 (22 less 3 shared)
    saved = report.saved_report(store)
    assert saved is not None
    assert len(saved.overview.missing) == 23 and sum(saved.overview.stale.values()) == 0
    assert saved.contents is not None
    figures = {figure.label: figure for part in saved.contents.values()
               for figure in part.figures}
    assert [label for label, figure in figures.items() if figure.path is None] == [
        "Figure 5", "Figure 6", "Figure 7a", "Figure 7b", "Figure 7c"]
    assert figures["Figure 6"].load() is None
    assert re.fullmatch(r"Missing: none of its \d+ runs has finished yet\.",
                        figures["Figure 6"].gap)
    assert figures["Figure 4"].load() is not None and figures["Figure 4"].gap == ""


def test_a_report_written_before_the_page_showed_it_still_opens(dlnn_dirs: Path) -> None:
    store = RunStore()
    fill_report_store(store)
    report.write_report(report.collect_parts(store, quick=True), True, store, png=False)
    make_old_report(report.report_folder())
    saved = report.saved_report(store)
    assert saved is not None and saved.contents is None
    assert saved.overview.missing == [] and saved.html.exists()


def test_runs_newer_than_the_file_make_it_stale(dlnn_dirs: Path) -> None:
    store = RunStore()
    fill_report_store(store)
    parts = report.collect_parts(store, quick=True)
    report.write_report(parts, True, store, png=False)
    finish_run(store.create(parts[1].configs[0]))  # Task 2's first run, trained again
    saved = report.saved_report(store)
    assert saved is not None and saved.overview.stale == {"task1": 0, "task2": 1, "task3": 0}


def test_pngs_are_written_where_kaleido_can(tmp_path: Path) -> None:
    pytest.importorskip("kaleido")
    import plotly.graph_objects as go

    pngs, problem = report.write_pngs({"Figure 1": go.Figure(go.Scatter(y=[1, 3, 2]))},
                                      tmp_path)
    if problem:
        pytest.skip(f"Kaleido cannot draw here: {problem}")
    assert pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


class FakeTrainer:
    """Stands in for `dlnn.training.execute`: writes a finished fake run and counts; the
    `stop_at`-th run gets a Ctrl-C in the middle and ends cancelled, as a real one would."""

    def __init__(self, stop_at: int | None = None) -> None:
        self.stop_at = stop_at
        self.trained: list[str] = []

    def __call__(self, run: Run, listener: object) -> None:
        self.trained.append(run.config_key)
        if len(self.trained) == self.stop_at:
            os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C
            assert run.stop_requested()
            run.set_status("cancelled", reason="stopped by the user")
            return
        finish_run(run)


def reproduce(monkeypatch: pytest.MonkeyPatch, trainer: FakeTrainer, capsys) -> dict:
    monkeypatch.setattr(reproduce_all, "execute", trainer)
    code = cli.main(["reproduce", "all", "--quick", "--json", "--no-png"])
    summary = json.loads(capsys.readouterr().out)
    assert code == (0 if summary["missing_runs"] == 0 and not summary["stopped"] else 1)
    return summary


def test_a_stopped_reproduce_all_continues_and_trains_nothing_twice(
        dlnn_dirs: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    first = FakeTrainer(stop_at=5)
    summary = reproduce(monkeypatch, first, capsys)
    assert summary["stopped"] and len(first.trained) == 5
    assert Path(summary["html"]).exists()  # the report of what is there is written anyway
    finished = set(first.trained[:4])
    statuses = {run.config_key: run.status for run in RunStore().list()}
    assert all(statuses[key] == "finished" for key in finished)
    assert statuses[first.trained[4]] == "cancelled"

    second = FakeTrainer()
    summary = reproduce(monkeypatch, second, capsys)
    assert not summary["stopped"] and summary["missing_runs"] == 0
    assert not finished & set(second.trained)  # nothing finished trains again
    assert first.trained[4] in second.trained  # the stopped one does
    assert len(second.trained) == len(set(second.trained))
    parts = summary["parts"]
    assert len(first.trained) - 1 + len(second.trained) == sum(
        part["runs"] for part in parts.values()) == 111
    # Task 1: 90 sweep members less 12 shared (each panel's default is in 4 sweeps), 4 best;
    # Task 2: 8; Task 3: 2, and 22 for Figures 6-7 less 3 shared.
    assert all(figure["drawn"] for part in parts.values() for figure in part["figures"].values())

    third = FakeTrainer()
    reproduce(monkeypatch, third, capsys)
    assert third.trained == []


def test_progress_line_counts_runs_and_estimates_the_time_left() -> None:
    progress = reproduce_all.Progress(total=10, done=4, seconds=[30.0, 50.0])
    line = progress.line("task1: mlp-keras on mnist")
    assert line.startswith("[" + "#" * 10 + "-" * 14 + "] 4/10 runs, 6 left, about 4 min left")
    assert line.endswith("now: task1: mlp-keras on mnist")
    assert "after the first run" in reproduce_all.Progress(3, 0).line("x")


def test_describe_names_what_a_run_varies() -> None:
    config = RunConfig(model="mlp-keras", dataset="mnist", optimizer="adam", permute=True)
    assert reproduce_all.describe(config) == (
        "mlp-keras on mnist, adam lr 0.001, relu, random_uniform, batch 128, permuted")


def test_a_failed_run_counts_as_done_and_is_said(dlnn_dirs: Path) -> None:
    store = RunStore()
    fill_report_store(store)
    parts = report.collect_parts(store, quick=True)
    first = store.find_finished(parts[0].configs[0])
    first.set_status("failed")  # a member whose loss diverged
    state = report.overview(parts, store).states[parts[0].name]
    total = len(parts[0].configs)
    assert (state.done, state.failed, state.missing) == (total, 1, ())
    assert state.done_text(total) == f"{total}/{total} (1 failed)"
    html = report.write_report(parts, True, store, png=False).html.read_text()
    assert f"{total}/{total} (1 failed)" in html
    other = report.overview(parts, store).states[parts[1].name]
    assert other.done_text(len(parts[1].configs)) == f"{other.done}/{len(parts[1].configs)}"
