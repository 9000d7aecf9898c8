"""Chain initialisation at the best modes (bayeslaws.starts)."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import pytest

import bayeslaws as bl
from bayeslaws import sampling, starts
from bayeslaws.exceptions import OptionError
from bayeslaws.simulate import simulate
from tests.conftest import prior_sampler


def _mixture(heights: dict[float, float]) -> pm.Model:
    """A one-dimensional density with a narrow mode (sd 0.3) at each key, of log height
    given by the value."""
    with pm.Model() as model:
        x = pm.Flat("x")
        terms = [h + pm.logp(pm.Normal.dist(mu, 0.3), x) for mu, h in heights.items()]
        pm.Potential("density", pt.logsumexp(pt.stack(terms)))
    return model


def test_unknown_init_names_the_choices():
    with pytest.raises(OptionError, match=r"'optimised'.*'jitter'"):
        starts.check_init("map")
    with pytest.raises(OptionError, match="Unknown init 'map'"):
        bl.fit("power_law", pd.DataFrame({"x": [1.0, 2, 3, 4], "y": [4.0, 3, 2, 1.5]}),
               init="map")


def test_default_init_is_jitter_and_optimised_is_an_option():
    assert starts.resolve_init(None, grouped=False) == "jitter"
    assert starts.resolve_init(None, grouped=True) == "jitter"
    assert starts.resolve_init("optimised", grouped=False) == "optimised"


def test_modes_of_equal_height_are_both_kept_and_a_far_lower_one_is_not():
    opt = starts.Optimiser.of(_mixture({-3.0: 0.0, 3.0: 0.0, 9.0: -12.0}))
    modes = starts.find_modes(opt, seed=0, n_starts=30)
    locations = sorted(float(m.location[0]) for m in modes)
    assert locations == pytest.approx([-3.0, 3.0], abs=0.01)
    # the Laplace scale of each mode is its sd (0.3), as L-BFGS estimates it
    assert [m.scale[0] for m in modes] == pytest.approx([0.3, 0.3], rel=0.3)


def test_a_lower_mode_within_the_gap_is_kept():
    opt = starts.Optimiser.of(_mixture({-3.0: 0.0, 3.0: -2.0}))
    modes = starts.find_modes(opt, seed=0, n_starts=30)
    assert [round(float(m.location[0])) for m in modes] == [-3, 3]  # best first


def test_chains_are_spread_over_the_modes_at_laplace_draws():
    opt = starts.Optimiser.of(_mixture({-3.0: 0.0, 3.0: 0.0}))
    modes = starts.find_modes(opt, seed=0, n_starts=30)
    points = np.array([p[0] for p in starts.chain_starts(modes, chains=4, seed=0)])
    assert np.sum(points < 0) == 2 and np.sum(points > 0) == 2
    assert np.all(np.abs(np.abs(points) - 3.0) < 4 * 0.3)  # within 4 sd of their mode
    init = starts.nutpie_initialiser([np.array([1.0]), np.array([2.0])])
    assert [float(init(seed)[0]) for seed in (7, 8, 9)] == [1.0, 2.0, 1.0]


def test_pymc_initvals_are_on_the_variables_own_scale():
    with pm.Model() as model:
        pm.HalfNormal("s", 1.0)  # sampled as log s
    opt = starts.Optimiser.of(model)
    (chain,) = starts.pymc_initvals(model, opt, [np.array([np.log(0.5)])])
    assert float(chain["s"]) == pytest.approx(0.5)


def test_fit_records_its_initialisation():
    data = pd.DataFrame({"x": np.geomspace(1e3, 1e6, 8), "g": ["a", "b"] * 4})
    data["y"] = 3.0 * data["x"] ** -0.3
    with mock.patch.object(sampling, "run_nuts", side_effect=prior_sampler) as run:
        small = {"random_seed": 0, "progressbar": False, "chains": 2, "draws": 100}
        plain = bl.fit("power_law", data, **small)
        assert run.call_args.kwargs["init"] == "jitter"
        chosen = bl.fit("power_law", data, init="optimised", **small)
        assert run.call_args.kwargs["init"] == "optimised"
    assert (plain.settings.init, chosen.settings.init) == ("jitter", "optimised")


@pytest.mark.slow
def test_optimised_starts_sample_the_same_posterior_as_jittered_ones():
    """Where both initialisations converge, they give one posterior: the medians agree to
    within 4 Monte Carlo standard errors of their difference."""
    import arviz as az

    data = simulate("saturating_power_law", {"E": 1.8, "A": 400.0, "alpha": 0.35},
                    {"x": np.geomspace(1e6, 1e10, 16)}, sigma=0.01, random_seed=3)
    fits = {init: bl.fit("saturating_power_law", data, random_seed=5, init=init,
                         progressbar=False) for init in ("jitter", "optimised")}
    for fit in fits.values():
        assert fit.diagnostics().max_rhat <= 1.01
    for name in ("E", "A", "alpha"):
        medians = [float(f.trace.posterior[name].median()) for f in fits.values()]
        errors = [float(az.mcse(f.trace.posterior[name], method="median")) for f in
                  fits.values()]
        assert abs(medians[0] - medians[1]) < 4 * np.hypot(*errors), name
