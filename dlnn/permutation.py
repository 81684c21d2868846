"""One fixed, seeded pixel permutation for the whole data set (task 2 of the report).

The same permutation reorders the pixels of every image, train and test alike: a dense network
cannot tell the difference (its first-layer weights are just reordered), while a CNN loses the
spatial neighbourhoods it relies on. Shuffling each image with its own permutation instead
destroys the data, a known mistake this module is built to rule out.

Example:

```python
perm = make_permutation(28 * 28, seed=0)
scrambled = permute_pixels(images, perm)  # images: (N, 28, 28) or (N, 28, 28, 1)
restored = unpermute_pixels(scrambled, perm)  # equal to images
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from dlnn.config import RunConfig


def permutation_seed(config: RunConfig) -> int:
    """The seed of a run's permutation: the run's own seed (one rule for training and views)."""
    return config.seed


def run_permutation(config: RunConfig, n_pixels: int) -> np.ndarray:
    """The permutation a run with `permute` set applies to every image of `n_pixels`."""
    return make_permutation(n_pixels, permutation_seed(config))


def make_permutation(n_pixels: int, seed: int) -> np.ndarray:
    """A seeded random permutation of `range(n_pixels)`.

    Args:
        n_pixels: Number of pixels per image (784 for 28x28).
        seed: Seed for `np.random.default_rng`; the same seed gives the same permutation.

    Returns:
        An int64 array holding every index in `0..n_pixels-1` exactly once.
    """
    if isinstance(n_pixels, bool) or not isinstance(n_pixels, int | np.integer) or n_pixels < 1:
        raise ValueError(f"n_pixels must be a positive integer, got {n_pixels!r}")
    return np.random.default_rng(seed).permutation(n_pixels)


def permute_pixels(images: np.ndarray, permutation: np.ndarray) -> np.ndarray:
    """Reorder the pixels of every image by the one `permutation`.

    Pixel `i` of each flattened output image is pixel `permutation[i]` of the input image.

    Args:
        images: A batch whose first axis counts images, e.g. (N, 28, 28) or (N, 28, 28, 1).
        permutation: Indices from `make_permutation`, one per pixel of an image.

    Returns:
        A new array with the same shape and dtype as `images`.
    """
    flat = _flatten(images, permutation)
    return flat[:, permutation].reshape(images.shape)


def unpermute_pixels(images: np.ndarray, permutation: np.ndarray) -> np.ndarray:
    """Undo `permute_pixels(images, permutation)`, giving back the original images."""
    flat = _flatten(images, permutation)
    return flat[:, np.argsort(permutation)].reshape(images.shape)


def _flatten(images: np.ndarray, permutation: np.ndarray) -> np.ndarray:
    """View `images` as (N, pixels) after checking the permutation fits one image."""
    images = np.asarray(images)
    if images.ndim < 2:
        raise ValueError(f"images must be a batch (N, ...) of images, got shape {images.shape}")
    n_pixels = int(np.prod(images.shape[1:]))
    if np.shape(permutation) != (n_pixels,):
        raise ValueError(
            f"permutation has shape {np.shape(permutation)}, but each image of shape "
            f"{images.shape[1:]} has {n_pixels} pixels"
        )
    return images.reshape(len(images), n_pixels)
