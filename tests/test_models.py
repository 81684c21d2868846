"""The model zoo: every model builds and trains a step with every activation and initializer."""

from __future__ import annotations

import numpy as np
import pytest

from dlnn.config import ACTIVATIONS, INITIALIZERS
from dlnn.models import MODELS, build_model, summarize

keras = pytest.importorskip("keras")

SAMPLES = 8
# The image classifiers; the clock models (task "clock") are tested in test_clock_models.py.
ZOO = [name for name, spec in MODELS.items() if spec.task == "classification"]


def _batch(channels: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    shape = (SAMPLES, 28, 28, 1) if channels else (SAMPLES, 28, 28)
    return rng.random(shape, dtype=np.float32), np.arange(SAMPLES) % 10


def _fit_one_step(name: str, **options: object) -> tuple[keras.Model, float]:
    spec = MODELS[name]
    x, y = _batch(spec.channels)
    model = build_model(name, x.shape[1:], 10, **options)
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    loss = model.train_on_batch(x, y)
    assert model.output_shape == (None, 10)
    return model, float(np.asarray(loss))


CASES = [(name, "activation", value) for name in ZOO for value in ACTIVATIONS] + [
    (name, "initializer", value) for name in ZOO for value in INITIALIZERS
]


# exp(exp(...)) through the Geron CNN's seven layers overflows float32 within one step
OVERFLOWS = {("cnn-geron", "exponential")}


@pytest.mark.parametrize(("name", "option", "value"), CASES)
def test_every_model_fits_a_step(name: str, option: str, value: str) -> None:
    model, loss = _fit_one_step(name, **{option: value})
    assert np.isfinite(loss) == ((name, value) not in OVERFLOWS)
    *hidden, classifier = [layer for layer in model.layers if hasattr(layer, "kernel")]
    assert hidden and classifier.activation.__name__ == "softmax"
    if option == "activation":
        expected = keras.activations.get(value).__name__  # "swish" is called silu
        assert [layer.activation.__name__ for layer in hidden] == [expected] * len(hidden)
    else:
        expected = type(keras.initializers.get(value)).__name__
        kernels = [type(layer.kernel_initializer).__name__ for layer in [*hidden, classifier]]
        assert kernels == [expected] * (len(hidden) + 1)


CNNS = [name for name in ZOO if MODELS[name].channels]


def _layer_kinds(name: str, **options: object) -> list[str]:
    return [type(layer).__name__ for layer in build_model(name, (28, 28, 1), 10, **options).layers]


@pytest.mark.parametrize("name", CNNS)
def test_pooling_is_applied(name: str) -> None:
    average, maximum = _layer_kinds(name, pooling="average"), _layer_kinds(name, pooling="max")
    assert "AveragePooling2D" in average and "MaxPooling2D" not in average
    assert "MaxPooling2D" in maximum and "AveragePooling2D" not in maximum
    # the same layers, each pooling swapped for the other kind
    swapped = {"MaxPooling2D": "AveragePooling2D"}
    assert [swapped.get(kind, kind) for kind in maximum] == average


@pytest.mark.parametrize("name", ZOO)
def test_dropout_rate_is_applied(name: str) -> None:
    x, _ = _batch(MODELS[name].channels)
    model = build_model(name, x.shape[1:], 10, dropout=0.35)
    rates = [layer.rate for layer in model.layers if type(layer).__name__ == "Dropout"]
    assert all(rate == 0.35 for rate in rates)


def test_model_dropout_defaults_follow_the_sources() -> None:
    model = build_model("cnn-keras-example", (28, 28, 1), 10)
    rates = [layer.rate for layer in model.layers if type(layer).__name__ == "Dropout"]
    assert rates == [0.25, 0.5]


def test_initializer_reaches_every_layer() -> None:
    model = build_model("cnn-keras", (28, 28, 1), 10, initializer="zeros")
    kernels = [layer.kernel for layer in model.layers if hasattr(layer, "kernel")]
    assert len(kernels) == 3  # conv, dense, output
    assert all(float(np.abs(np.asarray(k)).sum()) == 0.0 for k in kernels)


def test_zeros_cannot_break_symmetry() -> None:
    # All-zero weights: every input gets the same prediction, however long it trains.
    rng = np.random.default_rng(1)
    x = rng.random((64, 28, 28), dtype=np.float32)
    y = (x[:, :14].mean(axis=(1, 2)) > x[:, 14:].mean(axis=(1, 2))).astype(int)
    model = build_model("mlp-geron", (28, 28), 2, initializer="zeros")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    predictions = model.predict(x, verbose=0)
    assert np.allclose(predictions, predictions[0], atol=1e-6)


def test_summary_counts_parameters() -> None:
    summary = summarize(build_model("mlp-geron", (28, 28), 10))
    # 784*300+300 + 300*100+100 + 100*10+10
    assert summary["parameters"] == 266_610
    assert [layer["type"] for layer in summary["layers"]] == ["Flatten", "Dense", "Dense", "Dense"]
