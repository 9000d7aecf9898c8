"""bayeslaws/likelihoods.py: the observation models.

The sampled (PyMC) and stored (NumPy) densities agree, draws are valid fractions or counts,
unusable data are refused before sampling, and a likelihood must suit its law.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
from scipy import stats

import bayeslaws as bl
from bayeslaws.exceptions import BayesLawsError, DataError
from bayeslaws.likelihoods import LIKELIHOODS, get_likelihood
from tests.helpers import simulate_case

MEAN = np.array([0.05, 0.3, 0.5, 0.77, 0.98])
Y = np.array([0.04, 0.35, 0.5, 0.8, 0.97])
TRIALS = np.array([100.0, 20.0, 1000.0, 50.0, 100.0])


def _pymc_logp(name: str, params: dict, observed: np.ndarray) -> np.ndarray:
    lik = LIKELIHOODS[name]
    with pm.Model() as model:
        lik.observe("y", pm.math.constant(MEAN), params, lik.transform(observed))
    return np.asarray(model.compile_logp(sum=False, jacobian=False)({})[0])


def test_binomial_density_is_that_of_the_count_in_pymc_and_numpy():
    params = {"trials": TRIALS}
    expected = stats.binom.logpmf(np.round(Y * TRIALS), TRIALS, MEAN)
    np.testing.assert_allclose(LIKELIHOODS["binomial"].logpdf(MEAN, params, Y), expected)
    np.testing.assert_allclose(_pymc_logp("binomial", params, Y), expected, rtol=1e-6)


@pytest.mark.parametrize("nu", [0.6, 1.0, 3.0, 30.0, 1e4, 1e9])
def test_studentt_density_is_scipys_and_pymcs_for_every_nu(nu):
    """The stored density (computed with one normalising constant per draw, for speed) is
    scipy's and PyMC's, also for near-Cauchy and near-normal ``nu``, on (draws x runs) arrays."""
    rng = np.random.default_rng(1)
    mean = np.log(2.0 + rng.random((3, 5)))
    y = np.log(2.0 + rng.random(5))
    params = {"nu": nu * np.array([[0.5], [1.0], [2.0]]), "sigma": np.array([[0.01], [0.1], [1.0]])}
    got = LIKELIHOODS["studentt"].logpdf(mean, params, y)
    expected = stats.t.logpdf(y, df=params["nu"], loc=mean, scale=params["sigma"])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    if nu > 100:  # PyMC's own constant drifts there (0.003 at nu = 1e4); scipy's is exact
        return
    one = {"nu": nu, "sigma": 0.05}
    lik = LIKELIHOODS["studentt"]
    with pm.Model() as model:
        lik.observe("y", pm.math.constant(mean[0]), one, y)
    np.testing.assert_allclose(lik.logpdf(mean[0], one, y),
                               model.compile_logp(sum=False, jacobian=False)({})[0], rtol=1e-6)


def test_beta_density_has_mean_the_law_and_precision_phi():
    params = {"phi": 80.0}
    expected = stats.beta.logpdf(Y, MEAN * 80.0, (1 - MEAN) * 80.0)
    np.testing.assert_allclose(LIKELIHOODS["beta"].logpdf(MEAN, params, Y), expected)
    np.testing.assert_allclose(_pymc_logp("beta", params, Y), expected, rtol=1e-6)
    draws = LIKELIHOODS["beta"].draw(np.full(20000, 0.3), params, np.random.default_rng(0))
    # mean 0.3, sd sqrt(0.3 * 0.7 / 81) = 0.051: the sample mean is within 5 standard errors
    assert abs(draws.mean() - 0.3) < 5 * 0.051 / np.sqrt(20000)
    assert abs(draws.std() - np.sqrt(0.21 / 81)) < 0.002


def test_betabinomial_density_is_that_of_the_overdispersed_count():
    params = {"trials": TRIALS, "phi": 60.0}
    expected = stats.betabinom.logpmf(np.round(Y * TRIALS), TRIALS, MEAN * 60.0,
                                      (1 - MEAN) * 60.0)
    np.testing.assert_allclose(LIKELIHOODS["betabinomial"].logpdf(MEAN, params, Y), expected)
    np.testing.assert_allclose(_pymc_logp("betabinomial", params, Y), expected, rtol=1e-6)
    # as phi grows the beta-binomial becomes the binomial
    big = LIKELIHOODS["betabinomial"].logpdf(MEAN, {"trials": TRIALS, "phi": 1e9}, Y)
    np.testing.assert_allclose(big, LIKELIHOODS["binomial"].logpdf(MEAN, params, Y), rtol=1e-4)


def test_betabinomial_draws_are_overdispersed_counts():
    n, mean, phi, size = 1000.0, 0.4, 99.0, 20000
    draws = LIKELIHOODS["betabinomial"].draw(np.full(size, mean), {"trials": np.array([n]),
                                                                   "phi": phi},
                                             np.random.default_rng(2))
    counts = draws * n
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-9)
    # variance of the fraction: p (1 - p) / n * (1 + (n - 1) / (phi + 1)) = 0.00024 * 10.99,
    # about 11 times the binomial's; the sample sd is within 2% of the truth at 20,000 draws
    expected_sd = np.sqrt(mean * (1 - mean) / n * (1 + (n - 1) / (phi + 1)))
    assert abs(draws.std() / expected_sd - 1) < 0.03
    assert abs(draws.mean() - mean) < 5 * expected_sd / np.sqrt(size)


def test_binomial_draws_are_counts_over_trials():
    draws = LIKELIHOODS["binomial"].draw(np.tile(MEAN, (400, 1)), {"trials": TRIALS},
                                         np.random.default_rng(1))
    counts = draws * TRIALS
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-9)
    assert draws.min() >= 0 and draws.max() <= 1
    # the mean count of 400 draws is within 5 standard errors of n p
    se = np.sqrt(TRIALS * MEAN * (1 - MEAN) / 400)
    assert np.all(np.abs(counts.mean(axis=0) - TRIALS * MEAN) < 5 * se + 1e-9)


def test_law_values_at_0_or_1_give_finite_densities():
    mean = np.array([0.0, 1.0])
    finite = LIKELIHOODS["binomial"].logpdf(mean, {"trials": np.array([10.0, 10.0])},
                                            np.array([0.1, 0.9]))
    assert np.all(np.isfinite(finite))
    assert np.all(np.isfinite(LIKELIHOODS["beta"].logpdf(mean, {"phi": 50.0},
                                                          np.array([0.1, 0.9]))))


def _accuracy_table():
    x = np.geomspace(1e7, 1e10, 8)
    return {"x": x, "acc": np.linspace(0.3, 0.7, 8), "n": np.full(8, 500.0)}


def test_binomial_without_trials_is_refused_before_sampling():
    with pytest.raises(DataError, match=r"extra=\{'trials': '<column>'\}"):
        bl.fit("sigmoid", _accuracy_table(), x="x", y="acc", likelihood="binomial")


def test_betabinomial_without_trials_is_refused_naming_it():
    with pytest.raises(DataError, match=r"Likelihood 'betabinomial' needs .*trials"):
        bl.fit("sigmoid", _accuracy_table(), x="x", y="acc", likelihood="betabinomial")


def test_fractional_trials_are_refused_naming_the_row():
    table = _accuracy_table()
    table["n"] = table["n"] + 0.5
    with pytest.raises(DataError, match="row 0 has 500.5"):
        bl.fit("sigmoid", table, x="x", y="acc", likelihood="binomial",
               extra={"trials": "n"})


def test_beta_refuses_accuracies_of_exactly_0_or_1():
    table = _accuracy_table()
    table["acc"][3] = 1.0
    with pytest.raises(DataError, match="row 3 has 1.0"):
        bl.fit("sigmoid", table, x="x", y="acc", likelihood="beta")


def test_likelihood_must_suit_the_law():
    with pytest.raises(bl.BayesLawsError, match="use one of 'frontier', 'lognormal', 'studentt'"):
        get_likelihood("beta", "log", "chinchilla")
    with pytest.raises(bl.BayesLawsError, match="Valid choices"):
        get_likelihood("poisson", "log", "chinchilla")


def test_count_likelihoods_are_comparable_by_loo_and_beta_is_not():
    from types import SimpleNamespace

    from bayeslaws.compare import density_scale

    def scale(name):
        return density_scale(SimpleNamespace(spec=SimpleNamespace(likelihood=LIKELIHOODS[name])))

    assert scale("binomial") == scale("betabinomial")
    assert scale("beta") != scale("binomial")
    assert scale("lognormal") == scale("studentt") == "log y"


def test_fraction_laws_refuse_a_loss_likelihood():
    data = simulate_case("sigmoid_floor")
    with pytest.raises(BayesLawsError, match="use one of 'beta', 'betabinomial', 'binomial'"):
        bl.fit("sigmoid", data, x="x", y="y", likelihood="lognormal")
