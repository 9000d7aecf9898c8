"""Helpers shared by several test files: tables, simulated data and fits made without sampling.

Fixtures live in ``tests/conftest.py``; these are plain functions and constants, imported by
name (``from tests.helpers import ...``).

- :class:`Expect`, :data:`EXPECT`, :func:`table`: the documented shape of every catalogue law and
  a plausible table for its default priors (tests/test_models.py, test_data.py, test_io.py).
- :data:`CASES`, :data:`LAW_OF`, :func:`simulate_case`: data simulated from each catalogue law at
  known parameters (test_recovery.py, test_prior_predictive.py, test_models.py,
  test_likelihoods.py, test_sampling.py).
- :func:`simulate_groups` and its truth (:data:`GROUPS`, :data:`ALPHA`, ...): runs of five groups
  for grouped fits (test_hierarchy.py, test_sampling.py).
- :func:`power_law_data`: small power-law data sets (test_sampling.py, test_model.py,
  test_cli.py).
- :func:`fixed_draws_fit`, :func:`chinchilla_draws`: a Fit whose posterior is given draws, without
  sampling (test_decisions.py, test_optimal.py, test_report.py, test_plots.py).
- :func:`runs`, :func:`fit_runs`: the small table and the fit call of the bad-input checks, which
  must fail before sampling (test_data.py, test_priors.py, test_catalogue.py, test_sampling.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

import bayeslaws as bl
from bayeslaws.catalogue import get_law
from bayeslaws.result import Fit
from bayeslaws.simulate import CHINCHILLA_REPLICATION, simulate
from bayeslaws.spec import prepare_fit
from bayeslaws.trace import assemble


# -- the documented shape of every catalogue law ----------------------------------------------
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


#: Laws declare their documented shape here: the direction each input moves ``y``, bounds that
#: ``y`` never crosses, and the limit of ``y`` as inputs grow without bound (evaluated at
#: ``log x = 1e5``, far beyond any float ``x``, which only log-space evaluation reaches). A law
#: missing from the table is still checked for finiteness and NumPy/PyTensor agreement over the
#: default range (tests/test_models.py); add an entry when adding a law.
EXPECT: dict[str, Expect] = {
    "power_law": Expect({"x": -1}, limit=lambda p: 0.0, limit_inputs=("x",)),
    "m1": Expect({"x": -1}, limit=lambda p: 0.0, limit_inputs=("x",)),
    "saturating_power_law": Expect({"x": -1}, floor=_e, limit=_e, limit_inputs=("x",)),
    "m2": Expect({"x": -1}, floor=lambda p: p.e_inf, limit=lambda p: p.e_inf,
                 limit_inputs=("x",)),
    "m3": Expect({"x": -1}, floor=lambda p: p.b * p.g**p.c, limit=lambda p: p.b * p.g**p.c,
                 limit_inputs=("x",)),
    "m4": Expect({"x": -1}, floor=lambda p: p.e_inf, ceiling=lambda p: p.e_0,
                 limit=lambda p: p.e_inf, limit_inputs=("x",)),
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
    # routed: bilinear in the logs, so the sign of each slope can change with the other input
    "routed": Expect({}, data={"N": (1e7, 1e9), "E": (1.0, 512.0)}),
    "routed_saturating": Expect({}, data={"N": (1e7, 1e9), "E": (1.0, 512.0)}),
    # observational: logistic in linear inputs; the slopes' signs are free, so no direction
    "observational": Expect({}, floor=lambda p: 0.0, ceiling=lambda p: 1.0,
                            data={"S1": (0.1, 3.0), "S2": (0.1, 2.0), "S3": (0.1, 1.0)}),
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


# -- data simulated from each catalogue law at known parameters -------------------------------
def _schedule():
    """Constant learning rate for 60% of a 20k-step run, then cosine decay to a tenth."""
    step = np.arange(200.0, 20001.0, 200.0)
    peak, end = 3e-4, 3e-5
    frac = np.clip((step - 12000.0) / 8000.0, 0.0, 1.0)
    lr = end + 0.5 * (peak - end) * (1.0 + np.cos(np.pi * frac))
    return {"step": step, "lr": lr}


def _repeats():
    n, u, epochs = np.meshgrid([1e8, 4e8, 1.6e9], [1e8, 1e9], [1.0, 4.0, 16.0, 64.0])
    return {"N": n.ravel(), "U": u.ravel(), "D": (u * epochs).ravel()}


def _overtrained():
    n, m = np.meshgrid(np.geomspace(1e7, 1e9, 5), [5.0, 20.0, 80.0, 320.0])
    return {"N": n.ravel(), "D": (m * n).ravel()}


#: name -> (law options, true parameters, inputs, likelihood, extra: {role: values}, noise).
#: ``noise`` is sigma of log y (lognormal) or phi (beta); binomial needs none.
CASES = {
    "sigmoid_chance": ({"chance": 0.25}, {"ceiling": 0.8, "k": 2.0, "x0": 1e9},
                       {"x": np.geomspace(1e7, 1e11, 12)}, "binomial",
                       {"trials": np.full(12, 1000.0)}, None),
    "sigmoid_floor": ({}, {"floor": 0.1, "ceiling": 0.7, "k": 1.5, "x0": 3e8},
                      {"x": np.geomspace(1e6, 1e11, 14)}, "beta", {}, 400.0),
    "loss_to_accuracy": ({}, {"E": 0.75, "a": 2.7, "b": 1.0},
                         {"L": np.geomspace(2.2, 4.5, 14)}, "beta", {}, 400.0),
    "rectified": ({}, {"E": 1.0, "B": 100.0, "beta": 0.5, "D_l": 30.0},
                  {"D": np.geomspace(1e2, 1e6, 16)}, "lognormal", {}, 0.01),
    "loss_to_loss": ({}, {"E_x": 1.8, "E_y": 1.0, "K": 0.8, "kappa": 1.2},
                     {"Lx": np.geomspace(2.0, 6.0, 20)}, "lognormal", {}, 0.005),
    "data_constrained": ({}, {"E": 1.87, "A": 521.0, "B": 1488.0, "alpha": 0.353,
                              "beta": 0.353, "R_star": 15.4},
                         _repeats(), "lognormal", {}, 0.01),
    "overtraining": ({}, {"E": 1.8, "a": 300.0, "c": 1500.0, "b": 0.33},
                     _overtrained(), "lognormal", {}, 0.02),
    "m1": ({}, {"b": 5.0, "c": 0.2}, {"x": np.geomspace(1e3, 1e6, 12)}, "lognormal", {}, 0.02),
    "m2": ({}, {"e_inf": 0.3, "b": 10.0, "c": 0.4}, {"x": np.geomspace(1e2, 1e6, 14)},
           "lognormal", {}, 0.02),
    "m3": ({}, {"b": 2.0, "c": 0.5, "g": 1e-4}, {"x": np.geomspace(1e2, 1e6, 14)},
           "lognormal", {}, 0.02),
    "m4": ({}, {"e_inf": 0.15, "e_0": 0.9, "a": 1.5, "b": 200.0 * 0.75**1.5, "c": 0.6},
           {"x": np.geomspace(1e2, 1e6, 16)}, "lognormal", {}, 0.02),
    "lr_annealing": ({}, {"L0": 2.0, "A": 0.5, "alpha": 0.5, "C": 0.1}, _schedule(),
                     "lognormal", {}, 0.003),
    "test_time_coverage": ({}, {"a": 0.1, "b": 0.6}, {"k": 2.0 ** np.arange(11)}, "binomial",
                           {"trials": np.full(11, 500.0)}, None),
}
LAW_OF = {"sigmoid_chance": "sigmoid", "sigmoid_floor": "sigmoid"}


def simulate_case(case: str, seed: int = 0) -> pd.DataFrame:
    """Data drawn from the case's law and likelihood at its true parameters."""
    options, truth, inputs, likelihood, extra, noise = CASES[case]
    law = get_law(LAW_OF.get(case, case), **options)
    rng = np.random.default_rng(seed)
    mean = law.mean(truth, {k: np.asarray(v, float) for k, v in inputs.items()})
    if likelihood == "lognormal":
        y = mean * np.exp(noise * rng.standard_normal(mean.shape))
    elif likelihood == "beta":
        y = rng.beta(mean * noise, (1 - mean) * noise)
    else:
        y = rng.binomial(extra["trials"].astype(int), mean) / extra["trials"]
    return pd.DataFrame({**inputs, **extra, "y": y})


# -- runs of five groups, for grouped fits ----------------------------------------------------
#: True floor E and amplitude A per group; alpha is shared.
GROUPS = {"g0": (1.6, 30.0), "g1": (2.0, 45.0), "g2": (1.8, 25.0), "g3": (2.3, 60.0),
          "g4": (1.7, 40.0)}
ALPHA = 0.35
SIGMA = 0.02  # seed-to-seed scatter of log y
X = np.geomspace(1e4, 1e7, 6)
SEEDS = 3


def simulate_groups(random_seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(random_seed)
    rows = []
    for label, (floor, amp) in GROUPS.items():
        for x in X:
            mean = floor + amp * x ** -ALPHA
            for seed in range(SEEDS):
                rows.append({"family": label, "x": x, "seed": seed,
                             "loss": mean * np.exp(SIGMA * rng.standard_normal())})
    return pd.DataFrame(rows)


# -- small power-law data sets ----------------------------------------------------------------
def power_law_data(seed: int, n: int = 12, alpha: float = 0.3):
    return simulate("power_law", {"A": 4.0, "alpha": alpha}, {"x": np.geomspace(1e3, 1e7, n)},
                    sigma=0.03, random_seed=seed)


# -- fits from fixed parameter draws, without sampling ----------------------------------------
S = 400


def fixed_draws_fit(law, draws, data, x, y="y", chains=2) -> Fit:
    """A Fit whose posterior is the given draws (split into ``chains``), on ``data``."""
    spec, obs = prepare_fit(law, data, x, y, likelihood="lognormal")  # draws include sigma
    n = len(next(iter(draws.values())))
    post = xr.Dataset(
        {k: (("chain", "draw"), np.asarray(v, float).reshape(chains, n // chains))
         for k, v in draws.items()},
        coords={"chain": np.arange(chains), "draw": np.arange(n // chains)},
    )
    trace = assemble(xr.DataTree.from_dict({"posterior": post}), spec, obs)
    config = {"law": spec.law.name, "law_options": {}, "likelihood": spec.likelihood.name,
              "columns": dict(obs.columns), "y_column": obs.y_column, "extra_columns": {},
              "sampler": "fixed draws", "draws": n // chains, "tune": 0, "chains": chains,
              "random_seed": 0}
    return Fit(trace, spec, config)


def chinchilla_draws(seed=0, spread=0.05, n=S):
    rng = np.random.default_rng(seed)
    draws = {k: v * np.exp(spread * rng.standard_normal(n))
             for k, v in CHINCHILLA_REPLICATION.items()}
    draws["sigma"] = 0.02 * np.exp(0.05 * rng.standard_normal(n))
    return draws


# -- the table and fit call of the bad-input checks -------------------------------------------
def runs(n=12, seed=0):
    rng = np.random.default_rng(seed)
    x = np.geomspace(1e6, 1e9, n)
    return pd.DataFrame({"size": x, "loss": 2 + 50 * x**-0.3 * np.exp(rng.normal(0, .01, n))})


def fit_runs(data, law="saturating_power_law", **kwargs):
    kwargs.setdefault("x", "size")
    kwargs.setdefault("y", "loss")
    return bl.fit(law, data, progressbar=False, **kwargs)
