"""The plug-in registry: the core loads no lab, a lab needs no edit outside its own files, one
declaration per field drives validation, the CLI and the widgets, one builder per model."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlnn import registry
from dlnn.cli import build_parser, config_from_args, main
from dlnn.config import RunConfig
from dlnn.fields import ConfigError, Field
from dlnn.runs import RunStore
from tests.clock_runs import TINY_CLOCKS

REPO = Path(__file__).resolve().parent.parent
LAB_PACKAGES = ("dlnn.clocks", "dlnn.hparams", "dlnn.permlab")


def _python(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=180)


def test_importing_the_core_loads_no_lab() -> None:
    done = _python(
        "import sys, json\n"
        "import dlnn.config, dlnn.models, dlnn.training, dlnn.cli, dlnn.runs, dlnn.runner\n"
        "import dlnn.sweeps, dlnn.standby, dlnn.data, dlnn.figures, dlnn.compare\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "dlnn.training" in loaded  # the check itself imported what it should
    assert [name for name in loaded if name.startswith(LAB_PACKAGES)] == []


def test_asking_the_registry_loads_every_lab() -> None:
    assert "clocks-course-like" in registry.datasets()
    assert registry.models()["clock-dial"].task == "clock"
    assert "task3" in registry.reproduce_entries()
    assert any(page.url_path == "clocks" for page in registry.pages())
    assert registry.field_named("image_size").lab == "clocks"


def test_every_page_address_is_its_file_name() -> None:
    # While `pages/` exists, a fresh server knows its pages by file name until the first
    # `st.navigation` runs: a first request for `/clocks` served by `clock_lab.py` showed
    # Streamlit's "Page not found" dialog.
    for page in registry.pages():
        assert Path(page.path).stem == page.url_path, page.path


def test_models_for_a_data_set_are_those_of_its_task() -> None:
    assert "clock-dial" not in registry.models_for("mnist")
    assert set(registry.models_for("clocks-easy")) == {
        name for name, spec in registry.models().items() if spec.task == "clock"}


# -- a toy lab, written by a test: nothing outside its own files changes --------------------
TOY_LAB = '''
"""A toy lab: one data set, one model, one task, one page."""
import numpy as np
from dlnn import registry
from dlnn.fields import Field
from dlnn.models import ModelSpec

registry.add_field(Field("toy_noise", float, 0.0, "noise added to the toy data", lab="toy",
                         low=0.0, high=1.0, applies=lambda c: c.dataset == "toy-blobs"))
registry.add_dataset(registry.DatasetEntry("toy-blobs", "Toy blobs", "toy", lab="toy",
                                           train_images=lambda config: 90))
registry.add_model(ModelSpec("toy-linear", "Toy linear", "a test", False, None, task="toy",
                             lab="toy"))
registry.add_task("toy", "toylab.task:ToyTask")
registry.add_page(registry.PageEntry(PAGE, "Toy lab", "toy", "toy", "A lab made in a test."))
'''
TOY_TASK = '''
import keras
import numpy as np
from dlnn.training import TrainingData, make_optimizer


class ToyTask:
    def load_data(self, config):
        rng = np.random.default_rng(config.seed)
        x = rng.normal(size=(120, 4)).astype("float32")
        y = (x[:, 0] > 0).astype("int64")
        x = x + config.toy_noise * rng.normal(size=x.shape).astype("float32")
        return TrainingData(x[:90], y[:90], x[90:100], y[90:100], x[100:], y[100:], ["a", "b"])

    def model_for_summary(self, config):
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])

    def build_model(self, config, data):
        model = self.model_for_summary(config)
        model.compile(optimizer=make_optimizer(config), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    def callbacks(self, config, data):
        return []

    def evaluate(self, config, model, data):
        loss, accuracy = model.evaluate(data.x_test, data.y_test, verbose=0)
        return {"test_loss": float(loss), "test_accuracy": float(accuracy)}, None
'''
TOY_PAGE = '''
import streamlit as st
from pages import require_shell

require_shell()
st.title("Toy lab")
st.write("toy page body")
'''


@pytest.fixture
def toy_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A lab package `toylab` in a temporary folder, named by DLNN_LABS; the registry is
    restored after the test."""
    package = tmp_path / "toylab"
    package.mkdir()
    page = tmp_path / "toy_page.py"
    page.write_text(TOY_PAGE)
    (package / "__init__.py").write_text(f"PAGE = {str(page)!r}\n" + TOY_LAB)
    (package / "task.py").write_text(TOY_TASK)
    env = {"DLNN_LABS": "toylab", "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}",
           "DLNN_CACHE_DIR": str(tmp_path / "cache")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_REGISTRY", copy.deepcopy(registry._REGISTRY))
    for name in ("toylab", "toylab.task"):  # another test's toy lab is another package
        monkeypatch.delitem(sys.modules, name, raising=False)
    return env


def test_a_toy_lab_trains_from_the_cli(toy_lab: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dlnn", "train", "--dataset", "toy-blobs", "--model",
         "toy-linear", "--optimizer", "adam", "--learning-rate", "0.05", "--epochs", "3",
         "--batch-size", "16", "--toy-noise", "0.1", "--json"],
        capture_output=True, text=True, cwd=REPO, timeout=180)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["status"] == "finished" and summary["epochs_run"] == 3
    assert summary["config"]["toy_noise"] == 0.1
    assert summary["test_accuracy"] > 0.7  # the toy data are learnable


def test_a_toy_lab_registers_fields_data_models_and_pages(toy_lab: dict[str, str]) -> None:
    registry.load_labs()
    assert registry.datasets()["toy-blobs"].lab == "toy"
    assert list(registry.models_for("toy-blobs")) == ["toy-linear"]
    with pytest.raises(ConfigError) as error:
        RunConfig(dataset="toy-blobs", model="toy-linear", toy_noise=2.0).validate()
    assert error.value.field == "toy_noise"
    with pytest.raises(ConfigError) as error:
        RunConfig(dataset="toy-blobs", model="toy-linear", batch_size=100).validate()
    assert error.value.field == "batch_size" and "the 81 training images" in error.value.reason
    # A field added by a lab leaves the keys of configurations that do not use it alone.
    assert RunConfig(model="cnn-keras", epochs=3).key() == "e320a1b6ab06f880"


def test_a_toy_lab_page_is_in_the_dashboard(toy_lab: dict[str, str]) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    at.switch_page(toy_lab["PYTHONPATH"].split(os.pathsep)[0] + "/toy_page.py").run()
    assert not at.exception
    assert "Toy lab" in [title.value for title in at.title]


# -- one declaration per field ---------------------------------------------------------------
def _bounds(declared: Field) -> list[tuple[str, bool]]:
    """Texts just inside (True) and just outside (False) a numeric field's range."""
    cast = declared.kind
    cases = []
    if declared.low is not None:
        cases += [(str(cast(declared.low)), not declared.low_open)]
        below = declared.low - 1 if cast is int else declared.low - abs(declared.low or 1) / 2
        cases.append((str(cast(below)), False))
    if declared.high is not None:
        cases += [(str(cast(declared.high)), not declared.high_open)]
        cases.append((str(cast(declared.high + 1)), False))
    return cases


# Configurations in which a field applies and the rules across fields leave its declared
# range open: a generated clock set of images large enough for 6 conv blocks, say.
CLOCK_BASE = {"dataset": "clocks-easy", "model": "clock-hands", "image_size": 128,
              "conv_blocks": 1, "clock_images": 10_000, "batch_size": 16}
BASES = {"clock_images": {**CLOCK_BASE, "image_size": 96},
         "subset": {"validation_fraction": 0.0, "batch_size": 8}}


@pytest.mark.parametrize("name", [name for name, f in registry.fields().items()
                                  if f.kind in (int, float)])
def test_cli_accepts_exactly_the_declared_range(name: str) -> None:
    declared = registry.field_named(name)
    base = BASES.get(name, CLOCK_BASE if declared.lab == "clocks" else {})
    parser = build_parser()
    for text, allowed in _bounds(declared):
        options = [f"--{key.replace('_', '-')}={value}" for key, value in base.items()
                   if key != name]
        args = parser.parse_args(["train", *options, f"{declared.flag}={text}"])
        if name == "subset" and allowed and int(text) > 60_000:
            allowed = False  # the field allows it, MNIST's 60,000 images do not
        if allowed:
            assert getattr(config_from_args(args), name) == declared.parse(text)
        else:
            with pytest.raises(ConfigError) as error:
                config_from_args(args)
            assert error.value.field == name


def test_cli_help_states_every_fields_limits(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for declared in registry.fields().values():
        assert declared.flag in text
        assert " ".join(declared.allowed_text().split()) in text, declared.name


def test_clock_set_size_is_bounded_by_memory() -> None:
    config = TINY_CLOCKS.replace(clock_images=200_000, image_size=256)
    with pytest.raises(ConfigError) as error:
        config.validate()
    assert error.value.field == "clock_images" and "at most 2 GiB" in error.value.reason


def test_train_widgets_offer_exactly_the_declared_range(dlnn_dirs: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "dashboard.py"), default_timeout=60).run()
    at.switch_page("pages/train.py").run()
    checked = set()
    for dataset in ("mnist", "clocks-easy"):
        at.selectbox(key="train.w.dataset").set_value(dataset).run()
        if dataset == "mnist":
            at.selectbox(key="train.w.model").set_value("cnn-keras").run()
            at.toggle(key="train.w.early_stopping").set_value(True).run()
        for widget in [*at.number_input, *at.selectbox]:
            if not widget.key.startswith("train.w."):
                continue  # the preset picker
            name = widget.key.removeprefix("train.w.")
            declared = registry.field_named(name)
            if widget.type == "number_input":
                assert (widget.min, widget.max) == (declared.low, declared.high), name
            else:
                assert widget.options == [widget.format_func(option)
                                          for option in _offered(at, name, dataset)], name
            assert declared.allowed_text() in widget.help, name
            checked.add(name)
    numeric = {name for name, f in registry.fields().items() if f.kind in (int, float)}
    assert numeric <= checked  # every numeric field had a widget in one of the two setups


def _offered(at, name: str, dataset: str) -> list:
    """The choices the Train page should offer for a field in this setup."""
    if name == "model":
        return list(registry.models_for(dataset))
    if name == "monitor":
        spec = registry.models()[at.selectbox(key="train.w.model").value]
        return ["val_loss", "val_accuracy", "loss", "accuracy", *spec.extra_monitors]
    return list(registry.field_named(name).allowed_choices())


# -- one builder per model -------------------------------------------------------------------
def _tiny(model: str) -> RunConfig:
    spec = registry.models()[model]
    if spec.task == "clock":
        return TINY_CLOCKS.replace(model=model, image_size=32, conv_blocks=2, epochs=1,
                                   clock_images=40)
    return RunConfig(model=model, epochs=1, subset=40, batch_size=16)


@pytest.mark.parametrize("model", list(registry.models()))
def test_summary_describes_the_network_that_trains(model: str, tiny_data_dir: Path) -> None:
    from dlnn import training
    from dlnn.models import summarize

    config = _tiny(model).validate()
    summary = summarize(training.task_for(config).model_for_summary(config))
    run = RunStore().create(config)
    record = training.execute(run)
    assert record["status"] == "finished", run.result().get("traceback")
    started = next(event for event in run.events() if event["type"] == "started")
    assert summary["parameters"] == started["parameters"] > 0
