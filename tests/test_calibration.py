"""bayeslaws/calibration.py: coverage at many levels, MSCE, widths, LOO-PIT and the plot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslaws as bl
from bayeslaws.calibration import (
    LEVELS,
    calibration_scores,
    coverage_table,
    draw_intervals,
    msce,
    pit_coverage,
)
from bayeslaws.exceptions import DataError, OptionError
from bayeslaws.simulate import simulate
from tests.helpers import fixed_draws_fit


def test_msce_by_hand():
    assert msce({0.5: 0.5, 0.9: 0.9}) == 0.0
    assert msce({0.5: 0.3, 0.9: 0.6}) == pytest.approx((0.2**2 + 0.3**2) / 2)
    with pytest.raises(OptionError, match="at least one"):
        msce({})


def test_scores_by_hand():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    median = np.array([1.0, 2.0, 2.0, 2.0])
    intervals = {0.5: (np.array([0.5, 2.0, 1.0, 1.0]), np.array([1.5, 3.0, 2.5, 3.0])),
                 0.9: (np.array([0.0, 1.0, 0.0, 0.0]), np.array([2.0, 4.0, 4.0, 5.0]))}
    got = calibration_scores(y, median, intervals)
    assert got["coverage_50"] == 0.5 and got["coverage_90"] == 1.0
    assert got["msce"] == pytest.approx((0.0 + 0.1**2) / 2)
    assert got["width_50"] == pytest.approx(np.median([1.0, 0.5, 0.75, 1.0]))
    assert got["width_90"] == pytest.approx(np.median([2.0, 1.5, 2.0, 2.5]))


def _simulated(spread: float, seed: int = 0, runs: int = 400, draws: int = 2000):
    """Runs y = exp(z), z ~ N(0, 1), forecast by draws exp(spread * N(0, 1))."""
    rng = np.random.default_rng(seed)
    y = np.exp(rng.standard_normal(runs))
    values = np.exp(spread * rng.standard_normal((draws, runs)))
    median, intervals = draw_intervals(values, LEVELS)
    return calibration_scores(y, median, intervals)


def test_calibrated_forecast_has_small_msce():
    got = _simulated(spread=1.0)
    # 400 runs: the sd of an observed coverage is at most 0.025, so (cov - p)^2 < 0.005
    for p in LEVELS:
        assert got[f"coverage_{round(100 * p)}"] == pytest.approx(p, abs=0.08)
    assert got["msce"] < 0.005
    assert got["width_90"] == pytest.approx(np.exp(1.645) - np.exp(-1.645), rel=0.1)


def test_too_narrow_forecast_has_low_coverage_and_high_msce():
    got = _simulated(spread=0.2)  # intervals 5 times too narrow
    # true coverage of the 90% interval: P(|z| < 0.2 * 1.645) = 0.26
    assert got["coverage_90"] == pytest.approx(0.26, abs=0.07)
    assert got["coverage_50"] < 0.2
    assert got["msce"] > 0.2


def test_weighted_intervals_match_average_predict():
    rng = np.random.default_rng(3)
    values = rng.standard_normal((300, 4))
    weights = np.ones(300)
    median, intervals = draw_intervals(values, (0.9,), weights)
    lo, hi = intervals[0.9]
    assert (lo < median).all() and (median < hi).all()
    plain_median, plain = draw_intervals(values, (0.9,))
    np.testing.assert_allclose(plain_median, np.median(values, axis=0))
    np.testing.assert_allclose(plain[0.9][0], np.quantile(values, 0.05, axis=0))


@pytest.fixture(scope="module")
def curve():
    params = {"E": 1.5, "A": 30.0, "alpha": 0.3}
    data = simulate("saturating_power_law", params, {"x": np.geomspace(1e6, 1e9, 60)},
                    sigma=0.02, random_seed=4)
    return params, data


def _fit(curve, sigma):
    params, data = curve
    rng = np.random.default_rng(1)
    draws = {k: v * np.exp(0.002 * rng.standard_normal(400)) for k, v in params.items()}
    draws["sigma"] = sigma * np.exp(0.02 * rng.standard_normal(400))
    return fixed_draws_fit("saturating_power_law", draws, data, "x")


def test_loo_pit_is_uniform_for_the_right_noise_and_not_for_too_little(curve):
    right, narrow = _fit(curve, 0.02), _fit(curve, 0.004)
    pit = bl.loo_pit(right)
    assert pit.shape == (60,) and ((0 <= pit) & (pit <= 1)).all()
    good = pit_coverage(pit)
    bad = pit_coverage(bl.loo_pit(narrow))
    # 60 runs: sd of an observed coverage <= 0.065; 0.2 is three sd
    assert all(abs(good[p] - p) < 0.2 for p in LEVELS)
    assert msce(good) < 0.01
    assert bad[0.9] < 0.5 and msce(bad) > 0.1


def test_coverage_table_and_plot(curve, close_figures):
    fit = _fit(curve, 0.02)
    backtest_like = pd.DataFrame({"coverage_50": [0.2, 0.5], "coverage_90": [0.6, 0.9]},
                                 index=pd.Index(["narrow", "good"], name="law"))
    table = coverage_table({"bt": backtest_like, "fit": fit})
    assert list(table.columns) == ["bt: narrow", "bt: good", "fit (LOO-PIT)"]
    assert table.loc[0.5, "bt: narrow"] == 0.2
    assert table["fit (LOO-PIT)"].notna().sum() == len(LEVELS)
    fig = bl.plot_calibration(backtest_like)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 3  # the diagonal and a line per law
    np.testing.assert_allclose(lines[1].get_ydata(), [0.2, 0.6])
    assert "MSCE 0.090" in fig.axes[0].get_legend().get_texts()[1].get_text()


def test_plot_calibration_refuses_other_input():
    with pytest.raises(DataError, match="no coverage_<pct> columns"):
        coverage_table(pd.DataFrame({"rmsle": [0.1]}))
    with pytest.raises(OptionError, match="takes a backtest table"):
        coverage_table([1, 2])
    with pytest.raises(OptionError, match="strictly between 0 and 1"):
        coverage_table(pd.DataFrame({"coverage_50": [0.5]}), levels=[1.5])


def test_loo_pit_reads_the_stored_posterior_predictive_group(curve):
    from arviz_stats import loo_pit as az_loo_pit

    from bayeslaws.groups import with_predictive_groups
    from bayeslaws.result import Fit

    fit = _fit(curve, 0.02)
    stored = Fit(with_predictive_groups(fit.trace, fit.spec, fit.observations, random_seed=5),
                 fit.spec, fit.settings)
    expected = np.asarray(az_loo_pit(stored.trace, var_names=["y"])["y"]).reshape(-1)
    # the stored draws are used whatever the seed; a fit without them draws its own
    np.testing.assert_allclose(bl.loo_pit(stored, random_seed=0), expected)
    np.testing.assert_allclose(bl.loo_pit(stored, random_seed=99), expected)
    assert not np.allclose(bl.loo_pit(fit, random_seed=0), expected)
