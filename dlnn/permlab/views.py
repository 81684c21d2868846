"""What a fixed pixel permutation does to images, as arrays for the permutation lab's figures.

Everything takes uint8 images (N, H, W) as stored and the permutation a run uses
(`dlnn.permutation.run_permutation`); nothing trains. `permutation_rows` gives the original,
permuted and restored images; `source_picture` colours each pixel by where its value comes
from (the permutation as a picture); `class_means` shows why one permutation for all images
keeps the information and a new shuffle per image destroys it; `neighbour_correlation`
measures the local structure a convolution relies on, which the permutation removes.

Example:
    >>> import numpy as np
    >>> source_picture(np.arange(4), (2, 2))[..., 0].tolist()
    [[0, 0], [255, 255]]
"""

from __future__ import annotations

import numpy as np

from dlnn.permutation import permute_pixels, unpermute_pixels


def example_images(labels: np.ndarray, count: int) -> np.ndarray:
    """Indices of `count` images: the first of each class in turn, then each class's next."""
    labels = np.asarray(labels)
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    by_class = [np.flatnonzero(labels == label) for label in np.unique(labels)]
    order = [int(indices[rank]) for rank in range(max(map(len, by_class), default=0))
             for indices in by_class if rank < len(indices)]
    return np.array(order[:count], dtype=np.int64)


def permutation_rows(images: np.ndarray, permutation: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The images, the same images permuted, and the permuted ones restored by the inverse."""
    permuted = permute_pixels(images, permutation)
    return np.asarray(images), permuted, unpermute_pixels(permuted, permutation)


def source_picture(permutation: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The permutation as an RGB picture: each pixel coloured by the place its value comes from.

    Red grows with the source row, green with the source column (blue is their complement),
    so `source_picture(np.arange(H * W), (H, W))` is a smooth colour key and a permutation's
    picture is that key scrambled.

    Returns:
        uint8 array (H, W, 3).
    """
    rows, cols = shape
    if np.shape(permutation) != (rows * cols,):
        raise ValueError(f"permutation has shape {np.shape(permutation)}, not ({rows * cols},)")
    source_row, source_col = np.divmod(np.asarray(permutation), cols)
    red = source_row / max(rows - 1, 1)
    green = source_col / max(cols - 1, 1)
    blue = 1.0 - (red + green) / 2
    picture = np.stack([red, green, blue], axis=-1).reshape(rows, cols, 3)
    return np.round(picture * 255).astype(np.uint8)


def per_image_shuffle(images: np.ndarray, seed: int) -> np.ndarray:
    """The known mistake: every image shuffled by a permutation of its own."""
    flat = np.asarray(images).reshape(len(images), -1)
    return np.random.default_rng(seed).permuted(flat, axis=1).reshape(np.shape(images))


def class_means(images: np.ndarray, labels: np.ndarray, permutation: np.ndarray, seed: int = 0
                ) -> dict[str, np.ndarray]:
    """The mean image of each class: original, with the one permutation, and shuffled per image.

    The mean of permuted images is the permuted mean, so it restores to the class's shape: the
    information is all there, only moved. Shuffling each image with its own permutation averages
    every class to the same grey: nothing is left to learn.

    Returns:
        `original`, `permuted`, `restored` and `shuffled per image`, each (classes, H, W) float.
    """
    labels = np.asarray(labels)
    classes = np.unique(labels)
    images = np.asarray(images, dtype=np.float64)

    def means(batch: np.ndarray) -> np.ndarray:
        return np.stack([batch[labels == label].mean(axis=0) for label in classes])

    original = means(images)
    permuted = permute_pixels(original, permutation)  # averaging commutes with moving pixels
    return {
        "original": original,
        "permuted": permuted,
        "restored": unpermute_pixels(permuted, permutation),
        "shuffled per image": means(per_image_shuffle(images, seed)),
    }


def neighbour_correlation(images: np.ndarray) -> float:
    """Correlation between horizontally adjacent pixels over all images (1: smooth images).

    Natural images score high (a stroke continues into the next pixel); after a permutation
    neighbours are pixels from anywhere, and the score falls towards the correlation of two
    random pixels.
    """
    images = np.asarray(images, dtype=np.float64)
    left = images[..., :, :-1].ravel()
    right = images[..., :, 1:].ravel()
    if left.std() == 0 or right.std() == 0:
        return 0.0
    return float(np.corrcoef(left, right)[0, 1])
