"""Laws with a linear-scale input (``Law.linear_inputs``, e.g. ``observational``'s principal
components, negative values allowed) through the plots, ``scale_for`` / ``prob_below``, the
``beyond_*`` extrapolation columns and averaged forecasts.

The fits are of prior draws (``prior_sampler`` in place of NUTS): these tests check that each
path computes on the linear scale, against closed forms per draw, not the posterior."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special

import bayeslaws as bl
from bayeslaws.exceptions import OptionError
from tests.conftest import SMALL, prior_sampler
from tests.test_observational import simulated


def _fit(components: int, monkeypatch, seed: int = 0):
    from bayeslaws import sampling

    monkeypatch.setattr(sampling, "run_nuts", prior_sampler)
    data = simulated(seed=seed)
    x = {f"S{j + 1}": f"S{j + 1}" for j in range(components)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bl.fit("observational", data, x=x, y="acc", law_options={"components": components},
                      likelihood="binomial", extra={"trials": "n"}, random_seed=seed, **SMALL)


@pytest.fixture
def one(monkeypatch):
    return _fit(1, monkeypatch)


@pytest.fixture
def two(monkeypatch):
    return _fit(2, monkeypatch)


def test_plot_fit_draws_a_linear_axis_through_negative_values(one, close_figures):
    fig = bl.plot_fit(one)
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear"
    line = ax.get_lines()[0]
    xs = line.get_xdata()
    s1 = one.observations.x["S1"]
    assert xs.min() < s1.min() < 0 and xs.max() > s1.max()  # the curve spans the data
    np.testing.assert_allclose(np.diff(xs), np.diff(xs)[0])  # evenly spaced: linear grid
    # extrapolate=10 on a linear axis: one data span beyond the largest value
    assert xs.max() == pytest.approx(s1.max() + np.ptp(s1))
    _, draws = one.predictive_draws({"S1": xs}, kind="mean")
    np.testing.assert_allclose(line.get_ydata(), np.median(draws, axis=0))


def test_plot_fit_of_two_linear_inputs_and_plot_compare(one, two, close_figures):
    fig = bl.plot_fit(two)
    assert fig.axes[0].get_xscale() == "linear"
    assert len(fig.axes[0].get_lines()) >= 2  # curves at several levels of S2
    fig = bl.plot_compare({"one": one, "two": two}, along="S1", fixed={"S2": -0.5})
    ax = fig.axes[0]
    assert ax.get_xscale() == "linear" and ax.get_xlim()[0] < 0
    assert "S2=-0.5" in ax.get_title()


def test_scale_for_solves_on_the_linear_scale(two):
    """The S1 at which the curve reaches 0.6 at S2 = -0.5 is, per draw,
    (logit(0.6) - alpha - beta2 S2) / beta1 (the law's closed form; chance 0)."""
    target, s2 = 0.6, -0.5
    result = two.scale_for(target, along="S1", fixed={"S2": s2})
    p = two.draws(["alpha", "beta1", "beta2"])
    want = (special.logit(target) - p["alpha"] - p["beta2"] * s2) / p["beta1"]
    lo, hi = result.bounds
    s1 = two.observations.x["S1"]
    assert lo == pytest.approx(s1.min() - 10 * np.ptp(s1)) and lo < 0
    inside = (want > lo) & (want < hi)
    assert inside.mean() > 0.5
    np.testing.assert_allclose(result.draws[inside], want[inside], atol=1e-6)
    assert np.isnan(result.draws[~inside]).all() or result.at_lower > 0
    table = result.table
    assert {"beyond_S1", "beyond_S2"} <= set(table.columns)
    assert table["beyond_S2"].iloc[0] == 0.0  # S2 = -0.5 lies inside the data
    with pytest.raises(OptionError, match="finite numbers"):
        two.scale_for(target, along="S1", fixed={"S2": np.nan})


def test_beyond_columns_are_in_the_inputs_units(two):
    s1 = two.observations.x["S1"]
    at = {"S1": [s1.max() + 1.0, 0.0, s1.min() - 0.5], "S2": [0.0, 0.0, 0.0]}
    with pytest.warns(bl.ExtrapolationWarning,
                      match=r"S1: 2 point\(s\), up to 1 beyond the largest"):
        table = two.predict(at, kind="mean")
    np.testing.assert_allclose(table["beyond_S1"], [1.0, 0.0, -0.5])
    np.testing.assert_allclose(table["beyond_S1_span"], np.array([1.0, 0.0, -0.5]) / np.ptp(s1))
    probs = two.prob_below(at, 0.5, kind="mean")
    np.testing.assert_allclose(probs["beyond_S1"], [1.0, 0.0, -0.5])


def test_average_predicts_at_negative_components(one, monkeypatch):
    other = _fit(1, monkeypatch, seed=4)
    at = pd.DataFrame({"S1": [-3.0, 0.0, 2.5]})
    mix = bl.average({"a": one, "b": other}, weights=[1.0, 0.0])
    table = mix.predict(at, kind="mean")
    alone = one.predict(at, kind="mean")
    # weight 0 for b: the mixture's quantiles are a's (up to the weighted-quantile rule:
    # within a's 4.5%-5.5% and 49.5%-50.5% quantiles)
    _, draws = one.predictive_draws(at, kind="mean")
    for column, q in (("lower", 0.05), ("median", 0.5)):
        lo, hi = np.quantile(draws, [q - 0.005, q + 0.005], axis=0)
        assert ((lo <= table[column]) & (table[column] <= hi)).all(), column
    np.testing.assert_allclose(table["beyond_S1"], alone["beyond_S1"])
    half = bl.average({"a": one, "b": other}, weights=[0.5, 0.5]).predict(at, kind="mean")
    assert np.isfinite(half[["mean", "median", "lower", "upper"]].to_numpy()).all()


def test_report_of_a_linear_input_fit(one, tmp_path, close_figures):
    """The report's residual plot uses a linear axis and its forecast table goes data spans
    (not multiples) beyond the largest component."""
    from bayeslaws.report import forecast_table

    s1 = one.observations.x["S1"]
    table = forecast_table(one, prob=0.9, factors=(1.0, 10.0))
    np.testing.assert_allclose(table["S1"], [s1.max(), s1.max() + np.ptp(s1)])
    np.testing.assert_allclose(table["beyond_S1"], [0.0, np.ptp(s1)])
    from bayeslaws.report import _complete_trace, _residuals_plot, write_report

    fig = _residuals_plot(one, _complete_trace(one), 0.9)
    assert fig.axes[0].get_xscale() == "linear"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = write_report(one, tmp_path / "r")
    assert path.exists() and "S1" in path.read_text()
