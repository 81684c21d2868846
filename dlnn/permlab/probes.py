"""Why an MLP ignores a fixed permutation and a CNN does not, shown on trained networks.

An MLP's first Dense layer computes `x @ W`: every pixel has its own row of weights and the
order of the rows is arbitrary. Permuting the pixels by `p` and the rows by the same `p`
(`W'[i] = W[p[i]]`) gives `x[p] @ W[p] = x @ W`, the very same numbers: `permute_first_dense`
does it to a trained model and `invariance` checks the predictions on permuted test images.
A CNN's first layer instead slides small filters over neighbouring pixels; `first_layer_maps`
returns its filters and their feature maps on an image and on its permuted version.

Imports TensorFlow: it runs in the CLI (`python -m dlnn permutation ...`) or a worker, never
in the dashboard's process (`dlnn.permlab.explain` calls it there).

Example:
    >>> report = invariance(model, test_images, test_labels, permutation)
    >>> report["max_probability_difference"] < 1e-5
    True
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from dlnn.permutation import permute_pixels

# Layers that may come before an MLP's first Dense layer without mixing pixels.
_PASS_THROUGH = ("Flatten", "Dropout", "InputLayer", "Reshape")
PREDICT_BATCH = 1024


def first_dense(model: keras.Model) -> keras.layers.Dense:
    """The Dense layer that reads the flattened pixels, if nothing before it mixes them.

    Raises:
        ValueError: the model is not an MLP (e.g. a convolution comes first).
    """
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dense):
            return layer
        if type(layer).__name__ not in _PASS_THROUGH:
            raise ValueError(f"{model.name} starts with a {type(layer).__name__}, not a Dense "
                             "layer on the pixels: the weight permutation applies to an MLP")
    raise ValueError(f"{model.name} has no Dense layer")


def permute_first_dense(model: keras.Model, permutation: np.ndarray) -> None:
    """Reorder the rows of the first Dense kernel so the model reads permuted pixels the same.

    After this, `model(permute_pixels(x, permutation))` equals the old `model(x)`.
    """
    layer = first_dense(model)
    kernel, *rest = layer.get_weights()
    if len(kernel) != len(permutation):
        raise ValueError(f"the first Dense layer reads {len(kernel)} inputs, the permutation "
                         f"moves {len(permutation)} pixels")
    layer.set_weights([kernel[np.asarray(permutation)], *rest])


def invariance(model: keras.Model, images: np.ndarray, labels: np.ndarray,
               permutation: np.ndarray) -> dict[str, Any]:
    """Compare a trained MLP on original images with its row-permuted copy on permuted images.

    Args:
        model: an MLP trained on original images (left unchanged).
        images: test images as the model takes them, float in [0, 1].
        labels: their labels.
        permutation: the pixel permutation (`dlnn.permutation.run_permutation`).

    Returns:
        Accuracies of the model on original images, of the same weights on permuted images and
        of the permuted-rows copy on permuted images; the largest difference of any class
        probability between the first and the last; how many predicted classes changed.
    """
    permuted = permute_pixels(images, permutation)
    original = model.predict(images, batch_size=PREDICT_BATCH, verbose=0)
    same_weights = model.predict(permuted, batch_size=PREDICT_BATCH, verbose=0)
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    permute_first_dense(twin, permutation)
    moved = twin.predict(permuted, batch_size=PREDICT_BATCH, verbose=0)
    labels = np.asarray(labels)
    return {
        "images": len(labels),
        "accuracy_original": _accuracy(original, labels),
        "accuracy_permuted_same_weights": _accuracy(same_weights, labels),
        "accuracy_permuted_rows": _accuracy(moved, labels),
        "max_probability_difference": float(np.abs(moved - original).max()),
        "predictions_changed": int((moved.argmax(1) != original.argmax(1)).sum()),
    }


def _accuracy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    return float((probabilities.argmax(axis=1) == labels).mean())


def first_layer_maps(model: keras.Model, image: np.ndarray, permutation: np.ndarray
                     ) -> dict[str, np.ndarray]:
    """A CNN's first convolution: its filters and its feature maps on an image and permuted.

    Args:
        model: a CNN whose first layer with weights is a Conv2D on one channel.
        image: one image (H, W) or (H, W, 1), float in [0, 1].
        permutation: the pixel permutation.

    Returns:
        `filters` (F, k, k), `image` and `permuted_image` (H, W), `maps_original` and
        `maps_permuted` (F, H', W'), the layer's outputs (after its activation).
    """
    conv = next((layer for layer in model.layers if layer.weights), None)
    if not isinstance(conv, keras.layers.Conv2D):
        kind = type(conv).__name__ if conv is not None else "nothing"
        raise ValueError(f"{model.name} starts with {kind}, not a convolution")
    picture = np.asarray(image, dtype=np.float32).reshape(model.input_shape[1:3])
    permuted = permute_pixels(picture[np.newaxis], permutation)[0]
    probe = keras.Model(model.inputs, conv.output)
    batch = np.stack([picture, permuted])[..., np.newaxis]
    maps = np.asarray(probe.predict(batch, verbose=0)).transpose(0, 3, 1, 2)
    kernel = conv.get_weights()[0]  # (k, k, channels, F)
    return {
        "filters": kernel[:, :, 0, :].transpose(2, 0, 1),
        "image": picture,
        "permuted_image": permuted,
        "maps_original": maps[0],
        "maps_permuted": maps[1],
    }
