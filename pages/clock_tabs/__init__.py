"""The Clock lab's tabs, one module each, laid out by the entry page `pages/clocks.py`.

Each tab module has a `render()` that only lays out widgets and calls `dlnn.clocks`;
`state` holds what the tabs share (the training configuration, the session's run) and
`run_views` the views of a clock run that Train and Results both show. This folder is not a
page folder: Streamlit's page discovery reads `pages/*.py` only.
"""
