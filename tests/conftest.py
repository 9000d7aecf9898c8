"""Shared fixtures: real-data access, small sampling settings, hypothesis profiles.

Fixtures used by several test files live here: ``demo_fit`` (one real fit, computed once per
session) and ``no_sampling``. Plain helpers (tables, simulated data, fits from fixed draws) are
in ``tests/helpers.py``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, settings

import bayeslaws as bl
from bayeslaws import sampling
from bayeslaws.datasets import has_data
from bayeslaws.simulate import demo_data

settings.register_profile(
    "fast", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))

#: Small but sound sampling settings for wiring tests (tolerances in tests account for them).
SMALL = {"chains": 2, "draws": 400, "tune": 400, "progressbar": False}

requires_data = pytest.mark.skipif(
    not has_data(), reason="real scaling data not found (set BAYESLAWS_DATA)"
)


ROOT = Path(__file__).resolve().parents[1]


def load_script(folder: str, name: str) -> ModuleType:
    """Import a script of ``case_studies/`` or ``benchmarks/`` (not packages) by its path."""
    path = ROOT / folder / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{folder}_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prior_sampler(spec, values, *, draws, chains, random_seed, **_):
    """Stand-in for NUTS (patch ``bayeslaws.sampling.run_nuts``): independent draws from the
    priors, within the law's constraints, for plain and grouped fits alike.

    A grouped fit's varying parameters take the same draw in every group (which meets every
    constraint), their ``_pop`` that draw too and their ``_tau`` a HalfNormal(0.1) draw.
    """
    rng = np.random.default_rng(random_seed)
    stats = {k[len("stat__"):]: float(v) for k, v in values.items() if k.startswith("stat__")}
    size = chains * draws
    pool = {name: np.asarray(spec.priors[name].draw(20 * size, random_seed=rng), dtype=float)
            for name in spec.parameter_names}
    keep = np.ones(20 * size, dtype=bool)
    for par in spec.parameters:
        lo, hi = par.resolve_bounds({**stats, **pool})
        keep &= (pool[par.name] > lo) & (pool[par.name] < hi)
    assert keep.sum() >= size, "too few prior draws meet the law's constraints"
    dims = ("chain", "draw")
    posterior = {n: (dims, v[keep][:size].reshape(chains, draws)) for n, v in pool.items()}
    coords = {}
    if spec.grouping is not None:
        groups = len(spec.grouping.groups)
        coords["group"] = list(spec.grouping.groups)
        for name in spec.grouping.varying:
            value = posterior[name][1]
            posterior[name + "_pop"] = (dims, value)
            posterior[name + "_tau"] = (dims, np.abs(rng.normal(0, 0.1, (chains, draws))))
            posterior[name] = ((*dims, "group"), np.repeat(value[..., None], groups, axis=-1))
    stats_ds = {"diverging": (dims, np.zeros((chains, draws), dtype=bool)),
                "lp": (dims, rng.normal(size=(chains, draws)))}
    raw = xr.DataTree.from_dict({"posterior": xr.Dataset(posterior, coords=coords),
                                 "sample_stats": xr.Dataset(stats_ds)})
    return raw, 0.0


@pytest.fixture(scope="session")
def demo_fit():
    """The demo data's Chinchilla fit (2 x 400 draws), sampled once and shared by every file
    that reads it: tests/test_result.py, test_io.py, test_priors.py, test_recovery.py and
    test_sampling.py (which checks that refitting the law compiles nothing new)."""
    data = demo_data(random_seed=0)
    return bl.fit("chinchilla", data, x={"N": "params", "D": "tokens"}, y="loss",
                  random_seed=1, **SMALL)


@pytest.fixture
def no_sampling(monkeypatch):
    """Fail the test if sampling starts: bad input must be refused before sampling (request it
    with ``@pytest.mark.usefixtures("no_sampling")``)."""
    def refuse(*args, **kwargs):
        raise AssertionError("sampling started although the input is invalid")

    monkeypatch.setattr(sampling, "run_nuts", refuse)


# -- fixed-draws fits shared by the plot and report tests ------------------------------------
@pytest.fixture
def close_figures():
    """Close every matplotlib figure a test opened."""
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


@pytest.fixture(scope="module")
def chin():
    """Chinchilla fit whose posterior is fixed draws around the replication's parameters."""
    from bayeslaws.simulate import CHINCHILLA_REPLICATION, chinchilla_grid, simulate
    from tests.helpers import chinchilla_draws, fixed_draws_fit

    data = simulate("chinchilla", CHINCHILLA_REPLICATION, chinchilla_grid(), random_seed=0)
    return fixed_draws_fit("chinchilla", chinchilla_draws(spread=0.02), data,
                           {"N": "N", "D": "D"})


@pytest.fixture(scope="module")
def one_input():
    """Saturating power law fit whose posterior is fixed draws around known parameters."""
    from bayeslaws.simulate import simulate
    from tests.helpers import fixed_draws_fit

    params = {"E": 1.5, "A": 30.0, "alpha": 0.3}
    data = simulate("saturating_power_law", params, {"x": np.geomspace(1e6, 1e9, 15)})
    rng = np.random.default_rng(1)
    draws = {k: v * np.exp(0.02 * rng.standard_normal(400)) for k, v in params.items()}
    draws["sigma"] = 0.02 * np.exp(0.05 * rng.standard_normal(400))
    return fixed_draws_fit("saturating_power_law", draws, data, "x")
