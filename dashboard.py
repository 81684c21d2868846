"""The dlnn dashboard: `streamlit run dashboard.py`.

A multipage Streamlit app: the core's pages below, then each lab's pages as the labs register
them (`dlnn.registry.add_page`), then the Report, which gathers every lab's part. A page is
one script in `pages/` starting with
`require_shell()`; the URL path is the page's address, e.g. `/train?model=cnn-keras&epochs=2`.
The navigation has no icons: the icon font alone delays a fresh visitor's first page by a few
tenths of a second.
"""

import streamlit as st

from dlnn.registry import pages as lab_pages
from pages import run_app

PAGES = [
    st.Page("pages/home.py", title="Home", url_path="home", default=True),
    st.Page("pages/train.py", title="Train", url_path="train"),
    st.Page("pages/runs.py", title="Runs", url_path="runs"),
    *(st.Page(page.path, title=page.title, url_path=page.url_path) for page in lab_pages()),
    st.Page("pages/report.py", title="Report", url_path="report"),
]

run_app(PAGES)
