"""bayeslaws/lfo.py and compare(criterion="lfo"): leave-future-out along the runs' scale.

The identities (exact LFO equals refits done by hand; the PSIS path refitting everywhere
equals the exact path) use seeded draws around the true parameters in place of NUTS
(:func:`_stand_in`), which leaves the bookkeeping under test unchanged and costs no
compilation; the statistical checks (slow) sample."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import bayeslaws as bl
from bayeslaws import sampling
from bayeslaws.compare import Average
from bayeslaws.exceptions import DataError, OptionError
from bayeslaws.lfo import lfo, refit, scale_levels
from bayeslaws.simulate import simulate

TRUTH = {"E": 1.5, "A": 30.0, "alpha": 0.3}
SMALL_LFO = {"chains": 2, "draws": 300, "tune": 300, "progressbar": False}


def _data(seed=3, n=12, repeats=1):
    x = np.repeat(np.geomspace(1e6, 1e9, n), repeats)
    return simulate("saturating_power_law", TRUTH, {"x": x}, sigma=0.02, random_seed=seed)


def _stand_in(spec, values, *, draws, chains, random_seed, **_):
    """Stand-in for NUTS: draws around the true parameters (5% spread), seeded."""
    rng = np.random.default_rng(random_seed)
    truth = {**TRUTH, "sigma": 0.02}
    dims = ("chain", "draw")
    posterior = {name: (dims, truth[name] * np.exp(0.05 * rng.standard_normal((chains, draws))))
                 for name in spec.parameter_names}
    stats = {"diverging": (dims, np.zeros((chains, draws), dtype=bool)),
             "lp": (dims, rng.normal(size=(chains, draws)))}
    return xr.DataTree.from_dict({"posterior": xr.Dataset(posterior),
                                  "sample_stats": xr.Dataset(stats)}), 0.0


@pytest.fixture
def prior_fits(monkeypatch):
    monkeypatch.setattr(sampling, "run_nuts", _stand_in)

    def make(data, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bl.fit("saturating_power_law", data, x="x", y="y", random_seed=1,
                          likelihood="lognormal", chains=2, draws=200, progressbar=False,
                          **kwargs)
    return make


def test_levels_group_ties():
    levels = scale_levels(np.log(np.array([3.0, 1.0, 2.0, 1.0, 3.0, 3.0 * (1 + 1e-13)])))
    np.testing.assert_array_equal(levels, [2, 0, 1, 0, 2, 2])


def _by_hand(fit, data, first, horizon=1):
    """elpd per origin: refit on the levels before it (seeded as the wrapper does), joint
    log density of the next ``horizon`` levels' runs under it."""
    levels = scale_levels(np.log(data["x"].to_numpy()))
    out = []
    for k, cutoff in enumerate(range(first, levels.max() + 2 - horizon), start=1):
        train = data.loc[levels < cutoff].reset_index(drop=True)
        refitted = refit(fit, train, random_seed=fit.settings.random_seed + 7919 * k)
        block = data.loc[(levels >= cutoff) & (levels < cutoff + horizon)]
        ll = np.asarray(refitted.pointwise_log_likelihood(block)).sum(axis=-1).ravel()
        out.append(np.logaddexp.reduce(ll) - np.log(ll.size))
    return np.array(out)


def test_exact_lfo_equals_refits_by_hand(prior_fits):
    data = _data(repeats=2)  # 12 scales, two runs each: a level holds both
    fit = prior_fits(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exact = lfo(fit, method="exact")
        expected = _by_hand(fit, data, first=6)
        two = lfo(fit, method="exact", start=8, horizon=2)
        expected_two = _by_hand(fit, data, first=8, horizon=2)
    assert exact.n_data_points == 6 and exact.n_refits == 6
    np.testing.assert_allclose(exact.elpd_i.values, expected, rtol=1e-10)
    assert exact.elpd == pytest.approx(expected.sum())
    np.testing.assert_allclose(two.elpd_i.values, expected_two, rtol=1e-10)
    assert exact.criterion == "lfo" and (np.bincount(exact.levels) == 2).all()


def test_psis_path_refitting_everywhere_equals_exact(prior_fits):
    fit = prior_fits(_data())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exact = lfo(fit, method="exact", start=8)
        always = lfo(fit, method="approx", start=8, k_threshold=-np.inf)
    np.testing.assert_allclose(always.elpd_i.values, exact.elpd_i.values, rtol=1e-10)


def test_start_is_raised_to_more_runs_than_parameters(prior_fits):
    fit = prior_fits(_data(n=8))  # 4 parameters: at least 5 runs before the first forecast
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = lfo(fit, start=2, method="exact")
    assert result.min_observations == 5 and result.n_data_points == 3


@pytest.mark.parametrize("kwargs, error, message", [
    ({"method": "psis"}, OptionError, "method must be 'approx'"),
    ({"horizon": 0}, OptionError, "horizon must be an integer"),
    ({"start": 1.5}, OptionError, "strictly between 0 and 1"),
    ({"start": "half"}, OptionError, "start must be a number"),
    ({"start": 12}, DataError, "one level after it"),
    ({"scale": "size"}, DataError, r"scale column\(s\) \['size'\]"),
    ({"scale": np.ones(3)}, DataError, "one positive, finite value per fitted run"),
])
def test_lfo_refuses(prior_fits, kwargs, error, message):
    fit = prior_fits(_data())
    with pytest.raises(error, match=message):
        lfo(fit, **kwargs)


def test_compare_refuses_lfo_options_without_lfo(prior_fits):
    fit = prior_fits(_data())
    with pytest.raises(OptionError, match="are for criterion='lfo'"):
        bl.compare({"a": fit, "b": fit}, start=0.5)
    with pytest.raises(OptionError, match="criterion must be one of"):
        bl.compare({"a": fit, "b": fit}, criterion="waic")


# -- with NUTS ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bent():
    """A curve flattening to a floor: the power law without floor extrapolates too low."""
    data = _data(seed=5, n=14)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits = {law: bl.fit(law, data, x="x", y="y", random_seed=2, likelihood="lognormal",
                            **SMALL_LFO) for law in ("saturating_power_law", "power_law")}
    return data, fits


@pytest.mark.slow
def test_psis_lfo_is_close_to_exact_with_nuts(bent):
    _, fits = bent
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exact = lfo(fits["saturating_power_law"], method="exact")
        approx = lfo(fits["saturating_power_law"])
    # 7 forecast levels, one run each, 600 draws: the Monte Carlo error of each level's
    # density is about 0.05-0.3 (the refit's posterior against the reweighted one)
    assert approx.n_refits < exact.n_refits
    assert approx.elpd == pytest.approx(exact.elpd, abs=1.5)


@pytest.mark.slow
def test_compare_by_lfo_prefers_the_law_that_extrapolates(bent):
    _, fits = bent
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = bl.compare(fits, method="lfo")
        mixture = bl.average(table)
    assert table.index[0] == "saturating_power_law"
    assert table.loc["saturating_power_law", "weight"] > 0.8
    assert table.attrs["bayeslaws_criterion"] == "lfo"
    assert mixture.criterion == "lfo" and "(lfo)" in repr(mixture)
    assert isinstance(table, pd.DataFrame) and table["n_refitted"].min() >= 1


def test_refit_repeats_the_settings_and_skips_the_predictive_groups():
    """A cross-validation refit is the same model with the same sampler settings (including
    where chains start) and stores only what scoring needs."""
    from unittest import mock

    import pandas as pd

    import bayeslaws as bl
    from bayeslaws import sampling
    from bayeslaws.lfo import refit
    from tests.conftest import prior_sampler

    data = pd.DataFrame({"x": np.geomspace(1e3, 1e6, 8), "n": [50.0] * 8})
    data["y"] = 3.0 * data["x"] ** -0.3
    with mock.patch.object(sampling, "run_nuts", side_effect=prior_sampler) as run:
        fit = bl.fit("power_law", data, random_seed=0, progressbar=False, chains=2, draws=100,
                     init="optimised")
        again = refit(fit, fit.data().iloc[:6])
    assert run.call_args.kwargs["init"] == "optimised" and again.settings.init == "optimised"
    assert "posterior_predictive" in fit.trace.children
    assert not {"posterior_predictive", "prior", "prior_predictive"} & set(again.trace.children)


# -- bl.average choosing its criterion ---------------------------------------------------------
@pytest.fixture
def two_laws(monkeypatch):
    """Stand-in fits of two laws to the same runs (``n`` scales)."""
    monkeypatch.setattr(sampling, "run_nuts", _stand_in)

    def make(n=12):
        data = _data(n=n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return {law: bl.fit(law, data, x="x", y="y", random_seed=1, likelihood="lognormal",
                                chains=2, draws=200, progressbar=False, allow_few_runs=True)
                    for law in ("saturating_power_law", "power_law")}
    return make


def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def test_average_weights_by_lfo_when_asked_to_extrapolate(two_laws, monkeypatch):
    import importlib

    compare_module = importlib.import_module("bayeslaws.compare")  # the module, not bl.compare
    fits = two_laws()
    by_lfo = _quiet(bl.compare, fits, criterion="lfo")["weight"].to_dict()
    by_loo = _quiet(bl.compare, fits)["weight"].to_dict()
    asked = []
    original = compare_module.compare
    monkeypatch.setattr(compare_module, "compare", lambda *a, **k: (
        asked.append(k["criterion"]), original(*a, **k))[1])
    for ask in (True, {"x": [1e8, 1e10]}, pd.DataFrame({"x": [1e10]})):
        mixture = _quiet(bl.average, fits, extrapolate=ask)
        assert asked.pop() == "lfo"
        assert mixture.criterion == "lfo" and mixture.reason == "asked to extrapolate"
        assert mixture.weights.to_dict() == pytest.approx(
            {k: v for k, v in by_lfo.items() if v > Average.MIN_WEIGHT})
        assert "(lfo)" in repr(mixture) and "leave-future-out stacking" in repr(mixture)
    for ask in (False, {"x": [1e7, 1e9]}):  # not asked, or every point inside the runs
        mixture = _quiet(bl.average, fits, extrapolate=ask)
        assert asked.pop() == "loo"
        assert mixture.criterion == "loo" and "not asked to extrapolate" in mixture.reason
        assert mixture.weights.to_dict() == pytest.approx(
            {k: v for k, v in by_loo.items() if v > Average.MIN_WEIGHT})
    assert _quiet(bl.average, fits, criterion="lfo").criterion == "lfo"
    assert _quiet(bl.average, fits, criterion="loo", extrapolate=True).criterion == "loo"


def test_average_falls_back_to_loo_when_lfo_is_impossible(two_laws):
    fits = two_laws(n=5)  # 4 parameters: no run left to forecast after 5 runs
    mixture = _quiet(bl.average, fits, extrapolate=True)
    assert mixture.criterion == "loo"
    assert "leave-future-out is impossible" in mixture.reason and "5 runs" in mixture.reason
    with pytest.raises(DataError, match="Leave-future-out needs"):
        _quiet(bl.average, fits, criterion="lfo")


def test_average_says_its_criterion_when_forecasting_beyond_the_data(two_laws):
    fits = two_laws()
    mixture = _quiet(bl.average, fits)
    with pytest.warns(bl.ExtrapolationWarning, match="weights from leave-one-out stacking.*"
                      "extrapolate=True"):
        table = mixture.predict({"x": [1e10]})
    assert table.attrs["criterion"] == "loo"


def test_average_of_a_table_keeps_its_criterion(two_laws):
    fits = two_laws()
    table = _quiet(bl.compare, fits)
    with pytest.warns(bl.ExtrapolationWarning, match="weights come from leave-one-out"):
        mixture = bl.average(table, extrapolate=True)
    assert mixture.criterion == "loo" and "kept although" in mixture.reason
    with pytest.raises(OptionError, match="come from criterion 'loo', not criterion='lfo'"):
        bl.average(table, criterion="lfo")
    with pytest.raises(OptionError, match="criterion must be one of"):
        bl.average(fits, criterion="waic")
    with pytest.raises(OptionError, match="extrapolate must be True/False or the points"):
        bl.average(fits, extrapolate="yes")
    with pytest.raises(DataError, match="none of the laws' inputs"):
        bl.average(fits, extrapolate={"N": [1e10]})


# -- bl.backtest and bl.compare with criterion="auto" -----------------------------------------
def test_backtest_stacks_by_lfo_by_default(monkeypatch):
    """A backtest forecasts beyond its fitting runs: by default its stacking weights are the
    leave-future-out ones of the fits (those of compare(criterion="lfo")), and it says so."""
    monkeypatch.setattr(sampling, "run_nuts", _stand_in)
    kwargs = dict(x="x", y="y", holdout=0.25, random_seed=1, likelihood="lognormal",
                  chains=2, draws=200, progressbar=False, allow_few_runs=True)
    laws = ["saturating_power_law", "power_law"]
    table = _quiet(bl.backtest, laws, _data(n=16), **kwargs)
    assert table.attrs["criterion"] == "lfo"
    assert table.attrs["criterion_reason"] == "auto: the backtest forecasts beyond the fitting runs"
    by_lfo = _quiet(bl.compare, dict(table.attrs["fits"]), criterion="lfo")["weight"]
    for law in laws:
        assert table.loc[law, "weight"] == pytest.approx(by_lfo[law])
    by_loo = _quiet(bl.backtest, laws, _data(n=16), criterion="loo", **kwargs)
    assert by_loo.attrs["criterion"] == "loo"
    assert by_loo.attrs["criterion_reason"] == "criterion='loo' was asked"
    # 7 runs, 2 held out: 5 fitting runs leave none to forecast after the law's 4 parameters
    few = _quiet(bl.backtest, laws, _data(n=7), **kwargs)
    assert few.attrs["criterion"] == "loo"
    assert few.attrs["criterion_reason"].startswith("auto, but leave-future-out is impossible")
    assert "5 runs" in few.attrs["criterion_reason"]
    single = _quiet(bl.backtest, "power_law", _data(n=16), **kwargs)
    assert single.attrs["criterion"] is None
    with pytest.raises(OptionError, match="criterion"):
        bl.backtest(laws, _data(n=16), x="x", y="y", criterion="waic")


def test_compare_auto_uses_lfo_only_when_asked_to_extrapolate(two_laws):
    fits = two_laws()
    auto = _quiet(bl.compare, fits, criterion="auto", extrapolate=True)
    assert auto.attrs["bayeslaws_criterion"] == "lfo"
    assert auto.attrs["bayeslaws_criterion_reason"] == "asked to extrapolate"
    np.testing.assert_allclose(auto["weight"],
                               _quiet(bl.compare, fits, criterion="lfo")["weight"])
    inside = _quiet(bl.compare, fits, criterion="auto", scale="x")  # LFO option dropped
    assert inside.attrs["bayeslaws_criterion"] == "loo"
    assert "not asked to extrapolate" in inside.attrs["bayeslaws_criterion_reason"]
    mixture = bl.average(auto)
    assert mixture.criterion == "lfo" and "asked to extrapolate" in mixture.reason
    few = _quiet(bl.compare, two_laws(n=5), criterion="auto", extrapolate=True)
    assert few.attrs["bayeslaws_criterion"] == "loo"
    assert "impossible" in few.attrs["bayeslaws_criterion_reason"]
