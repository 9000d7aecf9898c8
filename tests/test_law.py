"""bayeslaws/law.py: Law and Parameter -- bounds, the default varying parameters of a grouped
fit, and renaming (the mechanism behind aliases such as ``m1``).

What the shipped law files declare (their varying parameters, floors, aliases) is checked in
tests/test_models.py; their closed forms in tests/test_optimal.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws.exceptions import LawError
from bayeslaws.law import Law, Parameter


# -- default varying parameters ---------------------------------------------------------------
def test_default_varying_rule_without_a_declaration():
    """Centred parameters and floors vary, and so do bounds that follow a varying one."""
    law = dataclasses.replace(bl.get_law("bnsl", breaks=2), varying=None, floors=())
    assert law.default_varying() == ("b", "d1", "d2")
    assert dataclasses.replace(law, floors=("a",)).default_varying() == ("a", "b", "d1", "d2")
    assert dataclasses.replace(law, varying=("c0",)).default_varying() == ("c0",)
    # an interval parameter bounded by a floor follows it (sigmoid's ceiling above its floor)
    sigmoid = dataclasses.replace(bl.get_law("sigmoid"), floors=("floor",))
    assert sigmoid.default_varying() == ("floor", "ceiling", "x0")


def test_default_varying_keeps_bounded_parameters_together():
    # bnsl's second break d2 is bounded below by d1: both vary, or neither
    assert bl.get_law("bnsl", breaks=2).default_varying() == ("a", "b", "d1", "d2")


def test_varying_and_floors_must_be_tuples_of_names():
    law = bl.get_law("power_law")
    with pytest.raises(LawError, match=r"varying='A' must be a tuple.*varying=\('A',\)"):
        dataclasses.replace(law, varying="A")
    assert dataclasses.replace(law, floors=["A"]).floors == ("A",)


# -- errors of parameters are LawErrors (still ValueErrors) -----------------------------------
@pytest.mark.parametrize("kwargs, match", [
    ({"support": "simplex"}, "unknown support 'simplex'"),
    ({"support": "interval", "lower": 0.0}, "give both bounds"),
    ({"support": "ordered"}, "give lower="),
])
def test_bad_parameters_raise_law_errors(kwargs, match):
    with pytest.raises(LawError, match=match):
        Parameter("x", **kwargs)
    with pytest.raises(ValueError, match=match):
        Parameter("x", **kwargs)


def test_unresolvable_bounds_raise_law_errors():
    par = Parameter("d2", support="ordered", lower="d1")
    with pytest.raises(LawError, match="needs the values it refers to"):
        par.resolve_bounds()
    with pytest.raises(LawError, match="bounded by 'd1', which is neither a parameter nor"):
        par.resolve_bounds({"d0": 1.0})
    assert par.resolve_bounds({"d1": 3.0}) == (3.0, np.inf)


# -- renaming ---------------------------------------------------------------------------------
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
