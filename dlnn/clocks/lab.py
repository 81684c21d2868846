"""The clock lab's plug-in (Task 3): what it adds to the core, declared in one place.

Registers the clock fields of a run configuration (image size, conv blocks, ...), the clock
data sets (`clocks-<preset>` generated, `clocks-course` read from the course's files), the
clock models, the clock training task, the `clocks` CLI commands, `reproduce task3` and the
Clock lab page. Importing this module is cheap (no TensorFlow, no rendering): the heavy
modules are imported when a run, a command or the page needs them.
"""

from __future__ import annotations

import argparse
from typing import Any

from dlnn import registry
from dlnn.clocks.render import PRESETS, check_clock_budget
from dlnn.config import RunConfig
from dlnn.fields import ConfigError, Field
from dlnn.headlines import Metric, TaskMetrics, add_task_metrics
from dlnn.models import ModelSpec

LAB = "clocks"
COURSE_DATASET = "clocks-course"
# Data set name -> generator preset (None: the course's files from `data_path`).
CLOCK_DATASETS: dict[str, str | None] = {
    **{f"clocks-{preset}": preset for preset in PRESETS},
    COURSE_DATASET: None,
}
TEST_FRACTION = 0.1  # the course's 80/10/10 split keeps a tenth for the test
# A framed set's pictures (`frame_clocks`) are drawn this many times the image size, as a photo is
# larger than what the model reads, and framed down to it: at one time, a clock half the picture
# across is upsampled 2x and its numerals blur (measured: docs/benchmarks.md).
FRAMED_PICTURE_SCALE = 2
MAX_CLOCK_IMAGES = 200_000
MAX_CONV_BLOCKS = 6

# The clock models: name -> (encoding of the time, see dlnn.clocks.models; title; source).
CLOCK_MODELS: dict[str, tuple[str, str, str]] = {
    "clock-two-head": ("two-head", "Clock: hour class + minute/60 regression",
                       "the report's Task 3 model"),
    "clock-minute-sincos": ("minute-sincos", "Clock: hour class + minute (sin, cos)",
                            "public re-implementations"),
    "clock-angle": ("angle", "Clock: time as one angle (sin, cos)",
                    "best public result (8.5 min CSE)"),
    "clock-hands": ("hands", "Clock: hour-hand angle + minute (sin, cos), combined",
                    "dlnn: the hour hand picks the hour around the minute hand"),
    "clock-dial": ("dial", "Clock: dial reader (unrolled dial, hands from the 12)",
                   "dlnn: rotation-equivariant polar network"),
    **{f"clock-bins-{n}": (f"bins-{n}", f"Clock: {n} time classes",
                           "classification into equal arcs of the dial") for n in (24, 72, 720)},
}
CLOCK_MONITORS = ("val_cse", "val_minute_error", "val_hour_accuracy")


def is_clock_dataset(name: str) -> bool:
    """Whether `name` is one of the clock data sets."""
    return name in CLOCK_DATASETS


def _clocks(config: RunConfig) -> bool:
    return is_clock_dataset(config.dataset)


FIELDS = (
    Field("clock_images", int, 18000, "clocks generated for the set, train + validation + "
          "test (the report: the course's 18,000)", lab=LAB, label="Clock images", low=20,
          high=MAX_CLOCK_IMAGES, step=1000, applies=_clocks),
    Field("image_size", int, 150, "side of a clock image in pixels; larger is sharper and "
          "slower (the report: the photographs' 150)", lab=LAB, label="Image size", low=16,
          high=256, step=8, applies=_clocks),
    Field("data_path", str, None, "folder with the course's images.npy and labels.npy "
          "(clocks-course only; the report: the course's 18,000 photographs)", lab=LAB,
          label="Course data folder", optional=True, none_means="no folder",
          applies=lambda config: config.dataset == COURSE_DATASET),
    Field("conv_blocks", int, 4, "convolution blocks, each ending in 2x2 pooling; fewer for "
          "small images (the report does not give its layer counts)", lab=LAB,
          label="Conv blocks", low=1, high=MAX_CONV_BLOCKS, step=1, applies=_clocks),
    Field("conv_filters", int, 32, "filters of the first block; each later block doubles, "
          "up to 128 (the report does not say)", lab=LAB, label="First filters", low=1,
          high=256, step=8, applies=_clocks),
    Field("convs_per_block", int, 2, "3x3 convolutions in each block (the report does not "
          "say)", lab=LAB, label="Convs per block", low=1, high=4, step=1, applies=_clocks),
    Field("dense_units", int, 256, "width of the Dense layer before the output heads (the "
          "report does not say)", lab=LAB, label="Dense units", low=1, high=4096, step=64,
          applies=_clocks),
    Field("batch_norm", bool, False, "batch normalisation after every convolution (the "
          "report: none)", lab=LAB, label="Batch norm", applies=_clocks),
    Field("augment", float, 0.0, "strength of random turns, shifts, zoom and contrast while "
          "training; 0 is off (the report: none)", lab=LAB, label="Augmentation", low=0.0,
          high=1.0, step=0.25, applies=_clocks),
    Field("frame_clocks", bool, False, "find each clock's centre and radius (in a picture twice "
          "the size) and crop round it, as photos are; for off-centre clocks (the report: none)",
          lab=LAB,
          label="Frame clocks", applies=_clocks),
    Field("learned_framing", bool, False, "frame where a small network, trained first on other "
          "pictures of the training makes, finds the clock; needs Frame clocks (the report: none)",
          lab=LAB,
          label="Learned framing", applies=_clocks),
)


def check_clock_fields(config: RunConfig) -> None:
    """Rules across the clock fields: blocks vs image size, the memory budget of a generated
    set (`render.check_clock_budget`), the course folder."""
    clocks = is_clock_dataset(config.dataset)
    if clocks and config.image_size < 2 ** (config.conv_blocks + 1):
        raise ConfigError("conv_blocks", config.conv_blocks,
                          f"{config.image_size}-pixel images allow at most "
                          f"{config.image_size.bit_length() - 2} blocks (each halves the size)")
    if clocks and config.dataset != COURSE_DATASET:
        try:
            check_clock_budget(config.clock_images, picture_size(config))
        except ValueError as error:
            raise ConfigError("clock_images", config.clock_images, str(error)) from None
    if config.learned_framing is True and not config.frame_clocks:
        raise ConfigError("learned_framing", True, "frames clocks, so it needs frame_clocks on")
    if config.learned_framing is True and config.dataset == COURSE_DATASET:
        raise ConfigError("learned_framing", True, "learns from generated clocks' placement; "
                          "clocks-course has none (use the rim finder: frame_clocks alone)")
    if config.dataset == COURSE_DATASET:
        if not isinstance(config.data_path, str) or not config.data_path.strip():
            raise ConfigError("data_path", config.data_path,
                              "clocks-course needs the folder holding images.npy and labels.npy")
    elif config.data_path is not None:
        raise ConfigError("data_path", config.data_path,
                          "only the clocks-course data set reads a folder; leave it empty")


def picture_size(config: RunConfig) -> int:
    """Side of the pictures a generated clock set is drawn at: the image size, or for a framed
    set FRAMED_PICTURE_SCALE times it."""
    return config.image_size * (FRAMED_PICTURE_SCALE if config.frame_clocks else 1)


def _clock_train_images(config: RunConfig) -> int:
    return config.clock_images - round(config.clock_images * TEST_FRACTION)


def _register_commands(commands: Any) -> None:
    from dlnn.clocks.cli import register

    register(commands)


def _reproduce_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", choices=tuple(PRESETS), default="course-like",
                        help="clock preset of the generated data [course-like]")


def _reproduce(args: argparse.Namespace) -> tuple[dict[str, Any], bool]:
    from dlnn.clocks.reproduce import reproduce_task3
    from dlnn.reproduce_all import Stopper, ctrl_c_stops

    with ctrl_c_stops(Stopper()) as stopper:
        rows = reproduce_task3(quick=args.quick, preset=args.preset, listener=args.listener,
                               retrain=args.retrain, on_run=stopper.watch)
    finished = all(row["status"] == "finished" for row in rows.values())
    return {"task": "task3", "quick": args.quick, "preset": args.preset, **rows}, finished


def _show(summary: dict[str, Any]) -> None:
    from dlnn.clocks.cli import print_task3_table

    print_task3_table({key: value for key, value in summary.items() if isinstance(value, dict)})


for _declared in FIELDS:
    registry.add_field(_declared)
registry.add_validator(check_clock_fields)
for _name, _preset in CLOCK_DATASETS.items():
    registry.add_dataset(registry.DatasetEntry(
        _name, f"Clocks: {_preset} (generated)" if _preset else "Clocks: the course's files",
        "clock", lab=LAB, train_images=None if _preset is None else _clock_train_images,
    ))
for _name, (_encoding, _title, _source) in CLOCK_MODELS.items():
    registry.add_model(ModelSpec(_name, _title, _source, True, None,
                                 extra_monitors=CLOCK_MONITORS, task="clock", lab=LAB))
registry.add_task("clock", "dlnn.clocks.task:ClockTask")
add_task_metrics(TaskMetrics(
    "clock",
    test=(
        Metric("test_cse_minutes", "Test CSE", "minutes", "common-sense error: minutes between "
               "the time read and the true time, the short way round the dial (chance: 180)"),
        Metric("test_hour_accuracy", "Hour accuracy", "percent",
               "share of the test clocks whose hour is read right"),
        Metric("test_minute_mae", "Minute error", "minutes",
               "mean error of the minute alone, the short way round the hour (chance: 15)"),
    ),
    best=Metric("val_cse", "Best val. CSE", "minutes",
                "the lowest validation CSE of any epoch"),
    live=(
        Metric("loss", "Loss", "loss", "training loss of all heads, averaged over the epoch "
               "so far"),
        Metric("val_cse", "Val. CSE", "minutes", "validation CSE after the latest epoch"),
        Metric("val_hour_accuracy", "Val. hour accuracy", "percent",
               "validation hour accuracy after the latest epoch"),
        Metric("val_minute_error", "Val. minute error", "minutes",
               "validation minute error after the latest epoch"),
    ),
    curves=("cse", "hour_accuracy"),
))


def _report(store: Any, quick: bool, options: Any) -> Any:
    from dlnn.clocks.report import report_part

    return report_part(store, quick, options)


registry.add_command(_register_commands)
registry.add_reproduce(registry.ReproduceEntry(
    "task3", "Task 3: telling the time (the report's clock model vs ours)",
    _reproduce_arguments, _reproduce, _show,
    report=_report,
))
registry.add_page(registry.PageEntry(
    "pages/clocks.py", "Clock lab", "clocks", LAB,
    "Task 3: generate analog clocks, train a network to read the time, see its mistakes.",
))
