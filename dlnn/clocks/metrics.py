"""Scores and label encodings for telling the time on a 12-hour analog dial.

The number that matters is the common-sense error (CSE): the shortest way round the dial
between the true and the predicted time, in minutes, so 11:58 against 0:02 is 4 minutes, not
716 and not the 64 that adding separate hour and minute errors gives. The encodings turn
(hour, minute) labels into model targets and back; their periods are 60 minutes and 12 hours
(720 minutes), never 59 or 11. Decoders return minutes as floats (on the hour or on the
dial); `minutes_to_time` rounds them to integer (hour, minute).

Example:
    >>> common_sense_error(11, 58, 0, 2)
    array(4.)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

MINUTES_PER_DIAL = 720  # 12 hours: the dial wraps around here
MINUTES_PER_HOUR = 60
BIN_COUNTS = (24, 72, 720)  # the bin counts the classification models use


def time_to_minutes(hour: ArrayLike, minute: ArrayLike) -> np.ndarray:
    """Minutes since 12:00 on the dial, 60 * (hour mod 12) + minute (floats stay floats)."""
    return np.mod(np.asarray(hour), 12) * MINUTES_PER_HOUR + np.asarray(minute)


def minutes_to_time(minutes: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Integer (hour 0-11, minute 0-59) of minutes on the dial, rounded, wrapped at 12 hours."""
    whole = np.mod(np.rint(np.asarray(minutes, dtype=np.float64)), MINUTES_PER_DIAL).astype(int)
    return whole // MINUTES_PER_HOUR, whole % MINUTES_PER_HOUR


def _cyclic_distance(a: ArrayLike, b: ArrayLike, period: float) -> np.ndarray:
    """Shortest distance between a and b on a circle of the given period."""
    d = np.mod(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64), period)
    return np.minimum(d, period - d)


def common_sense_error(
    true_hour: ArrayLike, true_minute: ArrayLike, pred_hour: ArrayLike, pred_minute: ArrayLike
) -> np.ndarray:
    """Minutes between true and predicted times the short way round the dial, 0 to 360.

    With t = 60 * hour + minute: CSE = min(|d|, 720 - |d|), d = t_pred - t_true (taken mod 720,
    so predicted minutes may be fractional or outside 0-59). Chance level is 180.
    """
    return _cyclic_distance(
        time_to_minutes(pred_hour, pred_minute),
        time_to_minutes(true_hour, true_minute),
        MINUTES_PER_DIAL,
    )


def hour_accuracy(true_hour: ArrayLike, pred_hour: ArrayLike) -> float:
    """Share of predictions with the right hour (0-11; 12 counts as 0)."""
    true_hour, pred_hour = np.asarray(true_hour), np.asarray(pred_hour)
    if true_hour.size == 0:
        return float("nan")
    return float(np.mean(np.mod(true_hour, 12) == np.mod(pred_hour, 12)))


def cyclic_minute_mae(true_minute: ArrayLike, pred_minute: ArrayLike) -> float:
    """Mean minute error the short way round the hour: min(|d|, 60 - |d|), ignoring hours."""
    return float(np.mean(_cyclic_distance(pred_minute, true_minute, MINUTES_PER_HOUR)))


def error_distribution(cse: ArrayLike) -> dict[str, float]:
    """Summary of common-sense errors in minutes: mean, median, p90, max and shares within.

    Keys: `mean`, `median`, `p90`, `max`, `within_1`, `within_5`, `within_10`, `within_30`
    (the share of errors at most that many minutes).
    """
    cse = np.asarray(cse, dtype=np.float64).ravel()
    if cse.size == 0:
        raise ValueError("error_distribution needs at least one error")
    summary = {
        "mean": float(cse.mean()),
        "median": float(np.median(cse)),
        "p90": float(np.percentile(cse, 90)),
        "max": float(cse.max()),
    }
    for limit in (1, 5, 10, 30):
        summary[f"within_{limit}"] = float(np.mean(cse <= limit))
    return summary


def _angle_encoding(value: ArrayLike, period: float) -> np.ndarray:
    """(..., 2) as (sin, cos) of value on a circle of the given period."""
    angle = 2 * np.pi * np.asarray(value, dtype=np.float64) / period
    return np.stack([np.sin(angle), np.cos(angle)], axis=-1)


def _angle_decoding(encoded: ArrayLike, period: float) -> np.ndarray:
    """Position in [0, period) of (sin, cos) pairs; their length does not matter."""
    encoded = np.asarray(encoded, dtype=np.float64)
    angle = np.arctan2(encoded[..., 0], encoded[..., 1])
    return np.mod(angle * period / (2 * np.pi), period)


def encode_minute_sincos(minute: ArrayLike) -> np.ndarray:
    """(..., 2) (sin, cos) of the minute hand's angle: period 60, so 59 sits next to 0."""
    return _angle_encoding(minute, MINUTES_PER_HOUR)


def decode_minute_sincos(encoded: ArrayLike) -> np.ndarray:
    """Minutes in [0, 60) (float) from (..., 2) (sin, cos) pairs; round for integer minutes."""
    return _angle_decoding(encoded, MINUTES_PER_HOUR)


def encode_time_angle(hour: ArrayLike, minute: ArrayLike) -> np.ndarray:
    """(..., 2) (sin, cos) of the hour hand's angle: the whole time on one circle of 720 min."""
    return _angle_encoding(time_to_minutes(hour, minute), MINUTES_PER_DIAL)


def decode_time_angle(encoded: ArrayLike) -> np.ndarray:
    """Minutes on the dial in [0, 720) (float) from (..., 2) (sin, cos) pairs.

    `minutes_to_time` gives integer (hour, minute); `common_sense_error(h, m, 0, minutes)`
    scores the float directly.
    """
    return _angle_decoding(encoded, MINUTES_PER_DIAL)


def _check_bins(n_bins: int) -> None:
    if MINUTES_PER_DIAL % n_bins:
        raise ValueError(f"n_bins must divide 720 (e.g. {BIN_COUNTS}), got {n_bins}")


def encode_time_bins(hour: ArrayLike, minute: ArrayLike, n_bins: int) -> np.ndarray:
    """Class index 0..n_bins-1 of the time: the dial cut into n_bins equal arcs from 12:00."""
    _check_bins(n_bins)
    minutes = np.asarray(time_to_minutes(hour, minute))
    return (minutes // (MINUTES_PER_DIAL // n_bins)).astype(np.int64)


def decode_time_bins(bin_index: ArrayLike, n_bins: int) -> np.ndarray:
    """Minutes on the dial (float) at the centre of each bin; exact times when n_bins is 720."""
    _check_bins(n_bins)
    width = MINUTES_PER_DIAL // n_bins
    return np.asarray(bin_index, dtype=np.float64) * width + (width - 1) / 2
