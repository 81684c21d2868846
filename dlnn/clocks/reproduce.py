"""Task 3 reproduced: the report's clock model against ours, on the same generated clocks.

`task3_configs` gives the two configurations (same data set, image size, set size and seed, so
the same images); `reproduce_task3` trains whichever of them has no finished run in the store
and returns their headline numbers. The full setting is the issue's target (course-like,
18,000 images, 80/10/10, at 96 pixels). Our model is the dial reader (`clock-dial`) where the
preset turns clocks round, and `clock-hands` where clocks stay upright (on the easy preset a
smaller one at 64 pixels); `quick` is a class-sized version that finishes in minutes on a
laptop CPU.

Example:
    >>> rows = reproduce_task3(quick=True)
    >>> sorted(rows["best"])
    ['cse_minutes', 'hour_accuracy', 'minute_mae', 'model', 'run_id', 'status', 'train_seconds']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dlnn.clocks.render import resolve_style
from dlnn.config import RunConfig
from dlnn.runs import ACTIVE, Run, RunStore

# The report's model: hour softmax + minute/60 regression, MaxPool, Dropout 0.2, no batch norm,
# Adam + ReLU + RandomUniform, batch 32 (it beat 256 in the report's Figure 6).
REPORT_BASELINE = RunConfig(
    dataset="clocks-course-like", model="clock-two-head", optimizer="adam",
    initializer="random_uniform", batch_size=32, epochs=30,
    conv_blocks=4, conv_filters=32, convs_per_block=1, dense_units=256, batch_norm=False,
)
# Ours: the dial reader (dlnn.clocks.dial): the image unrolled around its centre, wrap-around
# convolutions (a turned clock is a shifted dial), the hands measured from the 12; turned and
# mirrored dials as augmentation; the epoch with the best validation CSE is kept.
OUR_BEST = RunConfig(
    dataset="clocks-course-like", model="clock-dial", optimizer="adam",
    initializer="glorot_uniform", batch_size=64, epochs=45, early_stopping=True,
    monitor="val_cse", patience=10, restore_best=True,
    conv_blocks=3, conv_filters=16, convs_per_block=1, dense_units=512, batch_norm=True,
    augment=1.0,
)
# Upright or slightly turned clocks (easy, medium): the hands' angles against the image's "up"
# are the time, so a plain CNN reading both hands' angles does; on easy clocks a network a
# quarter of this cost, at 64 pixels (EASY_CHANGES). The dial reader has to find the 12 even
# there (it cannot see which way is up), which costs it epochs that upright clocks do not need.
UPRIGHT_BEST = RunConfig(
    dataset="clocks-easy", model="clock-hands", optimizer="adam",
    initializer="glorot_uniform", batch_size=64, epochs=30,
    conv_blocks=5, conv_filters=32, convs_per_block=2, dense_units=256, batch_norm=True,
)
TURNED = 90.0  # presets that turn clocks by more than this many degrees get the dial reader
EASY_CHANGES = {"image_size": 64, "epochs": 12, "conv_blocks": 4, "conv_filters": 16}
FULL_DATA = {"clock_images": 18000, "image_size": 96}
# The class setting: a few minutes on a laptop CPU (easy clocks click after ~600 batches).
QUICK_DATA = {"clock_images": 8000, "image_size": 64, "epochs": 12, "conv_blocks": 4,
              "conv_filters": 16}
# What the report and the best public re-implementations measured (SPEC.md, Task 3).
REPORTED = {
    "report (course photographs)": {"hour_accuracy": "> 0.93", "minute_mae": ">= 4",
                                    "cse_minutes": "-"},
    "best public (course photographs)": {"hour_accuracy": "-", "minute_mae": "-",
                                         "cse_minutes": "about 8.5"},
}


def task3_configs(quick: bool = False, preset: str = "course-like") -> dict[str, RunConfig]:
    """The baseline and our best configuration, on the same generated data."""
    data = {**FULL_DATA, **(EASY_CHANGES if preset == "easy" else {}),
            **(QUICK_DATA if quick else {}), "dataset": f"clocks-{preset}"}
    best = OUR_BEST if resolve_style(preset).rotation_degrees > TURNED else UPRIGHT_BEST
    return {
        "baseline": REPORT_BASELINE.replace(**data).validate(),
        "best": best.replace(**data).validate(),
    }


def headline(name: str, run: Run) -> dict[str, Any]:
    """The numbers `reproduce task3` prints for one run."""
    result = run.result() or {}
    return {
        "model": name,
        "run_id": run.run_id,
        "status": run.status,
        "hour_accuracy": result.get("test_hour_accuracy"),
        "minute_mae": result.get("test_minute_mae"),
        "cse_minutes": result.get("test_cse_minutes"),
        "train_seconds": (result.get("timings") or {}).get("fit_seconds"),
    }


def reproduce_task3(
    quick: bool = False,
    preset: str = "course-like",
    store: RunStore | None = None,
    listener: Callable[[dict[str, Any]], None] | None = None,
    retrain: bool = False,
) -> dict[str, dict[str, Any]]:
    """Train (or reuse) the baseline and our best model; their headline numbers by role."""
    from dlnn import training

    store = store or RunStore()
    rows: dict[str, dict[str, Any]] = {}
    for role, config in task3_configs(quick, preset).items():
        run, created = store.create_or_join(config, reuse_finished=not retrain)
        if created:
            training.execute(run, listener=listener)
        elif run.status in ACTIVE:  # the same run started elsewhere: wait for it
            for event in run.follow():
                if listener is not None:
                    listener(event)
        rows[role] = headline(config.model, run)
    return rows
# Measured with this code (docs/clocks.md has the details); test split of 1,800 clocks.
MEASURED: list[dict[str, Any]] = [
    {"data": "easy, 8,000 clocks, 64 px (--quick)", "machine": "2-core CPU (shared)",
     "model": "clock-two-head (report)", "epochs": 12, "hour_accuracy": 0.9963,
     "minute_mae": 1.37, "cse_minutes": 1.37, "train_seconds": 135},
    {"data": "easy, 8,000 clocks, 64 px (--quick)", "machine": "2-core CPU (shared)",
     "model": "clock-hands (ours)", "epochs": 12, "hour_accuracy": 0.9988,
     "minute_mae": 0.46, "cse_minutes": 0.46, "train_seconds": 390},
    {"data": "easy, 18,000 clocks, 64 px", "machine": "2-core CPU (shared)",
     "model": "clock-two-head (report)", "epochs": 12, "hour_accuracy": 0.9922,
     "minute_mae": 0.64, "cse_minutes": 0.64, "train_seconds": 397},
    {"data": "easy, 18,000 clocks, 64 px", "machine": "2-core CPU (shared)",
     "model": "clock-hands (ours)", "epochs": 12, "hour_accuracy": 1.0,
     "minute_mae": 0.017, "cse_minutes": 0.017, "train_seconds": 1161},
    {"data": "course-like, 18,000 clocks, 96 px", "machine": "2-core CPU (shared)",
     "model": "clock-two-head (report)", "epochs": 30, "hour_accuracy": 0.0794,
     "minute_mae": 15.18, "cse_minutes": 180.35, "train_seconds": 7182},
    {"data": "course-like, 18,000 clocks, 96 px", "machine": "2-core CPU (shared)",
     "model": "clock-dial (ours)", "epochs": 27, "hour_accuracy": 1.0,
     "minute_mae": 0.0, "cse_minutes": 0.0, "train_seconds": 2440},
    {"data": "course-like, 18,000 clocks, 96 px", "machine": "H200, Keras on torch",
     "model": "clock-two-head (report)", "epochs": 21, "hour_accuracy": 0.084,
     "minute_mae": None, "cse_minutes": 181.0, "train_seconds": 220},
    {"data": "course-like, 18,000 clocks, 96 px", "machine": "H200, Keras on torch",
     "model": "clock-hands (session 1)", "epochs": 20, "hour_accuracy": 0.653,
     "minute_mae": None, "cse_minutes": 21.7, "train_seconds": 218},
]
