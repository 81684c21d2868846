"""Clock models: every one builds and fits a step; encodings round-trip through decoding."""

from __future__ import annotations

import numpy as np
import pytest

from dlnn import registry
from dlnn.clocks.lab import CLOCK_MODELS
from dlnn.clocks.metrics import common_sense_error, minutes_to_time
from dlnn.clocks.models import (
    ENCODINGS,
    ClockOptions,
    build_clock_model,
    combine_hands,
    compile_clock_model,
    decode_outputs,
    encoding_of,
)
from dlnn.models import build_model

keras = pytest.importorskip("keras")

# Every minute boundary that trips encodings: midnight, 59 -> 0, the hour just before the next.
LABELS = np.array([[0, 0], [11, 59], [0, 1], [3, 58], [4, 2], [6, 30], [9, 45], [5, 59]])
SMALL = ClockOptions((32, 32, 1), conv_blocks=2, first_filters=4, dense_units=8)


@pytest.mark.parametrize("name", list(CLOCK_MODELS))
def test_every_clock_model_fits_a_step(name: str) -> None:
    model = compile_clock_model(build_clock_model(name, SMALL), name, "adam")
    x = np.random.default_rng(0).random((len(LABELS), 32, 32, 1), dtype=np.float32)
    logs = model.train_on_batch(x, encoding_of(name).encode(LABELS), return_dict=True)
    assert np.isfinite(logs["loss"])
    assert sorted(model.output_names) == sorted(head.name for head in encoding_of(name).heads)
    spec = registry.models()[name]
    assert spec.task == "clock" and "val_cse" in spec.extra_monitors


def _perfect_outputs(encoding_name: str) -> dict[str, np.ndarray]:
    """What a perfect model outputs: one-hot classes, exact regression targets."""
    encoding = ENCODINGS[encoding_name]
    outputs = {}
    for head, target in zip(encoding.heads, encoding.encode(LABELS).values(), strict=True):
        if head.activation == "softmax" and np.ndim(target) == 1:  # class indices
            outputs[head.name] = np.eye(head.units)[np.asarray(target).reshape(-1)]
        else:
            outputs[head.name] = np.asarray(target, dtype=np.float64).reshape(len(LABELS), -1)
    return outputs


@pytest.mark.parametrize("encoding_name", list(ENCODINGS))
def test_encodings_round_trip_for_perfect_outputs(encoding_name: str) -> None:
    minutes = ENCODINGS[encoding_name].decode(_perfect_outputs(encoding_name))
    error = common_sense_error(LABELS[:, 0], LABELS[:, 1], 0, minutes)
    if encoding_name.startswith("bins-") and encoding_name != "bins-720":
        assert np.all(error <= 720 / int(encoding_name[5:]) / 2)  # within half a bin
    else:
        hour, minute = minutes_to_time(minutes)
        assert np.array_equal(np.stack([hour, minute], axis=1), LABELS)


def test_decode_outputs_accepts_a_list_in_head_order() -> None:
    outputs = _perfect_outputs("hands")
    listed = [outputs["hour_hand"], outputs["minute"]]
    assert np.allclose(decode_outputs("clock-hands", listed), decode_outputs("clock-hands",
                                                                             outputs))


def test_combine_hands_takes_the_hour_from_the_nearest_hour_hand() -> None:
    # The hour hand reads about 4:02 but the minute hand says :58, so it is 3:58.
    assert combine_hands(np.array([242.0]), np.array([58.0]))[0] == pytest.approx(238.0)
    # Wrap-around: the hour hand near 12:00, the minute hand at :59 -> 11:59.
    assert combine_hands(np.array([1.0]), np.array([59.0]))[0] == pytest.approx(719.0)
    assert combine_hands(np.array([715.0]), np.array([1.0]))[0] == pytest.approx(1.0)


def test_options_add_batch_norm_and_augmentation_layers() -> None:
    options = ClockOptions((32, 32, 1), conv_blocks=2, batch_norm=True, augment=0.5)
    kinds = {type(layer).__name__ for layer in build_clock_model("clock-angle", options).layers}
    assert {"BatchNormalization", "RandomRotation", "RandomTranslation", "RandomZoom",
            "RandomContrast"} <= kinds
    plain = {type(layer).__name__ for layer in build_clock_model("clock-angle", SMALL).layers}
    assert "BatchNormalization" not in plain and "RandomRotation" not in plain


def test_clock_models_are_built_by_their_task_only() -> None:
    """One builder per model: the zoo's generic builder refuses clock models (their task
    builds them from the run's clock fields, for the summary and for training alike)."""
    with pytest.raises(ValueError, match="not in the zoo"):
        build_model("clock-two-head", (48, 48), 12)
    pooled = build_clock_model("clock-two-head", ClockOptions((48, 48, 1), pooling="average",
                                                              conv_blocks=2, first_filters=4))
    assert "AveragePooling2D" in {type(layer).__name__ for layer in pooled.layers}
