"""bayeslaws/result.py: the Fit -- posterior and trace, summary, predict, draws and LOO.

All on the demo data's Chinchilla fit (the ``demo_fit`` fixture of conftest.py, sampled once per
session).
"""

from __future__ import annotations

import numpy as np
import pytest

import bayeslaws as bl


def test_fit_exposes_paper_parameters(demo_fit):
    post = demo_fit.posterior
    # the law's parameters and those of the default likelihood (Student-t: sigma and nu)
    assert set(post.data_vars) == {"E", "A", "B", "alpha", "beta", "sigma", "nu"}
    assert dict(post.sizes) == {"chain": 2, "draw": 400}
    assert set(demo_fit.trace.children) >= {"posterior", "sample_stats", "log_likelihood",
                                           "observed_data", "constant_data"}
    assert demo_fit.trace["log_likelihood"]["y"].shape == (2, 400, 81)


def test_summary_has_diagnostics(demo_fit):
    table = demo_fit.summary()
    assert {"mean", "sd", "median", "ess_bulk", "ess_tail", "r_hat"} <= set(table.columns)
    assert table.attrs["divergences"] == demo_fit.diagnostics().divergences
    assert (table["r_hat"] < 1.05).all()


def test_predict_intervals_are_ordered_and_nest(demo_fit):
    at = {"N": [1e9, 7e10], "D": [2e10, 1.4e12]}
    wide = demo_fit.predict(at, prob=0.9)
    narrow = demo_fit.predict(at, prob=0.5)
    assert list(wide.columns)[:6] == ["N", "D", "mean", "median", "lower", "upper"]
    assert (wide["lower"] < wide["median"]).all() and (wide["median"] < wide["upper"]).all()
    assert (wide["lower"] <= narrow["lower"]).all() and (narrow["upper"] <= wide["upper"]).all()
    mean_curve = demo_fit.predict(at, prob=0.9, kind="mean")
    # Observation noise widens the interval of a new run's loss.
    assert ((mean_curve["upper"] - mean_curve["lower"]) < (wide["upper"] - wide["lower"])).all()
    assert demo_fit.predict(at).equals(demo_fit.predict(at)), "default seed makes it repeatable"


def test_predict_matches_law_at_posterior_median(demo_fit):
    draws = demo_fit.draws()
    at = {"N": np.array([7e10]), "D": np.array([1.4e12])}
    per_draw = bl.get_law("chinchilla").mean({k: v[:, None] for k, v in draws.items()}, at)
    table = demo_fit.predict(at, kind="mean")
    assert table["median"].iloc[0] == pytest.approx(np.median(per_draw), rel=1e-12)


def test_loo_works_on_every_fit(demo_fit):
    result = demo_fit.loo()
    assert np.isfinite(result.elpd)
