"""bayeslaws/groups.py: every fit's trace has posterior_predictive, prior and prior_predictive
groups, kept in saved files (``predictive=False`` leaves them out), so that the ArviZ calls a
user tries first run unchanged on a plain and on a grouped fit.

NUTS is replaced by prior draws (``tests.conftest.prior_sampler``): the groups and ArviZ's
functions do not care where the posterior draws come from, and the pipeline stays fast.
"""

from __future__ import annotations

import warnings

import arviz as az
import matplotlib
import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws import sampling
from bayeslaws.groups import PREDICTIVE_GROUPS, PRIOR_DRAWS
from bayeslaws.simulate import demo_data
from tests.conftest import prior_sampler
from tests.helpers import simulate_groups

matplotlib.use("Agg")

DRAWS = {"chains": 2, "draws": 200, "progressbar": False}


def prior_sampler_with_energy(spec, values, **options):
    """:func:`tests.conftest.prior_sampler` plus the ``energy`` statistic NUTS reports (which
    ``plot_energy`` reads): standard normal values, as the test only checks the wiring."""
    raw, seconds = prior_sampler(spec, values, **options)
    stats = raw["sample_stats"].to_dataset()
    rng = np.random.default_rng(options["random_seed"])
    stats["energy"] = (("chain", "draw"), rng.normal(size=stats["lp"].shape))
    raw["sample_stats"] = stats
    return raw, seconds


def _fit(**kwargs):
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        patch.setattr(sampling, "run_nuts", prior_sampler_with_energy)
        warnings.simplefilter("ignore")  # prior draws are no converged posterior
        return bl.fit(**kwargs, **DRAWS)


@pytest.fixture(scope="module")
def plain():
    return _fit(law="chinchilla", data=demo_data(random_seed=0),
                x={"N": "params", "D": "tokens"}, y="loss", random_seed=0)


@pytest.fixture(scope="module")
def grouped():
    return _fit(law="saturating_power_law", data=simulate_groups(), x="x", y="loss",
                group="family", likelihood="lognormal", random_seed=1)


@pytest.fixture(scope="module", params=["plain", "grouped"])
def fit(request):
    return request.getfixturevalue(request.param)


@pytest.fixture(autouse=True)
def _close_figures():
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


def test_groups_have_the_observed_data_dims_and_the_posterior_names(fit):
    tree = fit.trace
    assert set(PREDICTIVE_GROUPS) <= set(tree.children)
    observed = tree["observed_data"]["y"]
    for group, chains, draws in (("posterior_predictive", 2, 200),
                                 ("prior_predictive", 1, PRIOR_DRAWS)):
        y = tree[group]["y"]
        assert y.dims == ("chain", "draw", "obs")
        assert y.shape == (chains, draws, observed.size)
        # losses: positive; Student-t noise with a prior draw of nu near 1 may over/underflow
        assert (y.values >= 0).all() and np.isfinite(y.values).mean() > 0.99
    prior, post = tree["prior"].to_dataset(), tree["posterior"].to_dataset()
    assert set(prior.data_vars) == set(post.data_vars)
    for name in post.data_vars:
        assert prior[name].dims[2:] == post[name].dims[2:], name


def test_posterior_predictive_scatters_around_the_data_like_the_noise(plain):
    """Each posterior-predictive draw is the law under that draw times its noise: the median
    ratio to the law's curve at the same draw is 1 within Monte Carlo error."""
    law = plain.predictive_draws(plain.data(), kind="mean", random_seed=0)[1]
    y = plain.trace["posterior_predictive"]["y"].values.reshape(law.shape)
    ratio = np.median(y / law)
    assert ratio == pytest.approx(1.0, abs=0.01)


def test_prior_draws_follow_the_priors(plain):
    """The stored prior of alpha is the fit's prior: its median matches within 3 standard
    errors of a median of 500 draws (LogNormal, sigma 0.6: se about 0.05 relative)."""
    alpha = plain.trace["prior"]["alpha"].values.ravel()
    assert np.median(alpha) == pytest.approx(plain.priors["alpha"].median(), rel=0.15)


def test_groups_are_saved_and_can_be_left_out(fit, tmp_path):
    full = bl.load(fit.save(tmp_path / "full.nc"))
    assert set(PREDICTIVE_GROUPS) <= set(full.trace.children)
    np.testing.assert_array_equal(full.trace["prior"]["alpha"].values,
                                  fit.trace["prior"]["alpha"].values)
    small_path = fit.save(tmp_path / "small.nc", predictive=False)
    small = bl.load(small_path)
    assert not set(PREDICTIVE_GROUPS) & set(small.trace.children)
    assert small_path.stat().st_size < (tmp_path / "full.nc").stat().st_size
    assert small.predict({"x": [1e10], "N": [1e10], "D": [1e11]}).equals(
        full.predict({"x": [1e10], "N": [1e10], "D": [1e11]}))


#: The ArviZ calls of issue 17, each on the whole trace (a few get ``var_names``).
ARVIZ_CALLS = {
    "summary": lambda t, names: az.summary(t),
    "loo": lambda t, names: az.loo(t),
    "loo_pit": lambda t, names: az.loo_pit(t),
    "compare": lambda t, names: az.compare({"a": t, "b": t}),
    "plot_trace_dist": lambda t, names: az.plot_trace_dist(t, var_names=names),
    "plot_rank": lambda t, names: az.plot_rank(t, var_names=names),
    "plot_forest": lambda t, names: az.plot_forest(t),
    "plot_energy": lambda t, names: az.plot_energy(t),
    "plot_ppc_dist": lambda t, names: az.plot_ppc_dist(t),
    "plot_loo_pit": lambda t, names: az.plot_loo_pit(t),
    # ArviZ names its prior/posterior axis "group" too: a grouped fit's trace is shown one
    # group at a time, t.sel(group="g0", drop=True) (README, "ArviZ on a fit")
    "plot_prior_posterior": lambda t, names: az.plot_prior_posterior(
        t.sel(group=str(t["posterior"]["group"].values[0]), drop=True)
        if "group" in t["posterior"].dims else t, var_names=names),
    "plot_pair": lambda t, names: az.plot_pair(t, var_names=names),
    "plot_khat": lambda t, names: az.plot_khat(az.loo(t, pointwise=True)),
}


@pytest.mark.parametrize("call", list(ARVIZ_CALLS))
def test_arviz_call_runs_on_the_trace(fit, call):
    names = ["alpha", "E"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ArviZ's own warnings about prior-draw "posteriors"
        result = ARVIZ_CALLS[call](fit.trace, names)
    assert result is not None
