"""bayeslaws/priors.py and the priors of a fit: Prior objects and their checks, and user priors
over a law's defaults (refused before sampling when they name no parameter).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws.simulate import demo_data
from tests.helpers import fit_runs, runs


def test_prior_round_trips_through_dict():
    prior = bl.Prior("TruncatedNormal", mu=0.3, sigma=0.1, lower=0.0)
    assert bl.Prior.from_dict(prior.to_dict()) == prior
    assert re.search(r"Prior\('Normal', mu=0.3, sigma=0.05\)",
                     repr(bl.Prior("Normal", mu=0.3, sigma=0.05)))


@pytest.mark.usefixtures("no_sampling")
def test_prior_with_invalid_arguments():
    with pytest.raises(bl.PriorError, match=r"sigma=-0.1 must be > 0"):
        bl.Prior("Normal", mu=0.3, sigma=-0.1)
    with pytest.raises(bl.PriorError, match=r"does not take argument\(s\) scale"):
        bl.Prior("HalfNormal", scale=1.0)
    with pytest.raises(bl.PriorError, match=r"Unknown prior distribution 'Gaussian'"):
        bl.Prior("Gaussian", mu=0.0, sigma=1.0)
    with pytest.raises(bl.PriorError, match="must be a bayeslaws.Prior"):
        fit_runs(runs(), priors={"alpha": 0.3})


@pytest.mark.usefixtures("no_sampling")
def test_unknown_prior_name_lists_valid_names():
    with pytest.raises(bl.PriorError, match=r"Unknown prior name 'alpah'.*'A', 'E', 'alpha'"):
        fit_runs(runs(), priors={"alpah": bl.Prior("Normal", mu=0.3, sigma=0.1)})


def test_user_prior_overrides_default(demo_fit):
    prior = bl.Prior("Normal", mu=0.3, sigma=0.05)
    spec, _ = bl.fitting.prepare_fit("chinchilla", demo_data(), x={"N": "params", "D": "tokens"},
                                     y="loss", priors={"alpha": prior})
    assert spec.priors["alpha"] == prior
    assert spec.priors["beta"] == demo_fit.priors["beta"]


def test_one_sided_truncated_normal_prior_fits():
    """A TruncatedNormal with one bound leaves the other infinite; the fit must take it (it
    was refused as 'non-finite' model data) and respect the bound."""
    prior = bl.Prior("TruncatedNormal", mu=20.0, sigma=15.0, lower=2.0)
    fit = fit_runs(runs(), likelihood="studentt", priors={"nu": prior}, draws=100, tune=100,
                   chains=1, random_seed=1)
    assert fit.priors["nu"] == prior
    nu = fit.trace["posterior"]["nu"].values
    assert np.all(np.isfinite(nu)) and nu.min() >= 2.0


@pytest.mark.parametrize("prior", [
    bl.Prior("Normal", mu=0.3, sigma=2.0), bl.Prior("LogNormal", mu=-1.2, sigma=0.6),
    bl.Prior("HalfNormal", sigma=0.5), bl.Prior("Beta", alpha=2.0, beta=1.0),
    bl.Prior("Gamma", alpha=2.0, beta=0.1), bl.Prior("Uniform", lower=-1.0, upper=3.0),
    bl.Prior("Exponential", lam=4.0)], ids=lambda p: p.distribution)
def test_numpy_prior_draws_follow_the_pymc_distribution(prior):
    """Prior.draw uses NumPy for common families (no per-call compilation); the draws must
    have PyMC's distribution: a two-sample KS test against pm.draw at 4,000 draws each (the
    test's p-value is uniform when they agree; a wrong rate or scale gives p < 1e-10)."""
    import pymc as pm
    from scipy import stats

    ours = prior.draw(4000, random_seed=1)
    theirs = np.asarray(pm.draw(prior.dist(), draws=4000, random_seed=2), dtype=float)
    assert stats.ks_2samp(ours, theirs).pvalue > 1e-3
    np.testing.assert_array_equal(ours, prior.draw(4000, random_seed=1))  # seeded
