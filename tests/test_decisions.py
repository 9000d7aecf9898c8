"""bayeslaws/decisions.py: decisions from the posterior -- prob_below and scale_for.

Most tests use a Fit built from fixed parameter draws (no sampling; ``fixed_draws_fit`` of
tests/helpers.py), so answers can be checked draw by draw against closed forms to solver
precision. Compute-optimal allocation is tested in tests/test_optimal.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws import decisions as dec
from bayeslaws.exceptions import BayesLawsError
from bayeslaws.simulate import CHINCHILLA_REPLICATION, chinchilla_grid, simulate
from tests.helpers import S, chinchilla_draws, fixed_draws_fit


@pytest.fixture(scope="module")
def chin():
    data = simulate("chinchilla", CHINCHILLA_REPLICATION, chinchilla_grid(), random_seed=0)
    return fixed_draws_fit("chinchilla", chinchilla_draws(), data, {"N": "N", "D": "D"})


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


# -- grouped fits -----------------------------------------------------------------------------
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
