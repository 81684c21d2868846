"""The Measured tab: what this code measured, where and how, beside the report's numbers.

The rows come from `dlnn.clocks.reproduce` (`measured_table`, `reported_table`, and the
`reproduce task3` runs that this run store holds).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dlnn.clocks import reproduce
from pages import components


def render() -> None:
    """The Measured tab."""
    st.markdown("**Measured with this code** on generated clocks (the same clocks for both "
                "models of a row pair; a tenth of them held out as test clocks). Details and "
                "run ids: `docs/clocks.md`.")
    st.table(pd.DataFrame(reproduce.measured_table()).set_index("clocks"))
    st.markdown("**The report and the best public result**, on the course's photographs "
                "(not the same clocks, so only roughly comparable)")
    st.table(pd.DataFrame(reproduce.reported_table()).set_index("source"))
    rows = reproduce.stored_runs_table(components.run_store())
    if rows:
        st.markdown("**`reproduce task3` runs in this run store**")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
