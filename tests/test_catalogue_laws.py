"""The law catalogue without sampling: listing, formulas, options, priors, prior predictive.

Each law's function (written once for PyTensor and NumPy, in log space where stabler) is checked
against the paper's formula evaluated directly; the prior predictive check
(:mod:`bayeslaws.prior_predictive`) must put the simulated data inside its 90% band and stay on
the data's scale as documented in each law file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytensor
import pytensor.tensor as pt
import pytest

import bayeslaws as bl
from bayeslaws import mathops
from bayeslaws.catalogue import get_law
from bayeslaws.exceptions import BayesLawsError, LawError, PriorError
from bayeslaws.prior_predictive import draw_parameters, prior_predictive
from bayeslaws.schedules import areas
from tests.test_catalogue import CASES, LAW_OF, simulate_case

EXPECTED = {"bnsl", "sigmoid", "loss_to_accuracy", "rectified", "loss_to_loss",
            "data_constrained", "overtraining", "m1", "m2", "m3", "lr_annealing",
            "test_time_coverage", "chinchilla", "kaplan", "power_law", "saturating_power_law"}


def test_laws_table_lists_every_law_with_inputs_formula_and_reference():
    table = bl.laws().set_index("name")
    assert EXPECTED <= set(table.index)
    for name in EXPECTED:
        row = table.loc[name]
        assert row["inputs"] and row["formula"] and row["reference"], name
        assert "arXiv" in row["reference"], name


def test_every_law_file_documents_formula_reference_and_priors():
    from bayeslaws.catalogue import _REGISTRY, _ensure_loaded

    _ensure_loaded()
    for name in EXPECTED - {"chinchilla", "kaplan", "power_law", "saturating_power_law"}:
        doc = " ".join(_REGISTRY[name].__doc__.split())
        assert ".. math::" in doc and "Reference" in doc and "Default priors" in doc, name
        assert "Prior predictive" in doc, name


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


def test_lr_schedule_areas_match_the_per_step_recursion():
    rng = np.random.default_rng(0)
    lr = np.r_[np.full(30, 1e-3), np.linspace(1e-3, 1e-4, 30)] * rng.uniform(0.9, 1.0, 60)
    step = np.arange(1.0, 61.0)
    m, s2, expected_s2 = 0.0, 0.0, []
    for i in range(60):
        m = 0.9 * m + (0.0 if i == 0 else lr[i - 1] - lr[i])
        s2 += m
        expected_s2.append(s2)
    s1, s2 = areas(step, lr, decay=0.9)
    np.testing.assert_allclose(s1, np.cumsum(lr), rtol=1e-12)
    np.testing.assert_allclose(s2, expected_s2, rtol=1e-10, atol=1e-15)
    # rows in any order give the same areas per row
    order = rng.permutation(60)
    s1p, s2p = areas(step[order], lr[order], decay=0.9)
    np.testing.assert_allclose(s2p, np.asarray(expected_s2)[order], rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(s1p, np.cumsum(lr)[order], rtol=1e-12)


def test_lr_annealing_forecasts_a_new_schedule_from_the_areas():
    law = get_law("lr_annealing")
    params = {"L0": 2.0, "A": 0.5, "alpha": 0.5, "C": 100.0}
    step = np.arange(100.0, 10001.0, 100.0)
    constant, decayed = np.full(100, 3e-4), np.linspace(3e-4, 3e-5, 100)
    flat, annealed = law.mean(params, {"step": step, "lr": constant}), law.mean(
        params, {"step": step, "lr": decayed})
    assert np.all(np.diff(flat) < 0)
    assert annealed[-1] < flat[-1]  # annealing lowers the final loss ...


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


def test_fraction_laws_refuse_a_loss_likelihood():
    data = simulate_case("sigmoid_floor")
    with pytest.raises(BayesLawsError, match="use one of 'beta', 'betabinomial', 'binomial'"):
        bl.fit("sigmoid", data, x="x", y="y", likelihood="lognormal")


def test_ordered_break_points_are_drawn_in_order():
    data = simulate_case("m2")  # any one-input data set
    law = get_law("bnsl", breaks=3)
    spec, obs = bl.fitting.prepare_fit(law, data, x="x", y="y")
    draws = draw_parameters(spec, {}, 500, random_seed=0)
    assert np.all(draws["d1"] < draws["d2"]) and np.all(draws["d2"] < draws["d3"])


def test_sigmoid_ceiling_stays_above_the_floor_in_prior_draws():
    data = simulate_case("sigmoid_floor")
    check = prior_predictive("sigmoid", data, x="x", likelihood="beta", draws=500)
    assert np.all(check.parameters["ceiling"] > check.parameters["floor"])
    assert np.all((check.draws >= 0) & (check.draws <= 1))


#: Documented prior predictive ranges: for loss laws, the prior median at the data lies within
#: ``factor`` of the observed values (a weakly informative prior on the data's scale); fraction
#: laws stay in [0, 1] (loss_to_accuracy's errors may fall below 0 before clipping).
MEDIAN_FACTOR = {"data_constrained": 300.0, "overtraining": 300.0}


@pytest.mark.parametrize("case", sorted(CASES))
def test_prior_predictive_covers_the_data_on_its_scale(case):
    options, _, inputs, likelihood, extra, _ = CASES[case]
    data = simulate_case(case)
    check = prior_predictive(LAW_OF.get(case, case), data, x={k: k for k in inputs},
                             likelihood=likelihood, law_options=options,
                             extra={k: k for k in extra} or None, draws=1000, random_seed=0)
    assert np.isfinite(check.draws).mean() > 0.99
    assert check.coverage(0.9) >= 0.9, check.table()
    table = check.table(0.9)
    if check.spec.law.link == "log":
        ratio = table["median"] / table["observed"]
        factor = MEDIAN_FACTOR.get(case, 10.0)
        assert ratio.between(1 / factor, factor).all(), table
    elif case != "loss_to_accuracy":
        assert np.all((check.draws >= 0) & (check.draws <= 1))


def test_prior_predictive_with_noise_and_bad_arguments():
    data = simulate_case("test_time_coverage")
    check = prior_predictive("test_time_coverage", data, x="k", likelihood="binomial",
                             extra={"trials": "trials"}, kind="predictive", draws=200)
    counts = check.draws * 500
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-9)
    with pytest.raises(BayesLawsError, match="kind must be"):
        prior_predictive("m1", simulate_case("m1"), x="x", kind="posterior")
    with pytest.raises(BayesLawsError, match="draws must be"):
        prior_predictive("m1", simulate_case("m1"), x="x", draws=0)


def test_impossible_constraints_are_reported():
    data = simulate_case("sigmoid_floor")
    priors = {"floor": bl.Prior("Beta", alpha=200.0, beta=1.0),
              "ceiling": bl.Prior("Beta", alpha=1.0, beta=200.0)}
    with pytest.raises(PriorError, match="satisfy its constraints"):
        prior_predictive("sigmoid", data, x="x", likelihood="beta", priors=priors, draws=50)


def test_loss_to_loss_bound_follows_the_data():
    data = simulate_case("loss_to_loss")
    check = prior_predictive("loss_to_loss", data, x="Lx", draws=300)
    assert np.all(check.parameters["E_x"] < data["Lx"].min())


def test_data_constrained_without_repeats_is_chinchilla():
    n, d = np.geomspace(1e8, 1e10, 5), np.geomspace(1e9, 1e11, 5)
    p = {"E": 1.8, "A": 400.0, "B": 400.0, "alpha": 0.34, "beta": 0.28}
    dc = get_law("data_constrained").mean({**p, "R_star": 15.0}, {"N": n, "D": d, "U": d * 2})
    np.testing.assert_allclose(dc, get_law("chinchilla").mean(p, {"N": n, "D": d}), rtol=1e-12)


def test_prior_predictive_table_columns():
    check = bl.prior_predictive("m2", simulate_case("m2"), x="x", draws=100)
    assert list(check.table().columns) == ["x", "observed", "median", "lower", "upper"]
    assert isinstance(check.table(), pd.DataFrame)


@pytest.mark.parametrize("law, options, given, expected", [
    ("bnsl", {"breaks": 1}, {}, (0.95, "diag")),
    ("bnsl", {"breaks": 2}, {"target_accept": 0.9}, (0.9, "diag")),
    ("bnsl", {"breaks": 1}, {"adaptation": "low_rank"}, (0.95, "low_rank")),
    ("m2", {}, {}, (0.9, "low_rank")),
    ("m2", {}, {"adaptation": "diag"}, (None, "diag")),
])
def test_law_default_sampler_settings_reach_the_sampler(law, options, given, expected):
    """target_accept and nutpie's adaptation: the user's, else the law's, else the package's
    (low_rank at 0.9)."""
    from unittest import mock

    from bayeslaws import sampling

    class Captured(Exception):
        pass

    def capture(*args, **kwargs):
        raise Captured(kwargs["target_accept"], kwargs["adaptation"])

    data = simulate_case("m2")
    with mock.patch.object(sampling, "run_nuts", side_effect=capture), \
            pytest.raises(Captured) as caught:
        bl.fit(law, data, x="x", y="y", law_options=options or None, **given)
    assert caught.value.args == expected


@pytest.mark.parametrize("law", ["bnsl", "loss_to_loss", "loss_to_accuracy", "data_constrained"])
def test_laws_with_curved_ridges_keep_the_diagonal_adaptation(law):
    assert get_law(law).adaptation == "diag"
