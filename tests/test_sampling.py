"""bayeslaws/sampling.py: the samplers, the settings that reach them, and the compiled-model cache.

PyMC's sampler and numpyro (JAX, on CPU here) agree with nutpie on the same posterior. Sampler
settings are checked before sampling. nutpie's mass-matrix adaptation and ``target_accept``: the
user's, else the law's, else the package's (low_rank at 0.9). Compile once: a second fit of the
same law reuses the compiled model (counted, not timed); these checks come last, as the one that
clears the cache makes every later fit compile its model again.
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws import sampling
from bayeslaws.exceptions import BayesLawsError
from bayeslaws.simulate import demo_data, simulate
from tests.conftest import SMALL
from tests.helpers import fit_runs, runs, simulate_case, simulate_groups
from tests.helpers import power_law_data as data


# -- samplers ---------------------------------------------------------------------------------
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


# -- settings checked before sampling ---------------------------------------------------------
@pytest.mark.usefixtures("no_sampling")
def test_unknown_likelihood_and_sampler():
    with pytest.raises(bl.BayesLawsError, match=r"Unknown likelihood 'huber'.*'lognormal'"):
        fit_runs(runs(), likelihood="huber")
    with pytest.raises(bl.BayesLawsError, match=r"Unknown sampler 'stan'.*'nutpie'"):
        fit_runs(runs(), sampler="stan")


@pytest.mark.usefixtures("no_sampling")
def test_bad_sampler_settings():
    with pytest.raises(bl.BayesLawsError, match="draws must be an integer >= 1"):
        fit_runs(runs(), draws=0)
    with pytest.raises(bl.BayesLawsError, match="target_accept"):
        fit_runs(runs(), target_accept=1.5)


# -- adaptation and target_accept -------------------------------------------------------------
#: Sampling settings of the adaptation checks (smaller than conftest's SMALL).
SMALLER = {"chains": 2, "draws": 200, "tune": 200, "progressbar": False}


def test_single_curve_defaults_to_low_rank_at_0_9():
    fit = bl.fit("power_law", data(0), x="x", random_seed=0, **SMALLER)
    assert fit.config["adaptation"] == "low_rank"
    assert fit.config["target_accept"] == 0.9


def test_law_and_user_target_accept_take_precedence_over_the_low_rank_default():
    fit = bl.fit("power_law", data(0), x="x", random_seed=0, target_accept=0.85, **SMALLER)
    assert fit.config["target_accept"] == 0.85
    spec = bl.get_law("bnsl", breaks=1)
    assert spec.target_accept == 0.95  # bnsl's own is kept (see below)


def test_diag_adaptation_reaches_nutpie_and_is_stored(monkeypatch):
    seen = {}
    real = sampling.sample_entry

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(sampling, "sample_entry", spy)
    fit = bl.fit("power_law", data(0), x="x", random_seed=0, adaptation="diag", **SMALLER)
    assert seen["adaptation"] == "diag"
    assert fit.config["adaptation"] == "diag"
    assert fit.config["target_accept"] is None  # nutpie's own 0.8


def test_hierarchical_fits_default_to_diag():
    fit = bl.fit("saturating_power_law", simulate_groups(), x="x", y="loss", group="family",
                 random_seed=0, **SMALLER)
    assert fit.config["adaptation"] == "diag"
    assert fit.config["target_accept"] is None


def test_unknown_adaptation_names_the_choices():
    with pytest.raises(bl.BayesLawsError, match="diag.*low_rank"):
        bl.fit("power_law", data(0), x="x", adaptation="dense", **SMALLER)


@pytest.mark.parametrize("sampler", ["pymc", "numpyro"])
def test_adaptation_with_another_sampler_is_refused(sampler):
    with pytest.raises(bl.BayesLawsError, match="nutpie option"):
        bl.fit("power_law", data(0), x="x", sampler=sampler, adaptation="low_rank", **SMALLER)
    assert sampling.resolve_adaptation(sampler, None) is None


@pytest.mark.parametrize("law, options, given, expected", [
    ("bnsl", {"breaks": 1}, {}, (0.95, "diag")),
    ("bnsl", {"breaks": 2}, {"target_accept": 0.9}, (0.9, "diag")),
    ("bnsl", {"breaks": 1}, {"adaptation": "low_rank"}, (0.95, "low_rank")),
    ("m2", {}, {}, (0.9, "low_rank")),
    ("m2", {}, {"adaptation": "diag"}, (None, "diag")),
])
def test_law_default_sampler_settings_reach_the_sampler(law, options, given, expected):
    """target_accept and nutpie's adaptation: the user's, else the law's, else the package's
    (low_rank at 0.9)."""
    from unittest import mock

    from bayeslaws import sampling

    class Captured(Exception):
        pass

    def capture(*args, **kwargs):
        raise Captured(kwargs["target_accept"], kwargs["adaptation"])

    data = simulate_case("m2")
    with mock.patch.object(sampling, "run_nuts", side_effect=capture), \
            pytest.raises(Captured) as caught:
        bl.fit(law, data, x="x", y="y", law_options=options or None, **given)
    assert caught.value.args == expected


# -- compile once (last: one check clears the cache) ------------------------------------------
def test_second_fit_reuses_compiled_model():
    first = bl.fit("power_law", data(0), x="x", random_seed=0, **SMALL)
    before = sampling.COMPILATIONS["nutpie"]  # compiled now (or earlier in this process)
    assert before >= 1
    # new data of the same shape, then a different number of points: no new compilation
    second = bl.fit("power_law", data(1, alpha=0.5), x="x", random_seed=0, **SMALL)
    third = bl.fit("power_law", data(2, n=20), x="x", random_seed=0, **SMALL)
    assert sampling.COMPILATIONS["nutpie"] == before
    # the reused model really saw the new data (not the first data set again)
    assert abs(float(second.posterior["alpha"].mean()) - 0.5) < 0.05
    assert abs(float(first.posterior["alpha"].mean()) - 0.3) < 0.05
    assert third.observations.n == 20
    assert third.trace["log_likelihood"].sizes["obs"] == 20


def test_compiled_model_is_reused_for_new_data(demo_fit):
    before = dict(sampling.COMPILATIONS)
    data = demo_data(random_seed=5).iloc[:60]
    again = bl.fit("chinchilla", data, x={"N": "params", "D": "tokens"}, y="loss",
                   random_seed=2, **SMALL)
    assert sampling.COMPILATIONS == before
    assert again.observations.n == 60


def test_reused_model_gives_the_same_draws_as_a_fresh_compile():
    frame = data(3)
    sampling.clear_cache()
    fresh = bl.fit("power_law", frame, x="x", random_seed=5, **SMALL)
    bl.fit("power_law", data(4), x="x", random_seed=6, **SMALL)  # the cache now holds data 4
    reused = bl.fit("power_law", frame, x="x", random_seed=5, **SMALL)
    np.testing.assert_array_equal(fresh.posterior["alpha"].values,
                                  reused.posterior["alpha"].values)


def test_changed_prior_family_compiles_a_new_model():
    bl.fit("power_law", data(0), x="x", random_seed=0, **SMALL)
    before = sampling.COMPILATIONS["nutpie"]
    gamma = {"alpha": bl.Prior("Gamma", alpha=3.0, beta=10.0)}
    bl.fit("power_law", data(0), x="x", random_seed=0, priors=gamma, **SMALL)
    assert sampling.COMPILATIONS["nutpie"] == before + 1
    bl.fit("power_law", data(1), x="x", random_seed=0, priors=gamma, **SMALL)
    assert sampling.COMPILATIONS["nutpie"] == before + 1
