"""The permutation lab's views: images permuted and restored, the permutation as a picture,
class means against a per-image shuffle, and the neighbourhoods a convolution reads."""

from __future__ import annotations

import numpy as np
import pytest

from dlnn.permlab import views
from dlnn.permutation import make_permutation, permute_pixels
from tests.synthetic import learnable_arrays


@pytest.fixture
def digits() -> tuple[np.ndarray, np.ndarray]:
    arrays = learnable_arrays(2000, 10, seed=1)
    return arrays["x_train"], arrays["y_train"]


def test_rows_are_original_permuted_and_restored(digits):
    images = digits[0][:6]
    perm = make_permutation(784, seed=5)
    original, permuted, restored = views.permutation_rows(images, perm)
    np.testing.assert_array_equal(original, images)
    np.testing.assert_array_equal(restored, images)
    for image, scrambled in zip(images, permuted, strict=True):  # one permutation for each
        np.testing.assert_array_equal(scrambled.ravel(), image.ravel()[perm])


def test_example_images_take_each_class_in_turn():
    labels = np.array([3, 1, 3, 2, 1, 1])
    np.testing.assert_array_equal(views.example_images(labels, 4), [1, 3, 0, 4])
    np.testing.assert_array_equal(views.example_images(labels, 99), [1, 3, 0, 4, 2, 5])
    with pytest.raises(ValueError, match="count"):
        views.example_images(labels, 0)


def test_source_picture_colours_each_pixel_by_where_it_comes_from():
    key = views.source_picture(np.arange(12), (3, 4))
    assert key.shape == (3, 4, 3) and key.dtype == np.uint8
    np.testing.assert_array_equal(key[:, 0, 0], [0, 128, 255])  # red grows down the rows
    np.testing.assert_array_equal(key[0, :, 1], [0, 85, 170, 255])  # green along the columns
    perm = make_permutation(12, seed=2)
    scrambled = views.source_picture(perm, (3, 4))
    for i, source in enumerate(perm):  # pixel i wears the colour of the place it comes from
        np.testing.assert_array_equal(scrambled.reshape(12, 3)[i], key.reshape(12, 3)[source])
    with pytest.raises(ValueError, match="permutation"):
        views.source_picture(np.arange(10), (3, 4))


def test_class_means_keep_the_classes_under_one_permutation_only(digits):
    images, labels = digits
    perm = make_permutation(784, seed=0)
    means = views.class_means(images, labels, perm, seed=0)
    assert list(means) == ["original", "permuted", "restored", "shuffled per image"]
    assert means["original"].shape == (10, 28, 28)
    # The mean of the permuted images is the permuted mean, and it restores exactly.
    by_hand = np.stack([permute_pixels(images[labels == k].astype(float), perm).mean(axis=0)
                        for k in range(10)])
    np.testing.assert_allclose(means["permuted"], by_hand)
    np.testing.assert_allclose(means["restored"], means["original"])
    # Each class's mean keeps its shape under one permutation (moved, not blurred); shuffled
    # per image, every class mean is flat up to sampling noise.
    def contrast(batch: np.ndarray) -> np.ndarray:
        return batch.reshape(len(batch), -1).std(axis=1)
    np.testing.assert_allclose(contrast(means["permuted"]), contrast(means["original"]))
    assert contrast(means["shuffled per image"]).max() < contrast(means["original"]).min() / 5


def test_per_image_shuffle_gives_each_image_its_own_order():
    ramp = np.tile(np.arange(784).reshape(1, 28, 28), (3, 1, 1))
    shuffled = views.per_image_shuffle(ramp, seed=1)
    for image in shuffled:
        np.testing.assert_array_equal(np.sort(image.ravel()), np.arange(784))
    assert not np.array_equal(shuffled[0], shuffled[1])


def test_neighbour_correlation_falls_to_zero_after_the_permutation():
    smooth = np.tile(np.linspace(0, 255, 28), (50, 28, 1))
    smooth += np.random.default_rng(0).normal(0, 5, smooth.shape)
    assert views.neighbour_correlation(smooth) > 0.95
    permuted = permute_pixels(smooth, make_permutation(784, seed=1))
    assert abs(views.neighbour_correlation(permuted)) < 0.1
    assert views.neighbour_correlation(np.zeros((2, 28, 28))) == 0.0
