"""Parameter recovery: fits of data simulated from known parameters find them again.

Core laws: the true value of every parameter lies inside the posterior's 90% interval for one
fixed seed. The slow test repeats a fit over many seeds and checks that the 90% intervals cover
the truth about 90% of the time (a calibration check, not only a single lucky draw).

Every other catalogue law: each case simulates data from a law at fixed true parameters, on a
design like the studies that use the law (``CASES`` of tests/helpers.py), fits it with small
sampling settings and checks that every true parameter lies inside the posterior's 90% interval
and that no transition diverged. With 2 x 400 draws the interval ends carry Monte Carlo error of a
few percent of the posterior width, far less than the distance to the truth when a law or its
parametrisation is wrong (a mis-specified law misses by many posterior widths). Cases marked slow
are run with ``-m slow``.

Also: the demo data's Chinchilla fit (the ``demo_fit`` fixture of conftest.py) covers the
replication's parameters, and two fits at the extremes of scale (x over 30 decades, y of order
1e-200) recover their law -- units must not matter (the "correct fit" branch of the data checks of
tests/test_data.py).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

import bayeslaws as bl
from bayeslaws.catalogue import get_law
from bayeslaws.simulate import CHINCHILLA_REPLICATION, chinchilla_grid, simulate
from tests.conftest import SMALL
from tests.helpers import CASES, LAW_OF, simulate_case

# -- core laws --------------------------------------------------------------------------------
KAPLAN_PUBLISHED = {"N_c": 8.8e13, "D_c": 5.4e13, "alpha_N": 0.076, "alpha_D": 0.095}


#: law -> (true parameters, inputs). Designs span 3-4 decades like real sweeps.
CORE_CASES = {
    "power_law": ({"A": 50.0, "alpha": 0.35}, {"x": np.geomspace(1e6, 1e9, 12)}),
    "saturating_power_law": ({"E": 1.8, "A": 400.0, "alpha": 0.35},
                             {"x": np.geomspace(1e6, 1e10, 16)}),
    "chinchilla": (CHINCHILLA_REPLICATION, chinchilla_grid()),
    "kaplan": (KAPLAN_PUBLISHED, chinchilla_grid()),
}


def _fit(name: str, seed: int, **settings):
    truth, inputs = CORE_CASES[name]
    data = simulate(name, truth, inputs, sigma=0.02, random_seed=seed)
    x = {k: k for k in inputs}
    return bl.fit(name, data, x=x, y="y", random_seed=seed, **settings)


def _covered(fit, truth: dict, prob: float = 0.9) -> dict[str, bool]:
    table = fit.summary(prob=prob)
    lower, upper = f"eti{round(prob * 100)}_lower", f"eti{round(prob * 100)}_upper"
    return {k: bool(table.loc[k, lower] <= v <= table.loc[k, upper]) for k, v in truth.items()}


@pytest.mark.parametrize("name", sorted(CORE_CASES))
def test_true_parameters_inside_90_percent_interval(name):
    fit = _fit(name, seed=3, **SMALL)
    covered = _covered(fit, CORE_CASES[name][0])
    assert all(covered.values()), f"{name}: truth outside 90% interval for {covered}"
    assert fit.diagnostics().divergences == 0


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "known (issue 14): with the data-scaled default priors the 90% intervals cover 98 of 120 "
    "(80% per parameter: E, A, alpha 32-34 of 40; medians A 0.85x, alpha 0.97x, E 0.98x the "
    "truth), 96 of 120 with the generating lognormal noise; 103 with the noise prior centred "
    "on the true 2% and 101 with a floor prior of sd 1.5 instead of 0.7. Borderline (the "
    "count's sd is about 3.3) but below the bound; strict: passes again once fixed"))
def test_interval_coverage_is_calibrated_over_seeds():
    """40 data sets x 3 parameters of the saturating power law: the 90% intervals must cover
    between 101 and 119 of the 120 true values (the central 99% of Binomial(120, 0.9)).
    Parameters share a data set, so the count is a little overdispersed; the bounds are still
    far from a badly calibrated posterior (e.g. 70% coverage gives about 84 of 120)."""
    truth = CORE_CASES["saturating_power_law"][0]
    hits = 0
    for seed in range(40):
        fit = _fit("saturating_power_law", seed=100 + seed, chains=2, draws=500, tune=500,
                   progressbar=False)
        hits += sum(_covered(fit, truth).values())
    low, high = stats.binom.ppf([0.005, 0.995], 120, 0.9)
    assert low <= hits <= high, f"90% intervals covered {hits}/120 true values"


# -- every other catalogue law ----------------------------------------------------------------
#: Cases in the default run (three small one-input fits, one per likelihood family); the others
#: are marked slow (run with ``-m slow``).
FAST = ("sigmoid_chance", "m3", "test_time_coverage")


def fit_case(case: str, seed: int = 0, **settings):
    options, truth, inputs, likelihood, extra, _ = CASES[case]
    data = simulate_case(case, seed)
    return bl.fit(LAW_OF.get(case, case), data, x={k: k for k in inputs}, y="y",
                  likelihood=likelihood, law_options=options,
                  extra={k: k for k in extra} or None, random_seed=seed,
                  **{**SMALL, **settings})


def covered(fit, truth: dict, prob: float = 0.9) -> dict[str, tuple]:
    table = fit.summary(prob=prob)
    lo, hi = f"eti{round(prob * 100)}_lower", f"eti{round(prob * 100)}_upper"
    return {k: (table.loc[k, lo], v, table.loc[k, hi]) for k, v in truth.items()
            if not table.loc[k, lo] <= v <= table.loc[k, hi]}


#: Cases known to fail, with what was measured (strict: the test fails once they pass).
KNOWN = {"m4": (
    "known (issue 14): the truth lies inside every 90% interval, but at default settings the "
    "m4 posterior (e_inf, a, b and c correlated above 0.9) diverges: over seeds 0-5 of this "
    "case 8, 1, 0, 2, 3, 0 divergent transitions and max R-hat 1.007-1.029; target_accept "
    "0.95 gives 0, 1, 0, 0, 2, 0 and still R-hat up to 1.031, so it is not made m4's default "
    "(python benchmarks/recovery_seeds.py --case m4 --seeds 6 [--fit-options ...])")}


def _marks(case: str) -> list:
    marks = [] if case in FAST else [pytest.mark.slow]
    if case in KNOWN:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN[case]))
    return marks


def _params():
    return [pytest.param(c, marks=_marks(c)) for c in CASES]


#: Settings of the slow recovery fits: the package defaults. With the fast suite's 2 x 400
#: draws the 90% bounds carry Monte Carlo error comparable to a truth lying near them
#: (data_constrained's B was 0.05% of the interval width below its lower bound).
DEFAULT_SETTINGS = {"chains": 4, "draws": 1000, "tune": 1000}


@pytest.mark.parametrize("case", _params())
def test_recovery_inside_90_percent_interval(case):
    fit = fit_case(case, seed=1, **({} if case in FAST else DEFAULT_SETTINGS))
    missed = covered(fit, CASES[case][1])
    assert not missed, f"{case}: truth outside the 90% interval (lower, truth, upper): {missed}"
    assert fit.diagnostics().divergences == 0


#: bnsl curves a single power law cannot follow: (breaks, truth, x design, noise sd of log y).
BNSL_CASES = {
    "plateau_then_drop": (1, {"a": 0.4, "b": 2.3, "c0": 0.05, "c1": 5.7, "d1": 600.0,
                              "f1": 0.06}, np.geomspace(150.0, 750.0, 16), 0.005),
    "u_shape": (1, {"a": 0.05, "b": 0.2, "c0": -0.3, "c1": 0.8, "d1": 3e4, "f1": 0.3},
                np.geomspace(1e3, 1e7, 20), 0.02),
    "double_descent": (2, {"a": 0.05, "b": 5.0, "c0": 0.5, "c1": -1.0, "d1": 1e4, "f1": 0.2,
                           "c2": 1.2, "d2": 1e5, "f2": 0.2}, np.geomspace(1e2, 1e7, 24), 0.02),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BNSL_CASES))
def test_bnsl_recovers_breaks_without_divergences(case):
    """Default settings (bnsl's own target_accept, 0.95): no divergences, chains that agree,
    truth inside the 90% interval. At the sampler's 0.8 the plateau case diverged (10) and
    the double-descent chains disagreed (R-hat 1.86), which this test would catch."""
    from bayeslaws.simulate import simulate

    breaks, truth, x, sigma = BNSL_CASES[case]
    law = get_law("bnsl", breaks=breaks)
    data = simulate(law, truth, {"x": x}, sigma=sigma, random_seed=2)
    fit = bl.fit("bnsl", data, x="x", y="y", law_options={"breaks": breaks}, random_seed=2,
                 **SMALL)
    assert fit.config["target_accept"] == 0.95
    assert fit.diagnostics().divergences == 0
    # 2 chains x 400 draws: R-hat of a well-mixed posterior stays below about 1.03; disagreeing
    # chains (separate modes) give 1.4-1.9
    assert fit.diagnostics().max_rhat < 1.05
    missed = covered(fit, truth)
    assert not missed, f"{case}: truth outside the 90% interval: {missed}"


# -- the demo fit -----------------------------------------------------------------------------
def test_demo_fit_recovers_replication_parameters(demo_fit):
    table = demo_fit.summary(prob=0.9)
    for name, true in CHINCHILLA_REPLICATION.items():
        assert table.loc[name, "eti90_lower"] <= true <= table.loc[name, "eti90_upper"], name


# -- real fits at extreme scales --------------------------------------------------------------
def _check_recovery(fit, truth: dict[str, float]):
    summary = fit.summary(prob=0.99)
    for name, value in truth.items():
        lo, hi = summary.loc[name, "eti99_lower"], summary.loc[name, "eti99_upper"]
        assert lo <= value <= hi, f"{name}={value} outside its 99% interval [{lo}, {hi}]"
    table = fit.predict({name: [1e-3, 1.0, 1e30] for name in fit.law.inputs})
    assert np.isfinite(table[["mean", "median", "lower", "upper"]].to_numpy()).all()


def test_fit_with_x_spanning_thirty_decades():
    """x from 1e0 to 1e30: the fit recovers the law within its 99% intervals.

    Truth: y = 0.5 + 20 x^-0.1 with 2% noise on 30 runs. 99% intervals are wide enough that a
    correct fit misses a true value only by chance (about 1% per parameter with this seed fixed).
    """
    rng = np.random.default_rng(11)
    x = np.geomspace(1.0, 1e30, 30)
    y = (0.5 + 20.0 * x**-0.1) * np.exp(rng.normal(0, 0.02, x.size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)
        fit = bl.fit("saturating_power_law", {"x": x, "y": y}, x="x", y="y", random_seed=3,
                     **SMALL)
    assert fit.diagnostics().divergences == 0
    assert fit.diagnostics().max_rhat < 1.05
    _check_recovery(fit, {"E": 0.5, "A": 20.0, "alpha": 0.1})


@pytest.mark.slow
def test_fit_with_y_of_order_1e_minus_200():
    """Units must not matter: y of order 1e-200 (log y about -460) fits like y of order 1."""
    rng = np.random.default_rng(12)
    x = np.geomspace(1e3, 1e9, 20)
    y = 3e-200 * x**-0.25 * np.exp(rng.normal(0, 0.02, x.size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)
        fit = bl.fit("power_law", {"x": x, "y": y}, x="x", y="y", random_seed=4, **SMALL)
    assert fit.diagnostics().divergences == 0
    _check_recovery(fit, {"A": 3e-200, "alpha": 0.25})
