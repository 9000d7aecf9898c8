"""Compile once: a second fit of the same law reuses the compiled model (counted, not timed)."""

from __future__ import annotations

import numpy as np

import bayeslaws as bl
from bayeslaws import sampling
from bayeslaws.simulate import simulate
from tests.conftest import SMALL


def data(seed: int, n: int = 12, alpha: float = 0.3):
    return simulate("power_law", {"A": 4.0, "alpha": alpha}, {"x": np.geomspace(1e3, 1e7, n)},
                    sigma=0.03, random_seed=seed)


def test_second_fit_reuses_compiled_model():
    first = bl.fit("power_law", data(0), x="x", random_seed=0, **SMALL)
    before = sampling.COMPILATIONS["nutpie"]  # compiled now (or earlier in this process)
    assert before >= 1
    # new data of the same shape, then a different number of points: no new compilation
    second = bl.fit("power_law", data(1, alpha=0.5), x="x", random_seed=0, **SMALL)
    third = bl.fit("power_law", data(2, n=20), x="x", random_seed=0, **SMALL)
    assert sampling.COMPILATIONS["nutpie"] == before
    # the reused model really saw the new data (not the first data set again)
    assert abs(float(second.posterior["alpha"].mean()) - 0.5) < 0.05
    assert abs(float(first.posterior["alpha"].mean()) - 0.3) < 0.05
    assert third.observations.n == 20
    assert third.trace["log_likelihood"].sizes["obs"] == 20


def test_reused_model_gives_the_same_draws_as_a_fresh_compile():
    frame = data(3)
    sampling.clear_cache()
    fresh = bl.fit("power_law", frame, x="x", random_seed=5, **SMALL)
    bl.fit("power_law", data(4), x="x", random_seed=6, **SMALL)  # the cache now holds data 4
    reused = bl.fit("power_law", frame, x="x", random_seed=5, **SMALL)
    np.testing.assert_array_equal(fresh.posterior["alpha"].values,
                                  reused.posterior["alpha"].values)


def test_changed_prior_family_compiles_a_new_model():
    bl.fit("power_law", data(0), x="x", random_seed=0, **SMALL)
    before = sampling.COMPILATIONS["nutpie"]
    gamma = {"alpha": bl.Prior("Gamma", alpha=3.0, beta=10.0)}
    bl.fit("power_law", data(0), x="x", random_seed=0, priors=gamma, **SMALL)
    assert sampling.COMPILATIONS["nutpie"] == before + 1
    bl.fit("power_law", data(1), x="x", random_seed=0, priors=gamma, **SMALL)
    assert sampling.COMPILATIONS["nutpie"] == before + 1
