"""bayeslaws/prior_predictive.py: what a law and its default priors say before seeing y.

The prior predictive check must put data simulated from each catalogue law (``CASES`` of
tests/helpers.py) inside its 90% band and stay on the data's scale as documented in each law
file; the parameter draws keep every law's constraints.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslaws as bl
from bayeslaws.catalogue import get_law
from bayeslaws.exceptions import BayesLawsError, PriorError
from bayeslaws.prior_predictive import draw_parameters, prior_predictive
from bayeslaws.spec import prepare_fit
from tests.conftest import load_script, requires_data
from tests.helpers import CASES, LAW_OF, simulate_case


def test_ordered_break_points_are_drawn_in_order():
    data = simulate_case("m2")  # any one-input data set
    law = get_law("bnsl", breaks=3)
    spec, obs = prepare_fit(law, data, x="x", y="y", likelihood="lognormal")
    draws = draw_parameters(spec, {}, 500, random_seed=0, summary=obs.summary)
    assert np.all(draws["d1"] < draws["d2"]) and np.all(draws["d2"] < draws["d3"])


def test_sigmoid_ceiling_stays_above_the_floor_in_prior_draws():
    data = simulate_case("sigmoid_floor")
    check = prior_predictive("sigmoid", data, x="x", likelihood="beta", draws=500)
    assert np.all(check.parameters["ceiling"] > check.parameters["floor"])
    assert np.all((check.draws >= 0) & (check.draws <= 1))


def test_loss_to_loss_bound_follows_the_data():
    data = simulate_case("loss_to_loss")
    check = prior_predictive("loss_to_loss", data, x="Lx", draws=300)
    assert np.all(check.parameters["E_x"] < data["Lx"].min())


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


def test_prior_predictive_table_columns():
    check = bl.prior_predictive("m2", simulate_case("m2"), x="x", draws=100)
    assert list(check.table().columns) == ["x", "observed", "median", "lower", "upper"]
    assert isinstance(check.table(), pd.DataFrame)


# -- weakly informative on the observable scale (benchmarks/prior_ranges.py) ----------------
#: One curve per kind of shared data set, for every catalogue law that applies to it.
RANGE_DATA = ("chinchilla 240", "gadre rpj/c4_val", "revisiting IC BiT/101/3",
              "revisiting NMT 28 Enc, 6 Dec", "bnsl 4-digit", "pythia lambada_openai")


#: Smallest allowed prior median curve (a multiple of the smallest y), where not 1/3. The
#: sigmoid's uniform ceiling prior puts LAMBADA's (chance 0) prior median at 0.24 x its smallest
#: accuracy; the former Beta(2, 1) ceiling gave 0.38 x but 17 instead of 20 of 22 Pythia fits
#: meeting the convergence goal (benchmarks/results/sigmoid/after and ceiling_beta21): a
#: trade-off chosen for convergence, bounded here so that a prior further off still fails.
MEDIAN_LOW = {"sigmoid": 1 / 5}
#: Largest allowed upper end of the 90% band (a multiple of the largest y) per kind of law, at
#: about 1.5x what benchmarks/results/prior_ranges.md measures at the defaults.
BAND_LIMIT = {"kaplan": 100.0}
LOSS_BAND_LIMIT = 20.0


@requires_data
def test_default_priors_stay_on_the_data_scale():
    """The prior median curve of every catalogue law lies within a factor of 3 of the data's
    range on the shared data (the sigmoid's low end within 5, see MEDIAN_LOW), and the 90% band
    of loss laws without breaks within [1/5, 20] times it (kaplan 100).

    The issue's target is the 90% band within a factor of 3; benchmarks/results/prior_ranges.md
    has every pair (10 of 79 meet it): single-term laws reach 0.26-4.6 x, laws with a floor
    0.23-15 x (their terms may be a tiny or a large share of the loss), kaplan 69 x, bnsl
    1e5-1e17 x (a span-aware slope prior narrowed that to 2e4 x but pulled a double-descent
    slope change toward 0: bayeslaws/defaults.py, slope_change_prior). The former priors of the
    pure power laws, refused here, gave 14-49 x; before them (amplitudes at x = 1, exponent
    sigma 1) every law reached 60-45,000 x.
    """
    ranges = load_script("benchmarks", "prior_ranges")
    checked = 0
    for data, law, options, frame, args in ranges.data_sets():
        if data not in RANGE_DATA:
            continue
        row = ranges.band(law, options, frame, args, draws=400)
        low = MEDIAN_LOW.get(law, 1 / 3)
        assert low <= row["median_low"] and row["median_high"] <= 3, (data, law, row)
        # (an accuracy may approach 0; bnsl's slope changes compound over its breaks)
        if law != "sigmoid" and not law.startswith("bnsl"):
            limit = BAND_LIMIT.get(law, LOSS_BAND_LIMIT)
            assert row["lower_ratio"] >= 1 / 5 and row["upper_ratio"] <= limit, (data, law, row)
        checked += 1
    assert checked >= 20
