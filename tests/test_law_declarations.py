"""What law files declare for the engine: grouped-fit defaults, floors and closed forms.

The default varying parameters of every catalogue law are pinned to what the name-based rule of
``bayeslaws.hierarchy.default_varying`` (``DEFAULT_VARYING`` and ``FLOOR_NAMES = ("E", "a")``)
gave before the laws declared them, so that moving the rule into the law files changed no
grouped fit. The closed forms of ``compute_optimum`` and ``tokens_for_target`` are checked
against the numerical optimum and the root finder they replace.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws import catalogue, optimal
from bayeslaws.decisions import solve_along
from bayeslaws.exceptions import LawError
from bayeslaws.law import Law, Parameter

ROOT = Path(__file__).resolve().parents[1]

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
    ("overtraining", ()): ("E", "a", "c"),
    ("power_law", ()): ("A",),
    ("rectified", ()): ("E", "B", "D_l"),
    ("saturating_power_law", ()): ("E", "A"),
    ("sigmoid", ()): ("x0",),
    ("sigmoid", (("chance", 0.25),)): ("x0",),
    ("test_time_coverage", ()): ("a",),
}

#: Floors each law declares (irreducible-floor parameters named E or a; m2's is renamed).
EXPECTED_FLOORS = {"bnsl": ("a",), "chinchilla": ("E",), "data_constrained": ("E",),
                   "m2": ("e_inf",), "overtraining": ("E",), "rectified": ("E",),
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


def test_default_varying_rule_without_a_declaration():
    """Centred parameters and floors vary, and so do bounds that follow a varying one."""
    law = dataclasses.replace(bl.get_law("bnsl", breaks=2), varying=None, floors=())
    assert law.default_varying() == ("b", "d1", "d2")
    assert dataclasses.replace(law, floors=("a",)).default_varying() == ("a", "b", "d1", "d2")
    assert dataclasses.replace(law, varying=("c0",)).default_varying() == ("c0",)
    # an interval parameter bounded by a floor follows it (sigmoid's ceiling above its floor)
    sigmoid = dataclasses.replace(bl.get_law("sigmoid"), floors=("floor",))
    assert sigmoid.default_varying() == ("floor", "ceiling", "x0")


def test_varying_and_floors_must_be_tuples_of_names():
    law = bl.get_law("power_law")
    with pytest.raises(LawError, match=r"varying='A' must be a tuple.*varying=\('A',\)"):
        dataclasses.replace(law, varying="A")
    assert dataclasses.replace(law, floors=["A"]).floors == ("A",)


# -- errors of parameters are LawErrors (still ValueErrors) ---------------------------------
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


# -- closed forms declared by the law files --------------------------------------------------
def _draws(rng, law: Law, n: int = 50) -> dict[str, np.ndarray]:
    base = {"chinchilla": {"E": 1.7, "A": 400.0, "B": 410.0, "alpha": 0.34, "beta": 0.28},
            "kaplan": {"N_c": 8.8e13, "D_c": 5.4e13, "alpha_N": 0.076, "alpha_D": 0.095}}
    return {k: v * np.exp(0.1 * rng.standard_normal(n)) for k, v in base[law.name].items()}


@pytest.mark.parametrize("name", ["chinchilla", "kaplan"])
def test_compute_optimum_matches_the_numerical_optimum(name):
    law = bl.get_law(name)
    assert law.compute_optimum is not None
    params = _draws(np.random.default_rng(0), law)
    budgets = [1e21, 1e23, 1e25]
    closed = optimal.optimal_allocation(law, params, budgets, method="closed")
    numerical = optimal.optimal_allocation(law, params, budgets, method="numerical")
    np.testing.assert_allclose(closed["log_N"], numerical["log_N"], atol=1e-5)
    np.testing.assert_allclose(closed["log_D"], numerical["log_D"], atol=1e-5)
    # C = 6 N D and the exponents of the closed form
    np.testing.assert_allclose(np.exp(closed["log_N"] + closed["log_D"]) * 6,
                               np.broadcast_to(budgets, closed["log_N"].shape), rtol=1e-10)
    out = law.compute_optimum({k: v[:, None] for k, v in params.items()}, np.asarray(budgets))
    slope = np.diff(out["log_N"], axis=1) / np.diff(np.log(budgets))
    np.testing.assert_allclose(slope, np.broadcast_to(out["a"], slope.shape))
    np.testing.assert_allclose(out["a"] + out["b"], 1.0)


def test_laws_without_a_closed_form_say_so_and_name_those_with_one():
    law = bl.get_law("overtraining")
    assert law.compute_optimum is None
    params = {"E": [1.8], "a": [300.0], "c": [1500.0], "b": [0.33]}
    with pytest.raises(bl.BayesLawsError, match=r"No closed form for law 'overtraining': this "
                       r"law declares no closed form .*laws with one: .*chinchilla.*kaplan"):
        optimal.optimal_allocation(law, params, [1e21], method="closed")
    out = optimal.optimal_allocation(law, params, [1e21])
    assert np.all(out["status"] == 0)


def test_a_copy_without_the_declaration_uses_the_numerical_optimum():
    chin = bl.get_law("chinchilla")
    plain = dataclasses.replace(chin, name="my_chinchilla", compute_optimum=None)
    params = _draws(np.random.default_rng(1), chin)
    a = optimal.optimal_allocation(chin, params, [1e22])
    b = optimal.optimal_allocation(plain, params, [1e22])
    np.testing.assert_allclose(a["log_N"], b["log_N"], atol=1e-5)


def test_tokens_for_target_matches_the_root_finder():
    law = bl.get_law("chinchilla")
    rng = np.random.default_rng(2)
    params = {k: v[:, None] for k, v in _draws(rng, law, 40).items()}
    log_n = np.log(np.geomspace(1e8, 1e12, 6))[None, :]
    target = 2.2
    closed = law.tokens_for_target(params, log_n, target, {})
    root, _ = solve_along(law, params, "D", {"N": np.exp(log_n)}, target,
                          (np.log(1e3), np.log(1e20)), direction="below")
    ok = np.isfinite(root)
    assert ok.mean() > 0.5
    np.testing.assert_array_equal(np.isfinite(closed), ok)
    np.testing.assert_allclose(closed[ok], root[ok], atol=1e-6)
    np.testing.assert_allclose(law.mean(params, {"N": np.exp(log_n), "D": np.exp(closed)})[ok],
                               target, rtol=1e-10)


def test_optimal_never_tests_a_law_name():
    """The engine asks the law (compute_optimum, tokens_for_target), never its name."""
    tree = ast.parse((ROOT / "bayeslaws" / "optimal.py").read_text())
    names = set(bl.law_names())
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            parts = [node.left, *node.comparators]
            is_name = any(isinstance(p, ast.Attribute) and p.attr == "name" for p in parts)
            literal = any(isinstance(p, ast.Constant) and p.value in names for p in parts)
            assert not (is_name or literal), ast.unparse(node)
        assert not (isinstance(node, ast.Constant) and node.value == "CLOSED_FORMS")
    assert not hasattr(optimal, "CLOSED_FORMS")
