"""Stacking the chains of a fit (:mod:`bayeslaws.chains`): the weights, and which stuck chains
are dropped. Hand-made traces: each chain's log-likelihood of each run is set directly."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from bayeslaws import chains

DRAWS, RUNS = 400, 20


def trace(pointwise: np.ndarray, lp_gap: dict[int, float]) -> xr.DataTree:
    """A trace whose chain c has log-likelihood ``pointwise[c]`` per run (plus noise) and mean
    log density lowered by ``lp_gap[c]``."""
    rng = np.random.default_rng(0)
    n_chains = pointwise.shape[0]
    ll = pointwise[:, None, :] + 0.05 * rng.normal(size=(n_chains, DRAWS, RUNS))
    lp = rng.normal(0.0, 1.0, (n_chains, DRAWS))
    for chain, gap in lp_gap.items():
        lp[chain] -= gap
    dims = ("chain", "draw")
    return xr.DataTree.from_dict({
        "posterior": xr.Dataset({"theta": (dims, rng.normal(size=(n_chains, DRAWS)))}),
        "log_likelihood": xr.Dataset({"y": ((*dims, "obs"), ll)}),
        "sample_stats": xr.Dataset({"lp": (dims, lp)}),
        "observed_data": xr.Dataset({"y": (("obs",), np.ones(RUNS))}),
    })


def test_a_chain_that_predicts_every_run_worse_gets_no_weight_and_is_dropped():
    pointwise = np.zeros((4, RUNS))
    pointwise[3] -= 3.0  # every run 3 nats less likely under chain 3
    weights = chains.stacking_weights(trace(pointwise, {3: 60.0}))
    assert weights.sum() == pytest.approx(1.0, abs=1e-6) and weights[3] < 0.01
    out, record = chains.drop_stuck(trace(pointwise, {3: 60.0}))
    assert record.dropped == [3] and out["posterior"].sizes["chain"] == 3
    assert list(out["sample_stats"]["chain"].values) == [0, 1, 2]
    assert out["observed_data"].sizes["obs"] == RUNS  # groups without chains are kept whole


def test_a_stuck_chain_the_data_support_is_kept():
    """Chain 3 explains half the runs better than the others: a second mode with real weight."""
    pointwise = np.zeros((4, RUNS))
    pointwise[:3, RUNS // 2:] -= 3.0
    pointwise[3, :RUNS // 2] -= 3.0
    out, record = chains.drop_stuck(trace(pointwise, {3: 60.0}))
    assert record.dropped == [] and record.weights[3] > 0.2
    assert out["posterior"].sizes["chain"] == 4


def test_no_stuck_chain_no_weighing():
    out, record = chains.drop_stuck(trace(np.zeros((4, RUNS)), {}))
    assert record.weights == [] and out["posterior"].sizes["chain"] == 4

