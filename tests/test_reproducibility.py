"""Reproducibility: same data, law, priors, sampler and seed give an identical posterior, also
in a new process.

Also concurrency: two processes that fit at the same time, sharing the PyTensor and numba
compile caches, both succeed -- and, having the same seed, agree exactly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import bayeslaws as bl

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"chains": 2, "draws": 200, "tune": 200, "progressbar": False}

SCRIPT = textwrap.dedent("""
    import sys, warnings
    import numpy as np
    import bayeslaws as bl
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    x = np.geomspace(1e6, 1e9, 15)
    y = 2.0 + 60 * x**-0.3 * np.exp(rng.normal(0, 0.01, 15))
    fit = bl.fit("saturating_power_law", {{"x": x, "y": y}}, x="x", y="y",
                 priors={{"alpha": bl.Prior("LogNormal", mu=-1.2, sigma=0.5)}},
                 random_seed=int(sys.argv[2]), **{settings!r})
    fit.save(sys.argv[1])
""").format(settings=SETTINGS)


def data():
    rng = np.random.default_rng(0)
    x = np.geomspace(1e6, 1e9, 15)
    return {"x": x, "y": 2.0 + 60 * x**-0.3 * np.exp(rng.normal(0, 0.01, 15))}


def launch(path, seed, env=None):
    return subprocess.Popen([sys.executable, "-c", SCRIPT, str(path), str(seed)], cwd=ROOT,
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finish(process, timeout=540):
    out, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, out[-3000:]


def test_same_seed_same_posterior_in_a_new_process(tmp_path):
    """Identical draws in this process, in a new process that compiles the model afresh (an
    empty PyTensor cache) and in one that loads it from that cache. With numba's fastmath on,
    the cold and the warm process gave different draws (see ``sampling.COMPILE_FLAGS``)."""
    cache = {"PYTENSOR_FLAGS": f"base_compiledir={tmp_path / 'pytensor'}"}
    cold = launch(tmp_path / "cold.nc", 7, env=cache)
    finish(cold)
    warm = launch(tmp_path / "warm.nc", 7, env=cache)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)
        here = bl.fit("saturating_power_law", data(), x="x", y="y",
                      priors={"alpha": bl.Prior("LogNormal", mu=-1.2, sigma=0.5)},
                      random_seed=7, **SETTINGS)
    finish(warm)
    for name in ("cold", "warm"):
        there = bl.load(tmp_path / f"{name}.nc")
        xr.testing.assert_identical(there.posterior, here.posterior)
        assert there.config["random_seed"] == 7
        assert there.config["versions"] == here.config["versions"]


def test_unseeded_fit_stores_a_seed_that_reproduces_it():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)
        first = bl.fit("power_law", data(), x="x", y="y", **SETTINGS)
        seed = first.config["random_seed"]
        again = bl.fit("power_law", data(), x="x", y="y", random_seed=seed, **SETTINGS)
        other = bl.fit("power_law", data(), x="x", y="y", random_seed=seed + 1, **SETTINGS)
    assert isinstance(seed, int)
    xr.testing.assert_identical(again.posterior, first.posterior)
    assert not np.array_equal(other.posterior["alpha"].values, first.posterior["alpha"].values)


@pytest.mark.slow
def test_two_processes_fitting_at_once_share_the_compile_caches(tmp_path):
    """Both use the user's PyTensor and numba caches at the same moment (as two jobs would)."""
    first = launch(tmp_path / "a.nc", 11)
    second = launch(tmp_path / "b.nc", 11)
    finish(first)
    finish(second)
    a, b = bl.load(tmp_path / "a.nc"), bl.load(tmp_path / "b.nc")
    xr.testing.assert_identical(a.posterior, b.posterior)
