"""The predictive and prior groups of a fit's trace, so that every ArviZ function works on it.

:func:`bayeslaws.fit` adds three groups to the trace it assembles:

``posterior_predictive``
    One draw of ``y`` (a new run's measurement, observation noise included) at every fitted
    run's inputs per posterior draw: dims ``(chain, draw, obs)`` like ``observed_data``, so
    ``arviz_plots.plot_ppc_dist`` and ``plot_loo_pit`` compare it with the data.
``prior``
    :data:`PRIOR_DRAWS` joint draws from the priors the fit used (restricted to the law's
    constraints, see :func:`bayeslaws.prior_predictive.draw_parameters`), with the
    posterior's variable names and dims (one chain): for ``plot_prior_posterior``. A grouped
    fit's population centre (``E_pop``) takes the prior, its spread (``E_tau``) its HalfNormal
    prior, and each group's value is drawn from that population.
``prior_predictive``
    ``y`` at the fitted runs' inputs under each prior draw (dims ``(chain, draw, obs)``).

The draws are forward simulations in NumPy (no sampling), seeded by the fit's seed. Saved fits
keep them unless saved with ``fit.save(path, predictive=False)``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from bayeslaws.data import Observations
from bayeslaws.hierarchy import DEFAULT_TAU_SCALE, GROUP_DIM, POP_SUFFIX, TAU_SUFFIX
from bayeslaws.model import OBSERVED, statistics
from bayeslaws.prior_predictive import draw_parameters
from bayeslaws.spec import ModelSpec
from bayeslaws.trace import (
    OBS_DIM,
    SAMPLE_DIMS,
    draw_y,
    new_group_parameters,
    parameters_at,
    run_parameters,
)

#: Number of prior draws stored (one chain).
PRIOR_DRAWS = 500
#: The groups added by :func:`with_predictive_groups` (and left out by ``predictive=False``).
PREDICTIVE_GROUPS = ("posterior_predictive", "prior", "prior_predictive")


def predictive_dataset(values: np.ndarray, chains: int, draws: int, n: int) -> xr.Dataset:
    """Draws of ``y``, shape ``(chains * draws, n)``, as the dataset of a predictive group
    (dims ``(chain, draw, obs)``, the layout of ``observed_data``)."""
    return xr.Dataset({OBSERVED: ((*SAMPLE_DIMS, OBS_DIM),
                                  np.asarray(values, dtype=float).reshape(chains, draws, n))},
                      coords={"chain": np.arange(chains), "draw": np.arange(draws),
                              OBS_DIM: np.arange(n)})


def stored_posterior_predictive(trace: xr.DataTree) -> xr.Dataset | None:
    """The trace's ``posterior_predictive`` group as :func:`with_predictive_groups` wrote it
    (one draw of ``y`` per posterior draw and fitted run); ``None`` when the trace was saved
    without it (``predictive=False``) or its draws do not match the posterior and the data."""
    if "posterior_predictive" not in trace.children:
        return None
    stored = trace["posterior_predictive"].to_dataset()
    posterior = trace["posterior"]
    expected = (posterior.sizes["chain"], posterior.sizes["draw"],
                trace["observed_data"].sizes[OBS_DIM])
    if OBSERVED not in stored or stored[OBSERVED].shape != expected:
        return None
    return stored


def prior_draws(spec: ModelSpec, obs: Observations, draws: int = PRIOR_DRAWS,
                random_seed: int | None = 0) -> xr.Dataset:
    """Draws from the fit's priors with the posterior's names and dims (one chain)."""
    rng = np.random.default_rng(random_seed)
    values = draw_parameters(spec, statistics(spec.law, obs), draws, rng, summary=obs.summary)
    coords = {"chain": [0], "draw": np.arange(draws)}
    grouping = spec.grouping
    if grouping is None:
        return xr.Dataset({name: (SAMPLE_DIMS, v[None, :]) for name, v in values.items()},
                          coords=coords)
    population = {name: (SAMPLE_DIMS, v[None, :]) for name, v in values.items()
                  if not spec.varies(name)}
    for name in grouping.varying:
        scale = grouping.tau_scale.get(name, DEFAULT_TAU_SCALE)
        population[name + POP_SUFFIX] = (SAMPLE_DIMS, values[name][None, :])
        population[name + TAU_SUFFIX] = (SAMPLE_DIMS,
                                         np.abs(rng.normal(0.0, scale, (1, draws))))
    prior = xr.Dataset(population, coords=coords)
    per_group = [new_group_parameters(spec, prior, obs, rng) for _ in grouping.groups]
    for name in grouping.varying:
        stacked = np.concatenate([group[name] for group in per_group], axis=1)  # (S, G)
        prior[name] = ((*SAMPLE_DIMS, GROUP_DIM), stacked[None, :, :])
    prior = prior.assign_coords({GROUP_DIM: np.array(grouping.groups, dtype=str)})
    return prior[list(spec.posterior_names)]


def with_predictive_groups(trace: xr.DataTree, spec: ModelSpec, obs: Observations,
                           random_seed: int | None = 0,
                           prior_draws_n: int = PRIOR_DRAWS) -> xr.DataTree:
    """``trace`` with its ``posterior_predictive``, ``prior`` and ``prior_predictive``
    groups (see the module docstring)."""
    rng = np.random.default_rng(None if random_seed is None else [random_seed, 17])
    posterior = trace["posterior"].to_dataset()
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    params = parameters_at(spec, posterior, obs, obs.groups, rng)
    with np.errstate(all="ignore"):
        predictive = draw_y(spec, params, obs.x, obs.n, "predictive", obs.extra, rng)
    prior = prior_draws(spec, obs, prior_draws_n, rng)
    with np.errstate(all="ignore"):
        prior_y = draw_y(spec, run_parameters(spec, prior, obs.groups), obs.x, obs.n,
                         "predictive", obs.extra, rng)
    groups = {name: trace[name].to_dataset() for name in trace.children}
    groups["posterior_predictive"] = predictive_dataset(predictive, chains, draws, obs.n)
    groups["prior"] = prior
    groups["prior_predictive"] = predictive_dataset(prior_y, 1, prior_draws_n, obs.n)
    return xr.DataTree.from_dict(groups)


def without_predictive_groups(trace: xr.DataTree) -> xr.DataTree:
    """``trace`` without the groups of :data:`PREDICTIVE_GROUPS` (smaller saved files)."""
    return xr.DataTree.from_dict({name: trace[name].to_dataset() for name in trace.children
                                  if name not in PREDICTIVE_GROUPS})
