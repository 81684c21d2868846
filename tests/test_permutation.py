"""One fixed pixel permutation: checked against a reference computed pixel by pixel."""

from __future__ import annotations

import numpy as np
import pytest

from dlnn.permutation import make_permutation, permute_pixels, unpermute_pixels


def _images(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, size=shape, dtype=np.uint8)


def test_make_permutation_is_a_permutation():
    perm = make_permutation(784, seed=3)
    assert perm.shape == (784,)
    np.testing.assert_array_equal(np.sort(perm), np.arange(784))


def test_make_permutation_is_seeded():
    np.testing.assert_array_equal(make_permutation(784, seed=7), make_permutation(784, seed=7))
    assert not np.array_equal(make_permutation(784, seed=7), make_permutation(784, seed=8))
    assert not np.array_equal(make_permutation(784, seed=0), np.arange(784))


def test_permute_matches_pixel_by_pixel_reference():
    images = _images((4, 3, 5))
    perm = make_permutation(15, seed=1)
    out = permute_pixels(images, perm)
    for n in range(len(images)):
        flat = images[n].ravel()
        expected = np.array([flat[perm[i]] for i in range(15)]).reshape(3, 5)
        np.testing.assert_array_equal(out[n], expected)


def test_same_permutation_for_every_image():
    # Every image is the same ramp, so the permuted images must be identical too.
    ramp = np.arange(784, dtype=np.int64).reshape(28, 28)
    images = np.stack([ramp] * 6)
    perm = make_permutation(784, seed=0)
    out = permute_pixels(images, perm)
    for image in out:
        np.testing.assert_array_equal(image.ravel(), perm)


@pytest.mark.parametrize("shape", [(5, 28, 28), (5, 28, 28, 1)])
def test_round_trip_and_shape(shape):
    images = _images(shape)
    perm = make_permutation(784, seed=2)
    scrambled = permute_pixels(images, perm)
    assert scrambled.shape == shape
    assert scrambled.dtype == images.dtype
    assert not np.array_equal(scrambled, images)
    np.testing.assert_array_equal(unpermute_pixels(scrambled, perm), images)
    np.testing.assert_array_equal(permute_pixels(unpermute_pixels(images, perm), perm), images)


def test_channel_axis_gives_same_pixels_as_without():
    images = _images((3, 28, 28))
    perm = make_permutation(784, seed=4)
    with_channel = permute_pixels(images[..., np.newaxis], perm)
    np.testing.assert_array_equal(with_channel[..., 0], permute_pixels(images, perm))


def test_input_is_not_modified():
    images = _images((2, 28, 28))
    before = images.copy()
    permute_pixels(images, make_permutation(784, seed=5))
    np.testing.assert_array_equal(images, before)


@pytest.mark.parametrize(
    "images, perm, match",
    [
        (np.zeros((2, 28, 28)), np.arange(100), "784 pixels"),
        (np.zeros(784), np.arange(784), "batch"),
    ],
)
def test_bad_shapes_raise(images, perm, match):
    with pytest.raises(ValueError, match=match):
        permute_pixels(images, perm)


@pytest.mark.parametrize("n_pixels", [0, -1, 2.5, True])
def test_bad_n_pixels_raises(n_pixels):
    with pytest.raises(ValueError, match="n_pixels"):
        make_permutation(n_pixels, seed=0)
