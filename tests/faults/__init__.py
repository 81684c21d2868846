"""Fault injection: damaged run files, killed workers, oversized inputs, paths as run ids.

Marked `faults` and left out of the default run; `python3 -m pytest -m faults` runs them
(CI does, in `.ci/run`). docs/reliability.md lists every case with what the user sees.
"""
