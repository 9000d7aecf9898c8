"""Assembling the stored trace, and parameter draws per run (NumPy).

The trace is one :class:`xarray.DataTree` with ArviZ's group names, so every ArviZ function
(``loo``, ``compare``, plots) works on it directly. Grouped fits add a ``group`` dimension to
their varying parameters and a ``group_index`` per run in ``constant_data``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from bayeslaws import mathops
from bayeslaws.data import Observations
from bayeslaws.hierarchy import GROUP_DIM, GROUP_INDEX, POP_SUFFIX, TAU_SUFFIX
from bayeslaws.model import OBSERVED, centring, ordered, statistics
from bayeslaws.spec import ModelSpec

SAMPLE_DIMS = ("chain", "draw")
OBS_DIM = "obs"
SAMPLE_STATS_KEPT = (
    "diverging", "energy", "lp", "logp", "step_size", "n_steps", "depth", "tree_depth",
    "mean_tree_accept", "acceptance_rate", "maxdepth_reached", "reached_max_treedepth")


def flat_draws(values: xr.DataArray) -> np.ndarray:
    """Draws flattened over chains: shape ``(S, ...)``."""
    arr = np.asarray(values.values, dtype=float)
    return arr.reshape((-1,) + arr.shape[2:])


def run_parameters(spec: ModelSpec, posterior: xr.Dataset,
                   index: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Each parameter's draws for runs of groups ``index``: arrays ``(S, runs)`` for varying
    parameters, ``(S, 1)`` for the others (every parameter of a plain fit)."""
    return {name: flat_draws(posterior[name])[:, np.asarray(index) if spec.varies(name) else None]
            for name in spec.parameter_names}


def new_group_parameters(spec: ModelSpec, posterior: xr.Dataset, obs: Observations,
                         rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Parameters of one new group per posterior draw, drawn from the population: ``(S, 1)``
    (``obs``: the fitted runs, whose centres and statistics define the sampling scale)."""
    stats = statistics(spec.law, obs)
    source = {n: n + POP_SUFFIX if spec.varies(n) else n for n in spec.parameter_names}
    typical = {n: flat_draws(posterior[s])[:, None] for n, s in source.items()}
    new: dict[str, np.ndarray] = {}
    for par in ordered(spec.parameters):
        name = par.name
        if not spec.varies(name):
            new[name] = typical[name]
            continue
        w = par.forward(typical[name], {**stats, **typical})
        if par.centre_input is not None:
            centre = obs.summary.inputs[par.centre_input].log_centre
            w = w + (centring(par, {**typical, **new}) - centring(par, typical)) * centre
        tau = flat_draws(posterior[name + TAU_SUFFIX])[:, None]
        w = w + tau * rng.standard_normal(tau.shape)
        new[name], _ = par.backward(w, mathops.numpy, {**stats, **typical, **new})
    return new


def parameters_at(spec: ModelSpec, posterior: xr.Dataset, fitted: Observations,
                  index: np.ndarray | None, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each parameter's draws at points of groups ``index`` (-1: a new group, drawn from the
    population with ``rng``; ``None``: a plain fit)."""
    if index is None:
        return run_parameters(spec, posterior)
    params = run_parameters(spec, posterior, np.maximum(index, 0))
    if (index < 0).any():
        new = new_group_parameters(spec, posterior, fitted, rng)
        for name in spec.grouping.varying:
            params[name] = np.where(index[None, :] < 0, new[name], params[name])
    return params


def draw_y(spec: ModelSpec, params: Mapping[str, np.ndarray], x: Mapping[str, np.ndarray],
           points: int, kind: str, extra: Mapping[str, np.ndarray],
           rng: np.random.Generator) -> np.ndarray:
    """Draws of y at ``points`` inputs ``x`` under each draw of ``params``, ``(S, points)``:
    the law's curve (``kind="mean"``) or a new run's measurement (``"predictive"``)."""
    link = spec.law.evaluate({p.name: params[p.name] for p in spec.law.parameters}, x)
    link = np.broadcast_to(link, (link.shape[0], points))
    if kind == "mean":
        return np.exp(link) if spec.law.link == "log" else link
    noise = {**{p.name: params[p.name] for p in spec.likelihood.parameters}, **extra}
    return np.asarray(spec.likelihood.draw(link, noise, rng))


def _densities(spec: ModelSpec, params: Mapping[str, np.ndarray], obs: Observations):
    """A function of a transformed ``y`` giving its log density under each draw of ``params``,
    ``(S, runs)``, with the law evaluated once for every call."""
    mean = spec.law.evaluate({p.name: params[p.name] for p in spec.law.parameters}, obs.x)
    noise = {**{p.name: params[p.name] for p in spec.likelihood.parameters}, **obs.extra}
    shape = (len(next(iter(params.values()))), obs.n)
    return lambda y: np.broadcast_to(np.asarray(spec.likelihood.logpdf(mean, noise, y)), shape)


def log_likelihood(spec: ModelSpec, params: Mapping[str, np.ndarray], obs: Observations
                   ) -> np.ndarray:
    """Log density of each run of ``obs`` under each draw of ``params``: ``(S, runs)``."""
    return _densities(spec, params, obs)(spec.likelihood.transform(obs.y))


def shifted_log_density(spec: ModelSpec, obs: Observations, posterior: xr.Dataset,
                        shifts: np.ndarray, fitted: Observations | None = None,
                        rng: np.random.Generator | None = None) -> np.ndarray:
    """Log of the mean over draws and over the rows of ``shifts`` (``(K, runs)``) of the
    density of each run's transformed ``y`` minus that row: one value per run. The law is
    evaluated once and one replicate at a time is held in memory; new groups as in
    :func:`pointwise_log_likelihood`."""
    rng = np.random.default_rng(0) if rng is None else rng
    density = _densities(spec, parameters_at(spec, posterior, fitted or obs, obs.groups, rng),
                         obs)
    y = spec.likelihood.transform(obs.y)
    shifts = np.atleast_2d(shifts)
    per_shift = [np.logaddexp.reduce(density(y - shift), axis=0) for shift in shifts]
    draws = posterior.sizes["chain"] * posterior.sizes["draw"]
    return np.logaddexp.reduce(np.stack(per_shift), axis=0) - np.log(len(shifts) * draws)


def pointwise_log_likelihood(spec: ModelSpec, obs: Observations, posterior: xr.Dataset,
                             fitted: Observations | None = None,
                             rng: np.random.Generator | None = None) -> xr.DataArray:
    """Log density of each run of ``obs`` under each draw, dims ``(chain, draw, obs)``.

    Runs of a grouped fit are scored under their group's parameters (``obs.groups``; -1 marks a
    new group, drawn from the population of the fit to ``fitted`` with ``rng``).
    """
    rng = np.random.default_rng(0) if rng is None else rng
    params = parameters_at(spec, posterior, fitted or obs, obs.groups, rng)
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    return xr.DataArray(log_likelihood(spec, params, obs).reshape(chains, draws, obs.n),
                        dims=(*SAMPLE_DIMS, OBS_DIM),
                        coords={"chain": posterior["chain"], "draw": posterior["draw"]})


def assemble(raw: xr.DataTree, spec: ModelSpec, obs: Observations) -> xr.DataTree:
    """Build the stored trace from a sampler's raw output."""
    posterior = raw["posterior"].to_dataset()[list(spec.posterior_names)].astype(float)
    posterior = posterior.reset_coords(drop=True)
    if spec.grouping is not None:
        extra_dims = [d for d in posterior.dims if d not in (*SAMPLE_DIMS, GROUP_DIM)]
        if extra_dims:  # samplers name the group dim from the model's coords; be safe
            posterior = posterior.rename({extra_dims[0]: GROUP_DIM})
        posterior = posterior.assign_coords(
            {GROUP_DIM: np.array(spec.grouping.groups, dtype=str)})
    posterior.attrs = {}
    groups = {"posterior": posterior}
    if "sample_stats" in raw.children:  # the kept sampler statistics
        stats = raw["sample_stats"].to_dataset()
        kept = stats[[v for v in SAMPLE_STATS_KEPT if v in stats.data_vars]].reset_coords(drop=True)
        kept.attrs = {}
        groups["sample_stats"] = kept
    obs_coord = {OBS_DIM: np.arange(obs.n)}
    groups["log_likelihood"] = xr.Dataset(
        {OBSERVED: pointwise_log_likelihood(spec, obs, posterior)}).assign_coords(obs_coord)
    groups["observed_data"] = xr.Dataset({OBSERVED: ((OBS_DIM,), obs.y)}, coords=obs_coord)
    constant = {name: ((OBS_DIM,), values) for name, values in obs.x.items()}
    constant.update({f"extra_{k}": ((OBS_DIM,), v) for k, v in obs.extra.items()})
    if obs.groups is not None:
        constant[GROUP_INDEX] = ((OBS_DIM,), np.asarray(obs.groups, dtype=np.int64))
    groups["constant_data"] = xr.Dataset(constant, coords=obs_coord)
    return xr.DataTree.from_dict(groups)
