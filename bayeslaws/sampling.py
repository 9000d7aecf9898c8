"""Running NUTS with nutpie, PyMC or numpyro, compiling each model structure once per process.

The model of a :class:`~bayeslaws.model.ModelSpec` depends on the data only through
``pm.Data``, so the compiled nutpie model is cached by the spec's structure and reused with
``CompiledModel.with_data`` for new data (a second fit of the same law costs sampling only).
For PyMC's own sampler and numpyro the PyMC model is cached and its data replaced.
"""

from __future__ import annotations

import importlib.util
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pymc as pm
import xarray as xr

from bayeslaws.exceptions import BayesLawsError, SamplerError, choices
from bayeslaws.model import ModelSpec, build_model

SAMPLERS = ("nutpie", "pymc", "numpyro")
DEFAULT_SAMPLER = "nutpie"


@dataclass
class _Entry:
    model: pm.Model
    compiled: object | None = None


_CACHE: dict[tuple, _Entry] = {}
#: Number of model compilations done by this process, per sampler (tests check reuse with it).
COMPILATIONS: dict[str, int] = {name: 0 for name in SAMPLERS}


def clear_cache() -> None:
    """Forget every cached model (the next fit of each structure compiles again)."""
    _CACHE.clear()


def check_sampler(sampler: str) -> None:
    if sampler not in SAMPLERS:
        raise BayesLawsError(
            f"Unknown sampler {sampler!r}. Valid choices: {choices(SAMPLERS)} (nutpie is the "
            "fastest on CPU; numpyro runs on CPU or GPU with the 'jax' extra)."
        )
    if sampler == "numpyro" and importlib.util.find_spec("numpyro") is None:
        raise BayesLawsError(
            "sampler='numpyro' needs numpyro and jax: pip install 'bayeslaws[jax]'."
        )


def _entry(spec: ModelSpec, values: Mapping[str, np.ndarray], sampler: str) -> _Entry:
    shapes = tuple((k, np.shape(v)) for k, v in sorted(values.items()))
    key = (sampler, spec.structure_key(), shapes if sampler == "numpyro" else None)
    entry = _CACHE.get(key)
    if entry is None:
        entry = _Entry(model=build_model(spec, values))
        _CACHE[key] = entry
    return entry


def run_nuts(spec: ModelSpec, values: Mapping[str, np.ndarray], *, sampler: str, draws: int,
             tune: int, chains: int, random_seed: int, progressbar: bool,
             target_accept: float | None = None) -> tuple[xr.DataTree, float]:
    """Sample the model of ``spec`` on ``values``; return the raw trace and sampling seconds."""
    check_sampler(sampler)
    entry = _entry(spec, values, sampler)
    keep = list(spec.parameter_names)
    start = time.perf_counter()
    if sampler == "nutpie":
        import nutpie

        if entry.compiled is None:
            entry.compiled = nutpie.compile_pymc_model(entry.model, var_names=keep)
            COMPILATIONS["nutpie"] += 1
        compiled = entry.compiled.with_data(**{k: np.asarray(v) for k, v in values.items()})
        kwargs = {} if target_accept is None else {"target_accept": target_accept}
        start = time.perf_counter()
        trace = nutpie.sample(
            compiled, draws=draws, tune=tune, chains=chains, seed=int(random_seed),
            progress_bar=progressbar, **kwargs,
        )
    else:
        COMPILATIONS[sampler] += 1
        nuts = {} if target_accept is None else {"target_accept": target_accept}
        if sampler == "numpyro":
            nuts["chain_method"] = "vectorized"
        with entry.model:
            pm.set_data(dict(values))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                trace = pm.sample(
                    draws=draws, tune=tune, chains=chains, random_seed=int(random_seed),
                    nuts_sampler=sampler, progressbar=progressbar, var_names=keep,
                    compute_convergence_checks=False,
                    **({"nuts": nuts} if nuts else {}),
                    **({"cores": 1} if sampler == "pymc" else {}),
                )
    elapsed = time.perf_counter() - start
    if "posterior" not in trace.children:
        raise SamplerError(f"Sampler {sampler!r} returned no posterior.")
    return trace, elapsed
