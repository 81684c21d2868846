"""Report: the whole report reproduced, as `reproduce all` writes it, and what it still lacks.

Opening the page reads the written report (`cache/report/index.html` and its `index.json`) and
one pass over the run store: which parts miss runs, which have runs newer than the file. It
never trains and builds no figure on open. Buttons queue the missing runs on one background
worker, rebuild the file from the store (training nothing) and download it; the document
itself is shown below, interactive, exactly as the file opens in a browser.
"""

from __future__ import annotations

import time

import streamlit as st

from pages import require_shell

require_shell()

from dlnn import report, sweeps  # noqa: E402  (after the shell check)
from pages import components  # noqa: E402

COMMAND = "python -m dlnn reproduce all"
PROTOCOLS = {True: "quick (class-sized: subsets, fewer epochs)", False: "the report's, full"}


def render_status(saved: report.SavedReport) -> None:
    """One row per part: runs done, training now, missing, newer than the file."""
    rows = []
    for name, state in saved.overview.states.items():
        total = len(state.runs)
        rows.append({
            "part": saved.titles[name], "runs done": f"{state.done}/{total}",
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
    """Queue the missing runs, rebuild the file, download it."""
    missing = saved.overview.missing
    queue, rebuild, download = st.columns(3)
    if missing and queue.button(f"Train the {len(missing)} missing runs in the background",
                                icon=":material/queue:", key="report.queue"):
        sweeps.launch(missing, components.run_store())
        st.rerun()
    if rebuild.button("Rebuild the file from the store (trains nothing)",
                      icon=":material/refresh:", key="report.rebuild"):
        build(saved.quick)
    download.download_button("Download the report (one HTML file)",
                             saved.html.read_bytes(), file_name="dlnn-report.html",
                             mime="text/html", icon=":material/download:",
                             key="report.download")


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
    st.iframe(saved.html, height=1400)
