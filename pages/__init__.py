"""The dashboard's pages, and the shell that keeps them inside `dashboard.py`'s navigation.

Each page is one script here (`home.py`, `train.py`, ...) listed by one `st.Page` line in
`dashboard.py`; `components.py` holds the views several pages share.

Why the pages call `require_shell()` first: while a folder named `pages/` sits next to the
main script, Streamlit starts every server process in its legacy multipage mode and only
leaves it at the process's first `st.navigation` call. Until then a page URL such as
`/train` runs `pages/train.py` on its own, without `dashboard.py`, so a fresh server's first
visitor got Streamlit's automatic navigation with file names as titles. `require_shell()`
notices that the page runs outside `run_app` and runs `dashboard.py` in its place, which
registers the real navigation (ending legacy mode for good) and renders the page it was
asked for. Inside the shell it does nothing.
"""

from __future__ import annotations

import runpy
import threading
from collections.abc import Sequence
from pathlib import Path

import streamlit as st

MAIN_SCRIPT = Path(__file__).resolve().parent.parent / "dashboard.py"
APP_TITLE = "dlnn lab"

_shell = threading.local()  # each session's script runs in its own thread


def run_app(pages: Sequence[st.Page]) -> None:
    """Set up the page and the navigation bar, then run the page the URL asks for."""
    st.set_page_config(page_title=APP_TITLE, layout="wide")
    page = st.navigation(list(pages), position="top")
    _shell.active = True
    try:
        page.run()
    finally:
        _shell.active = False


def require_shell() -> None:
    """Make sure the calling page renders inside `run_app`; see the module docstring."""
    if getattr(_shell, "active", False):
        return
    runpy.run_path(str(MAIN_SCRIPT), run_name="__main__")
    st.stop()
