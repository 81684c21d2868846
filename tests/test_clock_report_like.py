"""The `report-like` clock preset: listed, validated, and what sets it apart from course-like."""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import pytest

from dlnn import registry
from dlnn.clocks.render import PRESETS, generate_clocks, resolve_style
from dlnn.clocks.reproduce import REPORT_BASELINE, task3_configs
from dlnn.config import ConfigError, RunConfig


def test_report_like_is_listed_everywhere_a_preset_is() -> None:
    assert "report-like" in PRESETS
    assert "clocks-report-like" in registry.datasets()
    parser = argparse.ArgumentParser()
    registry.reproduce_entries()["task3"].add_arguments(parser)
    assert parser.parse_args(["--preset", "report-like"]).preset == "report-like"


def test_report_like_is_course_like_without_what_the_report_model_cannot_read() -> None:
    report, course = PRESETS["report-like"], PRESETS["course-like"]
    assert report.mirror_probability == 0.0  # a plain CNN cannot read mirrored dials
    assert report.rotation_degrees < course.rotation_degrees / 4  # nor clocks turned any way
    # everything else (tilt, glare, wall, lighting, blur, noise) as on course-like clocks
    assert dataclasses.replace(report, rotation_degrees=course.rotation_degrees,
                               mirror_probability=course.mirror_probability) == course
    assert resolve_style("report-like") is report


def test_report_like_runs_validate_and_generate() -> None:
    configs = task3_configs(quick=True, preset="report-like")
    assert configs["baseline"].dataset == "clocks-report-like"
    assert configs["baseline"].model == REPORT_BASELINE.model
    REPORT_BASELINE.replace(dataset="clocks-report-like", batch_size=256).validate()
    with pytest.raises(ConfigError, match="conv_blocks"):
        RunConfig(dataset="clocks-report-like", model="clock-two-head", image_size=16,
                  conv_blocks=4).validate()
    style = dataclasses.replace(PRESETS["report-like"], size=32)
    images, labels = generate_clocks(6, style, seed=1)
    again, same_labels = generate_clocks(6, dataclasses.replace(PRESETS["course-like"], size=32),
                                         seed=1)
    assert images.shape == (6, 32, 32) and np.array_equal(labels, same_labels)
    assert not np.array_equal(images, again)  # the same times, drawn differently
