"""bayeslaws/optimal.py: compute-optimal and inference-aware allocation, per posterior draw, and
the closed forms that law files declare for it.

Most tests use a Fit built from fixed parameter draws (no sampling; ``fixed_draws_fit`` of
tests/helpers.py), so answers can be checked draw by draw against closed forms and first-order
conditions to solver precision. The closed forms of ``compute_optimum`` and ``tokens_for_target``
are checked against the numerical optimum and the root finder they replace.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws import decisions as dec
from bayeslaws import optimal
from bayeslaws import optimal as opt
from bayeslaws.decisions import solve_along
from bayeslaws.exceptions import BayesLawsError
from bayeslaws.law import Law
from bayeslaws.simulate import (
    CHINCHILLA_HOFFMANN,
    CHINCHILLA_REPLICATION,
    chinchilla_grid,
    simulate,
)
from tests.helpers import S, chinchilla_draws, fixed_draws_fit


@pytest.fixture(scope="module")
def chin():
    data = simulate("chinchilla", CHINCHILLA_REPLICATION, chinchilla_grid(), random_seed=0)
    return fixed_draws_fit("chinchilla", chinchilla_draws(), data, {"N": "N", "D": "D"})


@pytest.fixture(scope="module")
def kaplan_fit():
    published = {"N_c": 8.8e13, "D_c": 5.4e13, "alpha_N": 0.076, "alpha_D": 0.095}
    rng = np.random.default_rng(2)
    draws = {k: v * np.exp(0.03 * rng.standard_normal(200)) for k, v in published.items()}
    draws["sigma"] = np.full(200, 0.02)
    data = simulate("kaplan", published, chinchilla_grid(), random_seed=1)
    return fixed_draws_fit("kaplan", draws, data, {"N": "N", "D": "D"})


BUDGETS = [1e20, 1e22, 5.88e23, 1e25]


# -- compute-optimal --------------------------------------------------------------------------
def test_closed_form_satisfies_budget_and_first_order_condition(chin):
    result = bl.compute_optimal(chin, BUDGETS)
    assert result.method == "closed"
    p = {k: v[:, None] for k, v in dec.law_draws(chin).items()}
    n, d = result.draws["N"], result.draws["D"]
    np.testing.assert_allclose(6 * n * d, np.broadcast_to(BUDGETS, n.shape), rtol=1e-12)
    # Lagrange condition of min E + A/N^alpha + B/D^beta s.t. N D = C/6:
    # alpha A N^-alpha = beta B D^-beta.
    np.testing.assert_allclose(p["alpha"] * p["A"] * n ** -p["alpha"],
                               p["beta"] * p["B"] * d ** -p["beta"], rtol=1e-10)
    np.testing.assert_allclose(result.draws["a"], p["beta"][:, 0] / (p["alpha"] + p["beta"])[:, 0],
                               rtol=1e-10)
    np.testing.assert_allclose(result.draws["a"] + result.draws["b"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(result.draws["loss"],
                               chin.law.mean({k: v for k, v in p.items()}, {"N": n, "D": d}))


def test_numerical_optimum_agrees_with_closed_form(chin):
    closed = bl.compute_optimal(chin, BUDGETS)
    numerical = bl.compute_optimal(chin, BUDGETS, method="numerical")
    assert numerical.method == "numerical"
    assert not np.isnan(numerical.draws["N"]).any()
    # find_minimum tolerance: x to 1e-9 in log N; a flat minimum limits it to ~sqrt(eps).
    np.testing.assert_allclose(np.log(numerical.draws["N"]), np.log(closed.draws["N"]),
                               atol=1e-5)
    np.testing.assert_allclose(numerical.draws["a"], closed.draws["a"], atol=1e-5)
    # A custom FLOP model equal to 6ND goes through the root finder for D.
    custom = bl.compute_optimal(chin, BUDGETS[:2], flops=lambda N, D: 6 * N * D)
    np.testing.assert_allclose(np.log(custom.draws["N"]), np.log(closed.draws["N"][:, :2]),
                               atol=1e-5)


def test_single_budget_exponent_and_table(chin):
    result = chin.compute_optimal(5.88e23)
    p = dec.law_draws(chin)
    np.testing.assert_allclose(result.draws["a"], p["beta"] / (p["alpha"] + p["beta"]),
                               rtol=1e-10)
    table = result.table
    assert list(table["C"]) == [5.88e23]
    row = table.iloc[0]
    assert row["N_lower"] < row["N_median"] < row["N_upper"]
    assert row["p_no_optimum"] == 0
    # The replication's parameters give about 20 tokens per parameter at 5.88e23 FLOPs.
    point = opt.optimal_allocation(chin.law, CHINCHILLA_REPLICATION, [5.88e23])
    assert 15 < np.exp(point["log_D"] - point["log_N"])[0, 0] < 30


def test_numerical_optimum_for_kaplan_is_a_constrained_minimum(kaplan_fit):
    flops = lambda N, D: 6 * N * D + 1e3 * N  # noqa: E731 -- a FLOP model without closed form
    result = bl.compute_optimal(kaplan_fit, [1e21, 1e23], flops=flops)
    assert result.method == "numerical"
    n, d = result.draws["N"], result.draws["D"]
    assert np.isfinite(n).all()
    np.testing.assert_allclose(flops(n, d), np.broadcast_to([1e21, 1e23], n.shape), rtol=1e-8)
    p = {k: v[:, None] for k, v in dec.law_draws(kaplan_fit).items()}
    best = kaplan_fit.law.mean(p, {"N": n, "D": d})
    for factor in (0.97, 1.03):
        n2 = n * factor
        d2 = (np.array([1e21, 1e23])[None, :] - 1e3 * n2) / (6 * n2)
        assert (kaplan_fit.law.mean(p, {"N": n2, "D": d2}) > best).all()


def test_numerical_optimum_agrees_with_kaplan_closed_form(kaplan_fit):
    closed = bl.compute_optimal(kaplan_fit, BUDGETS)
    assert closed.method == "closed"
    p = dec.law_draws(kaplan_fit)
    r = p["alpha_N"] / p["alpha_D"]
    np.testing.assert_allclose(closed.draws["a"], 1 / (r + 1), rtol=1e-10)
    numerical = bl.compute_optimal(kaplan_fit, BUDGETS, method="numerical")
    np.testing.assert_allclose(np.log(numerical.draws["N"]), np.log(closed.draws["N"]),
                               atol=1e-5)


def test_compute_optimal_refuses_bad_input(chin):
    with pytest.raises(BayesLawsError, match="C must hold finite positive"):
        bl.compute_optimal(chin, [1e21, -1.0])
    with pytest.raises(BayesLawsError, match="flops must be a function"):
        bl.compute_optimal(chin, [1e21], flops=6.0)
    with pytest.raises(BayesLawsError, match="method must be"):
        bl.compute_optimal(chin, [1e21], method="fast")
    with pytest.raises(BayesLawsError, match="No closed form for law 'chinchilla' with a custom"):
        bl.compute_optimal(chin, [1e21], flops=lambda N, D: 6 * N * D, method="closed")
    data = simulate("power_law", {"A": 10.0, "alpha": 0.3}, {"x": np.geomspace(1e6, 1e9, 8)})
    one = fixed_draws_fit("power_law", {"A": np.full(4, 10.0), "alpha": np.full(4, 0.3),
                                        "sigma": np.full(4, 0.02)}, data, "x")
    with pytest.raises(BayesLawsError, match="inputs N \\(parameters\\) and D"):
        bl.compute_optimal(one, [1e21])


# -- inference-aware allocation ---------------------------------------------------------------
def test_inference_optimal_zero_demand_is_chinchilla_optimal(chin):
    result = bl.inference_optimal(chin, 2.0, [0.0, 1e12, 1e13])
    n, d = result.draws["N"], result.draws["D"]
    ok = np.isfinite(n[:, 0])
    assert ok.mean() > 0.9
    p = dec.law_draws(chin)
    closed = chin.law.compute_optimum(p, 6 * n[:, 0] * d[:, 0])
    ratio_closed = np.exp(closed["log_D"] - closed["log_N"])
    np.testing.assert_allclose((d / n)[ok, 0], ratio_closed[ok], rtol=1e-4)
    # The target is met, more demand means smaller models trained longer, and it pays off.
    loss = chin.law.mean({k: v[:, None] for k, v in p.items()}, {"N": n, "D": d})
    np.testing.assert_allclose(loss[ok], 2.0, rtol=1e-8)
    assert np.all(np.diff(np.log(n[ok]), axis=1) < 0)
    assert np.all(result.draws["cost_ratio"][ok] >= 1 - 1e-9)
    assert result.p_unreachable == pytest.approx(np.mean(p["E"] >= 2.0), abs=2.0 / S)


def test_inference_optimal_generic_root_path_matches_closed_form(chin):
    renamed = dataclasses.replace(chin.law, name="chinchilla_generic", tokens_for_target=None)
    generic = fixed_draws_fit(renamed, {k: v.ravel() for k, v in chin.draws().items()},
                              chin.data(), {"N": "N", "D": "D"})
    a = bl.inference_optimal(chin, 2.1, [1e12])
    b = bl.inference_optimal(generic, 2.1, [1e12])
    ok = np.isfinite(a.draws["N"])
    np.testing.assert_array_equal(ok, np.isfinite(b.draws["N"]))
    np.testing.assert_allclose(np.log(b.draws["N"][ok]), np.log(a.draws["N"][ok]), atol=1e-4)


def test_hoffmann_parameters_give_their_published_ratio():
    point = opt.optimal_allocation(bl.get_law("chinchilla"), CHINCHILLA_HOFFMANN, [5.88e23])
    ratio = float(np.exp(point["log_D"] - point["log_N"])[0, 0])
    # a = 0.28 / 0.62 and G from the published A, B: a model of ~3e10 parameters.
    assert 2e10 < np.exp(point["log_N"])[0, 0] < 5e10
    assert ratio > 50


ROOT = Path(__file__).resolve().parents[1]


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
