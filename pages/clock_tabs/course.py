"""The Course data tab: the course's clock photographs, uploaded or read from a folder.

An upload is checked and saved once under `cache/clocks/course/<name>`
(`dlnn.clocks.course.upload_folder`); a folder already on this machine is checked and used
where it is. Either way a button makes it the Train tab's data set (`clocks-course`).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dlnn import registry
from dlnn.clocks.course import (
    CourseDataError,
    load_course_data,
    save_course_data,
    upload_folder,
)
from dlnn.clocks.lab import COURSE_DATASET
from pages.clock_tabs import state

SAVED_STATE = "clock.course.saved"  # the upload saved last: its file ids, folder, size
CHECKED_STATE = "clock.course.checked"  # the folder checked last, and what it holds


def offer_training(folder: Path | str, count: int, size: int, key: str) -> None:
    """Say what the folder holds; a button makes it the Train tab's data set."""
    st.success(f"{count:,} clocks of {size}x{size} pixels in `{folder}`.",
               icon=":material/check:")
    if st.button("Train on these clocks", icon=":material/model_training:", key=key):
        image_size = min(size, int(registry.field_named("image_size").high))
        state.use_config(
            state.config().replace(dataset=COURSE_DATASET, data_path=str(folder),
                                   image_size=image_size),
            notice=f"The setup below trains on the course's clocks in {folder} "
                   f"({count:,} clocks at {image_size} px).")
        st.rerun()


def render_upload() -> None:
    """Upload images.npy and labels.npy; they are checked and saved once."""
    limit = st.get_option("server.maxUploadSize")
    st.markdown("**Upload** `images.npy` and `labels.npy`")
    st.caption(f"Each file may be up to {limit:,} MB (the course's images.npy, 18,000 clocks "
               "of 150x150 pixels, is about 405 MB). They are checked and saved under "
               "`cache/clocks/course/<name>`.")
    name = st.text_input("Name", value="course", key="clock.course.name")
    left, right = st.columns(2)
    images = left.file_uploader("images.npy", type=["npy"], key="clock.course.images")
    labels = right.file_uploader("labels.npy", type=["npy"], key="clock.course.labels")
    if images is None or labels is None:
        return
    try:
        folder = upload_folder(name)
        upload = (images.file_id, labels.file_id, str(folder))
        saved = st.session_state.get(SAVED_STATE)
        if saved is None or saved["upload"] != upload:
            with st.spinner("Checking and saving the files..."):
                arrays = load_course_data((images, labels))
                save_course_data(folder, *arrays)
            saved = {"upload": upload, "count": len(arrays[1]), "size": arrays[0].shape[1]}
            st.session_state[SAVED_STATE] = saved
    except CourseDataError as error:
        st.error(str(error), icon=":material/error:")
        return
    offer_training(folder, saved["count"], saved["size"], key="clock.course.use")


def render_folder() -> None:
    """A folder on this machine holding the two files: checked, then used where it is."""
    st.markdown("**Or a folder on this machine** that holds `images.npy` and `labels.npy` "
                "(nothing is copied)")
    folder = st.text_input("Folder", key="clock.course.folder",
                           placeholder="/home/me/clock-data").strip()
    if st.button("Check the folder", icon=":material/folder_open:", key="clock.course.check",
                 disabled=not folder):
        try:
            with st.spinner("Checking the files..."):
                images, labels = load_course_data(folder)
        except CourseDataError as error:
            st.session_state.pop(CHECKED_STATE, None)
            st.error(str(error), icon=":material/error:")
            return
        st.session_state[CHECKED_STATE] = {"folder": folder, "count": len(labels),
                                           "size": images.shape[1]}
    checked = st.session_state.get(CHECKED_STATE)
    if checked is not None and checked["folder"] == folder:
        offer_training(Path(folder).expanduser(), checked["count"], checked["size"],
                       key="clock.course.use_folder")


def render() -> None:
    """The Course data tab."""
    st.markdown("The course's clock photographs: `images.npy` (N, 150, 150) uint8 grey "
                "levels and `labels.npy` (N, 2) as [hour 0-11, minute 0-59]. They become "
                "the data set `clocks-course` (shuffled, then 80/10/10).")
    render_upload()
    st.divider()
    render_folder()
