"""The permutation lab (Task 2): one fixed pixel permutation, what it does, and why.

`study` plans and trains the report's runs (original and permuted, per data set and model,
over k seeds), `results` turns them into the test-accuracy table beside the report's numbers,
`views` and `figures` draw the permutation and the curves, `probes` (TensorFlow, run out of
the dashboard's process by `explain`) opens the trained networks, and `lab` registers it all.
"""
