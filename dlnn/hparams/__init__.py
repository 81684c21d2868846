"""The Task 1 lab: the report's hyperparameter sweeps, their figures, and better settings.

`protocols` (report / quick, the four panels), `named` (the sweeps the report ran, as data),
`results` (a sweep's summary table, any runs as a table), `plots` (the four-panel figure and
the parallel-coordinates view), `best` (the best-settings step), `reproduce`
(`python -m dlnn reproduce task1`), `cli` (`python -m dlnn sweep`) and `lab` (what the lab
registers). The page is `pages/sweeps.py`.
"""
