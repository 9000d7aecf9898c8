"""Every catalogue law is finite, monotone and has the right limits over its whole prior.

For each law in ``bl.law_names()`` (the catalogue grows, so laws are found at collection time)
parameters are drawn from the law's default priors for a plausible table, restricted to the
law's constraints (ordered break points, bounded floors), and the law is evaluated with every
input from 1e-3 to 1e30. The values must be finite -- the laws are written in log space so that
``x**-alpha`` at ``x = 1e30`` or a sharp break never overflows -- and the NumPy form (used for
prediction) must agree with the PyTensor form (used for sampling).

Laws declare their documented shape in :data:`EXPECT` below: the direction each input moves
``y``, bounds that ``y`` never crosses, and the limit of ``y`` as inputs grow without bound
(evaluated at ``log x = 1e5``, far beyond any float ``x``, which only log-space evaluation
reaches). A law missing from the table is still checked for finiteness and NumPy/PyTensor
agreement over the default range; add an entry when adding a law.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bayeslaws as bl
from bayeslaws import mathops
from bayeslaws.data import prepare
from bayeslaws.law import param_namespace
from bayeslaws.likelihoods import get_likelihood
from bayeslaws.model import statistics
from bayeslaws.spec import resolve_priors

GRID = np.geomspace(1e-3, 1e30, 67)  # half-decade steps
FAR = 1e5  # log x at which limits are checked (x = e^100000)
DRAWS = 300


@dataclass
class Expect:
    """Documented behaviour of a law.

    monotone : {input: +1 or -1}
        y increases (+1) or decreases (-1) with the input, everything else fixed.
    floor, ceiling : callable(p) -> bound on y (natural scale), optional
    limit : callable(p) -> limit of y as the inputs in ``limit_inputs`` go to infinity
        (``0.0`` for laws that decay to zero: then log y must fall below -100).
    data : {input: (low, high)}
        Range of the plausible table that sets the default priors (default 1e6 .. 1e9).
    domain : {input: (low, high)}
        Range of evaluation where not 1e-3 .. 1e30 (e.g. a loss must exceed its floor).
    """

    monotone: dict[str, int] = field(default_factory=dict)
    floor: object = None
    ceiling: object = None
    limit: object = None
    limit_inputs: tuple[str, ...] = ()
    data: dict[str, tuple[float, float]] = field(default_factory=dict)
    domain: dict[str, tuple[float, float]] = field(default_factory=dict)
    options: dict = field(default_factory=dict)


def _e(p):
    return p.E


EXPECT: dict[str, Expect] = {
    "power_law": Expect({"x": -1}, limit=lambda p: 0.0, limit_inputs=("x",)),
    "m1": Expect({"x": -1}, limit=lambda p: 0.0, limit_inputs=("x",)),
    "saturating_power_law": Expect({"x": -1}, floor=_e, limit=_e, limit_inputs=("x",)),
    "m2": Expect({"x": -1}, floor=lambda p: p.e_inf, limit=lambda p: p.e_inf,
                 limit_inputs=("x",)),
    "m3": Expect({"x": -1}, floor=lambda p: p.b * p.g**p.c, limit=lambda p: p.b * p.g**p.c,
                 limit_inputs=("x",)),
    "chinchilla": Expect({"N": -1, "D": -1}, floor=_e, limit=_e, limit_inputs=("N", "D")),
    "overtraining": Expect({"N": -1, "D": -1}, floor=_e, limit=_e, limit_inputs=("N", "D")),
    "kaplan": Expect({"N": -1, "D": -1}, limit=lambda p: 0.0, limit_inputs=("N", "D")),
    "data_constrained": Expect({"N": -1, "D": -1, "U": -1}, floor=_e, limit=_e,
                               limit_inputs=("N", "D", "U")),
    "rectified": Expect({"D": -1}, floor=_e, limit=_e, limit_inputs=("D",)),
    "bnsl": Expect({}, floor=lambda p: p.a),  # slopes may change sign: no monotonicity
    "loss_to_loss": Expect({"Lx": +1}, floor=lambda p: p.E_y,
                           data={"Lx": (2.0, 4.0)}, domain={"Lx": (4.0, 1e30)}),
    "loss_to_accuracy": Expect({"L": +1}, ceiling=_e, limit=_e, limit_inputs=("L",),
                               data={"L": (2.0, 4.0)}, domain={"L": (1e-3, 1e3)}),
    "sigmoid": Expect({"x": +1}, floor=lambda p: p.floor, ceiling=lambda p: p.ceiling,
                      limit=lambda p: p.ceiling, limit_inputs=("x",)),
    "test_time_coverage": Expect({"k": +1}, floor=lambda p: 0.0, ceiling=lambda p: 1.0,
                                 limit=lambda p: 1.0, limit_inputs=("k",),
                                 data={"k": (1.0, 1e3)}),
    "lr_annealing": Expect({}, data={"step": (1e2, 1e4), "lr": (1e-4, 1e-3)},
                           domain={"lr": (1e-6, 1e-1)}),
}


def table(law, expect: Expect, n: int = 20, seed: int = 0) -> pd.DataFrame:
    """A plausible table for the law's default priors (inputs log-spaced, y a smooth curve)."""
    rng = np.random.default_rng(seed)
    frame, curve = {}, np.zeros(n)
    for name in law.inputs:
        lo, hi = expect.data.get(name, (1e6, 1e9))
        frame[name] = np.geomspace(lo, hi, n)
        curve += np.linspace(1, 0, n)
    if law.link == "log":
        frame["y"] = (2.0 + curve) * np.exp(rng.normal(0, 0.02, n))
    else:
        frame["y"] = np.clip(0.2 + 0.6 * curve / curve.max() + rng.normal(0, 0.01, n), .05, .95)
    return pd.DataFrame(frame)


def prior_draws(law, expect: Expect, draws: int = DRAWS, seed: int = 0):
    """Default-prior draws restricted to the law's constraints, as ``{name: (S, 1)}``."""
    likelihood = get_likelihood(
        "lognormal" if law.link == "log" else "beta", law.link, law.name)
    obs = prepare(law, table(law, expect), {n: n for n in law.inputs}, "y",
                  len(law.parameters) + 1)
    priors = resolve_priors(law, likelihood, obs.summary, None)
    stats = statistics(law, obs)
    values = {p.name: np.asarray(priors[p.name].draw(4 * draws, random_seed=seed + i),
                                 dtype=float)
              for i, p in enumerate(law.parameters)}
    keep = np.ones(4 * draws, dtype=bool)
    for par in law.parameters:
        lo, hi = par.resolve_bounds({**stats, **values})
        keep &= (values[par.name] > lo) & (values[par.name] < hi)
    assert keep.sum() >= draws, f"{law.name}: only {keep.sum()} prior draws meet constraints"
    return {k: v[keep][:draws, None] for k, v in values.items()}, obs


def inputs_along(law, expect: Expect, name: str, others: float):
    """Grid over ``name``; every other input held at ``others`` (clipped to its domain)."""
    x = {}
    for other in law.inputs:
        lo, hi = expect.domain.get(other, (1e-3, 1e30))
        if other == name:
            x[other] = np.geomspace(lo, hi, GRID.size)
        else:
            x[other] = np.full(GRID.size, float(np.clip(others, lo, hi)))
    return x


LAW_NAMES = bl.law_names()


def _setup(name):
    expect = EXPECT.get(name, Expect())
    law = bl.get_law(name, **expect.options)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params, _ = prior_draws(law, expect)
    return law, expect, params


@pytest.mark.parametrize("name", LAW_NAMES)
def test_finite_and_monotone_over_prior_and_scales(name):
    law, expect, params = _setup(name)
    for along in law.inputs:
        for others in (1e-3, 1e6, 1e30):
            x = inputs_along(law, expect, along, others)
            with np.errstate(over="ignore", under="ignore"):
                value = law.evaluate(params, x)
            where = f"{name}: input {along} from {x[along][0]:g} to {x[along][-1]:g}"
            bad = ~np.isfinite(value)
            assert not bad.any(), (
                f"{where}: {bad.sum()} non-finite values, first for "
                f"{ {k: float(v[np.argwhere(bad)[0][0], 0]) for k, v in params.items()} } at "
                f"{along}={x[along][np.argwhere(bad)[0][1]]:g}")
            direction = expect.monotone.get(along)
            if direction is not None:
                step = np.diff(value, axis=1) * direction
                tol = 1e-9 * np.maximum(np.abs(value[:, 1:]), 1.0)
                assert (step >= -tol).all(), f"{where}: not monotone ({direction:+d})"
            y = np.exp(value) if law.link == "log" else value
            p = SimpleNamespace(**{k: v for k, v in params.items()})
            if expect.floor is not None:
                floor = np.asarray(expect.floor(p))
                assert (y >= floor * (1 - 1e-9) - 1e-12).all(), f"{where}: y below its floor"
            if expect.ceiling is not None:
                ceiling = np.asarray(expect.ceiling(p))
                assert (y <= ceiling * (1 + 1e-9) + 1e-12).all(), f"{where}: y above ceiling"


@pytest.mark.parametrize("name", [n for n in LAW_NAMES if EXPECT.get(n, Expect()).limit])
def test_limit_at_infinite_scale(name):
    """Evaluated at log x = 1e5 (x = e^100000): only log-space evaluation survives this."""
    law, expect, params = _setup(name)
    logx = {}
    for input_name in law.inputs:
        logx[input_name] = np.array([FAR if input_name in expect.limit_inputs else np.log(1e6)])
    p = param_namespace(params, law.parameters)
    with np.errstate(over="ignore", under="ignore"):
        value = law.function(p, SimpleNamespace(**logx), mathops.numpy)
    target = np.broadcast_to(np.asarray(expect.limit(SimpleNamespace(**params)), float),
                             value.shape)
    if law.link == "log" and np.all(target == 0.0):
        assert (value < -100).all(), f"{name}: log y = {value.max():.3g} does not go to -inf"
        return
    assert np.isfinite(value).all(), f"{name}: non-finite at log x = {FAR:g}"
    y = np.exp(value) if law.link == "log" else value
    np.testing.assert_allclose(y, target, rtol=1e-6, atol=1e-12,
                               err_msg=f"{name}: wrong limit as {expect.limit_inputs} -> inf")


@pytest.mark.parametrize("name", LAW_NAMES)
def test_numpy_and_pytensor_forms_agree(name):
    """Prediction (NumPy) and sampling (PyTensor) evaluate the same law, also at extremes."""
    law, expect, params = _setup(name)
    few = {k: v[:20] for k, v in params.items()}
    x = {n: np.geomspace(*expect.domain.get(n, (1e-3, 1e30)), 23) for n in law.inputs}
    with np.errstate(over="ignore", under="ignore"):
        expected = law.evaluate(few, x)
    got = np.asarray(law.evaluate(few, x, xp=mathops.tensor).eval())
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


def test_every_catalogue_law_declares_its_shape():
    """New laws get an EXPECT entry (monotonicity, floor, limit) -- tell the test what holds."""
    missing = sorted(set(LAW_NAMES) - set(EXPECT))
    assert not missing, f"add EXPECT entries for {missing} in {__file__}"


@given(st.lists(st.floats(-800.0, 800.0), min_size=1, max_size=4))
def test_logsumexp_matches_scipy_and_stays_finite(terms):
    """The pairwise fold used by the laws equals SciPy's logsumexp, far beyond exp's range."""
    from scipy.special import logsumexp

    got = mathops.numpy.logsumexp([np.asarray(t) for t in terms])
    assert np.isfinite(got)
    assert got == pytest.approx(logsumexp(terms), rel=1e-12, abs=1e-12)
