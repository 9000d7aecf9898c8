"""fit.prior_vs_posterior(): how much of the posterior the priors carry."""

from __future__ import annotations

import warnings
from unittest import mock

import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws import sampling
from bayeslaws.simulate import simulate
from tests.conftest import prior_sampler


def test_a_posterior_equal_to_the_prior_is_carried_by_the_prior():
    data = simulate("saturating_power_law", {"E": 1.5, "A": 30.0, "alpha": 0.3},
                    {"x": np.geomspace(1e6, 1e9, 12)})
    with mock.patch.object(sampling, "run_nuts", side_effect=prior_sampler), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)
        fit = bl.fit("saturating_power_law", data, x="x", y="y", chains=2, draws=1000,
                     random_seed=0, progressbar=False)
    table = fit.prior_vs_posterior()
    assert list(table.index) == ["E", "A", "alpha", "sigma", "nu"]
    # prior_sampler draws E, alpha, sigma, nu from their priors (A: at the centre, differently)
    for name in ("E", "alpha", "sigma", "nu"):
        assert table.loc[name, "sd_ratio"] == pytest.approx(1.0, abs=0.1)
        assert table.loc[name, "carried_by"] == "prior"
    assert (table["prior_lower"] < table["prior_median"]).all()


def test_fixed_tight_draws_are_carried_by_the_data(one_input):
    table = one_input.prior_vs_posterior(prob=0.5)
    assert (table["sd_ratio"] < 0.3).all() and set(table["carried_by"]) == {"data"}
    assert table.attrs["prob"] == 0.5
    assert table.loc["alpha", "posterior_median"] == pytest.approx(0.3, rel=0.02)
