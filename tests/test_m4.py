"""The implicit law ``m4`` (models/m4.py): its root solve and the gradient NUTS follows.

``y`` is defined by ``(y - e_inf) / (e_0 - y)^a = b x^-c``; the law solves
``a softplus(t) - softplus(-t) = z`` for ``t`` by Newton steps held constant for the gradient
and one live step. The formula itself is checked against a bracketing root finder in
tests/test_models.py (``test_law_matches_the_paper_formula_in_numpy_and_pytensor``).
"""

from __future__ import annotations

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from bayeslaws import mathops
from bayeslaws.catalogue import _REGISTRY, get_law
from bayeslaws.law import param_namespace

m4 = get_law("m4")
SOLVE = _REGISTRY["m4"].solve_logit


def test_root_solve_reaches_machine_precision_over_a_wide_grid():
    z = np.linspace(-200.0, 200.0, 801)[:, None]
    a = np.geomspace(1e-3, 50.0, 120)[None, :]
    t = SOLVE(z, a, mathops.numpy)
    lhs = a * np.logaddexp(0.0, t) - np.logaddexp(0.0, -t)
    assert np.all(np.isfinite(t))
    assert np.max(np.abs(lhs - z) / (1.0 + np.abs(z))) < 1e-12


def test_numpy_and_pytensor_solves_agree():
    z, a = np.linspace(-30.0, 30.0, 13), 0.4
    zs, as_ = pt.dvector("z"), pt.dscalar("a")
    value = pytensor.function([zs, as_], SOLVE(zs, as_, mathops.tensor))(z, a)
    np.testing.assert_allclose(value, SOLVE(z, a, mathops.numpy), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("params", [
    {"e_inf": 0.1, "e_0": 0.95, "a": 1.7, "b": 30.0, "c": 0.4},
    {"e_inf": 1.8, "e_0": 6.0, "a": 0.3, "b": 5.0, "c": 0.25},
])
def test_gradient_is_that_of_the_root(params):
    """The held-constant Newton steps plus one live step give the exact derivative of log y in
    every parameter (central finite differences of the NumPy form, step 1e-6 relative)."""
    x = np.geomspace(1e2, 1e8, 9)
    symbols = {k: pt.dscalar(k) for k in params}
    p = param_namespace(symbols, m4.parameters, xp=mathops.tensor)
    log_y = m4.function(p, type("L", (), {"x": pt.as_tensor_variable(np.log(x))}),
                        mathops.tensor).sum()
    grad = pytensor.function(list(symbols.values()),
                             pytensor.grad(log_y, list(symbols.values())))(*params.values())
    for (name, value), analytic in zip(params.items(), grad, strict=True):
        h = 1e-6 * value
        up, down = dict(params, **{name: value + h}), dict(params, **{name: value - h})
        numeric = (np.log(m4.mean(up, {"x": x})).sum()
                   - np.log(m4.mean(down, {"x": x})).sum()) / (2 * h)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, err_msg=name)


def test_plateau_and_floor():
    """Small x: the random-guessing error e_0; large x: the power law onto e_inf."""
    params = {"e_inf": 0.2, "e_0": 0.9, "a": 1.0, "b": 50.0, "c": 0.5}
    y = m4.mean(params, {"x": np.array([1e-6, 1e12])})
    np.testing.assert_allclose(y, [0.9, 0.2], rtol=1e-3)
    big = 1e10  # power-law regime: y - e_inf = b x^-c to first order
    tail = m4.mean(params, {"x": np.array([big])}) - 0.2
    np.testing.assert_allclose(tail, 50.0 * big**-0.5, rtol=1e-3)
