"""Routed (mixture-of-experts) laws: formulas, the saturating transform, prior predictive range
and parameter recovery on a simulated sweep (no routed sweep is in ../shared/data)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws import mathops
from bayeslaws.law import param_namespace
from benchmarks.prior_ranges_routed import TRUTH, band, sweep
from tests.conftest import SMALL

BILINEAR = {k: TRUTH[k] for k in "abcd"}


def _e_hat(p, e):
    law = bl.get_law("routed_saturating")
    ns = param_namespace(p, law.parameters)
    return np.exp(law.function.__globals__["log_e_hat"](ns, np.log(e), mathops.numpy))


def test_routed_is_the_bilinear_formula():
    n, e = np.array([1e7, 3e8, 1e10]), np.array([1.0, 64.0, 512.0])
    got = bl.get_law("routed").mean(BILINEAR, {"N": n, "E": e})
    a, b, c, d = (BILINEAR[k] for k in "abcd")
    want = np.exp(a * np.log(n) + b * np.log(e) + c * np.log(n) * np.log(e) + d)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_e_hat_is_clarks_saturating_transform():
    p = {"E_start": 1.8, "E_max": 200.0}
    e = np.array([1.0, 2.0, 8.0, 64.0, 512.0, 1e9])
    want = 1.0 / (1.0 / (e - 1.0 + 1.0 / (1.0 / 1.8 - 1.0 / 200.0)) + 1.0 / 200.0)
    np.testing.assert_allclose(_e_hat(p, e), want, rtol=1e-12)
    assert _e_hat(p, np.array([1.0]))[0] == pytest.approx(1.8)  # the dense model: E_start
    assert _e_hat(p, np.array([1e12]))[0] == pytest.approx(200.0, rel=1e-6)  # saturates
    # without saturation (E_max -> inf) E-hat is E shifted by E_start - 1
    far = _e_hat({"E_start": 1.8, "E_max": 1e15}, e[:5])
    np.testing.assert_allclose(far, e[:5] - 1.0 + 1.8, rtol=1e-9)


def test_saturating_law_reduces_to_bilinear_in_e_hat():
    n, e = np.geomspace(1e7, 1e9, 4), np.array([1.0, 4.0, 32.0, 256.0])
    got = bl.get_law("routed_saturating").mean(TRUTH, {"N": n, "E": e})
    e_hat = _e_hat(TRUTH, e)
    want = bl.get_law("routed").mean(BILINEAR, {"N": n, "E": e_hat})
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_numpy_and_pytensor_agree_at_small_expert_counts():
    law = bl.get_law("routed_saturating")
    x = SimpleNamespace(N=np.log(np.full(4, 1e8)), E=np.log([1e-3, 0.5, 1.0, 3.0]))
    p = param_namespace(TRUTH, law.parameters)
    numpy_value = law.function(p, x, mathops.numpy)
    tensor_value = law.function(param_namespace(TRUTH, law.parameters, xp=mathops.tensor),
                                x, mathops.tensor).eval()
    assert np.isfinite(numpy_value).all()
    np.testing.assert_allclose(tensor_value, numpy_value, rtol=1e-8)


@pytest.mark.parametrize("law", ["routed", "routed_saturating"])
def test_prior_predictive_band_within_a_factor_of_3_of_the_data(law):
    """Measured by benchmarks/prior_ranges_routed.py (0.30-2.3 and 0.32-2.2 x the data; at
    8,000 draws and four seeds 0.307-0.314 / 0.317-0.326 to 2.16-2.26). The band's lower end
    is the smallest of the runs' 5% quantiles, whose Monte Carlo error at 1,000 draws (0.28-0.31
    between random streams) is as large as the margin to 0.29, so the test draws 8,000."""
    row = band(law, sweep(), draws=8000)
    assert row["lower_ratio"] >= 0.29 and row["upper_ratio"] <= 3.0, row
    assert 1 / 1.3 <= row["median_low"] and row["median_high"] <= 1.3, row


def _interval(fit, name, prob=0.9):
    table = fit.summary(prob=prob)
    return table.loc[name, "eti90_lower"], table.loc[name, "eti90_upper"]


def test_routed_recovers_the_bilinear_coefficients():
    """Simulated from the bilinear law (60 runs, 0.5% noise): every true coefficient inside
    the 90% interval, and the interaction c resolved away from 0 (its interval excludes 0)."""
    n, e = sweep()["N"].to_numpy(), sweep()["E"].to_numpy()
    rng = np.random.default_rng(3)
    y = bl.get_law("routed").mean(BILINEAR, {"N": n, "E": e}) * np.exp(
        0.005 * rng.standard_normal(n.size))
    import pandas as pd
    data = pd.DataFrame({"N": n, "E": e, "loss": y})
    fit = bl.fit("routed", data, x={"N": "N", "E": "E"}, y="loss", likelihood="lognormal",
                 random_seed=3, **SMALL)
    for name, value in BILINEAR.items():
        lo, hi = _interval(fit, name)
        assert lo <= value <= hi, (name, lo, value, hi)
    assert _interval(fit, "c")[0] > 0.0
    assert fit.diagnostics().divergences == 0


@pytest.mark.slow
def test_routed_saturating_recovers_its_parameters():
    data = sweep(seed=5)
    fit = bl.fit("routed_saturating", data, x={"N": "N", "E": "E"}, y="loss",
                 likelihood="lognormal", random_seed=5, **SMALL)
    for name, value in TRUTH.items():
        lo, hi = _interval(fit, name)
        assert lo <= value <= hi, (name, lo, value, hi)
