"""Comparison of law forms by PSIS-LOO, refusal of mismatched fits, stacked averages."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import bayeslaws as bl
from bayeslaws import cli
from bayeslaws.compare import Average, compare, density_scale, weighted_quantile
from bayeslaws.result import Fit
from tests.conftest import SMALL

TRUE = {"E": 1.5, "A": 50.0, "alpha": 0.4}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    """20 runs of a saturating power law with 2% multiplicative noise."""
    rng = np.random.default_rng(0)
    x = np.geomspace(1e3, 1e7, 20)
    y = (TRUE["E"] + TRUE["A"] * x ** -TRUE["alpha"]) * np.exp(0.02 * rng.standard_normal(20))
    return pd.DataFrame({"x": x, "y": y})


@pytest.fixture(scope="module")
def fits(data) -> dict[str, Fit]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)
        # lognormal noise, as the data were simulated (the tests are about comparing fits)
        return {
            "saturating": bl.fit("saturating_power_law", data, x="x", y="y", random_seed=1,
                                 likelihood="lognormal", **SMALL),
            "power": bl.fit("power_law", data, x="x", y="y", random_seed=2,
                            likelihood="lognormal", **SMALL),
        }


@pytest.fixture(scope="module")
def table(fits) -> pd.DataFrame:
    return compare(fits)


def test_true_law_wins(table):
    # The data curve flattens towards E = 1.5, which a pure power law cannot follow: over
    # x in [1e3, 1e7] it misses by several noise sds, so the gap is many standard errors.
    assert list(table.index) == ["saturating", "power"]
    diff, dse = table.loc["power", "elpd_diff"], table.loc["power", "dse"]
    assert diff < -4 * dse
    assert table.loc["saturating", "weight"] > 0.95
    assert table["weight"].sum() == pytest.approx(1.0)
    for column in ("rank", "elpd", "se", "p", "n_high_k", "n_refitted"):
        assert column in table.columns
    assert (table["n_refitted"] == 0).all()


def _with_observed(fit: Fit, y: np.ndarray | None = None, keep: slice | None = None) -> Fit:
    """The same fit with its stored data altered (no sampling)."""
    trace = fit.trace.copy()
    if keep is not None:
        trace = trace.isel(obs=keep)
    if y is not None:
        observed = trace["observed_data"].to_dataset()
        trace["observed_data"] = observed.assign(y=(observed["y"].dims, y))
    return Fit(trace, fit.spec, fit.config)


def test_refuses_different_runs(fits):
    fewer = _with_observed(fits["power"], keep=slice(0, 19))
    with pytest.raises(bl.BayesLawsError, match="different data: 20 runs versus 19"):
        compare({"saturating": fits["saturating"], "power": fewer})


def test_refuses_different_y(fits):
    other = fits["power"].observations.y * 1.01
    shifted = _with_observed(fits["power"], y=other)
    with pytest.raises(bl.BayesLawsError, match="different y"):
        compare({"saturating": fits["saturating"], "power": shifted})


def test_refuses_likelihood_on_other_scale(fits):
    fit = fits["power"]
    raw = dataclasses.replace(fit.spec.likelihood, name="raw", transform=np.asarray)
    other = Fit(fit.trace, dataclasses.replace(fit.spec, likelihood=raw), fit.config)
    assert density_scale(fits["saturating"]) == "log y"
    assert density_scale(other) != "log y"
    with pytest.raises(bl.BayesLawsError, match="different scales"):
        compare({"saturating": fits["saturating"], "power": other})


def test_refuses_bad_arguments(fits):
    with pytest.raises(bl.BayesLawsError, match="at least two fits"):
        compare({"only": fits["power"]})
    with pytest.raises(bl.BayesLawsError, match="Fit objects"):
        compare({"a": fits["power"], "b": "fit.nc"})
    with pytest.raises(bl.BayesLawsError, match="Unknown weighting method"):
        compare(fits, method="aic")


def test_reloo_refits_points_above_threshold(fits):
    fit = fits["saturating"]
    k = np.sort(np.asarray(fit.loo(pointwise=True).pareto_k).ravel())
    threshold = float((k[-1] + k[-2]) / 2)  # exactly one run above: one exact refit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)
        exact = compare(fits, reloo=True, k_threshold=threshold)
        psis = compare(fits, k_threshold=threshold)
    assert exact.loc["saturating", "n_refitted"] == 1
    assert psis.loc["saturating", "n_refitted"] == 0
    # The refitted run had k < 0.7, where PSIS is reliable: exact and PSIS elpd agree up to
    # Monte Carlo error of two 800-draw estimates of one run's density (well under 0.5 nats).
    gap = exact.loc["saturating", "elpd"] - psis.loc["saturating", "elpd"]
    assert abs(gap) < 0.5


def test_warns_about_high_pareto_k(fits):
    with pytest.warns(bl.SamplerWarning, match="Pareto k > -1.0"):
        compare(fits, k_threshold=-1.0)


def test_warns_when_a_fits_chains_disagree(fits):
    good = fits["saturating"]
    trace = good.trace.copy()
    post = trace["posterior"].to_dataset()
    # chain 0 moved by 20 posterior sds: two chains in different places, R-hat >> 1.1
    shift = 20 * float(post["alpha"].std())
    post["alpha"] = post["alpha"] + xr.DataArray(
        np.where(post["chain"] == 0, shift, 0.0), coords={"chain": post["chain"]})
    trace["posterior"] = post
    stuck = Fit(trace, good.spec, dict(good.config))
    with pytest.warns(bl.SamplerWarning, match=r"'stuck': its chains disagree \(R-hat up to"):
        compare({"good": good, "stuck": stuck})
    with warnings.catch_warnings():
        # the good fits raise no such warning (power_law misses the saturating data, so its
        # Pareto k warning may appear; it is not the one tested here)
        warnings.filterwarnings("error", message=".*chains disagree", category=bl.SamplerWarning)
        compare(fits)


def test_average_predicts_mixture(fits, table):
    avg = bl.average(table)
    assert isinstance(avg, Average)
    pred = avg.predict({"x": [1e8, 1e9]}, prob=0.9)
    assert list(pred.columns)[:5] == ["x", "mean", "median", "lower", "upper"]
    assert (pred["lower"] < pred["median"]).all() and (pred["median"] < pred["upper"]).all()
    # Equal weights: the mixture median lies between the two laws' medians.
    half = bl.average(fits, weights=[0.5, 0.5])
    mid = half.predict({"x": [1e9]})["median"].iloc[0]
    meds = [f.predict({"x": [1e9]})["median"].iloc[0] for f in fits.values()]
    assert min(meds) < mid < max(meds)
    # A weight of 1 reproduces that fit's forecast (same draws; hazen vs linear quantiles
    # differ by far less than the posterior spread).
    solo = bl.average(fits, weights={"saturating": 1.0, "power": 0.0}).predict({"x": [1e9]})
    ref = fits["saturating"].predict({"x": [1e9]})
    spread = float(ref["upper"].iloc[0] - ref["lower"].iloc[0])
    assert abs(solo["median"].iloc[0] - ref["median"].iloc[0]) < 0.02 * spread
    _, draws = half.predictive_draws({"x": [1e9]}, size=500)
    assert draws.shape == (500, 1)


def test_average_refuses_bad_weights(fits, table):
    with pytest.raises(bl.BayesLawsError, match="one weight per fit"):
        bl.average(fits, weights=[1.0])
    with pytest.raises(bl.BayesLawsError, match="finite, >= 0"):
        bl.average(fits, weights={"saturating": -1.0, "power": 2.0})
    with pytest.raises(bl.BayesLawsError, match="does not carry its fits"):
        bl.average(pd.DataFrame({"weight": [1.0]}, index=["a"]))
    with pytest.raises(bl.BayesLawsError, match="needs a value for every input"):
        bl.average(table).predict({"N": [1e9]})


def test_weighted_quantile_matches_numpy():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(501, 2))
    got = weighted_quantile(values, np.ones(501), [0.05, 0.5, 0.95])
    want = np.quantile(values, [0.05, 0.5, 0.95], axis=0, method="hazen")
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_cli_compare(fits, tmp_path, capsys):
    paths = [str(f.save(tmp_path / f"{name}.nc")) for name, f in fits.items()]
    out = tmp_path / "cmp.csv"
    assert cli.main(["compare", *paths, "--csv", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "saturating" in printed and "weight" in printed
    assert pd.read_csv(out, index_col="law").index[0] == "saturating"
    assert cli.main(["compare", f"a={paths[0]}", f"a={paths[1]}"]) == 2
    assert "named 'a'" in capsys.readouterr().err
