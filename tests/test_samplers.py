"""PyMC's sampler and numpyro (JAX, on CPU here) agree with nutpie on the same posterior."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws.exceptions import BayesLawsError
from bayeslaws.simulate import simulate
from tests.conftest import SMALL


@pytest.fixture(scope="module")
def frame():
    return simulate("saturating_power_law", {"E": 1.5, "A": 20.0, "alpha": 0.4},
                    {"x": np.geomspace(1e3, 1e8, 20)}, sigma=0.02, random_seed=11)


@pytest.fixture(scope="module")
def reference(frame):
    return bl.fit("saturating_power_law", frame, x="x", random_seed=1, **SMALL)


@pytest.mark.parametrize("sampler", ["pymc", "numpyro"])
def test_sampler_agrees_with_nutpie(frame, reference, sampler):
    if sampler == "numpyro":
        pytest.importorskip("numpyro")
    other = bl.fit("saturating_power_law", frame, x="x", random_seed=2, sampler=sampler, **SMALL)
    assert other.config["sampler"] == sampler
    assert other.posterior.sizes == reference.posterior.sizes
    for name in ("E", "alpha", "sigma"):
        a, b = reference.posterior[name], other.posterior[name]
        # Monte Carlo standard error of each mean is sd / sqrt(bulk ESS); two independent
        # estimates of the same posterior mean differ by < 4 combined MCSE except 1 time in 15,000
        mcse = [float(p.std()) / np.sqrt(float(az.ess(p.values, method="bulk")))
                for p in (a, b)]
        tol = 4.0 * float(np.hypot(*mcse))
        assert abs(float(a.mean()) - float(b.mean())) < tol, (name, sampler)
        # the spread agrees too (sd estimates: relative error ~ 1/sqrt(2 ESS), ESS >= 200)
        assert float(b.std()) == pytest.approx(float(a.std()), rel=0.25)


def test_unknown_sampler_names_the_choices(frame):
    with pytest.raises(BayesLawsError, match="Unknown sampler 'stan'.*nutpie"):
        bl.fit("saturating_power_law", frame, x="x", sampler="stan", **SMALL)


def test_numpyro_fits_use_a_persistent_jax_cache(tmp_path, monkeypatch):
    jax = pytest.importorskip("jax")
    from bayeslaws import sampling

    before = jax.config.jax_compilation_cache_dir
    try:
        jax.config.update("jax_compilation_cache_dir", None)
        monkeypatch.setenv("BAYESLAWS_CACHE_DIR", str(tmp_path))
        assert sampling.enable_jax_cache() == tmp_path / "jax"
        assert jax.config.jax_compilation_cache_dir == str(tmp_path / "jax")
        assert (tmp_path / "jax").is_dir()
        # a cache the user configured is left alone
        jax.config.update("jax_compilation_cache_dir", str(tmp_path / "mine"))
        assert sampling.enable_jax_cache() == tmp_path / "mine"
        # an unwritable location turns the cache off instead of failing the fit
        jax.config.update("jax_compilation_cache_dir", None)
        (tmp_path / "file").write_text("")
        monkeypatch.setenv("BAYESLAWS_CACHE_DIR", str(tmp_path / "file"))
        assert sampling.enable_jax_cache() is None
    finally:
        jax.config.update("jax_compilation_cache_dir", before)
