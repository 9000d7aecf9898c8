"""Aliases: ``m1`` and ``m2`` are ``power_law`` and ``saturating_power_law`` renamed.

They used to be law files of their own that repeated the code of the laws they rename; the
definitions of those files are kept here, verbatim, as the reference the aliases must reproduce
number for number: priors, starting values, the function in NumPy and PyTensor, and everything
the model derives from the parameters (centring, supports).
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

import bayeslaws as bl
from bayeslaws import mathops
from bayeslaws.catalogue import _REGISTRY
from bayeslaws.defaults import amplitude_prior, amplitude_start, exponent_prior, floor_prior
from bayeslaws.exceptions import LawError
from bayeslaws.law import DataSummary, InputSummary, Law, Parameter, param_namespace


# -- the former models/m1.py and models/m2.py ------------------------------------------------
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
    default_priors=lambda s: {"b": amplitude_prior(s, "x"), "c": exponent_prior()},
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
    table = bl.laws().set_index("name")
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


def test_alias_sees_its_host_through_the_old_names():
    """The host function is called with the host's names and ``log_<name>`` of them."""
    seen = {}

    def host_function(p, logx, xp):
        seen.update(vars(p))
        return p.log_A - p.alpha * logx.x

    host = dataclasses.replace(bl.get_law("power_law"), function=host_function)
    alias = host.renamed("mine", {"A": "amp"})
    alias.evaluate({"amp": 2.0, "alpha": 0.5}, {"x": np.array([4.0])})
    assert set(seen) == {"A", "log_A", "alpha", "log_alpha"}
    assert seen["A"] == 2.0 and seen["log_A"] == np.log(2.0) and seen["alpha"] == 0.5


def test_renaming_carries_bounds_slopes_requires_and_declarations():
    law = bl.get_law("bnsl", breaks=2).renamed(
        "bnsl_renamed", {"a": "floor", "c0": "slope", "d1": "first", "d2": "second"},
        descriptions={"second": "the later break"})
    par = {p.name: p for p in law.parameters}
    assert par["b"].centre_slope == "slope" and par["second"].lower == "first"
    assert par["second"].description == "the later break"
    assert law.floors == ("floor",)
    assert law.default_varying() == ("floor", "b", "first", "second")
    # a negative centring slope keeps its sign
    ttc = bl.get_law("test_time_coverage").renamed("ttc", {"b": "rate"})
    assert ttc.parameters[0].centre_slope == "-rate"
    # a computed bound reads the renamed parameters under their old names
    lo = Parameter("lo")
    hi = Parameter("hi", support="interval", lower=lambda r, xp: 2.0 * r.lo, upper=10.0,
                   requires=("lo",))
    base = Law(name="t", inputs=("x",), parameters=(lo, hi),
               function=lambda p, logx, xp: xp.log(p.lo + p.hi + 0 * logx.x),
               default_priors=lambda s: {}, formula="y = lo + hi", reference="")
    renamed = base.renamed("t2", {"lo": "low"})
    bound = renamed.parameters[1]
    assert bound.requires == ("low",)
    assert bound.resolve_bounds({"low": 1.5}) == (3.0, 10.0)


def test_renaming_carries_closed_forms():
    chin = bl.get_law("chinchilla")
    alias = chin.renamed("chin_alias", {"E": "L_inf", "alpha": "a_N"})
    params = {"E": np.array([1.7]), "A": np.array([400.0]), "B": np.array([410.0]),
              "alpha": np.array([0.34]), "beta": np.array([0.28])}
    renamed = {{"E": "L_inf", "alpha": "a_N"}.get(k, k): v for k, v in params.items()}
    assert alias.varying == ("L_inf", "A", "B")
    expected, got = chin.compute_optimum(params, 1e23), alias.compute_optimum(renamed, 1e23)
    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key])
    np.testing.assert_array_equal(alias.tokens_for_target(renamed, np.log(1e10), 2.1, {}),
                                  chin.tokens_for_target(params, np.log(1e10), 2.1, {}))


@pytest.mark.parametrize("rename, kwargs, match", [
    ({"Z": "z"}, {}, r"renames \['Z'\], which are not its parameters"),
    ({"A": "alpha"}, {}, "gives two parameters one name"),
    ({"A": "b"}, {"descriptions": {"A": "old name"}}, r"describes \['A'\]"),
    ({"A": "b"}, {"colour": "red"}, r"\['colour'\] are not fields of a Law"),
])
def test_bad_renamings_are_refused(rename, kwargs, match):
    with pytest.raises(LawError, match=match):
        bl.get_law("power_law").renamed("bad", rename, **kwargs)


def test_an_alias_draws_the_prior_predictive_of_its_old_file():
    """Through the whole model (priors, supports, centring, starting offsets): same draws."""
    from tests.test_catalogue import simulate_case

    data = simulate_case("m2")
    new = bl.prior_predictive("m2", data, x="x", draws=200, random_seed=4)
    old = bl.prior_predictive(OLD_M2, data, x="x", draws=200, random_seed=4)
    np.testing.assert_array_equal(new.draws, old.draws)
    for name in ("e_inf", "b", "c"):
        np.testing.assert_array_equal(new.parameters[name], old.parameters[name])
