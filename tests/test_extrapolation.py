"""bayeslaws/extrapolation.py: how far forecasts lie beyond the fitted runs, and the warning
(once per call) from predict, prob_below, scale_for, compute_optimal and Average.predict."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws.extrapolation import distances, merge_ranges


def test_distances_by_hand():
    ranges = {"x": (1e6, 1e9)}  # a span of 3 decades
    got = distances(ranges, {"x": np.array([1e3, 1e6, 3e7, 1e9, 1e10, 1e12]), "z": [1.0]})
    np.testing.assert_allclose(got["beyond_x"], [-3, 0, 0, 0, 1, 3])
    np.testing.assert_allclose(got["beyond_x_span"], [-1, 0, 0, 0, 1 / 3, 1])
    assert "beyond_z" not in got  # inputs without a range are not flagged
    single = distances({"D": (1e9, 1e9)}, {"D": np.array([1e9, 1e10])})
    np.testing.assert_array_equal(single["beyond_D_span"], [0, np.inf])
    assert merge_ranges({"x": (1, 10)}, {"x": (2, 100), "y": (3, 4)}) == {
        "x": (1, 100), "y": (3, 4)}


def _quiet(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = call()
    return out, [w for w in caught if issubclass(w.category, bl.ExtrapolationWarning)]


def test_predict_inside_the_data_does_not_warn(one_input):
    table, caught = _quiet(lambda: one_input.predict({"x": [1e6, 1e7, 1e9]}))
    assert not caught
    assert (table["beyond_x"] == 0).all() and (table["beyond_x_span"] == 0).all()


def test_predict_beyond_warns_once_and_reports_distance(one_input):
    table, caught = _quiet(lambda: one_input.predict({"x": [1e8, 1e10, 1e12, 1e5]}))
    assert len(caught) == 1  # one warning for the call, not one per point
    message = str(caught[0].message)
    assert "3 point(s)" in message and "3 decades beyond the largest" in message
    assert "1 x the data's span" in message
    assert caught[0].filename == __file__  # points at the caller
    np.testing.assert_allclose(table["beyond_x"], [0, 1, 3, -1])
    np.testing.assert_allclose(table["beyond_x_span"], [0, 1 / 3, 1, -1 / 3])
    assert list(table.columns[:5]) == ["x", "mean", "median", "lower", "upper"]


def test_prob_below_flags(one_input):
    table, caught = _quiet(lambda: one_input.prob_below({"x": [1e9, 1e11]}, 1.6))
    assert len(caught) == 1 and "prob_below" in str(caught[0].message)
    np.testing.assert_allclose(table["beyond_x"], [0, 2])


def test_scale_for_flags_the_median_scale(one_input):
    # E = 1.5, A = 30, alpha = 0.3: y = 1.6 at x = (30 / 0.1)^(1/0.3) = 1.8e8 (inside the
    # runs' 1e6-1e9), y = 1.52 well beyond 1e9 (3.9e10 at the true parameters)
    inside, caught = _quiet(lambda: one_input.scale_for(1.6))
    assert not caught and inside.table["beyond_x"].iloc[0] == 0
    far, caught = _quiet(lambda: one_input.scale_for(1.52))
    assert len(caught) == 1 and "scale_for" in str(caught[0].message)
    row = far.table.iloc[0]
    assert row["beyond_x"] == pytest.approx(np.log10(row["median"] / 1e9))
    assert row["beyond_x"] > 0.5
    assert row["beyond_x_span"] == pytest.approx(row["beyond_x"] / 3)


def test_compute_optimal_flags(chin):
    data_n = chin.observations.x["N"]
    result, caught = _quiet(lambda: chin.compute_optimal([1e20, 1e25]))
    assert len(caught) == 1 and "compute_optimal" in str(caught[0].message)
    table = result.table
    expected = np.log10(table["N_median"].iloc[1] / data_n.max())
    assert table["beyond_N"].iloc[1] == pytest.approx(expected)
    assert table["beyond_N"].iloc[0] == 0  # 1e20 FLOPs lies inside the grid (6e18-3e21)


def test_average_predict_flags(one_input):
    mixture = bl.average({"a": one_input, "b": one_input}, weights=[0.5, 0.5])
    table, caught = _quiet(lambda: mixture.predict({"x": [1e7, 1e11]}))
    assert len(caught) == 1 and "Average.predict" in str(caught[0].message)
    np.testing.assert_allclose(table["beyond_x"], [0, 2])
