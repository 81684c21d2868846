"""Pick test examples for image galleries: the misclassified ones, with their captions.

A finished run keeps its predicted test labels (`predictions.npy`, in test-set order); with
the true labels this gives the mistakes to show, each captioned with both class names.

Example:
    >>> indices, captions = misclassified([1, 2, 3], [1, 0, 3], ["zero", "one", "two", "three"])
    >>> indices.tolist(), captions
    ([1], ['true two / pred zero'])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEFAULT_LIMIT = 24


def misclassified(
    y_true: Sequence[int] | np.ndarray,
    y_pred: Sequence[int] | np.ndarray,
    class_names: Sequence[str],
    limit: int = DEFAULT_LIMIT,
) -> tuple[np.ndarray, list[str]]:
    """Indices of the first `limit` wrong predictions and a caption for each.

    Raises:
        ValueError: the label arrays differ in length.
    """
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    indices = np.flatnonzero(y_true != y_pred)[: max(limit, 0)]
    captions = [f"true {class_names[y_true[i]]} / pred {class_names[y_pred[i]]}" for i in indices]
    return indices, captions
