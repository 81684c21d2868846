"""The model zoo of the course (SPEC.md, Task 1), by name.

`MODELS` maps a name to a `ModelSpec`, and each entry is registered with `dlnn.registry`, where
the labs add theirs (the CLI and the dashboard list `registry.models()`). Adding a model is one
builder function and one entry. Listing the zoo does not import TensorFlow: Keras is imported
inside `build_model` only.

Every builder takes the same `LayerOptions`: hidden activation, kernel initializer (applied to
every Dense and Conv layer, so `zeros` really collapses the network), dropout rate (replacing
every Dropout layer's rate when given), pooling, kernel size and the input and output sizes.

Example:
    >>> model = build_model("cnn-keras", input_shape=(28, 28, 1), num_classes=10)
    >>> model.output_shape
    (None, 10)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dlnn import registry

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class LayerOptions:
    """The knobs every zoo builder honours."""

    input_shape: tuple[int, ...]
    num_classes: int
    activation: str = "relu"
    initializer: str = "random_uniform"
    dropout: float | None = None  # None: each Dropout layer keeps the model's own rate
    pooling: str = "max"
    kernel_size: int | None = None  # None: each Conv layer keeps the model's own size

    def rate(self, default: float) -> float:
        """The dropout rate for a layer whose source model used `default`."""
        return default if self.dropout is None else self.dropout


@dataclass(frozen=True)
class ModelSpec:
    """One entry of the zoo."""

    name: str
    title: str
    source: str
    channels: bool  # True: expects (H, W, 1) images; False: (H, W), flattened inside
    # Builds the network from LayerOptions; None when the task builds it (a lab's models).
    builder: Callable[[LayerOptions], keras.Model] | None
    extra_monitors: tuple[str, ...] = ()  # metrics beyond loss/accuracy early stopping may watch
    task: str = "classification"  # the registered task that trains it
    lab: str = "core"


def _dense(options: LayerOptions, units: int) -> Any:
    from keras import layers

    return layers.Dense(
        units, activation=options.activation, kernel_initializer=options.initializer
    )


def _conv(options: LayerOptions, filters: int, kernel: int, padding: str = "valid") -> Any:
    from keras import layers

    return layers.Conv2D(
        filters,
        options.kernel_size or kernel,
        padding=padding,
        activation=options.activation,
        kernel_initializer=options.initializer,
    )


def _pool(options: LayerOptions) -> Any:
    from keras import layers

    return layers.MaxPooling2D(2) if options.pooling == "max" else layers.AveragePooling2D(2)


def _classifier(options: LayerOptions) -> Any:
    from keras import layers

    return layers.Dense(
        options.num_classes, activation="softmax", kernel_initializer=options.initializer
    )


def _sequential(name: str, options: LayerOptions, body: list[Any]) -> keras.Model:
    import keras

    return keras.Sequential([keras.Input(options.input_shape), *body], name=name)


def mlp_geron(o: LayerOptions) -> keras.Model:
    """Geron (2019) p.296: Flatten, Dense 300, Dense 100, Dense 10."""
    from keras import layers

    body = [layers.Flatten(), _dense(o, 300), _dense(o, 100), _classifier(o)]
    return _sequential("mlp_geron", o, body)


def mlp_keras(o: LayerOptions) -> keras.Model:
    """Keras' mnist_mlp.py: Flatten, [Dense 512, Dropout 0.2] x2, Dense 10."""
    from keras import layers

    body = [layers.Flatten()]
    for _ in range(2):
        body += [_dense(o, 512), layers.Dropout(o.rate(0.2))]
    return _sequential("mlp_keras", o, [*body, _classifier(o)])


def cnn_keras(o: LayerOptions) -> keras.Model:
    """The report's MNIST CNN: Conv 28 3x3, pool, Flatten, Dense 128, Dropout 0.2, Dense 10."""
    from keras import layers

    body = [
        _conv(o, 28, 3), _pool(o), layers.Flatten(),
        _dense(o, 128), layers.Dropout(o.rate(0.2)), _classifier(o),
    ]
    return _sequential("cnn_keras", o, body)


def cnn_fashion(o: LayerOptions) -> keras.Model:
    """The report's Fashion CNN: Conv 28 3x3, pool, Dropout 0.2, Flatten, Dense 28, Dense 10."""
    from keras import layers

    body = [
        _conv(o, 28, 3), _pool(o), layers.Dropout(o.rate(0.2)), layers.Flatten(),
        _dense(o, 28), _classifier(o),
    ]
    return _sequential("cnn_fashion", o, body)


def cnn_geron(o: LayerOptions) -> keras.Model:
    """Geron (2019) p.461: the deeper CNN the report dropped for being slow."""
    from keras import layers

    body = [_conv(o, 64, 7, "same"), _pool(o)]
    for filters in (128, 256):
        body += [_conv(o, filters, 3, "same"), _conv(o, filters, 3, "same"), _pool(o)]
    body += [
        layers.Flatten(),
        _dense(o, 128), layers.Dropout(o.rate(0.5)),
        _dense(o, 64), layers.Dropout(o.rate(0.5)),
        _classifier(o),
    ]
    return _sequential("cnn_geron", o, body)


def cnn_keras_example(o: LayerOptions) -> keras.Model:
    """Keras' mnist_cnn.py: Conv 32, Conv 64, pool, Dropout .25, Dense 128, Dropout .5."""
    from keras import layers

    body = [
        _conv(o, 32, 3), _conv(o, 64, 3), _pool(o), layers.Dropout(o.rate(0.25)),
        layers.Flatten(), _dense(o, 128), layers.Dropout(o.rate(0.5)), _classifier(o),
    ]
    return _sequential("cnn_keras_example", o, body)


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("mlp-geron", "MLP 300-100 (Geron)", "Geron 2019 p.296", False, mlp_geron),
        ModelSpec("mlp-keras", "MLP 512-512 with dropout", "Keras mnist_mlp.py", False, mlp_keras),
        ModelSpec(
            "cnn-keras", "Small CNN (report, MNIST)", "the report's MNIST CNN", True, cnn_keras
        ),
        ModelSpec(
            "cnn-fashion", "Small CNN (report, Fashion)", "the report's Fashion CNN", True,
            cnn_fashion,
        ),
        ModelSpec("cnn-geron", "Deep CNN (Geron)", "Geron 2019 p.461", True, cnn_geron),
        ModelSpec(
            "cnn-keras-example", "CNN 32-64 (Keras example)", "Keras mnist_cnn.py", True,
            cnn_keras_example,
        ),
    )
}


for _spec in MODELS.values():
    registry.add_model(_spec)


def build_model(
    name: str,
    input_shape: tuple[int, ...],
    num_classes: int,
    *,
    activation: str = "relu",
    initializer: str = "random_uniform",
    dropout: float | None = None,
    pooling: str = "max",
    kernel_size: int | None = None,
) -> keras.Model:
    """Build the zoo model `name` (uncompiled) from its `LayerOptions` builder."""
    zoo = registry.models()
    spec = zoo.get(name)
    if spec is None or spec.builder is None:
        buildable = ", ".join(key for key, entry in zoo.items() if entry.builder is not None)
        raise ValueError(f"model: {name!r} is not in the zoo; choose one of: {buildable}")
    options = LayerOptions(
        input_shape=tuple(input_shape),
        num_classes=num_classes,
        activation=activation,
        initializer=initializer,
        dropout=dropout,
        pooling=pooling,
        kernel_size=kernel_size,
    )
    return spec.builder(options)


def summarize(model: keras.Model) -> dict[str, Any]:
    """Layers (name, type, output shape, parameters) and the parameter count of a model."""
    layers = [
        {
            "name": layer.name,
            "type": type(layer).__name__,
            "output_shape": _shape_text(layer.output),
            "parameters": int(layer.count_params()),
        }
        for layer in model.layers
    ]
    return {"layers": layers, "parameters": int(model.count_params())}


def _shape_text(output: Any) -> str:
    """`(None, 10)`; a layer with several outputs lists each shape."""
    if isinstance(output, list | tuple):
        return ", ".join(_shape_text(item) for item in output)
    return str(tuple(output.shape))
