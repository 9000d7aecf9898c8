"""Assembling the stored trace: posterior, sampler statistics, log-likelihood, data.

The result is one :class:`xarray.DataTree` with ArviZ's group names, so every ArviZ function
(``loo``, ``compare``, plots) works on it directly.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from bayeslaws.data import Observations
from bayeslaws.model import OBSERVED, ModelSpec

SAMPLE_DIMS = ("chain", "draw")
OBS_DIM = "obs"
SAMPLE_STATS_KEPT = (
    "diverging", "energy", "lp", "logp", "step_size", "n_steps", "depth", "tree_depth",
    "mean_tree_accept", "acceptance_rate", "maxdepth_reached", "reached_max_treedepth",
)


def posterior_arrays(posterior: xr.Dataset, names, *, trailing: int = 1) -> dict[str, np.ndarray]:
    """Parameter draws flattened over chains and draws, shaped ``(S, 1, ...)`` for broadcasting."""
    out = {}
    for name in names:
        values = np.asarray(posterior[name].values, dtype=float)
        flat = values.reshape((-1,) + values.shape[2:])
        out[name] = flat.reshape(flat.shape + (1,) * trailing)
    return out


def pointwise_log_likelihood(spec: ModelSpec, obs: Observations,
                             posterior: xr.Dataset) -> xr.DataArray:
    """Log density of each observation under each draw, dims ``(chain, draw, obs)``."""
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    params = posterior_arrays(posterior, spec.parameter_names)
    mean = spec.law.evaluate({p.name: params[p.name] for p in spec.law.parameters}, obs.x)
    lik_params = {p.name: params[p.name] for p in spec.likelihood.parameters}
    lik_params.update(obs.extra)
    values = spec.likelihood.logpdf(mean, lik_params, spec.likelihood.transform(obs.y))
    return xr.DataArray(
        np.asarray(values).reshape(chains, draws, obs.n),
        dims=(*SAMPLE_DIMS, OBS_DIM),
        coords={"chain": posterior["chain"], "draw": posterior["draw"]},
    )


def sample_stats_group(raw: xr.DataTree) -> dict[str, xr.Dataset]:
    """``{"sample_stats": ...}`` with the kept sampler statistics, or ``{}`` if there are none."""
    if "sample_stats" not in raw.children:
        return {}
    stats = raw["sample_stats"].to_dataset()
    kept = stats[[v for v in SAMPLE_STATS_KEPT if v in stats.data_vars]].reset_coords(drop=True)
    kept.attrs = {}
    return {"sample_stats": kept}


def assemble(raw: xr.DataTree, spec: ModelSpec, obs: Observations) -> xr.DataTree:
    """Build the stored trace from a sampler's raw output."""
    posterior = raw["posterior"].to_dataset()[list(spec.parameter_names)].astype(float)
    posterior = posterior.reset_coords(drop=True)
    posterior.attrs = {}
    groups = {"posterior": posterior}
    groups.update(sample_stats_group(raw))
    obs_coord = {OBS_DIM: np.arange(obs.n)}
    groups["log_likelihood"] = xr.Dataset(
        {OBSERVED: pointwise_log_likelihood(spec, obs, posterior)}
    ).assign_coords(obs_coord)
    groups["observed_data"] = xr.Dataset({OBSERVED: ((OBS_DIM,), obs.y)}, coords=obs_coord)
    constant = {name: ((OBS_DIM,), values) for name, values in obs.x.items()}
    constant.update({f"extra_{k}": ((OBS_DIM,), v) for k, v in obs.extra.items()})
    groups["constant_data"] = xr.Dataset(constant, coords=obs_coord)
    return xr.DataTree.from_dict(groups)
