"""The whole report as one document: the labs' parts, read from the run store, in one HTML file.

Every `reproduce` entry with a `report` hook contributes a `ReportPart`: the runs it needs, its
figures (the report's Figures 1-7 rebuilt from our runs) and its tables (the report's number,
the best public number and ours side by side). Building a part reads the run store only, so it
never trains: a figure whose runs are not there yet is listed as missing, not drawn empty.
`write_report` puts every part into `cache/report/index.html`, one self-contained file with
plotly.js embedded once (it opens offline, with no server), plus PNG copies of the figures
where Kaleido can draw them. Beside it go what the Report page shows without that 5 MB
document: each drawn figure as Plotly JSON (`figure-1.json`, ...) and, in `index.json`, each
part's protocol, tables (as the document prints them) and figure list; `saved_report` reads
them back.

Example:
    >>> parts = collect_parts(RunStore(), quick=True)
    >>> written = write_report(parts, quick=True)
    >>> written.html.name
    'index.html'
"""

from __future__ import annotations

import html
import importlib.metadata
import json
import os
import platform
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from dlnn import paths, registry
from dlnn.config import RunConfig
from dlnn.runs import ACTIVE, Run, RunStore
from dlnn.sweeps import duration_text, runs_by_key

if TYPE_CHECKING:
    import plotly.graph_objects as go

DONE = ("finished", "failed")  # a failed run is a result too (the loss diverged): kept
LIBRARIES = ("tensorflow", "keras", "numpy", "pandas", "plotly", "streamlit", "kaleido")
NOT_GIVEN = "not given"
MISSING_CELL = "—"  # a table cell with no value
TABLE_MISSING = "Missing: no finished runs for this table yet."


@dataclass(frozen=True)
class ReportFigure:
    """One of the report's figures, rebuilt from our runs.

    Attributes:
        label: `Figure 1`, `Figure 7b`, ...
        title: what it shows.
        draw: builds the Plotly figure (drawing costs seconds, so only the HTML writer and the
            page's figure tabs call it); None when none of its runs has finished: listed as
            missing, not drawn empty.
        runs: how many runs it draws.
        missing: how many of them have no finished run yet.
        note: one line under it (the protocol, what differs from the report).
        table: its numbers, shown folded under it.
    """

    label: str
    title: str
    draw: Callable[[], go.Figure] | None
    runs: int
    missing: int = 0
    note: str = ""
    table: ReportTable | None = None


@dataclass(frozen=True)
class ReportTable:
    """A table of numbers: the report's, the best public one and ours, side by side."""

    title: str
    frame: pd.DataFrame
    note: str = ""


@dataclass(frozen=True)
class ReportPart:
    """What one task adds to the report.

    Attributes:
        name: the reproduce target (`task1`, ...).
        title: the report's section title.
        protocol: the protocol its runs follow, and what `--quick` changed from the report.
        configs: every run it needs now (those it cannot know yet are in `waiting`).
        figures: its figures, in the report's order.
        tables: its tables.
        waiting: what it will need once other runs end (e.g. the best settings after the
            sweeps), one line each.
    """

    name: str
    title: str
    protocol: str
    configs: tuple[RunConfig, ...]
    figures: tuple[ReportFigure, ...] = ()
    tables: tuple[ReportTable, ...] = ()
    waiting: tuple[str, ...] = ()


@dataclass(frozen=True)
class PartState:
    """Where a part's runs stand in the store."""

    runs: dict[str, Run | None]  # config key -> its stored run (a finished one first)
    done: int
    active: int
    missing: tuple[RunConfig, ...]  # no run, or one that was stopped or lost
    seconds: float  # training time of its stored runs, summed
    newest: float  # when its newest done run ended (0: none)
    failed: int = 0  # of the done runs, those that failed (their curves are not drawn)

    def done_text(self, total: int) -> str:
        """`12/12`, or `12/12 (1 failed)`: the runs done, failed ones said."""
        return f"{self.done}/{total}" + (f" ({self.failed} failed)" if self.failed else "")


@dataclass(frozen=True)
class WrittenReport:
    html: Path
    pngs: tuple[Path, ...] = ()
    png_problem: str = ""  # why there are no PNG copies (empty when there are)


Hook = Callable[[RunStore, bool, Mapping[str, Any]], ReportPart]


# -- collecting -----------------------------------------------------------------------------
def report_hooks() -> dict[str, Hook]:
    """The `report` hook of every registered reproduce target that has one, in order."""
    return {name: entry.report for name, entry in registry.reproduce_entries().items()
            if entry.report is not None}


def collect_parts(store: RunStore, quick: bool, options: Mapping[str, Any] | None = None
                  ) -> list[ReportPart]:
    """Every lab's part, read from `store` (nothing trains); each run listed once (figures
    share runs: the report's clock model is in Figure 6 and in each of Figure 7's panels)."""
    parts = [hook(store, quick, options or {}) for hook in report_hooks().values()]
    return [replace(part, configs=tuple(dict.fromkeys(part.configs))) for part in parts]


def part_state(configs: Sequence[RunConfig], index: Mapping[str, Run]) -> PartState:
    """Count runs by state; `index` is `sweeps.runs_by_key(store)` (a finished run first)."""
    found = [index.get(config.key()) for config in configs]
    missing = tuple(config for config, run in zip(configs, found, strict=True)
                    if run is None or run.status not in (*DONE, *ACTIVE))
    done = [run for run in found if run is not None and run.status in DONE]
    return PartState(
        runs={config.key(): run for config, run in zip(configs, found, strict=True)},
        done=len(done),
        active=sum(run is not None and run.status in ACTIVE for run in found), missing=missing,
        failed=sum(run.status == "failed" for run in done),
        seconds=sum(run_seconds(run) for run in done),
        newest=max((_ended(run) for run in done), default=0.0),
    )


def run_seconds(run: Run) -> float:
    """How long a stored run took, from its result (0 when it says nothing)."""
    timings = (run.result() or {}).get("timings") or {}
    return float(timings.get("total_seconds") or 0.0)


def _ended(run: Run) -> float:
    return float(run.status_record().get("finished") or 0.0)


# -- describing the machine -----------------------------------------------------------------
def environment() -> dict[str, str]:
    """The machine and the library versions, without importing TensorFlow."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, "
                   f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        **versions,
    }


# -- writing --------------------------------------------------------------------------------
def report_folder() -> Path:
    return paths.cache_dir() / "report"


def report_path() -> Path:
    """Where `reproduce all` writes the report: `<cache>/report/index.html`."""
    return report_folder() / "index.html"


def draw_figures(parts: Sequence[ReportPart]) -> dict[str, go.Figure]:
    """Every figure that has runs, by label."""
    return {figure.label: figure.draw() for part in parts for figure in part.figures
            if figure.draw is not None}


def write_report(parts: Sequence[ReportPart], quick: bool, store: RunStore | None = None,
                 timings: Mapping[str, float] | None = None, png: bool = True,
                 folder: Path | None = None) -> WrittenReport:
    """Write the HTML report, its figures as Plotly JSON (and PNG copies) and `index.json`
    into `folder` (default `cache/report/`); every file is replaced atomically, so a reader
    never sees half of one. `index.json` goes last: it names the figure files to read."""
    store = store or RunStore()
    folder = folder or report_folder()
    folder.mkdir(parents=True, exist_ok=True)
    drawn = draw_figures(parts)
    target = folder / "index.html"
    _write_text(target, render_html(parts, quick, store, timings, drawn))
    write_figure_files(parts, drawn, folder)
    write_state(parts, quick, store, folder, timings, drawn)
    if not png:
        return WrittenReport(target, png_problem="not asked for (--no-png)")
    pngs, problem = write_pngs(drawn, folder)
    return WrittenReport(target, pngs, problem)


def write_pngs(drawn: Mapping[str, go.Figure], folder: Path) -> tuple[tuple[Path, ...], str]:
    """Each figure as `<folder>/figure-1.png`, ...; (files, why not). Kaleido needs a Chrome
    or Chromium on the machine and says so when it finds none."""
    import plotly.io as pio

    if not drawn:
        return (), "no figure has runs yet"
    paths_ = [folder / f"{_slug(label)}.png" for label in drawn]
    try:
        pio.write_images(list(drawn.values()), paths_, width=1100, height=650)
    except Exception as error:  # noqa: BLE001 - Kaleido missing or no browser: the HTML stands
        return (), f"{type(error).__name__}: {error}".strip()
    return tuple(paths_), ""


def write_figure_files(parts: Sequence[ReportPart], drawn: Mapping[str, go.Figure],
                       folder: Path) -> None:
    """Each drawn figure as `<folder>/figure-1.json`, ... (`fig.to_json()`, what the Report
    page draws); the file of a figure not drawn now is removed, so none is shown stale."""
    for figure in (figure for part in parts for figure in part.figures):
        path = folder / figure_file(figure.label)
        if figure.label in drawn:
            _write_text(path, drawn[figure.label].to_json())
        else:
            path.unlink(missing_ok=True)


def figure_file(label: str) -> str:
    """The name of a figure's Plotly JSON beside the report: `figure-7a.json`."""
    return f"{_slug(label)}.json"


def _write_text(path: Path, text: str) -> None:
    """Write a whole file under a temporary name, then rename it over `path` (the files keep
    the user's usual permissions, unlike `files.write_atomic`'s private temporary files:
    the report is meant to be opened and shared)."""
    partial = path.with_name(f"{path.name}.part")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _slug(label: str) -> str:
    return label.lower().replace(" ", "-")


def render_html(parts: Sequence[ReportPart], quick: bool, store: RunStore,
                timings: Mapping[str, float] | None = None,
                drawn: Mapping[str, go.Figure] | None = None) -> str:
    """The report as one HTML page: plotly.js once in the head, then every part."""
    from plotly.offline import get_plotlyjs

    drawn = draw_figures(parts) if drawn is None else drawn
    states = overview(parts, store).states
    body = [_header(parts, states, quick, timings or {})]
    body += [_part_html(part, states[part.name], drawn) for part in parts]
    body.append(_environment_html())
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<title>dlnn: the report reproduced</title>"
        f"<style>{STYLE}</style><script type='text/javascript'>{get_plotlyjs()}</script>"
        "</head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1150px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { margin-bottom: .2em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: .2em;
       margin-top: 2.2em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: .92em; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.missing { background: #fff4e5; border-left: 4px solid #f0a030; padding: .5em 1em; }
.note { color: #555; font-size: .92em; }
.protocol { background: #eef4fb; border-left: 4px solid #4a7fc1; padding: .5em 1em; }
figure { margin: 1.2em 0 2em; } figcaption { font-weight: 600; margin-bottom: .3em; }
summary { cursor: pointer; color: #4a7fc1; }
"""


def _header(parts: Sequence[ReportPart], states: Mapping[str, PartState], quick: bool,
            timings: Mapping[str, float]) -> str:
    protocol = ("the QUICK protocol (class-sized: subsets and fewer epochs; not the report's "
                "numbers)" if quick else "the report's full protocol")
    rows = []
    for part in parts:
        state = states[part.name]
        total = len(part.configs)
        wall = timings.get(part.name)
        rows.append(
            f"<tr><td>{_e(part.title)}</td><td>{state.done_text(total)}"
            f"{' + more once these end' if part.waiting else ''}</td>"
            f"<td>{duration_text(state.seconds)}</td>"
            f"<td>{_wall_text(wall)}</td></tr>")
    missing = sum(len(states[part.name].missing) for part in parts)
    status = ("<p>Every run is there.</p>" if not missing and not any(p.waiting for p in parts)
              else f"<p class='missing'>{missing} runs are missing: their figures and numbers "
                   "are listed as missing below. <code>python -m dlnn reproduce all"
                   f"{' --quick' if quick else ''}</code> trains them.</p>")
    return (
        "<h1>Deep Learning and Neural Networks, Assignment 2: the report reproduced</h1>"
        f"<p class='note'>Written {time.strftime('%Y-%m-%d %H:%M %Z')} by "
        f"<code>python -m dlnn reproduce all{' --quick' if quick else ''}</code> from the "
        f"runs in the run store, under {protocol}. The report's seven figures are rebuilt "
        "from our runs; every table puts the report's number, the best public number and ours "
        "side by side.</p>" + status +
        "<table><tr><th>part</th><th>runs done</th><th>training time (its runs, summed)</th>"
        "<th>time this command spent training it</th></tr>" + "".join(rows) + "</table>"
    )


def _wall_text(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return "none: every run loaded from the store" if seconds == 0 else duration_text(seconds)


def _part_html(part: ReportPart, state: PartState, drawn: Mapping[str, go.Figure]) -> str:
    out = [f"<h2 id='{_e(part.name)}'>{_e(part.title)}</h2>",
           f"<p class='protocol'>{_e(part.protocol)}</p>"]
    if state.missing or state.active:
        out.append(f"<p class='missing'>{len(state.missing)} of {len(part.configs)} runs "
                   f"missing, {state.active} training now.</p>")
    out += [f"<p class='missing'>Waiting: {_e(line)}</p>" for line in part.waiting]
    for table in part.tables:
        out.append(f"<h3>{_e(table.title)}</h3>{_table_html(table)}")
    for figure in part.figures:
        out.append(_figure_html(figure, drawn.get(figure.label)))
    return "\n".join(out)


def _table_html(table: ReportTable) -> str:
    if table.frame.empty:
        return f"<p class='missing'>{TABLE_MISSING}</p>"
    note = f"<p class='note'>{_e(table.note)}</p>" if table.note else ""
    return table_text(table.frame).to_html(index=False, border=0) + note


def table_text(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` as the report prints it: every cell text, numbers to 4 significant digits,
    a gap as a dash (the document and the Report page show the same)."""
    return frame.astype(object).map(cell_text)


def cell_text(value: Any) -> str:
    """One table cell as the report prints it."""
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return MISSING_CELL
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _figure_html(figure: ReportFigure, plotted: go.Figure | None) -> str:
    caption = f"<figcaption>{_e(figure.label)}: {_e(figure.title)}</figcaption>"
    note = f"<p class='note'>{_e(figure.note)}</p>" if figure.note else ""
    gap = figure_gap(figure.runs, figure.missing, plotted is not None)
    gap = f"<p class='missing'>{_e(gap)}</p>" if gap else ""
    if plotted is None:
        return (f"<figure id='{_slug(figure.label)}' class='missing-figure'>{caption}"
                f"{gap}{note}</figure>")
    plot = plotted.to_html(full_html=False, include_plotlyjs=False,
                           div_id=f"plot-{_slug(figure.label)}")
    numbers = (f"<details><summary>{_e(figure.table.title)}</summary>"
               f"{_table_html(figure.table)}</details>" if figure.table is not None else "")
    return f"<figure id='{_slug(figure.label)}'>{caption}{gap}{plot}{note}{numbers}</figure>"


def figure_gap(runs: int, missing: int, drawn: bool) -> str:
    """What a figure lacks, in one line ('' when every run is drawn)."""
    if not drawn:
        return f"Missing: none of its {runs} runs has finished yet."
    if missing == 1:
        return f"1 of its {runs} runs is missing (or failed): its curve is not drawn."
    if missing:
        return f"{missing} of its {runs} runs are missing (or failed): their curves are not drawn."
    return ""


def _environment_html() -> str:
    rows = "".join(f"<tr><th>{_e(name)}</th><td>{_e(value)}</td></tr>"
                   for name, value in environment().items())
    return f"<h2 id='machine'>Machine and libraries</h2><table>{rows}</table>"


def _e(text: Any) -> str:
    return html.escape(str(text))


# -- what is missing or stale -----------------------------------------------------------------
@dataclass(frozen=True)
class Overview:
    """Where every part's runs stand, and which parts changed since the HTML was written."""

    states: dict[str, PartState] = field(default_factory=dict)
    stale: dict[str, int] = field(default_factory=dict)  # part -> runs newer than the file

    @property
    def missing(self) -> list[RunConfig]:
        return [config for state in self.states.values() for config in state.missing]


def overview(parts: Sequence[ReportPart], store: RunStore) -> Overview:
    """Where every part's runs stand (one pass over the store)."""
    index = runs_by_key(store)
    return Overview({part.name: part_state(part.configs, index) for part in parts})


def write_state(parts: Sequence[ReportPart], quick: bool, store: RunStore, folder: Path,
                timings: Mapping[str, float] | None = None,
                drawn: Collection[str] = ()) -> Path:
    """`index.json` beside the HTML: per part, its runs (configuration and the run drawn), so
    the Report page can tell what is missing or stale without rebuilding any part, and what
    it shows of the document: the protocol, the tables as printed and the figures (`drawn`:
    the labels written as `figure-*.json`)."""
    index = runs_by_key(store)
    state = {
        "quick": quick, "written": time.time(), "timings": dict(timings or {}),
        "parts": [{
            "name": part.name, "title": part.title, "waiting": list(part.waiting),
            "runs": [{"config": config.to_dict(),
                      "run": run.run_id if (run := index.get(config.key())) is not None
                      and run.status in DONE else None}
                     for config in part.configs],
            "protocol": part.protocol,
            "tables": [_table_record(table) for table in part.tables],
            "figures": [{
                "label": figure.label, "title": figure.title, "note": figure.note,
                "runs": figure.runs, "missing": figure.missing,
                "file": figure_file(figure.label) if figure.label in drawn else None,
                "table": _table_record(figure.table) if figure.table is not None else None,
            } for figure in part.figures],
        } for part in parts],
    }
    path = folder / "index.json"
    _write_text(path, json.dumps(state, default=str))
    return path


def _table_record(table: ReportTable) -> dict[str, Any]:
    printed = table_text(table.frame)
    return {"title": table.title, "note": table.note, "columns": list(map(str, printed.columns)),
            "rows": printed.to_numpy().tolist()}


@dataclass(frozen=True)
class SavedTable:
    """A table of the written report, every cell as the document prints it."""

    title: str
    note: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # none: no finished runs for it yet

    @property
    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.rows), columns=list(self.columns))


@dataclass(frozen=True)
class SavedFigure:
    """A figure of the written report; `path` is its Plotly JSON (None: not drawn)."""

    label: str
    title: str
    note: str
    runs: int
    missing: int
    path: Path | None
    table: SavedTable | None = None

    @property
    def gap(self) -> str:
        """What it lacks, as the document says it ('' when every run is drawn)."""
        return figure_gap(self.runs, self.missing, self.path is not None)

    def load(self) -> go.Figure | None:
        """The drawn figure from its JSON (None: not drawn, or the file is gone or garbled)."""
        import plotly.io as pio

        if self.path is None:
            return None
        try:
            return pio.from_json(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None


@dataclass(frozen=True)
class SavedPart:
    """What the Report page shows of one part of the written report."""

    protocol: str
    tables: tuple[SavedTable, ...]
    figures: tuple[SavedFigure, ...]


@dataclass(frozen=True)
class SavedReport:
    """The report on disk as the Report page sees it."""

    html: Path
    quick: bool
    written: float
    titles: dict[str, str]  # part -> title
    waiting: dict[str, list[str]]
    overview: Overview
    # part -> its protocol, tables and figures; None: written before the page could show
    # them (only the HTML document has them)
    contents: dict[str, SavedPart] | None = None


def saved_report(store: RunStore, folder: Path | None = None) -> SavedReport | None:
    """The written report and how the store has moved on since (None: none written, or its
    `index.json` is unreadable)."""
    folder = folder or report_folder()
    try:
        state = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        parts = state["parts"]
        configs = {part["name"]: [RunConfig.from_dict(item["config"]) for item in part["runs"]]
                   for part in parts}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    index = runs_by_key(store)
    states = {name: part_state(found, index) for name, found in configs.items()}
    stale = {}
    for part in parts:
        drawn = [item["run"] for item in part["runs"]]
        now = states[part["name"]].runs.values()
        stale[part["name"]] = sum(
            run is not None and run.status in DONE and run.run_id != before
            for run, before in zip(now, drawn, strict=True))
    return SavedReport(folder / "index.html", bool(state.get("quick")),
                       float(state.get("written", 0)),
                       {part["name"]: part["title"] for part in parts},
                       {part["name"]: part["waiting"] for part in parts},
                       Overview(states, stale), saved_contents(parts, folder))


def saved_contents(parts: Sequence[Mapping[str, Any]], folder: Path
                   ) -> dict[str, SavedPart] | None:
    """Each part's protocol, tables and figures from `index.json`'s parts (None: a report
    written before they were saved, or a garbled entry: the HTML document still has them)."""
    try:
        return {part["name"]: SavedPart(
            str(part["protocol"]), tuple(_saved_table(table) for table in part["tables"]),
            tuple(_saved_figure(item, folder) for item in part["figures"]))
            for part in parts}
    except (KeyError, TypeError, ValueError):
        return None


def _saved_figure(record: Mapping[str, Any], folder: Path) -> SavedFigure:
    # Only a file name is kept from the record: the JSON lies beside index.json.
    path = folder / Path(record["file"]).name if record["file"] else None
    table = _saved_table(record["table"]) if record["table"] else None
    return SavedFigure(str(record["label"]), str(record["title"]), str(record["note"]),
                       int(record["runs"]), int(record["missing"]), path, table)


def _saved_table(record: Mapping[str, Any]) -> SavedTable:
    return SavedTable(str(record["title"]), str(record["note"]), tuple(record["columns"]),
                      tuple(tuple(map(str, row)) for row in record["rows"]))
