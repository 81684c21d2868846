"""The dashboard's pages with damaged runs in the store: they render, the damage is shown."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dlnn import paths, presets, summaries
from dlnn.config import RunConfig
from dlnn.runs import Run, RunStore
from tests.fake_runs import write_run, write_three_runs
from tests.synthetic import random_arrays, write_idx_files

pytestmark = pytest.mark.faults

DASHBOARD = str(Path(__file__).resolve().parents[2] / "dashboard.py")
PAGES = {"home": None, "train": "pages/train.py", "runs": "pages/runs.py",
         "clock lab": "pages/clocks.py"}
DAMAGES = {"status": ("status.json", b'{"status": "runn'), "result": ("result.json", b""),
           "config": ("config.json", b"[1, 2]")}


@pytest.fixture(scope="module")
def precomputed(tmp_path_factory) -> Path:
    """The summaries the Train page shows (the declared defaults and the first-run preset),
    computed once."""
    root = tmp_path_factory.mktemp("summaries")
    write_idx_files(root / "data" / "mnist", random_arrays(20, 20))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLNN_CACHE_DIR", str(root / "cache"))
        patch.setenv("DLNN_DATA_DIR", str(root / "data"))
        summaries.model_summary(RunConfig())
        summaries.model_summary(presets.PRESETS[presets.FIRST_RUN].apply(RunConfig()))
    return root / "cache" / "summaries"


@pytest.fixture
def damaged(tiny_data_dir: Path, precomputed: Path) -> dict[str, Run]:
    """Three healthy runs and one run per kind of damage, keyed by the damage."""
    shutil.copytree(precomputed, paths.cache_dir() / "summaries")
    store = RunStore()
    write_three_runs(store)
    runs = {}
    for seed, (kind, (name, content)) in enumerate(DAMAGES.items()):
        runs[kind] = write_run(store, RunConfig(model="mlp-keras", seed=seed), "finished")
        (runs[kind].path / name).write_bytes(content)
    return runs


def _open(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    if PAGES[page]:
        at.switch_page(PAGES[page])
    at.query_params.update(query)
    at.run()
    if at.exception:
        raise ValueError(at.exception[0].value)
    return at


@pytest.mark.parametrize("page", ["home", "train", "runs", "clock lab"])
def test_every_page_renders_beside_damaged_runs(damaged: dict[str, Run], page: str) -> None:
    _open(page)


def test_runs_table_lists_the_damaged_runs(damaged: dict[str, Run]) -> None:
    table = _open("runs").dataframe[0].value.set_index("run_id")
    assert {table.loc[run.run_id, "status"] for run in damaged.values()} == {"damaged"}
    assert table.loc[damaged["config"].run_id, "model"] == "unreadable"


@pytest.mark.parametrize(("page", "kind"), [
    ("runs", "status"), ("runs", "result"), ("train", "status"), ("train", "result"),
    ("runs", "config"), ("train", "config"),
    ("clock lab", "config"),
])
def test_a_link_to_a_damaged_run(damaged: dict[str, Run], page: str, kind: str) -> None:
    at = _open(page, run=damaged[kind].run_id)
    if page == "runs":
        assert "damaged" in "\n".join(str(element.value) for element in at.markdown)
    if page == "clock lab":
        assert at.warning[0].value.startswith(
            f"Ignored from the link: run {damaged[kind].run_id} is damaged: ")
