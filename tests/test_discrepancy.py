"""bayeslaws/discrepancy.py: the discrepancy scale learned from forecast errors, and forecasts
and densities that include it beyond the data (and only there)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayeslaws as bl
from bayeslaws.discrepancy import (
    Discrepant,
    distance,
    growth,
    learn_tau,
    log_likelihood,
    tau_posterior,
    with_discrepancy,
)
from bayeslaws.exceptions import OptionError


def _errors(tau, cuts=200, per_cut=5, seed=0):
    """Forecast errors of ``cuts`` refits, each missing its ``per_cut`` forecasts by one bend
    ``c ~ N(0, tau^2)`` times ``g`` plus its own noise (sd 0.02)."""
    rng = np.random.default_rng(seed)
    n = cuts * per_cut
    cut = np.repeat(np.arange(cuts), per_cut)
    span = np.repeat(rng.uniform(1.5, 3.0, cuts), per_cut)
    d = rng.uniform(0.1, 1.5, n)
    sd = np.full(n, 0.02)
    bend = tau * rng.standard_normal(cuts)[cut]
    r = bend * growth(d, span) + sd * rng.standard_normal(n)
    return pd.DataFrame({"cut": cut, "span": span, "distance": d, "residual": r, "sd": sd})


@pytest.mark.parametrize("tau", [0.0, 0.05, 0.2])
def test_tau_is_recovered_from_forecast_errors(tau):
    errors = _errors(tau)
    grid, probs = tau_posterior(errors)
    mean = grid @ probs
    # 200 cuts, one bend each: the sd of tau's estimate is about tau / sqrt(2 * 200), plus the
    # grid spacing (0.001) and, at tau = 0, the noise's share of the bends (0.02 / g / sqrt(5))
    assert mean == pytest.approx(tau, abs=0.005 + 0.15 * tau)
    assert learn_tau(errors) == pytest.approx(tau, abs=0.005 + 0.15 * tau)
    assert probs.sum() == pytest.approx(1.0)


def test_log_likelihood_is_the_multivariate_normal_of_each_cut():
    errors = _errors(0.05, cuts=3, per_cut=4, seed=1)
    g = growth(errors["distance"], errors["span"])
    for tau in (0.0, 0.03, 0.3):
        expected = 0.0
        for _, part in errors.groupby("cut"):
            idx = part.index.to_numpy()
            cov = np.diag(part["sd"] ** 2) + tau ** 2 * np.outer(g[idx], g[idx])
            expected += stats.multivariate_normal(np.zeros(idx.size), cov).logpdf(
                part["residual"]) + 0.5 * idx.size * np.log(2 * np.pi)
        assert float(log_likelihood(errors, tau)) == pytest.approx(expected, rel=1e-10)


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
    assert wrapped.span == pytest.approx(3.0)


def test_points_beyond_the_data_bend_together(one_input):
    """One bend per draw: log(with / without discrepancy) is c * g, the same c at every
    point, g = d (S + d) with S = 3 decades of fitted runs."""
    at = {"x": [1e8, 1e10, 1e12]}
    _, plain = one_input.predictive_draws(at, random_seed=4)
    _, wide = Discrepant(one_input, 0.1).predictive_draws(at, random_seed=4)
    shift = np.log(wide / plain)
    np.testing.assert_allclose(shift[:, 0], 0, atol=1e-12)
    np.testing.assert_allclose(shift[:, 2] / growth(3.0, 3.0), shift[:, 1] / growth(1.0, 3.0))
    assert np.std(shift[:, 1]) == pytest.approx(0.1 * 4, rel=0.1)  # sd tau g, 1 decade out


def test_log_density_is_the_convolution(one_input):
    """Lognormal noise: p(log y) = mean_s N(log y; mu_s, sqrt(sigma_s^2 + tau^2 g^2)),
    g = d (S + d)."""
    tau, x = 0.01, np.array([1e7, 1e11])
    wrapped = Discrepant(one_input, tau)
    draws = one_input.draws()
    mu = np.log(draws["E"][:, None] + draws["A"][:, None] * x ** -draws["alpha"][:, None])
    y = np.exp(mu.mean(axis=0) + np.array([0.0, 0.08]))
    g = growth(np.array([0.0, 2.0]), 3.0)  # the runs span 3 decades (1e6-1e9)
    sd = np.sqrt(draws["sigma"][:, None] ** 2 + (tau * g) ** 2)
    exact = np.log(stats.norm.pdf(np.log(y), mu, sd).mean(axis=0))
    got = wrapped.log_density(pd.DataFrame({"x": x, "y": y}))
    assert got[0] == pytest.approx(exact[0], abs=1e-9)  # inside: the fit's own density
    assert got[1] == pytest.approx(exact[1], abs=0.15)  # 32 Monte Carlo shifts
    assert got[0] == pytest.approx(one_input.log_density(pd.DataFrame({"x": x, "y": y}))[0])


def test_log_density_is_the_mixture_over_shifted_runs(one_input):
    """The law is evaluated once for all replicates: the result is the mixture of the fit's
    own densities of the runs shifted by each replicate's delta, in the same random order."""
    from bayeslaws.discrepancy import REPLICATES

    wrapped = Discrepant(one_input, np.array([0.0, 0.02, 0.05]), np.array([0.2, 0.5, 0.3]))
    x = np.array([3e8, 1e10, 1e11])
    frame = pd.DataFrame({"x": x, "y": [1.62, 1.58, 1.57]})
    rng = np.random.default_rng(7)
    taus, eps = wrapped._tau_draws(REPLICATES, rng), rng.standard_normal(REPLICATES)
    g = wrapped._growth(frame)
    parts = [np.asarray(one_input.pointwise_log_likelihood(
        frame.assign(y=frame["y"] * np.exp(-t * g * e)))).reshape(-1, len(x))
        for t, e in zip(taus, eps, strict=True)]
    stacked = np.concatenate(parts)
    expected = np.logaddexp.reduce(stacked, axis=0) - np.log(stacked.shape[0])
    np.testing.assert_allclose(wrapped.log_density(frame, random_seed=7), expected, rtol=1e-12)


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


@pytest.mark.slow
def test_discrepancy_covers_a_bending_curve_over_50_seeds():
    """The issue's goal (benchmarks/discrepancy.py, about 3 min): a straight power law fitted
    to a bending curve covers the 5 held-out runs (up to 1.05 decades beyond) at 90% in
    [0.80, 0.97] of cases over 50 seeds with the discrepancy; the plain fit's coverage (about
    0.09) is reported beside it. 250 held-out points in 50 correlated groups: the sd of the
    mean coverage is about 0.03."""
    from tests.conftest import load_script

    bench = load_script("benchmarks", "discrepancy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = pd.DataFrame([r for seed in range(50) for r in bench.one_seed(seed, "power_law")])
    coverage = rows.groupby("model")["coverage_90"].mean()
    print(f"90% coverage over 50 seeds: plain {coverage['plain']:.3f}, with discrepancy "
          f"{coverage['discrepancy']:.3f}")
    assert 0.80 <= coverage["discrepancy"] <= 0.97
    assert coverage["plain"] < 0.5


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
        model, why = _with_discrepancy(fit, "sat", 0, True)
    assert model.tau == 0.0 and why.startswith("off: Too few runs")
    with warnings.catch_warnings():  # backtest's default: plain, saying why, no warning
        warnings.simplefilter("error")
        model, why = _with_discrepancy(fit, "sat", 0, "auto")
    assert model.tau == 0.0 and why.startswith("off: Too few runs")


# -- tau pooled across the curves of a study ----------------------------------------------------
def _study(taus, cuts=4, seed=0, noise=0.15):
    """Forecast errors of one curve per ``tau`` of ``taus`` (``cuts`` refits each), the refits'
    forecasts as uncertain as ``noise`` (so that one curve alone hardly tells tau 0 from the
    prior's 0.05, as in benchmarks/discrepancy.py's right law)."""
    out = {}
    for i, t in enumerate(taus):
        e = _errors(t, cuts=cuts, seed=seed + i)
        bend = e["residual"] - 0.02 * np.random.default_rng(seed + i).standard_normal(len(e))
        noise_draw = noise * np.random.default_rng(100 + seed + i).standard_normal(len(e))
        out[f"c{i}"] = e.assign(sd=noise, residual=bend + noise_draw)
    return out


def test_pooling_none_and_complete_are_the_single_curve_posterior():
    from bayeslaws.discrepancy import pool_tau

    study = _study([0.0, 0.05, 0.1])
    grid, alone, population = pool_tau(study, "none")
    assert population["pooling"] == "none"
    for curve, errors in study.items():
        np.testing.assert_allclose(alone[curve], tau_posterior(errors)[1], atol=1e-12)
    # one tau for all: the posterior of the curves' errors together (their cuts apart)
    together = pd.concat([e.assign(cut=f"{k}-" + e["cut"].astype(str))
                          for k, e in study.items()], ignore_index=True)
    together["cut"] = pd.factorize(together["cut"])[0]
    _, complete, _ = pool_tau(study, "complete")
    for curve in study:
        np.testing.assert_allclose(complete[curve], tau_posterior(together)[1], atol=1e-12)


def test_partial_pooling_narrows_right_curves_and_keeps_a_bending_one():
    """Eight curves with 4 cuts each: alone, a straight curve's tau is mostly its prior
    (means 0.01-0.03); with seven other straight curves the population scale drops and so does
    its tau, while a curve that bends (tau 0.15) keeps most of its own in a mixed study."""
    from bayeslaws.discrepancy import pool_tau

    def mean(grid, probs):
        return {k: float(grid @ p) for k, p in probs.items()}

    straight = _study([0.0] * 8, seed=10)
    grid, alone, _ = pool_tau(straight, "none")
    _, pooled, population = pool_tau(straight, "partial")
    alone, pooled = mean(grid, alone), mean(grid, pooled)
    # alone the means are 0.011-0.033, pooled 0.007-0.016 (seeded; population scale ~0.016)
    assert all(pooled[k] < alone[k] for k in straight)
    assert np.mean(list(pooled.values())) < 0.7 * np.mean(list(alone.values()))
    assert population["scales"] @ population["probs"] < 0.03  # the prior's is 0.05
    mixed = _study([0.0] * 7 + [0.15], seed=10)
    _, alone_m, _ = pool_tau(mixed, "none")
    _, partial, _ = pool_tau(mixed, "partial")
    _, complete, _ = pool_tau(mixed, "complete")
    bend = "c7"
    assert grid @ partial[bend] > 0.7 * (grid @ alone_m[bend])
    assert grid @ partial[bend] > grid @ complete[bend]  # one tau for all shrinks it more
    with pytest.raises(OptionError, match="pooling"):
        pool_tau(mixed, "hierarchical")


def test_with_discrepancy_pools_a_collection(one_input):
    """Given several fits (and their errors, so no refits), every curve gets a Discrepant with
    the pooled posterior; a curve too short to learn from draws tau from the population."""
    from bayeslaws.discrepancy import PooledDiscrepancy, pool_tau
    from bayeslaws.simulate import simulate
    from tests.helpers import fixed_draws_fit

    params = {"E": 1.5, "A": 30.0, "alpha": 0.3}
    short = simulate("saturating_power_law", params, {"x": np.geomspace(1e6, 1e9, 5)})
    draws = {**{k: np.full(400, v) for k, v in params.items()}, "sigma": np.full(400, 0.02)}
    fits = {"a": one_input, "b": one_input, "short": fixed_draws_fit(
        "saturating_power_law", draws, short, "x")}
    errors = {"a": _errors(0.0, cuts=4, seed=1), "b": _errors(0.0, cuts=4, seed=2)}
    pooled = with_discrepancy(fits, errors=errors)
    assert isinstance(pooled, PooledDiscrepancy) and set(pooled) == {"a", "b", "short"}
    assert "Too few runs" in pooled.skipped["short"]
    grid, expected, population = pool_tau(
        {**errors, "short": pooled["short"].errors}, "partial")
    for curve in fits:
        assert isinstance(pooled[curve], Discrepant)
        np.testing.assert_allclose(pooled[curve].tau_probs, expected[curve])
    # the short curve has no errors of its own: its tau is the population's predictive
    np.testing.assert_allclose(expected["short"],
                               population["probs"] @ _population_prior(grid, population))
    summary = pooled.summary()
    assert list(summary.index) == ["a", "b", "short"] and summary.loc["short", "errors"] == 0
    assert (summary["tau_90"] >= summary["tau"]).all()
    assert "pooling='partial'" in repr(pooled)
    with pytest.raises(OptionError, match="tau= fixes one fit"):
        with_discrepancy(fits, tau=0.1)
    with pytest.raises(OptionError, match="pooling"):
        with_discrepancy(fits, errors=errors, pooling="all")


def _population_prior(grid, population):
    p = np.exp(-0.5 * (grid[None, :] / population["scales"][:, None]) ** 2)
    return p / p.sum(axis=1, keepdims=True)


def test_fit_collection_pools_its_discrepancy(one_input):
    from bayeslaws.many import FitCollection

    errors = {"a": _errors(0.0, cuts=4, seed=1), "b": _errors(0.1, cuts=4, seed=2)}
    collection = FitCollection({"a": one_input, "b": one_input}, {}, 0.0)
    pooled = collection.with_discrepancy(errors=errors, pooling="complete")
    assert pooled.pooling == "complete" and set(pooled) == {"a", "b"}
    np.testing.assert_allclose(pooled["a"].tau_probs, pooled["b"].tau_probs)
    apart = collection.with_discrepancy(errors=errors, pooling="none")
    for curve in errors:
        np.testing.assert_allclose(apart[curve].tau_probs, tau_posterior(errors[curve])[1],
                                   atol=1e-12)
