"""The Sweeps page driven headless with Streamlit's AppTest.

It renders empty and with stored runs, names bad values (from a link and from the widgets),
trains a tiny custom sweep to its figure and table, and brushes the parallel-coordinates
table. Runs train on the learnable synthetic IDX data of conftest.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dlnn.config import RunConfig
from dlnn.hparams import plan as plans
from dlnn.hparams.protocols import QUICK
from dlnn.runs import RunStore
from dlnn.sweeps import member_runs
from tests.fake_runs import write_run

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = str(ROOT / "dashboard.py")
PAGE = "pages/sweeps.py"
K = "sweeps."
# A tiny custom sweep: two optimizers, 40 images, 2 epochs.
TINY = {"sweep": "custom", "protocol": "quick", "panels": "mlp-keras/mnist", "seeds": "1",
        "vary1": "optimizer:sgd,adam", "epochs": "2", "subset": "40", "batch_size": "8"}


def open_page(**query: str) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.run()
    at.switch_page(PAGE)
    at.query_params.update(query)
    return at.run()


def frame(at: AppTest, column: str):
    """The first table on the page with `column` (AppTest does not expose a table's key)."""
    return next(table.value for table in at.dataframe if column in table.value.columns)


def texts(elements) -> str:
    return "\n".join(str(element.value) for element in elements)


def test_renders_empty_with_the_quick_optimizer_sweep(tiny_data_dir) -> None:
    at = open_page()
    assert not at.exception, at.exception
    assert at.title[0].value == "Sweeps"
    assert at.selectbox(key=K + "sweep").value == "optimizers"
    assert at.radio(key=K + "protocol").value == "quick"
    assert "7 members" in texts(at.markdown)
    assert "QUICK protocol" in texts(at.markdown)
    assert at.button(key="sweep_start").label == "Start (7 to train)"
    assert at.query_params["sweep"] == "optimizers"
    # Every option says what it does to training.
    assert all(widget.help for widget in (at.selectbox(key=K + "sweep"),
                                          at.radio(key=K + "protocol"),
                                          at.number_input(key=K + "seeds")))


def test_a_bad_link_and_a_bad_value_are_named(tiny_data_dir) -> None:
    at = open_page(sweep="custom", panels="mlp-keras/mnist", vary1="learning_rate:0.1,fast")
    assert "learning_rate" in texts(at.warning) and "fast" in texts(at.warning)
    at = open_page(**TINY)
    at.text_input(key=K + "values0").set_value("sgd, adamw").run()
    assert texts(at.error).startswith("optimizer: 'adamw' is not allowed")
    assert not [button for button in at.button if button.key == "sweep_start"]
    at.selectbox(key=K + "sweep").set_value("pooling").run()
    assert "pooling" in texts(at.error) and "mlp-keras" in texts(at.error)


def test_stored_members_fill_the_figure_and_table(tiny_data_dir) -> None:
    plan = plans.Plan("optimizers", QUICK, plans.PANELS[:1], seeds=2)
    store = RunStore()
    for index, config in enumerate(plan.configs()[:4]):  # sgd and rmsprop, two seeds each
        write_run(store, config, "finished",
                  val_accuracies=(0.5 + index / 20, 0.6 + index / 20))
    at = open_page(**plan.to_query())
    assert not at.exception, at.exception
    assert "4/14 done" in texts(at.caption)
    table = frame(at, "best_epoch")
    assert list(table["optimizer"][:2]) == ["rmsprop", "sgd"]  # best first
    # rmsprop's seeds reached 0.70 and 0.75 in their second epoch, sgd's 0.60 and 0.65.
    assert list(table["best_val_accuracy"][:2]) == ["0.7250 ± 0.0354", "0.6250 ± 0.0354"]
    assert at.button(key="sweep_start").label == "Resume (10 to train)"


def test_a_tiny_sweep_trains_live_to_its_figure(learnable_data_dir) -> None:
    at = open_page(**TINY)
    at.button(key="sweep_start").click().run()
    plan = plans.Plan.from_query(TINY)
    deadline = time.monotonic() + 180
    while any(run is None or run.status != "finished"
              for run in member_runs(RunStore(), plan.configs())):
        assert time.monotonic() < deadline, texts(at.caption)
        time.sleep(1.0)
        at.run()
        assert not at.exception, at.exception
    at.run()
    assert "2/2 done" in texts(at.caption)
    table = frame(at, "best_epoch")
    assert sorted(table["optimizer"]) == ["adam", "sgd"]
    assert set(table["learning_rate_used"]) == {"0.01", "0.001"}
    assert set(table["status"]) == {"finished"}
    assert not [button for button in at.button if button.key == "sweep_start"]


def test_stop_ends_the_running_member_and_cancels_the_queue(learnable_data_dir) -> None:
    long = {**TINY, "vary1": "optimizer:sgd,adam,nadam", "epochs": "500", "batch_size": "1"}
    at = open_page(**long)
    at.button(key="sweep_start").click().run()
    runs = member_runs(RunStore(), plans.Plan.from_query(long).configs())
    deadline = time.monotonic() + 120
    while not any(event["type"] == "batch" for event in runs[0].events()):
        assert time.monotonic() < deadline, runs[0].status
        time.sleep(0.2)
    at.run()
    at.button(key="sweep_stop").click().run()
    deadline = time.monotonic() + 10
    while runs[0].status != "cancelled":
        assert time.monotonic() < deadline, runs[0].status
        time.sleep(0.1)
    assert [run.status for run in runs] == ["cancelled"] * 3
    assert runs[2].events() == []
    at.run()
    assert "0/3 done · 3 stopped" in texts(at.caption)
    assert at.button(key="sweep_start").label == "Resume (3 to train)"


def test_parallel_coordinates_brush_filters_the_table(tiny_data_dir) -> None:
    store = RunStore()
    base = RunConfig(model="mlp-keras", epochs=2, subset=40, batch_size=8)
    for index, optimizer in enumerate(("sgd", "adam", "nadam")):
        write_run(store, base.replace(optimizer=optimizer), "finished",
                  val_accuracies=(0.5, 0.6 + index / 10))
    at = open_page()
    assert at.multiselect(key=K + "pc.axes").value == ["optimizer", "learning_rate_used"]
    assert "3 of 3 runs" in texts(at.markdown)
    at.multiselect(key=K + "brush.optimizer").set_value(["adam", "nadam"]).run()
    assert "2 of 3 runs" in texts(at.markdown)
    kept = frame(at, "run_id")
    assert list(kept["optimizer"]) == ["nadam", "adam"]


@pytest.mark.parametrize("protocol", ["quick", "report"])
def test_best_settings_tab_shows_the_report_beside_ours(tiny_data_dir, protocol) -> None:
    at = open_page()
    at.radio(key=K + "best.protocol").set_value(protocol).run()
    table = frame(at, "from sweeps")
    assert len(table) == 4
    assert list(table["report_test_accuracy"][[0, 2]]) == [0.9831, 0.8824]
    assert set(table["from sweeps"]) == {
        "none yet · defaults for: models, optimizers, activations, initializers"}
    offered_later = any("final fit is offered" in caption.value for caption in at.caption)
    assert offered_later == (protocol == "report")  # the quick protocol has no final fit


def test_quick_sweeps_best_settings_can_train_on_all_images(tiny_data_dir) -> None:
    at = open_page()
    at.radio(key=K + "best.protocol").set_value("quick").run()
    assert set(frame(at, "from sweeps")["trained_on"]) == {"5,000 images"}
    assert not any("Targets" in caption.value for caption in at.caption)
    at.toggle(key=K + "best.full_data").set_value(True).run()
    table = frame(at, "from sweeps")
    assert set(table["trained_on"]) == {"all training images"}
    assert list(table["target"]) == [0.984, 0.99, 0.89, 0.92]
    assert any("Targets" in caption.value for caption in at.caption)


def test_best_settings_offer_the_final_fit_once_the_schedules_have_trained(tiny_data_dir
                                                                           ) -> None:
    from dlnn.hparams.best import choose_best, final_fit
    from dlnn.hparams.protocols import PANELS, REPORT

    store = RunStore()
    choice = choose_best(PANELS[0], REPORT, store)
    halved, plain, cosine = choice.configs
    write_run(store, halved, "finished", val_accuracies=(0.97, 0.98))
    write_run(store, plain, "finished", val_accuracies=(0.97, 0.98))
    at = open_page()
    at.radio(key=K + "best.protocol").set_value("report").run()
    row = frame(at, "from sweeps").iloc[0]
    assert (row["status"], row["final_fit"]) == ("schedules to train", "")
    # The other three panels' 3 schedules each, and this panel's cosine one.
    assert at.button(key="best_start").label == "Train the 10 best-settings runs"
    write_run(store, cosine, "finished", epochs_done=3, val_accuracies=(0.97, 0.99, 0.985))
    at.run()
    row = frame(at, "from sweeps").iloc[0]
    assert (row["status"], row["final_fit"], row["validation_accuracy"]) == (
        "3 of 3 final fits to train", "all images, 2 epochs, 3 seeds averaged", 0.99)
    assert row["settings"].endswith("cosine rate decay")
    assert at.button(key="best_start").label == "Train the 12 best-settings runs"
    final = final_fit(choice, store)
    runs = [write_run(store, final.replace(seed=seed), "finished", val_accuracies=(0.0, 0.0),
                      wrong_from=seed) for seed in range(3)]
    at.run()
    row = frame(at, "from sweeps").iloc[0]
    assert (row["status"], row["test_accuracy"], row["seed_test_accuracies"]) == (
        "finished", 1.0, "0.6500, 0.6500, 0.7000")
    assert at.button(key="best_start").label == "Train the 9 best-settings runs"
    runs[1].probabilities_path.unlink()
    at.run()
    assert frame(at, "from sweeps").iloc[0]["status"] == "ensemble to evaluate"
    assert any("python -m dlnn reproduce task1" in caption.value for caption in at.caption)
