"""Tests for dlnn.gallery: which test images a gallery of mistakes shows."""

import numpy as np
import pytest

from dlnn.gallery import misclassified

NAMES = [f"c{i}" for i in range(10)]


def test_misclassified_picks_the_wrong_ones_in_order_with_captions():
    truth = np.array([0, 1, 2, 3, 4, 5])
    predicted = np.array([0, 7, 2, 3, 9, 6])
    indices, captions = misclassified(truth, predicted, NAMES)
    assert indices.tolist() == [1, 4, 5]
    assert captions == ["true c1 / pred c7", "true c4 / pred c9", "true c5 / pred c6"]


def test_limit_and_no_mistakes():
    truth = np.arange(50) % 10
    assert len(misclassified(truth, (truth + 1) % 10, NAMES, limit=8)[0]) == 8
    indices, captions = misclassified(truth, truth, NAMES)
    assert indices.size == 0 and captions == []


def test_lengths_must_match():
    with pytest.raises(ValueError, match="3 true labels but 2"):
        misclassified([1, 2, 3], [1, 2], NAMES)
