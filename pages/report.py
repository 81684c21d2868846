"""Report: the whole report reproduced, as `reproduce all` writes it, and what it still lacks.

Opening the page reads the written report (`cache/report/index.json`, which also holds each
part's protocol and tables as the document prints them) and one pass over the run store:
which parts miss runs, which have runs newer than the file. It never trains and builds no
figure on open: each part shows one of its figures at a time, drawn from the Plotly JSON the
writer saved beside the HTML (`figure-1.json`, ...). Buttons queue the missing runs on one
background worker, rebuild the file from the store (training nothing) and download it; the
whole self-contained document (5 MB, every figure at once: seconds to draw) is embedded only
when asked for.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from pages import require_shell

require_shell()

from dlnn import report, sweeps  # noqa: E402  (after the shell check)
from pages import components  # noqa: E402

if TYPE_CHECKING:
    import plotly.graph_objects as go

COMMAND = "python -m dlnn reproduce all"
PROTOCOLS = {True: "quick (class-sized: subsets, fewer epochs)", False: "the report's, full"}
DOCUMENT = "Show the whole document as it opens in a browser (slower)"


def render_status(saved: report.SavedReport) -> None:
    """One row per part: runs done, training now, missing, newer than the file."""
    rows = []
    for name, state in saved.overview.states.items():
        total = len(state.runs)
        rows.append({
            "part": saved.titles[name], "runs done": state.done_text(total),
            "training now": state.active, "missing": len(state.missing),
            "newer than the file": saved.overview.stale.get(name, 0),
            "waiting": "; ".join(saved.waiting[name]),
        })
    st.dataframe(rows, hide_index=True, width="stretch")
    stale = sum(saved.overview.stale.values())
    if stale:
        st.warning(f"{stale} runs finished after the file was written: rebuild it to draw "
                   "them.", icon=":material/update:")


def render_actions(saved: report.SavedReport) -> None:
    """Queue the missing runs, rebuild the file, download it: side by side from the left,
    however many there are (the first only shows while runs are missing)."""
    missing = saved.overview.missing
    with st.container(horizontal=True, key="report.actions"):
        if missing and st.button(f"Train the {len(missing)} missing runs in the background",
                                 icon=":material/queue:", key="report.queue"):
            sweeps.launch(missing, components.run_store())
            st.rerun()
        if st.button("Rebuild the file from the store (trains nothing)",
                     icon=":material/refresh:", key="report.rebuild"):
            build(saved.quick)
        # Read when clicked, not on every run of the page (the file is 5 MB).
        st.download_button("Download the report (one HTML file)",
                           saved.html.read_bytes, file_name="dlnn-report.html",
                           mime="text/html", icon=":material/download:",
                           key="report.download")


def render_contents(saved: report.SavedReport) -> None:
    """Each part as the document has it: protocol, tables, one figure at a time."""
    if saved.contents is None:
        st.info("This file was written before the page could show its tables and figures "
                "itself: rebuild the file to see figures here, or show the whole document "
                "below.", icon=":material/info:")
        return
    for name, part in saved.contents.items():
        st.subheader(saved.titles[name], anchor=name)
        st.caption(part.protocol)
        for line in saved.waiting[name]:
            st.warning(f"Waiting: {line}", icon=":material/hourglass_top:")
        for table in part.tables:
            render_table(table)
        render_figures(name, part.figures)


def render_table(table: report.SavedTable) -> None:
    st.markdown(f"**{table.title}**")
    if table.rows:
        st.table(table.frame, hide_index=True)
    else:
        st.warning(report.TABLE_MISSING, icon=":material/pending:")
    if table.note:
        st.caption(table.note)


def render_figures(part: str, figures: tuple[report.SavedFigure, ...]) -> None:
    """The missing figures listed, and the chosen one of those drawn."""
    missing = [figure for figure in figures if figure.path is None]
    if missing:
        st.warning("\n".join(f"- **{figure.label}** ({figure.title}): {figure.gap}"
                             for figure in missing), icon=":material/pending:")
    drawn = {figure.label: figure for figure in figures if figure.path is not None}
    if not drawn:
        return
    label = st.segmented_control("Figure", list(drawn), default=next(iter(drawn)),
                                 required=True, key=f"report.figure.{part}")
    figure = drawn[label]
    st.markdown(f"**{figure.label}:** {figure.title}")
    if figure.gap:
        st.warning(figure.gap, icon=":material/pending:")
    plotted = drawn_figure(str(figure.path), modified(figure.path), figure)
    if plotted is None:
        st.warning(f"`{figure.path}` cannot be read: rebuild the file.",
                   icon=":material/error:")
    else:
        st.plotly_chart(plotted, key=f"report.plot.{part}")
    if figure.note:
        st.caption(figure.note)
    if figure.table is not None:
        with st.expander(figure.table.title):
            render_table(figure.table)


@st.cache_resource(max_entries=40, show_spinner=False)
def drawn_figure(path: str, written: int, _figure: report.SavedFigure) -> go.Figure | None:
    """A saved figure read back, once per file written (`written`: its mtime): reading it
    validates every trace, a noticeable part of the page's time on a busy machine."""
    return _figure.load()


def modified(path: Path) -> int:
    """When `path` was last written (0: it is gone, and the figure says it cannot be read)."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def render_document(saved: report.SavedReport) -> None:
    """The self-contained file embedded, exactly as it opens in a browser: on demand only."""
    if st.toggle(DOCUMENT, key="report.document"):
        st.iframe(saved.html, height=1400)


def build(quick: bool) -> None:
    """Write the report from the run store (no training, no PNG copies), then show it."""
    store = components.run_store()
    with st.spinner("Building every part and figure from the run store ..."):
        started = time.perf_counter()
        parts = report.collect_parts(store, quick)
        report.write_report(parts, quick, store, png=False)
    st.session_state["report.built_seconds"] = time.perf_counter() - started
    st.rerun()


def render_empty() -> None:
    """No report written yet: how to make one."""
    st.info(f"No report written yet. `{COMMAND} --quick` trains what is missing and writes "
            "it; or build it now from the runs already stored.", icon=":material/info:")
    quick = st.radio("Protocol", list(PROTOCOLS), format_func=PROTOCOLS.get,
                     horizontal=True, key="report.protocol")
    if st.button("Build the report from the store (trains nothing)", icon=":material/build:",
                 key="report.build"):
        build(quick)


st.title("Report")
st.markdown("The assignment's report reproduced: its seven figures rebuilt from our runs and "
            "its numbers beside ours, one self-contained HTML file. "
            f"`{COMMAND} [--quick]` trains whatever is missing and writes it.")
saved = report.saved_report(components.run_store())
if saved is None or not saved.html.exists():
    render_empty()
else:
    built = st.session_state.pop("report.built_seconds", None)
    if built is not None:
        st.success(f"Rebuilt in {built:.1f} s.", icon=":material/check_circle:")
    st.caption(f"Written {time.strftime('%Y-%m-%d %H:%M', time.localtime(saved.written))} "
               f"under the {PROTOCOLS[saved.quick]} protocol: `{saved.html}`")
    render_status(saved)
    render_actions(saved)
    render_contents(saved)
    render_document(saved)
