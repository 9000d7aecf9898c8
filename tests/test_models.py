"""The law files of ``models/``: every shipped law against its paper, its documented shape and
its declarations.

Each law's function (written once for PyTensor and NumPy, in log space where stabler) is checked
against the paper's formula evaluated directly, and each law's options are checked.

Every catalogue law is finite, monotone and has the right limits over its whole prior. For each
law in ``bl.law_names()`` (the catalogue grows, so laws are found at collection time) parameters
are drawn from the law's default priors for a plausible table, restricted to the law's
constraints (ordered break points, bounded floors), and the law is evaluated with every input
from 1e-3 to 1e30. The values must be finite -- the laws are written in log space so that
``x**-alpha`` at ``x = 1e30`` or a sharp break never overflows -- and the NumPy form (used for
prediction) must agree with the PyTensor form (used for sampling). Laws declare their documented
shape in ``EXPECT`` of tests/helpers.py: the direction each input moves ``y``, bounds that ``y``
never crosses, and the limit of ``y`` as inputs grow without bound (evaluated at ``log x = 1e5``,
far beyond any float ``x``, which only log-space evaluation reaches). A law missing from the table
is still checked for finiteness and NumPy/PyTensor agreement over the default range; add an entry
when adding a law.

Aliases: ``m1`` and ``m2`` are ``power_law`` and ``saturating_power_law`` renamed. They used to be
law files of their own that repeated the code of the laws they rename; the definitions of those
files are kept here, verbatim, as the reference the aliases must reproduce number for number:
priors, starting values, the function in NumPy and PyTensor, and everything the model derives
from the parameters (centring, supports).

Grouped-fit defaults: the default varying parameters of every catalogue law are pinned to what
the name-based rule of ``bayeslaws.hierarchy.default_varying`` (``DEFAULT_VARYING`` and
``FLOOR_NAMES = ("E", "a")``) gave before the laws declared them, so that moving the rule into
the law files changed no grouped fit.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from scipy import optimize

import bayeslaws as bl
from bayeslaws import catalogue, mathops
from bayeslaws.catalogue import _REGISTRY, get_law
from bayeslaws.data import prepare
from bayeslaws.defaults import (
    amplitude_prior,
    amplitude_start,
    exponent_prior,
    floor_prior,
    observed_change,
)
from bayeslaws.exceptions import LawError
from bayeslaws.law import DataSummary, InputSummary, Law, Parameter, param_namespace
from bayeslaws.likelihoods import get_likelihood
from bayeslaws.model import statistics
from bayeslaws.spec import resolve_priors
from tests import helpers
from tests.helpers import EXPECT, Expect, table


# -- the papers' formulas ---------------------------------------------------------------------
def _paper_formulas():
    """name -> (options, params, inputs, value computed directly from the paper's formula)."""
    x = np.geomspace(10.0, 1e6, 7)
    out = {}
    p = {"floor": 0.2, "ceiling": 0.9, "k": 1.3, "x0": 1e3}
    out["sigmoid"] = ({}, p, {"x": x}, 0.2 + 0.7 / (1 + (x / 1e3) ** -1.3))
    p = {"ceiling": 0.9, "k": 1.3, "x0": 1e3}
    out["sigmoid_chance"] = ({"chance": 0.25}, p, {"x": x}, 0.25 + 0.65 / (1 + (x / 1e3) ** -1.3))
    loss = np.linspace(2.0, 5.0, 7)
    out["loss_to_accuracy"] = ({}, {"E": 0.8, "a": 3.0, "b": 0.9}, {"L": loss},
                               0.8 - 3.0 * np.exp(-0.9 * loss))
    out["rectified"] = ({}, {"E": 1.1, "B": 30.0, "beta": 0.45, "D_l": 20.0}, {"D": x},
                        30.0 / (20.0 + x**0.45) + 1.1)
    out["loss_to_loss"] = ({}, {"E_x": 1.5, "E_y": 0.9, "K": 0.7, "kappa": 1.3}, {"Lx": loss},
                           0.7 * (loss - 1.5) ** 1.3 + 0.9)
    n, d, u = np.full(7, 1e9), np.geomspace(1e9, 1e12, 7), np.full(7, 1e10)
    u_d = np.minimum(d, u)
    r = d / u_d - 1
    dp = u_d + u_d * 15.4 * (1 - np.exp(-r / 15.4))
    out["data_constrained"] = ({}, {"E": 1.87, "A": 521.0, "B": 1488.0, "alpha": 0.35,
                                    "beta": 0.353, "R_star": 15.4}, {"N": n, "D": d, "U": u},
                               1.87 + 521.0 / n**0.35 + 1488.0 / dp**0.353)
    m = np.array([1.0, 5, 20, 80, 320, 640, 1280])
    out["overtraining"] = ({}, {"E": 1.8, "a": 300.0, "c": 1500.0, "b": 0.33},
                           {"N": n, "D": m * n}, 1.8 + 300.0 * n**-0.33 + 1500.0 * (m * n)**-0.33)
    out["m1"] = ({}, {"b": 5.0, "c": 0.2}, {"x": x}, 5.0 * x**-0.2)
    out["m2"] = ({}, {"e_inf": 0.3, "b": 10.0, "c": 0.4}, {"x": x}, 0.3 + 10.0 * x**-0.4)
    out["m3"] = ({}, {"b": 2.0, "c": 0.5, "g": 1e-4}, {"x": x}, 2.0 * (1 / x + 1e-4) ** 0.5)
    m4 = {"e_inf": 0.1, "e_0": 0.95, "a": 1.7, "b": 30.0, "c": 0.4}
    out["m4"] = ({}, m4, {"x": x}, [optimize.brentq(
        lambda y, xi=xi: (y - 0.1) / (0.95 - y) ** 1.7 - 30.0 * 0.85**-1.7 * xi**-0.4, 0.1,
        0.95 - 1e-15,
        xtol=1e-14)
        for xi in x])
    k = 2.0 ** np.arange(7)
    out["test_time_coverage"] = ({}, {"a": 0.1, "b": 0.6}, {"k": k}, 1 - np.exp(-0.1 * k**0.6))
    bnsl = {"a": 0.4, "b": 2.3, "c0": 0.05, "c1": 5.7, "d1": 612.0, "f1": 0.06}
    xb = np.array([160.0, 400, 600, 612, 650, 800, 928])
    out["bnsl"] = ({}, bnsl, {"x": xb},
                   0.4 + 2.3 * xb**-0.05 * (1 + (xb / 612.0) ** (1 / 0.06)) ** (-5.7 * 0.06))
    return out


@pytest.mark.parametrize("case", sorted(_paper_formulas()))
def test_law_matches_the_paper_formula_in_numpy_and_pytensor(case):
    options, params, inputs, expected = _paper_formulas()[case]
    law = get_law(case.removesuffix("_chance"), **options)
    np.testing.assert_allclose(law.mean(params, inputs), expected, rtol=1e-10)
    # the same function as a PyTensor graph (what every sampler runs)
    sym = {k: pt.dvector(k) for k in inputs}
    logx = {k: pt.log(v) for k, v in sym.items()}
    from types import SimpleNamespace

    from bayeslaws.law import param_namespace

    params64 = {k: pt.as_tensor_variable(np.float64(v)) for k, v in params.items()}
    graph = law.function(param_namespace(params64, law.parameters, xp=mathops.tensor),
                         SimpleNamespace(**logx), mathops.tensor)
    value = pytensor.function(list(sym.values()), graph)(*[np.asarray(v) for v in
                                                          inputs.values()])
    value = np.exp(value) if law.link == "log" else value
    np.testing.assert_allclose(value, expected, rtol=1e-8)


def test_bnsl_sharp_break_does_not_overflow():
    law = get_law("bnsl")
    params = {"a": 0.4, "b": 2.3, "c0": 0.05, "c1": 5.7, "d1": 612.0, "f1": 1e-3}
    values = law.mean(params, {"x": np.array([1.0, 612.0, 1e6, 1e12])})
    assert np.all(np.isfinite(values)) and np.all(values >= 0.4)


def test_lr_annealing_forecasts_a_new_schedule_from_the_areas():
    law = get_law("lr_annealing")
    params = {"L0": 2.0, "A": 0.5, "alpha": 0.5, "C": 100.0}
    step = np.arange(100.0, 10001.0, 100.0)
    constant, decayed = np.full(100, 3e-4), np.linspace(3e-4, 3e-5, 100)
    flat, annealed = law.mean(params, {"step": step, "lr": constant}), law.mean(
        params, {"step": step, "lr": decayed})
    assert np.all(np.diff(flat) < 0)
    assert annealed[-1] < flat[-1]  # annealing lowers the final loss ...


def test_data_constrained_without_repeats_is_chinchilla():
    n, d = np.geomspace(1e8, 1e10, 5), np.geomspace(1e9, 1e11, 5)
    p = {"E": 1.8, "A": 400.0, "B": 400.0, "alpha": 0.34, "beta": 0.28}
    dc = get_law("data_constrained").mean({**p, "R_star": 15.0}, {"N": n, "D": d, "U": d * 2})
    np.testing.assert_allclose(dc, get_law("chinchilla").mean(p, {"N": n, "D": d}), rtol=1e-12)


# -- options and sampler defaults -------------------------------------------------------------
@pytest.mark.parametrize("options, match", [
    ({"breaks": 0}, "breaks=0"), ({"breaks": 4}, "valid choices: 1, 2, 3"),
])
def test_bnsl_refuses_unsupported_breaks(options, match):
    with pytest.raises(LawError, match=match):
        get_law("bnsl", **options)


@pytest.mark.parametrize("law, options, match", [
    ("sigmoid", {"chance": 1.5}, "chance=1.5"),
    ("sigmoid", {"ceiling": 1}, "does not take option"),
    ("lr_annealing", {"decay": 1.0}, r"decay=1.0 must be a number in \[0, 1\)"),
    ("m2", {"breaks": 2}, "takes no options"),
])
def test_law_options_are_checked(law, options, match):
    with pytest.raises(LawError, match=match):
        get_law(law, **options)


@pytest.mark.parametrize("law", ["bnsl", "loss_to_loss", "loss_to_accuracy", "data_constrained"])
def test_laws_with_curved_ridges_keep_the_diagonal_adaptation(law):
    assert get_law(law).adaptation == "diag"


# -- finite, monotone, with the right limits over the whole prior -----------------------------
GRID = np.geomspace(1e-3, 1e30, 67)  # half-decade steps
FAR = 1e5  # log x at which limits are checked (x = e^100000)
DRAWS = 300


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
    assert not missing, f"add EXPECT entries for {missing} in {helpers.__file__}"


# -- aliases: m1, m2 and the former models/m1.py and models/m2.py -----------------------------
def _m1_function(p, logx, xp):
    return p.log_b - p.c * logx.x


OLD_M1 = Law(
    name="m1",
    inputs=("x",),
    parameters=(
        Parameter("b", centre_input="x", centre_slope="c", description="amplitude at x = 1"),
        Parameter("c", description="exponent"),
    ),
    function=_m1_function,
    # a single power law's term is the whole loss: its host power_law's amplitude prior (and so
    # m1's) has share=1 since the default priors moved to the data's centre
    default_priors=lambda s: {"b": amplitude_prior(s, "x", share=1.0),
                              "c": exponent_prior(summary=s, input_name="x",
                                                  change=observed_change(s))},
    initial=lambda s: {"b": amplitude_start(s, "x", s.y_centre), "c": 0.3},
    formula="y = b x^-c",
    reference="Alabdulmohsin et al. 2022 (arXiv:2209.06640), M1",
    description="revisiting benchmark M1: power law",
)


def _m2_function(p, logx, xp):
    return xp.logaddexp(p.log_e_inf, p.log_b - p.c * logx.x)


def _m2_initial(s):
    floor = 0.5 * s.y_min
    return {"e_inf": floor, "b": amplitude_start(s, "x", s.y_centre - floor), "c": 0.3}


OLD_M2 = Law(
    name="m2",
    inputs=("x",),
    parameters=(
        Parameter("e_inf", description="error with unlimited data"),
        Parameter("b", centre_input="x", centre_slope="c", description="amplitude at x = 1"),
        Parameter("c", description="exponent"),
    ),
    function=_m2_function,
    default_priors=lambda s: {"e_inf": floor_prior(s), "b": amplitude_prior(s, "x"),
                              "c": exponent_prior()},
    initial=_m2_initial,
    formula="y = e_inf + b x^-c",
    reference="Alabdulmohsin et al. 2022 (arXiv:2209.06640), M2",
    description="revisiting benchmark M2: power law with limiting error",
)


OLD = {"m1": OLD_M1, "m2": OLD_M2}
HOST = {"m1": "power_law", "m2": "saturating_power_law"}


SUMMARIES = [
    DataSummary(n=12, inputs={"x": InputSummary(np.log(1e3), np.log(1e6), 9.2)},
                y_min=0.31, y_max=2.4, y_centre=0.9),
    DataSummary(n=5, inputs={"x": InputSummary(-2.0, 1.5, -0.3)},
                y_min=12.0, y_max=40.0, y_centre=20.0),
]


def test_aliases_are_listed_with_their_own_names():
    assert {"m1", "m2", "power_law", "saturating_power_law"} <= set(bl.law_names())
    table = bl.laws()
    assert table.loc["m1", "parameters"] == "b, c"
    assert table.loc["m2", "parameters"] == "e_inf, b, c"


@pytest.mark.parametrize("name", ["m1", "m2"])
def test_alias_declares_what_the_old_file_did(name):
    law, old = bl.get_law(name), OLD[name]
    assert law.name == name
    assert law.parameter_names == old.parameter_names
    assert law.parameters == old.parameters  # supports, centring, descriptions
    for field in ("inputs", "formula", "reference", "description", "link", "options",
                  "target_accept", "adaptation", "extra_columns"):
        assert getattr(law, field) == getattr(old, field), field
    assert "arXiv:2209.06640" in law.reference and name.upper() in law.reference
    # The alias is documented where it is declared.
    doc = _REGISTRY[name].__doc__
    assert f"Alias ``{name}``" in doc and ".. math::" in doc and "Default priors" in doc


@pytest.mark.parametrize("summary", SUMMARIES)
@pytest.mark.parametrize("name", ["m1", "m2"])
def test_alias_priors_and_starting_values_are_unchanged(name, summary):
    law, old = bl.get_law(name), OLD[name]
    assert law.default_priors(summary) == old.default_priors(summary)
    assert list(law.default_priors(summary)) == list(old.default_priors(summary))
    assert law.initial(summary) == old.initial(summary)


@pytest.mark.parametrize("name", ["m1", "m2"])
def test_alias_evaluates_like_the_old_file(name):
    law, old = bl.get_law(name), OLD[name]
    rng = np.random.default_rng(3)
    params = {"b": np.exp(rng.normal(1.0, 2.0, (30, 1))), "c": rng.lognormal(-1.0, 0.8, (30, 1))}
    if name == "m2":
        params["e_inf"] = rng.lognormal(-0.5, 1.0, (30, 1))
    x = {"x": np.geomspace(1e-2, 1e9, 17)}
    np.testing.assert_array_equal(law.evaluate(params, x), old.evaluate(params, x))
    np.testing.assert_array_equal(law.mean(params, x), old.mean(params, x))
    # and as the PyTensor graph every sampler runs
    sym = pt.dvector("x")
    values = {k: pt.as_tensor_variable(np.float64(v[0, 0])) for k, v in params.items()}
    graphs = [f.function(param_namespace(values, f.parameters, xp=mathops.tensor),
                         SimpleNamespace(x=pt.log(sym)), mathops.tensor) for f in (law, old)]
    new_value, old_value = pytensor.function([sym], graphs)(x["x"])
    np.testing.assert_allclose(new_value, old_value, rtol=1e-14)


def test_an_alias_draws_the_prior_predictive_of_its_old_file():
    """Through the whole model (priors, supports, centring, starting offsets): same draws."""
    from tests.helpers import simulate_case

    data = simulate_case("m2")
    new = bl.prior_predictive("m2", data, x="x", draws=200, random_seed=4)
    old = bl.prior_predictive(OLD_M2, data, x="x", draws=200, random_seed=4)
    np.testing.assert_array_equal(new.draws, old.draws)
    for name in ("e_inf", "b", "c"):
        np.testing.assert_array_equal(new.parameters[name], old.parameters[name])


# -- grouped-fit defaults declared by the law files -------------------------------------------
#: (law, options) -> default varying parameters, computed with the rule of
#: bayeslaws/hierarchy.py at commit ba2e82b, before law files declared them.
EXPECTED_VARYING = {
    ("bnsl", ()): ("a", "b", "d1"),
    ("bnsl", (("breaks", 2),)): ("a", "b", "d1", "d2"),
    ("bnsl", (("breaks", 3),)): ("a", "b", "d1", "d2", "d3"),
    ("chinchilla", ()): ("E", "A", "B"),
    ("data_constrained", ()): ("E", "A", "B"),
    ("kaplan", ()): ("N_c", "D_c"),
    ("loss_to_accuracy", ()): ("E", "a"),
    ("loss_to_loss", ()): (),
    ("lr_annealing", ()): (),
    ("lr_annealing", (("decay", 0.9),)): (),
    ("m1", ()): ("b",),
    ("m2", ()): ("b",),
    ("m3", ()): ("b",),
    ("m4", ()): ("e_inf", "e_0", "b"),
    ("observational", ()): ("alpha",),
    ("overtraining", ()): ("E", "a", "c"),
    ("power_law", ()): ("A",),
    ("rectified", ()): ("E", "B", "D_l"),
    ("routed", ()): ("d",),
    ("routed_saturating", ()): ("d",),
    ("saturating_power_law", ()): ("E", "A"),
    ("sigmoid", ()): ("x0",),
    ("sigmoid", (("chance", 0.25),)): ("x0",),
    ("test_time_coverage", ()): ("a",),
}


#: Floors each law declares (irreducible-floor parameters named E or a; m2's is renamed).
EXPECTED_FLOORS = {"bnsl": ("a",), "chinchilla": ("E",), "data_constrained": ("E",),
                   "m2": ("e_inf",), "m4": ("e_inf",), "overtraining": ("E",), "rectified": ("E",),
                   "saturating_power_law": ("E",)}


def test_every_shipped_law_is_pinned():
    shipped = {name for name in bl.law_names()
               if Path(catalogue._REGISTRY[name].__file__).parent == catalogue.models_dir()}
    assert {name for name, _ in EXPECTED_VARYING} == shipped


@pytest.mark.parametrize("name, options", sorted(EXPECTED_VARYING))
def test_default_varying_is_what_the_name_rule_gave(name, options):
    law = bl.get_law(name, **dict(options))
    assert law.default_varying() == EXPECTED_VARYING[name, options]
    assert law.floors == EXPECTED_FLOORS.get(name, ())
