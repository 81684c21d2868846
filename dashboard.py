"""The dlnn dashboard: `streamlit run dashboard.py`.

A multipage Streamlit app. Adding a page is one script in `pages/` (starting with
`require_shell()`) and one `st.Page` line below; the URL path is the page's address,
e.g. `/train?model=cnn-keras&epochs=2`. The navigation has no icons: the icon font alone
delays a fresh visitor's first page by a few tenths of a second.
"""

import streamlit as st

from pages import run_app

PAGES = [
    st.Page("pages/home.py", title="Home", url_path="home", default=True),
    st.Page("pages/train.py", title="Train", url_path="train"),
    st.Page("pages/runs.py", title="Runs", url_path="runs"),
    st.Page("pages/clock_lab.py", title="Clock lab", url_path="clocks"),
]

run_app(PAGES)
