"""Clock metrics against hand-worked cases and a brute-force reference over all 720 x 720 times."""

from __future__ import annotations

import numpy as np
import pytest

from dlnn.clocks import metrics

ALL_MINUTES = np.arange(720)
ALL_HOURS, ALL_MINUTE_OF_HOUR = ALL_MINUTES // 60, ALL_MINUTES % 60


@pytest.mark.parametrize(
    ("true", "pred", "expected"),
    [
        ((11, 58), (0, 2), 4),  # across midnight: not 716, and not 11 h + 56 min added up
        ((0, 2), (11, 58), 4),
        ((5, 59), (5, 1), 58),  # same hour: the minutes do not wrap on their own
        ((7, 30), (7, 30), 0),
        ((0, 0), (6, 0), 360),  # the largest possible error
        ((3, 0), (9, 30), 330),
        ((1, 0), (0, 59.5), 0.5),  # fractional predicted minutes
        ((1, 0), (0, 120), 60),  # minutes beyond 59 still count on the dial
    ],
)
def test_common_sense_error_cases(true, pred, expected):
    assert metrics.common_sense_error(*true, *pred) == pytest.approx(expected)


def test_common_sense_error_matches_brute_force_over_all_pairs():
    t_true, t_pred = np.meshgrid(ALL_MINUTES, ALL_MINUTES, indexing="ij")
    d = t_pred - t_true
    reference = np.min(np.abs(np.stack([d - 720, d, d + 720])), axis=0)
    cse = metrics.common_sense_error(
        ALL_HOURS[:, None],
        ALL_MINUTE_OF_HOUR[:, None],
        ALL_HOURS[None, :],
        ALL_MINUTE_OF_HOUR[None, :],
    )
    np.testing.assert_array_equal(cse, reference)
    assert cse.max() == 360 and cse.min() == 0
    # Chance level: a uniformly random guess is 180 minutes off on average.
    assert cse.mean() == pytest.approx(180, abs=0.5)


def test_hour_accuracy_and_cyclic_minute_mae():
    assert metrics.hour_accuracy([0, 1, 2, 11], [0, 1, 3, 11]) == 0.75
    assert metrics.hour_accuracy([0], [12]) == 1.0
    assert metrics.cyclic_minute_mae([59, 0, 30], [1, 59, 20]) == pytest.approx((2 + 1 + 10) / 3)


def test_error_distribution():
    summary = metrics.error_distribution([0, 1, 2, 5, 9, 10, 29, 31, 100, 360])
    assert summary["mean"] == pytest.approx(54.7)
    assert summary["median"] == pytest.approx(9.5)
    assert summary["max"] == 360
    assert summary["p90"] == pytest.approx(np.percentile([0, 1, 2, 5, 9, 10, 29, 31, 100, 360], 90))
    assert summary["within_1"] == 0.2
    assert summary["within_5"] == 0.4
    assert summary["within_10"] == 0.6
    assert summary["within_30"] == 0.7
    with pytest.raises(ValueError):
        metrics.error_distribution([])


def test_time_minutes_round_trip():
    hours, minutes = metrics.minutes_to_time(metrics.time_to_minutes(ALL_HOURS, ALL_MINUTE_OF_HOUR))
    np.testing.assert_array_equal(hours, ALL_HOURS)
    np.testing.assert_array_equal(minutes, ALL_MINUTE_OF_HOUR)
    assert metrics.minutes_to_time(719.6) == (0, 0)  # rounds, then wraps at 12 hours
    assert metrics.minutes_to_time(-1) == (11, 59)


def test_minute_sincos_round_trips_and_has_period_60():
    encoded = metrics.encode_minute_sincos(ALL_MINUTE_OF_HOUR)
    assert encoded.shape == (720, 2)
    np.testing.assert_allclose(
        metrics.decode_minute_sincos(encoded) % 60, ALL_MINUTE_OF_HOUR, atol=1e-9
    )
    np.testing.assert_allclose(
        metrics.encode_minute_sincos(60), metrics.encode_minute_sincos(0), atol=1e-12
    )
    step = np.linalg.norm(metrics.encode_minute_sincos(1) - metrics.encode_minute_sincos(0))
    wrap = np.linalg.norm(metrics.encode_minute_sincos(59) - metrics.encode_minute_sincos(0))
    assert wrap == pytest.approx(step)  # 59 sits next to 0, as 1 does
    # Scaled outputs (an untrained network's) decode the same.
    np.testing.assert_allclose(
        metrics.decode_minute_sincos(3 * encoded), metrics.decode_minute_sincos(encoded)
    )


def test_time_angle_round_trips_and_has_period_12_hours():
    encoded = metrics.encode_time_angle(ALL_HOURS, ALL_MINUTE_OF_HOUR)
    hours, minutes = metrics.minutes_to_time(metrics.decode_time_angle(encoded))
    np.testing.assert_array_equal(hours, ALL_HOURS)
    np.testing.assert_array_equal(minutes, ALL_MINUTE_OF_HOUR)
    np.testing.assert_allclose(
        metrics.encode_time_angle(12, 0), metrics.encode_time_angle(0, 0), atol=1e-12
    )
    near_midnight = metrics.encode_time_angle([11, 0], [59, 1])
    two_minutes = np.linalg.norm(metrics.encode_time_angle(0, 2) - metrics.encode_time_angle(0, 0))
    assert np.linalg.norm(near_midnight[0] - near_midnight[1]) == pytest.approx(two_minutes)
    assert not np.allclose(metrics.encode_time_angle(11, 0), metrics.encode_time_angle(0, 0))


@pytest.mark.parametrize("n_bins", [24, 72, 720])
def test_time_bins(n_bins):
    bins = metrics.encode_time_bins(ALL_HOURS, ALL_MINUTE_OF_HOUR, n_bins)
    assert bins.min() == 0 and bins.max() == n_bins - 1
    assert np.all(np.bincount(bins) == 720 // n_bins)  # equal arcs of the dial
    centres = metrics.decode_time_bins(bins, n_bins)
    cse = metrics.common_sense_error(ALL_HOURS, ALL_MINUTE_OF_HOUR, 0, centres)
    assert cse.max() <= (720 // n_bins - 1) / 2  # the centre is never further than half a bin
    if n_bins == 720:
        np.testing.assert_array_equal(centres, ALL_MINUTES)  # exact round trip


def test_time_bins_reject_uneven_bins():
    with pytest.raises(ValueError, match="n_bins"):
        metrics.encode_time_bins(1, 0, 25)
