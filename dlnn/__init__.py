"""dlnn: an interactive deep-learning lab engine.

Data sets, a model zoo, training runs with live events, a run store, sweeps, figures and a
CLI. Everything here runs without Streamlit; the dashboard's pages only call into it.
"""

__version__ = "0.1.0"
