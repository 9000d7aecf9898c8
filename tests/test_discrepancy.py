"""bayeslaws/discrepancy.py: the discrepancy scale learned from forecast errors, and forecasts
and densities that include it beyond the data (and only there)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayeslaws as bl
from bayeslaws.discrepancy import Discrepant, distance, learn_tau, tau_posterior, with_discrepancy
from bayeslaws.exceptions import OptionError


def _errors(tau, n=300, seed=0):
    rng = np.random.default_rng(seed)
    d = rng.uniform(0.1, 1.5, n)
    sd = np.full(n, 0.02)
    r = rng.normal(0, np.sqrt(sd**2 + (tau * d) ** 2))
    return pd.DataFrame({"distance": d, "residual": r, "sd": sd})


@pytest.mark.parametrize("tau", [0.0, 0.05, 0.2])
def test_tau_is_recovered_from_forecast_errors(tau):
    errors = _errors(tau)
    grid, probs = tau_posterior(errors)
    mean = grid @ probs
    # 300 errors: the sd of tau's estimate is about tau / sqrt(2 * 300) + grid spacing
    assert mean == pytest.approx(tau, abs=0.01 + 0.15 * tau)
    assert learn_tau(errors) == pytest.approx(tau, abs=0.01 + 0.15 * tau)
    assert probs.sum() == pytest.approx(1.0)


def test_intervals_widen_beyond_the_data_only(one_input):
    wrapped = Discrepant(one_input, 0.1)
    at = {"x": [1e6, 1e8, 1e9, 1e10, 1e12]}  # the runs span 1e6-1e9
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.ExtrapolationWarning)
        plain, wide = one_input.predict(at), wrapped.predict(at)
        zero = Discrepant(one_input, 0.0).predict(at)
        mean_kind = wrapped.predict(at, kind="mean")  # the curve's interval widens too
    np.testing.assert_allclose(zero[["lower", "median", "upper"]],
                               plain[["lower", "median", "upper"]])
    width = np.log(wide["upper"] / wide["lower"]) - np.log(plain["upper"] / plain["lower"])
    np.testing.assert_allclose(width[:3], 0, atol=1e-12)  # inside: unchanged
    assert 0 < width[3] < width[4]  # 1 and 3 decades beyond: wider, growing
    np.testing.assert_allclose(distance(one_input, pd.DataFrame(at)), [0, 0, 0, 1, 3])
    assert (mean_kind["upper"] / mean_kind["lower"])[4] > 1.5


def test_log_density_is_the_convolution(one_input):
    """Lognormal noise: p(log y) = mean_s N(log y; mu_s, sqrt(sigma_s^2 + tau^2 d^2))."""
    tau, x = 0.05, np.array([1e7, 1e11])
    wrapped = Discrepant(one_input, tau)
    draws = one_input.draws()
    mu = np.log(draws["E"][:, None] + draws["A"][:, None] * x ** -draws["alpha"][:, None])
    y = np.exp(mu.mean(axis=0) + np.array([0.0, 0.08]))
    d = np.array([0.0, 2.0])
    sd = np.sqrt(draws["sigma"][:, None] ** 2 + (tau * d) ** 2)
    exact = np.log(stats.norm.pdf(np.log(y), mu, sd).mean(axis=0))
    got = wrapped.log_density(pd.DataFrame({"x": x, "y": y}))
    assert got[0] == pytest.approx(exact[0], abs=1e-9)  # inside: the fit's own density
    assert got[1] == pytest.approx(exact[1], abs=0.15)  # 32 Monte Carlo shifts
    assert got[0] == pytest.approx(one_input.log_density(pd.DataFrame({"x": x, "y": y}))[0])


def test_learned_from_a_fit_with_its_own_column_names(monkeypatch):
    """The refits' forecasts use the law's input names, the fitted table the user's columns."""
    from bayeslaws import sampling
    from tests.test_lfo import _stand_in

    monkeypatch.setattr(sampling, "run_nuts", _stand_in)
    x = np.geomspace(1e6, 1e9, 12)
    data = pd.DataFrame({"Seen Examples": x, "loss": 1.5 + 30.0 * x ** -0.3})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = bl.fit("saturating_power_law", data, x="Seen Examples", y="loss",
                     likelihood="lognormal", chains=2, draws=100, random_seed=0,
                     progressbar=False)
        wrapped = with_discrepancy(fit)
        table = wrapped.predict({"x": [1e10]})
    assert set(wrapped.errors["cut"]) == {0.6, 0.7, 0.8, 0.9}
    assert wrapped.tau >= 0 and table["beyond_x"].iloc[0] == pytest.approx(1.0)
    assert np.isfinite(wrapped.log_density(data.assign(**{"Seen Examples": x * 10}))).all()


def test_with_discrepancy_refuses(one_input):
    with pytest.raises(OptionError, match="takes a bayeslaws Fit"):
        with_discrepancy("fit")
    with pytest.raises(OptionError, match="tau must be a finite number"):
        with_discrepancy(one_input, tau=-1.0)


@pytest.mark.slow
def test_discrepancy_widens_a_misspecified_law_and_spares_a_right_one():
    """benchmarks/discrepancy.py on three seeds: a straight power law fitted to a bending
    curve gets a learned tau > 0 and a better held-out density; the true law's tau stays
    small."""
    from tests.conftest import load_script

    bench = load_script("benchmarks", "discrepancy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = pd.DataFrame([r for seed in range(3) for law in ("power_law",
                             "saturating_power_law") for r in bench.one_seed(seed, law)])
    table = rows.groupby(["law", "model"]).mean(numeric_only=True)
    wrong, right = table.loc["power_law"], table.loc["saturating_power_law"]
    assert wrong.loc["discrepancy", "tau"] > 0.03
    assert wrong.loc["discrepancy", "elpd_mean"] > wrong.loc["plain", "elpd_mean"] + 1
    assert wrong.loc["discrepancy", "coverage_95"] >= wrong.loc["plain", "coverage_95"]
    assert right.loc["discrepancy", "tau"] < 0.05
    assert abs(right.loc["discrepancy", "rmsle"] - right.loc["plain", "rmsle"]) < 0.01


def test_too_few_runs_to_learn_tau():
    from bayeslaws.backtest import _with_discrepancy
    from bayeslaws.exceptions import DataError
    from bayeslaws.simulate import simulate
    from tests.helpers import fixed_draws_fit

    params = {"E": 1.5, "A": 30.0, "alpha": 0.3}
    data = simulate("saturating_power_law", params, {"x": np.geomspace(1e6, 1e9, 5)})
    draws = {**{k: np.full(400, v) for k, v in params.items()}, "sigma": np.full(400, 0.02)}
    fit = fixed_draws_fit("saturating_power_law", draws, data, "x")
    with pytest.raises(DataError, match="Too few runs to learn the discrepancy"):
        with_discrepancy(fit)
    with pytest.warns(UserWarning, match="scored without discrepancy"):
        assert _with_discrepancy(fit, "sat", 0).tau == 0.0
