"""Decisions from the posterior (issue 5): prob_below, scale_for, compute-optimal allocation.

Most tests use a Fit built from fixed parameter draws (no sampling), so answers can be checked
draw by draw against closed forms and first-order conditions to solver precision.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import xarray as xr

import bayeslaws as bl
from bayeslaws import decisions as dec
from bayeslaws import optimal as opt
from bayeslaws.exceptions import BayesLawsError
from bayeslaws.result import Fit
from bayeslaws.simulate import (
    CHINCHILLA_HOFFMANN,
    CHINCHILLA_REPLICATION,
    chinchilla_grid,
    simulate,
)
from bayeslaws.spec import prepare_fit
from bayeslaws.trace import assemble

S = 400


def fixed_draws_fit(law, draws, data, x, y="y", chains=2) -> Fit:
    """A Fit whose posterior is the given draws (split into ``chains``), on ``data``."""
    spec, obs = prepare_fit(law, data, x, y)
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


# -- scale_for --------------------------------------------------------------------------------
def test_scale_for_inverse_consistency(chin):
    result = chin.scale_for(2.3, along="N", fixed={"D": 1e12})
    reached = np.isfinite(result.draws)
    assert reached.mean() > 0.9
    p = dec.law_draws(chin)
    at = {"N": result.draws[reached], "D": 1e12}
    np.testing.assert_allclose(chin.law.mean({k: v[reached] for k, v in p.items()}, at), 2.3,
                               rtol=1e-8)
    # The law falls with N, so P(mean loss at the median scale < target) is one half.
    median = result.table["median"].iloc[0]
    prob = chin.prob_below({"N": [median], "D": [1e12]}, 2.3, kind="mean")["prob_below"][0]
    assert abs(prob - 0.5) <= 2.0 / S


def test_scale_for_never_reached_matches_the_floor(chin):
    p = dec.law_draws(chin)
    floor = p["E"] + p["B"] * 1e12 ** -p["beta"]  # loss as N -> infinity at D = 1e12
    target = float(np.quantile(floor, 0.3))
    result = bl.scale_for(chin, target, along="N", fixed={"D": 1e12})
    hi = result.bounds[1]
    expected = np.mean(chin.law.mean(p, {"N": hi, "D": 1e12}) > target)
    assert result.p_never == pytest.approx(expected)
    assert abs(result.p_never - np.mean(floor >= target)) <= 2.0 / S
    assert np.isinf(result.table["upper"].iloc[0])
    below_everything = bl.scale_for(chin, 0.5 * p["E"].min(), along="D", fixed={"N": 1e10})
    assert below_everything.p_never == 1.0


def test_scale_for_refuses_bad_input(chin):
    with pytest.raises(BayesLawsError, match="along='Q' is not an input.*'D', 'N'"):
        chin.scale_for(2.0, along="Q", fixed={"D": 1e12})
    with pytest.raises(BayesLawsError, match="missing \\['D'\\]"):
        chin.scale_for(2.0, along="N")
    with pytest.raises(BayesLawsError, match="target must be > 0"):
        chin.scale_for(-1.0, along="N", fixed={"D": 1e12})
    with pytest.raises(BayesLawsError, match="lower < upper"):
        chin.scale_for(2.0, along="N", fixed={"D": 1e12}, bounds=(1e12, 1e9))


# -- prob_below -------------------------------------------------------------------------------
def test_prob_below_sanity(chin):
    at = {"N": [7e10] * 4, "D": [1.4e12] * 4}
    table = bl.prob_below(chin, at, [1.0, 1.9, 2.1, 10.0], kind="predictive")
    probs = table["prob_below"].to_numpy()
    assert probs[0] == 0.0 and probs[-1] == 1.0
    assert np.all(np.diff(probs) >= 0)
    # With kind="mean" it is the fraction of draws whose law value is below the target.
    mean = chin.prob_below({"N": [7e10], "D": [1.4e12]}, 2.0, kind="mean")["prob_below"][0]
    p = dec.law_draws(chin)
    assert mean == pytest.approx(np.mean(chin.law.mean(p, {"N": 7e10, "D": 1.4e12}) < 2.0))
    assert dec.format_prob(0.0, 800) == "< 1/800"
    with pytest.raises(BayesLawsError, match="target has 2 values but there are 4"):
        bl.prob_below(chin, at, [1.0, 2.0])


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


def test_group_selects_a_hierarchical_fits_parameters(chin):
    from types import SimpleNamespace

    base = dec.law_draws(chin)

    def draws(names):
        out = {}
        for name in names:
            if name == "E":  # E varies by group, the rest is pooled
                out["E[rpj]"], out["E[c4]"] = base["E"], base["E"] + 0.1
            else:
                out[name] = base[name]
        return out

    hier = SimpleNamespace(law=chin.law, groups=("rpj", "c4"), draws=draws, is_grouped=True)
    np.testing.assert_array_equal(dec.law_draws(hier, "c4")["E"], base["E"] + 0.1)
    np.testing.assert_array_equal(dec.law_draws(hier, "c4")["alpha"], base["alpha"])
    with pytest.raises(BayesLawsError, match="pass group= one of its groups \\('c4', 'rpj'\\)"):
        dec.law_draws(hier)
    with pytest.raises(BayesLawsError, match="this fit has no groups"):
        chin.scale_for(2.0, along="N", fixed={"D": 1e12}, group="rpj")
