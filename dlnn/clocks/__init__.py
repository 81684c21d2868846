"""Analog clocks: generated clock images, the course's clock data, and time-telling metrics.

`render` draws labelled clock images with realism controls up to the course photographs,
`course` loads and splits the course's `images.npy` / `labels.npy`, and `metrics` scores predicted
times with the common-sense error that wraps around the 12-hour dial.
"""
