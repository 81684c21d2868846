"""Task 3 reproduced: the report's clock model against ours, on the same generated clocks.

`task3_configs` gives the two configurations (same data set, image size, set size and seed, so
the same images); `reproduce_task3` trains whichever of them has no finished run in the store
and returns their headline numbers (on `any-clock` also on clocks of makes kept out of
training: `held_out_*`). The full setting is the issue's target (course-like,
18,000 images, 80/10/10, at 96 pixels). Our model is the dial reader (`clock-dial`) where the
preset turns clocks round, and `clock-hands` where clocks stay upright (on the easy preset a
smaller one at 64 pixels); on `any-clock`, whose clocks sit off centre and come in many sizes,
ours reads every picture framed (`FRAMED_PRESETS`, `RunConfig.frame_clocks`). `quick` is a
class-sized version that finishes in minutes on a laptop CPU, and our quick model on
course-like clocks is the Clock lab's class setting (`class_setting`). `MEASURED` holds what
this code measured, where and how; `measured_table`, `reported_table` and `stored_runs_table`
give the Clock lab's Measured tab its rows.

Example:
    >>> rows = reproduce_task3(quick=True)
    >>> sorted(rows["best"])[:4]
    ['cse_minutes', 'framed', 'held_out_cse_minutes', 'held_out_hour_accuracy']
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
# The dial reader's epochs in the class setting, by preset: on course-like clocks it reads the
# validation clocks to 0.09 min by epoch 6 (measured, docs/benchmarks.md), and the best epoch
# is kept, so 8 epochs save a third of the class setting's time.
QUICK_DIAL_EPOCHS = {"course-like": 8}
PRESET = "course-like"  # the target: turned, mirrored clocks like the course's photographs
ANY_CLOCK = "any-clock"  # clocks of many makes: tested also on makes kept out of training
# Presets whose clocks sit off centre and come in many sizes: our model reads them framed
# (`RunConfig.frame_clocks`), each clock's centre and radius found first by a learned locator
# (`RunConfig.learned_framing`, `dlnn.clocks.locator`); the dial reader unrolls the picture
# about its centre. The report's model keeps the report's
# pipeline.
FRAMED_PRESETS = (ANY_CLOCK,)
# Framed clocks are read at 64 px (drawn at 128 and framed down): framed at the generator's own
# placement, 18,000 such clocks read held-out makes to 0.60 min (docs/benchmarks.md), so 96 px
# would only cost time.
ANY_CLOCK_CHANGES = {"image_size": 64}
# Our model's epochs on the full any-clock set. With 40 (MEASURED, docs/clocks.md) its learned
# locator took 822 s and the 40 epochs of 14,400 clocks 2,834 s (46-51 s an epoch alone, up to
# 101 beside an outside load), 61 minutes in all, one over the hour the issue allows; the best
# validation CSE came at epoch 35 (54 minutes in), so the lab trains 35: measured, 2,605 s of
# `model.fit` and the same model, 57 minutes with the locator.
ANY_CLOCK_EPOCHS = 35
# Our model trains as on course-like clocks: the clock task halves its rate on plateaus once
# it reads clocks (`task.HalveLearningRate`). Tried on the quick setting and kept out: also
# `reduce_lr` (a second halving from the first epoch: the rate falls to 1e-5 by epoch 13 of
# the full set) and a cosine decay (`lr_schedule`); docs/clocks.md has the numbers.
REPORT_LIKE = "report-like"  # calibrated so that the report's own model reaches its figures
# What the report and the best public re-implementations measured (SPEC.md, Task 3).
REPORTED = {
    "the report (course photographs)": {"hour_accuracy": "above 93%",
                                        "minute_mae": "4 min or more", "cse_minutes": "—"},
    "best public result (course photographs)": {"hour_accuracy": "—", "minute_mae": "—",
                                                "cse_minutes": "about 8.5 min"},
}


def task3_configs(quick: bool = False, preset: str = PRESET) -> dict[str, RunConfig]:
    """The baseline and our best configuration, on the same generated data."""
    data = {**FULL_DATA, **(EASY_CHANGES if preset == "easy" else {}),
            **(ANY_CLOCK_CHANGES if preset == ANY_CLOCK else {}),
            **(QUICK_DATA if quick else {}), "dataset": f"clocks-{preset}"}
    best = OUR_BEST if resolve_style(preset).rotation_degrees > TURNED else UPRIGHT_BEST
    # On the preset calibrated for it, the report's model keeps its own 32 filters in the quick
    # setting too: with 16 it reads 81% of the hours, outside the report's 90-97%.
    baseline = {key: value for key, value in data.items()
                if not (preset == REPORT_LIKE and key == "conv_filters")}
    ours = {**data, **({"epochs": QUICK_DIAL_EPOCHS[preset]}
                       if quick and best is OUR_BEST and preset in QUICK_DIAL_EPOCHS else {}),
            **({"epochs": ANY_CLOCK_EPOCHS} if preset == ANY_CLOCK and not quick else {})}
    framed = preset in FRAMED_PRESETS
    return {
        "baseline": REPORT_BASELINE.replace(**baseline).validate(),
        "best": best.replace(**ours, frame_clocks=framed, learned_framing=framed).validate(),
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
        "framed": run.config.frame_clocks,
        "learned_framing": run.config.learned_framing,
        "locator_seconds": (result.get("locator") or {}).get("fit_seconds"),
        # Clocks of makes the model never trained on (presets with a pool of makes).
        "held_out_hour_accuracy": result.get("held_out_hour_accuracy"),
        "held_out_minute_mae": result.get("held_out_minute_mae"),
        "held_out_cse_minutes": result.get("held_out_cse_minutes"),
    }


def reproduce_task3(
    quick: bool = False,
    preset: str = PRESET,
    store: RunStore | None = None,
    listener: Callable[[dict[str, Any]], None] | None = None,
    retrain: bool = False,
    on_run: Callable[[Run], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Train (or reuse) the baseline and our best model; their headline numbers by role.

    `on_run` is told about a run before it trains here; once one ends stopped (Ctrl-C),
    nothing after it trains.
    """
    from dlnn import training

    store = store or RunStore()
    rows: dict[str, dict[str, Any]] = {}
    for role, config in task3_configs(quick, preset).items():
        run, created = store.create_or_join(config, reuse_finished=not retrain)
        if created:
            if on_run is not None:
                on_run(run)
            training.execute(run, listener=listener)
        elif run.status in ACTIVE:  # the same run started elsewhere: wait for it
            for event in run.follow():
                if listener is not None:
                    listener(event)
        rows[role] = headline(config.model, run)
        if run.status == "cancelled":
            break
    return rows


def class_setting(preset: str = PRESET) -> RunConfig:
    """The Clock lab's class setting: our model in `reproduce task3 --quick` (the dial reader on
    8,000 course-like clocks of 64 px, 8 epochs); `preset` `any-clock` for clocks of many
    makes."""
    return task3_configs(quick=True, preset=preset)["best"]


CPU = "the lab's 2-core CPU, shared with other jobs"
BUSY_CPU = "the lab's 2-core CPU, at low priority beside a load of about 15"
GPU = "one NVIDIA H200 GPU (Keras on the PyTorch backend)"
GPU_JAX = "one NVIDIA H200 GPU (Keras on JAX)"
LOADED_CPU = "the lab's 2-core CPU, at normal priority beside a load of 15-19"
BASELINE = "the report's model (clock-two-head)"
TESTED_CPU = "the lab's 2-core CPU, shared with the lead's tests (load 2-3)"
LOCATED = "ours: dial reader (clock-dial), framed by its learned locator"
# Measured with this code (docs/clocks.md has the details and the run ids); test split: a tenth.
MEASURED: list[dict[str, Any]] = [
    {"clocks": "easy (upright), 8,000 at 64 px", "model": BASELINE, "machine": CPU,
     "command": "python -m dlnn reproduce task3 --quick --preset easy", "epochs": 12,
     "hour_accuracy": 0.9963, "minute_mae": 1.37, "cse_minutes": 1.37, "train_seconds": 135},
    {"clocks": "easy (upright), 8,000 at 64 px", "model": "ours: hand reader (clock-hands)",
     "machine": CPU, "command": "python -m dlnn reproduce task3 --quick --preset easy",
     "epochs": 12, "hour_accuracy": 0.9988, "minute_mae": 0.46, "cse_minutes": 0.46,
     "train_seconds": 390},
    {"clocks": "easy (upright), 18,000 at 64 px", "model": BASELINE, "machine": CPU,
     "command": "python -m dlnn reproduce task3 --preset easy", "epochs": 12,
     "hour_accuracy": 0.9922, "minute_mae": 0.64, "cse_minutes": 0.64, "train_seconds": 397},
    {"clocks": "easy (upright), 18,000 at 64 px", "model": "ours: hand reader (clock-hands)",
     "machine": CPU, "command": "python -m dlnn reproduce task3 --preset easy", "epochs": 12,
     "hour_accuracy": 1.0, "minute_mae": 0.017, "cse_minutes": 0.017, "train_seconds": 1161},
    {"clocks": "course-like (turned, mirrored), 8,000 at 64 px", "model": BASELINE,
     "machine": BUSY_CPU, "command": "python -m dlnn reproduce task3 --quick", "epochs": 12,
     "hour_accuracy": 0.08, "minute_mae": 15.03, "cse_minutes": 176.75, "train_seconds": 205},
    {"clocks": "course-like (turned, mirrored), 8,000 at 64 px",
     "model": "ours: dial reader (clock-dial), the Clock lab's class setting",
     "machine": BUSY_CPU, "command": "python -m dlnn reproduce task3 --quick", "epochs": 12,
     "hour_accuracy": 1.0, "minute_mae": 0.016, "cse_minutes": 0.016, "train_seconds": 5470},
    {"clocks": "course-like (turned, mirrored), 18,000 at 96 px", "model": BASELINE,
     "machine": CPU, "command": "python -m dlnn reproduce task3", "epochs": 30,
     "hour_accuracy": 0.0794, "minute_mae": 15.18, "cse_minutes": 180.35,
     "train_seconds": 7182},
    {"clocks": "course-like (turned, mirrored), 18,000 at 96 px",
     "model": "ours: dial reader (clock-dial)", "machine": CPU,
     "command": "python -m dlnn reproduce task3", "epochs": 27, "hour_accuracy": 1.0,
     "minute_mae": 0.0, "cse_minutes": 0.0, "train_seconds": 2440},
    {"clocks": "course-like (turned, mirrored), 18,000 at 96 px", "model": BASELINE,
     "machine": GPU, "command": "bench/clock_explore.py (an exploration before the dial reader)",
     "epochs": 21, "hour_accuracy": 0.084, "minute_mae": None, "cse_minutes": 181.0,
     "train_seconds": 220},
    {"clocks": "course-like (turned, mirrored), 18,000 at 96 px",
     "model": "hand reader (clock-hands, 2 convolutions per block from 32 filters)",
     "machine": GPU, "command": "bench/clock_explore.py (an exploration before the dial reader)",
     "epochs": 20, "hour_accuracy": 0.653, "minute_mae": None, "cse_minutes": 21.7,
     "train_seconds": 218},
    {"clocks": "any-clock (48 makes, off centre, 50-100% across), 8,000 at 64 px",
     "model": BASELINE, "machine": LOADED_CPU,
     "command": "python -m dlnn reproduce task3 --preset any-clock --quick", "epochs": 12,
     "hour_accuracy": 0.08, "minute_mae": 15.01, "cse_minutes": 176.77,
     "held_out_hour_accuracy": 0.0813, "held_out_cse_minutes": 173.62, "train_seconds": 276},
    {"clocks": "any-clock (48 makes, off centre, 50-100% across), 8,000 at 64 px",
     "model": "ours: dial reader (clock-dial)", "machine": LOADED_CPU,
     "command": "python -m dlnn reproduce task3 --preset any-clock --quick", "epochs": 12,
     "hour_accuracy": 0.31, "minute_mae": 10.42, "cse_minutes": 129.32,
     "held_out_hour_accuracy": 0.2988, "held_out_cse_minutes": 129.39, "train_seconds": 2052},
    {"clocks": "any-clock's 48 makes on course-like poses (centred, 84% across), 8,000 at 64 px",
     "model": "ours: dial reader (clock-dial)", "machine": LOADED_CPU,
     "command": "bench/clock_makes_explore.py", "epochs": 12, "hour_accuracy": 0.945,
     "minute_mae": 0.87, "cse_minutes": 10.28, "held_out_hour_accuracy": 0.9738,
     "held_out_cse_minutes": 4.40, "train_seconds": 2197},
    # The any-clock class setting read framed (`frame_clocks`: pictures of 128 px, the centre and
    # radius measured, framed to 64 px), timed on a GPU; docs/benchmarks.md has the details.
    {"clocks": "any-clock, 8,000 at 64 px, framed from 128 px pictures",
     "model": "ours: dial reader (clock-dial), framed", "machine": GPU_JAX,
     "command": "bench/clock_framed_train.py --images 8000 --epochs 12", "epochs": 12,
     "hour_accuracy": 0.8962, "minute_mae": 1.55, "cse_minutes": 16.63,
     "held_out_hour_accuracy": 0.905, "held_out_cse_minutes": 14.89, "train_seconds": 19.8},
    {"clocks": "any-clock, 18,000 at 64 px, framed from 128 px pictures",
     "model": "ours: dial reader (clock-dial), framed", "machine": GPU_JAX,
     "command": "bench/clock_framed_train.py --images 18000 --epochs 40", "epochs": 40,
     "hour_accuracy": 0.9406, "minute_mae": 0.82, "cse_minutes": 10.40,
     "held_out_hour_accuracy": 0.9322, "held_out_cse_minutes": 13.41, "train_seconds": 44.6},
    {"clocks": "any-clock, 18,000 at 64 px, not framed",
     "model": "ours: dial reader (clock-dial)", "machine": GPU_JAX,
     "command": "bench/clock_framed_train.py --images 18000 --epochs 40 --framing none",
     "epochs": 40, "hour_accuracy": 0.7044, "minute_mae": 3.86, "cse_minutes": 45.67,
     "held_out_hour_accuracy": 0.6622, "held_out_cse_minutes": 52.99, "train_seconds": 41.8},
    {"clocks": "any-clock, 18,000 at 64 px, framed at the generator's own centre and radius "
               "(a diagnosis: a bound for the framing, not the lab's pipeline)",
     "model": "ours: dial reader (clock-dial)", "machine": GPU_JAX,
     "command": "bench/clock_framed_train.py --images 18000 --epochs 40 --framing true",
     "epochs": 36, "hour_accuracy": 0.9933, "minute_mae": 0.08, "cse_minutes": 0.91,
     "held_out_hour_accuracy": 0.9967, "held_out_cse_minutes": 0.60, "train_seconds": 38.5},
    # The learned locator (`learned_framing`) in front of the dial reader, on this CPU; the
    # training time is the reader's `model.fit` plus the locator's (first look only, version 1:
    # 425 s; both looks, version 2: 822 s).
    {"clocks": "any-clock, 8,000 at 64 px, framed from 128 px pictures",
     "model": f"{LOCATED} (first look only)", "machine": TESTED_CPU,
     "command": "python -m dlnn reproduce task3 --preset any-clock --quick", "epochs": 12,
     "hour_accuracy": 0.93, "minute_mae": 1.33, "cse_minutes": 11.96,
     "held_out_hour_accuracy": 0.9425, "held_out_cse_minutes": 10.79, "train_seconds": 872},
    {"clocks": "any-clock, 8,000 at 64 px, framed from 128 px pictures",
     "model": f"{LOCATED} (both looks)", "machine": CPU,
     "command": "python -m dlnn reproduce task3 --preset any-clock --quick",
     "epochs": 12, "hour_accuracy": 0.92, "minute_mae": 1.25, "cse_minutes": 13.03,
     "held_out_hour_accuracy": 0.9488, "held_out_cse_minutes": 8.42, "train_seconds": 1268},
    {"clocks": "any-clock, 8,000 at 64 px, framed from 128 px pictures",
     "model": f"{LOCATED} (both looks), cosine decay of the rate", "machine": CPU,
     "command": "python -m dlnn reproduce task3 --preset any-clock --quick, with lr_schedule "
                "cosine (run ...-112209-...-c0955d)",
     "epochs": 12, "hour_accuracy": 0.91, "minute_mae": 1.435, "cse_minutes": 13.77,
     "held_out_hour_accuracy": 0.9163, "held_out_cse_minutes": 16.18, "train_seconds": 1280},
    {"clocks": "any-clock, 8,000 at 64 px, framed from 128 px pictures",
     "model": f"{LOCATED} (both looks), rate also halved by reduce_lr", "machine": TESTED_CPU,
     "command": "python -m dlnn reproduce task3 --preset any-clock --quick, with reduce_lr "
                "(run ...-111254-...-49a590)", "epochs": 12,
     "hour_accuracy": 0.93, "minute_mae": 1.03, "cse_minutes": 12.65,
     "held_out_hour_accuracy": 0.9613, "held_out_cse_minutes": 6.81, "train_seconds": 1304},
    {"clocks": "any-clock, 18,000 at 64 px, framed from 128 px pictures",
     "model": f"{LOCATED} (both looks), rate also halved by reduce_lr", "machine": CPU,
     "command": "python -m dlnn reproduce task3 --preset any-clock, with reduce_lr "
                "(run ...-113039-...-302a9d; early-stopped)", "epochs": 15,
     "hour_accuracy": 0.9128, "minute_mae": 1.40, "cse_minutes": 16.00,
     "held_out_hour_accuracy": 0.9422, "held_out_cse_minutes": 9.26, "train_seconds": 1957},
    {"clocks": "any-clock, 18,000 at 64 px", "model": BASELINE, "machine": CPU,
     "command": "python -m dlnn reproduce task3 --preset any-clock", "epochs": 30,
     "hour_accuracy": 0.0794, "minute_mae": 15.18, "cse_minutes": 180.35,
     "held_out_hour_accuracy": 0.0839, "held_out_cse_minutes": 182.63, "train_seconds": 1669},
    # The full setting: the reader's `model.fit` took 2,834 s (epochs of 46-51 s alone and 78-101
    # s beside an outside load on the shared machine), the locator's 822 s; the kept epoch (35,
    # best validation CSE) was reached after 2,423 + 822 s.
    {"clocks": "any-clock, 18,000 at 64 px, framed from 128 px pictures",
     "model": f"{LOCATED} (both looks)", "machine": CPU,
     "command": "python -m dlnn reproduce task3 --preset any-clock (with 40 epochs)",
     "epochs": 40, "hour_accuracy": 0.9689, "minute_mae": 0.46, "cse_minutes": 5.39,
     "held_out_hour_accuracy": 0.9733, "held_out_cse_minutes": 4.31, "train_seconds": 3656},
    # 35 epochs (ANY_CLOCK_EPOCHS): the same weights as the 40-epoch run's kept epoch (training
    # is deterministic here), `model.fit` 2,605 s plus the locator's 822 s: 57 minutes.
    {"clocks": "any-clock, 18,000 at 64 px, framed from 128 px pictures",
     "model": f"{LOCATED} (both looks)", "machine": CPU,
     "command": "python -m dlnn reproduce task3 --preset any-clock", "epochs": 35,
     "hour_accuracy": 0.9689, "minute_mae": 0.46, "cse_minutes": 5.39,
     "held_out_hour_accuracy": 0.9733, "held_out_cse_minutes": 4.31, "train_seconds": 3426},
]


def _scores(row: dict[str, Any]) -> dict[str, str]:
    from dlnn.clocks.results import format_minutes, format_percent

    seconds = row.get("train_seconds")
    return {
        "CSE": format_minutes(row.get("cse_minutes")),
        "hour accuracy": format_percent(row.get("hour_accuracy")),
        "minute error": format_minutes(row.get("minute_mae")),
        "held-out makes: CSE": format_minutes(row.get("held_out_cse_minutes")),
        "held-out makes: hour accuracy": format_percent(row.get("held_out_hour_accuracy")),
        "training time": "—" if seconds is None else f"{seconds:,.0f} s",
    }


def measured_table() -> list[dict[str, Any]]:
    """`MEASURED` for people: one row per run, the scores in minutes and percent."""
    return [{"clocks": row["clocks"], "model": row["model"], **_scores(row),
             "epochs": row["epochs"], "machine": row["machine"], "what was run": row["command"]}
            for row in MEASURED]


def reported_table() -> list[dict[str, str]]:
    """What the report and the best public result measured on the course's photographs."""
    return [{"source": source, "CSE": row["cse_minutes"], "hour accuracy": row["hour_accuracy"],
             "minute error": row["minute_mae"]}
            for source, row in REPORTED.items()]


def stored_runs_table(store: RunStore, presets: tuple[str, ...] = (PRESET, "easy", ANY_CLOCK)
                      ) -> list[dict[str, Any]]:
    """The finished `reproduce task3` runs in `store` (full and `--quick`), one row each."""
    from dlnn.clocks.results import describe_data

    rows = []
    for quick in (False, True):
        for preset in presets:
            for role, config in task3_configs(quick, preset).items():
                run = store.find_finished(config)
                if run is None:
                    continue
                rows.append({
                    "setting": "class (--quick)" if quick else "full",
                    "clocks": describe_data(config),
                    "model": BASELINE if role == "baseline" else f"ours ({config.model})",
                    **_scores(headline(config.model, run)),
                    "run": run.run_id,
                })
    return rows
