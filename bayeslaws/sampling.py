"""Running NUTS with nutpie, PyMC or numpyro, compiling each model structure once per process.

The model of a :class:`~bayeslaws.model.ModelSpec` depends on the data only through
``pm.Data``, so the compiled nutpie model is cached by the spec's structure and reused with
``CompiledModel.with_data`` for new data (a second fit of the same law costs sampling only).
For PyMC's own sampler and numpyro the PyMC model is cached and its data replaced.
"""

from __future__ import annotations

import importlib.util
import os
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pymc as pm
import pytensor
import xarray as xr

from bayeslaws.exceptions import OptionError, SamplerError, choices
from bayeslaws.model import build_model, data_layout, packed, set_data
from bayeslaws.spec import ModelSpec
from bayeslaws.starts import nutpie_initialiser, pymc_initvals, starts_for

SAMPLERS = ("nutpie", "pymc", "numpyro")
DEFAULT_SAMPLER = "nutpie"
#: nutpie's mass-matrix adaptations offered to users. ``low_rank`` (nutpie's low-rank modified
#: diagonal) learns the correlations that remain between a law's parameters: on Chinchilla it
#: needs 4-6 leapfrog steps per draw instead of 28 and gives 4x the bulk ESS in a third of the
#: time (``benchmarks/adaptation.py`` measures every catalogue law).
ADAPTATIONS = ("low_rank", "diag", "draw_diag")
DEFAULT_ADAPTATION = "low_rank"
#: Default target acceptance with the low-rank adaptation: at nutpie's 0.8, 3 of 13 Chinchilla
#: seeds had one divergence; at 0.9 none did, for the same ESS per second.
LOW_RANK_TARGET_ACCEPT = 0.9
#: PyTensor settings for every model bayeslaws compiles. With numba's fastmath, a function
#: compiled in this process and the same function loaded from PyTensor's on-disk cache differ
#: in the last bits, and NUTS turns that into different draws: the same seed then gave another
#: posterior in a process with a cold cache than in one with a warm cache (PyMC's sampler and
#: nutpie alike). Without fastmath both agree (``tests/test_reproducibility.py``).
COMPILE_FLAGS = {"numba__fastmath": False}


@dataclass
class Entry:
    """A built PyMC model and, once compiled for nutpie, its compiled form."""

    model: pm.Model
    compiled: object | None = None
    optimiser: dict = field(default_factory=dict)  # see bayeslaws.starts.starts_for


_CACHE: dict[tuple, Entry] = {}
#: Number of model compilations done by this process, per sampler (tests check reuse with it).
COMPILATIONS: dict[str, int] = {name: 0 for name in SAMPLERS}


def clear_cache() -> None:
    """Forget every cached model (the next fit of each structure compiles again)."""
    _CACHE.clear()


def check_sampler(sampler: str) -> None:
    if sampler not in SAMPLERS:
        raise OptionError(
            f"Unknown sampler {sampler!r}. Valid choices: {choices(SAMPLERS)} (nutpie is the "
            "fastest on CPU; numpyro runs on CPU or GPU with the 'jax' extra).")
    if sampler == "numpyro" and importlib.util.find_spec("numpyro") is None:
        raise OptionError("sampler='numpyro' needs numpyro and jax: pip install 'bayeslaws[jax]'.")


def resolve_adaptation(sampler: str, adaptation: str | None, law_default: str | None = None,
                       grouped: bool = False) -> str | None:
    """The mass-matrix adaptation a fit uses: the user's; else with nutpie ``diag`` for a
    grouped fit (its funnel-shaped posterior gained nothing from the low-rank estimate but
    divergences, ``benchmarks/adaptation.py``), the law's own (``law_default``, see
    :attr:`bayeslaws.law.Law.adaptation`) or ``low_rank``; ``None`` with PyMC's sampler and
    numpyro, which have only their own diagonal adaptation."""
    if adaptation is None:
        if sampler != "nutpie":
            return None
        adaptation = "diag" if grouped else (law_default or DEFAULT_ADAPTATION)
    if adaptation not in ADAPTATIONS:
        raise OptionError(
            f"Unknown adaptation {adaptation!r}. Valid choices: {choices(ADAPTATIONS)} "
            f"(nutpie's mass-matrix adaptations; {DEFAULT_ADAPTATION!r} is the default).")
    if sampler != "nutpie":
        raise OptionError(
            f"adaptation={adaptation!r} is a nutpie option, but sampler={sampler!r} adapts its "
            "own diagonal mass matrix: drop adaptation=, or use sampler='nutpie'.")
    return adaptation


def jax_cache_dir() -> Path:
    """Folder of JAX's persistent compilation cache for numpyro fits: ``$BAYESLAWS_CACHE_DIR/jax``
    when that variable is set, else ``~/.cache/bayeslaws/jax`` (``$XDG_CACHE_HOME`` honoured)."""
    root = os.environ.get("BAYESLAWS_CACHE_DIR")
    if root:
        return Path(root) / "jax"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bayeslaws" / "jax"


def enable_jax_cache() -> Path | None:
    """Turn on JAX's persistent compilation cache, unless the user configured one, and return
    its folder (``None`` if it cannot be created): a numpyro fit compiles its NUTS loop with XLA
    (seconds), which a fit of the same law and data shape in a new process then loads instead
    (``benchmarks/speed.py`` measures both)."""
    import jax

    configured = jax.config.jax_compilation_cache_dir
    if configured:
        return Path(configured)
    folder = jax_cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # read-only home: fits still work, compiled afresh
    jax.config.update("jax_compilation_cache_dir", str(folder))
    return folder


def cached_entry(spec: ModelSpec, values: Mapping[str, np.ndarray], sampler: str) -> Entry:
    """The cached model of ``spec`` for data laid out like ``values``, built the first time.
    numpyro compiles for fixed shapes, so its models are also keyed by the data's shapes."""
    shapes = tuple((k, np.shape(v)) for k, v in sorted(values.items()))
    key = (sampler, spec.structure_key(), data_layout(values),
           shapes if sampler == "numpyro" else None)
    if key not in _CACHE:
        _CACHE[key] = Entry(model=build_model(spec, values))
    return _CACHE[key]


def run_nuts(spec: ModelSpec, values: Mapping[str, np.ndarray], *, sampler: str,
             **options) -> tuple[xr.DataTree, float]:
    """Sample the model of ``spec`` on ``values`` (``options``: those of :func:`sample_entry`);
    return the raw trace and sampling seconds."""
    check_sampler(sampler)
    return sample_entry(cached_entry(spec, values, sampler), values, list(spec.posterior_names),
                        sampler=sampler, **options)


def sample_entry(entry: Entry, values: Mapping[str, np.ndarray], keep: list[str], *,
                 sampler: str, draws: int, tune: int, chains: int, random_seed: int,
                 progressbar: bool, target_accept: float | None = None,
                 adaptation: str | None = None, init: str = "jitter"
                 ) -> tuple[xr.DataTree, float]:
    """Sample a cached model on ``values`` (nutpie: compiled once per entry, then reused with
    new data); keep the variables ``keep``. ``adaptation`` is nutpie's mass-matrix adaptation
    (see :func:`resolve_adaptation`); ``init="optimised"`` starts the chains at the best modes
    of the posterior (:mod:`bayeslaws.starts`; the optimisation counts as sampling time).
    Returns the raw trace and sampling seconds."""
    nuts = {} if target_accept is None else {"target_accept": target_accept}
    start = time.perf_counter()
    starts = (starts_for(entry.model, entry.optimiser, values, chains, int(random_seed))
              if init == "optimised" else None)
    optimising = time.perf_counter() - start
    if sampler == "nutpie":
        import nutpie

        if entry.compiled is None:
            with pytensor.config.change_flags(**COMPILE_FLAGS):
                entry.compiled = nutpie.compile_pymc_model(entry.model, var_names=keep)
            COMPILATIONS["nutpie"] += 1
        compiled = entry.compiled.with_data(**packed(values))
        if starts is not None:
            compiled = replace(compiled, initial_point_func=nutpie_initialiser(starts[1]))
        if adaptation is not None:
            nuts["adaptation"] = adaptation
        start = time.perf_counter() - optimising
        trace = nutpie.sample(compiled, draws=draws, tune=tune, chains=chains,
                              seed=int(random_seed), progress_bar=progressbar, **nuts)
    else:
        COMPILATIONS[sampler] += 1
        if sampler == "numpyro":
            nuts["chain_method"] = "vectorized"
            enable_jax_cache()
        set_data(entry.model, values)
        if starts is not None:
            nuts_initvals = {"initvals": pymc_initvals(entry.model, *starts)}
        else:
            nuts_initvals = {}
        with entry.model, warnings.catch_warnings(), \
                pytensor.config.change_flags(**COMPILE_FLAGS):
            warnings.simplefilter("ignore", FutureWarning)
            trace = pm.sample(
                draws=draws, tune=tune, chains=chains, random_seed=int(random_seed),
                nuts_sampler=sampler, progressbar=progressbar, var_names=keep,
                compute_convergence_checks=False, **({"nuts": nuts} if nuts else {}),
                **nuts_initvals,
                **({"cores": 1} if sampler == "pymc" else {}))
    elapsed = time.perf_counter() - start
    if "posterior" not in trace.children:
        raise SamplerError(f"Sampler {sampler!r} returned no posterior.")
    return trace, elapsed
