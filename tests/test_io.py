"""bayeslaws/io.py (``Fit.save`` and ``bl.load``): saved fits lose nothing, are written
atomically, and bad files get a clear FitFileError.

Round trips cover every catalogue law with every likelihood that suits it. To keep them cheap,
the sampler is replaced by draws from the fit's own priors (restricted to the law's
constraints): everything else -- validation, trace assembly, log-likelihood, diagnostics, the
stored settings -- is the real pipeline, for plain and grouped fits alike (the same stand-in
sampler serves both); one real tiny grouped fit (slow) covers a sampler's own output too. The
last checks save and load the demo data's real Chinchilla fit (the ``demo_fit`` fixture of
conftest.py).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

import bayeslaws as bl
from bayeslaws import io, sampling
from bayeslaws.likelihoods import LIKELIHOODS
from tests.conftest import prior_sampler
from tests.helpers import EXPECT, Expect, table


def combos():
    out = []
    for name in bl.law_names():
        link = bl.get_law(name).link
        out += [(name, lik) for lik, spec in sorted(LIKELIHOODS.items()) if spec.link == link]
    return out


def quick_fit(law_name, likelihood, *, n=20, seed=0, chains=2, draws=30):
    expect = EXPECT.get(law_name, Expect())
    law = bl.get_law(law_name, **expect.options)
    frame = table(law, expect, n=n, seed=seed)
    kwargs = {}
    if likelihood in ("binomial", "betabinomial"):
        frame["questions"] = np.random.default_rng(seed).integers(50, 500, n)
        kwargs["extra"] = {"trials": "questions"}
    with mock.patch.object(sampling, "run_nuts", side_effect=prior_sampler), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)
        return bl.fit(law_name, frame, x={k: k for k in law.inputs}, y="y",
                      likelihood=likelihood, random_seed=seed, chains=chains, draws=draws,
                      law_options=expect.options or None, progressbar=False, **kwargs)


def assert_same_fit(fit, back):
    assert type(back) is type(fit)
    assert back.law.name == fit.law.name and back.law.options == fit.law.options
    assert back.spec.likelihood.name == fit.spec.likelihood.name
    assert back.spec.priors == fit.spec.priors
    assert back.config["format_version"] == io.FORMAT_VERSION
    assert {k: v for k, v in back.config.items() if k not in ("priors", "format_version")} == {
        k: v for k, v in json.loads(json.dumps(fit.config, default=str)).items()}
    assert sorted(back.trace.children) == sorted(fit.trace.children)
    for group in fit.trace.children:
        before, after = fit.trace[group].to_dataset(), back.trace[group].to_dataset()
        assert sorted(after.data_vars) == sorted(before.data_vars), group
        xr.testing.assert_identical(after, before)
    diag, diag_back = fit.diagnostics(), back.diagnostics()
    assert diag_back.problems == diag.problems and diag_back.divergences == diag.divergences
    pd.testing.assert_frame_equal(diag_back.table, diag.table)
    at = {name: [1e-3, 1e9, 1e30] for name in fit.law.inputs}
    if fit.spec.likelihood.name in ("binomial", "betabinomial"):
        at["questions"] = [100, 100, 100]
    np.testing.assert_array_equal(back.predict(at).to_numpy(), fit.predict(at).to_numpy())


@pytest.mark.parametrize("law_name, likelihood", combos())
def test_round_trip_every_law_and_likelihood(tmp_path, law_name, likelihood):
    fit = quick_fit(law_name, likelihood)
    path = fit.save(tmp_path / "fit.nc")
    assert_same_fit(fit, bl.load(path))


@given(pick=st.sampled_from(combos()), seed=st.integers(0, 2**16), n=st.integers(14, 40),
       chains=st.integers(1, 3), draws=st.integers(1, 40))
def test_round_trip_property(tmp_path_factory, pick, seed, n, chains, draws):
    fit = quick_fit(*pick, n=n, seed=seed, chains=chains, draws=draws)
    path = fit.save(tmp_path_factory.mktemp("rt") / "fit.nc")
    assert_same_fit(fit, bl.load(path))


@pytest.mark.slow
def test_round_trip_hierarchical_fit(tmp_path):
    """A real (tiny) hierarchical fit: group-indexed posterior and hierarchy settings survive."""
    rng = np.random.default_rng(5)
    x = np.tile(np.geomspace(1e6, 1e9, 8), 3)
    groups = np.repeat(["a", "b", "c"], 8)
    floors = {"a": 1.8, "b": 2.0, "c": 2.2}
    y = np.array([floors[g] for g in groups]) + 40 * x**-0.3 * np.exp(rng.normal(0, .01, 24))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)
        fit = bl.fit("saturating_power_law", {"x": x, "y": y, "set": groups}, x="x", y="y",
                     group="set", chains=1, draws=20, tune=20, random_seed=1,
                     progressbar=False)
    back = bl.load(fit.save(tmp_path / "hier.nc"))
    assert back.is_grouped
    assert back.groups == fit.groups
    assert back.config["grouping"] == fit.config["grouping"]
    for group in fit.trace.children:
        xr.testing.assert_identical(back.trace[group].to_dataset(), fit.trace[group].to_dataset())


def test_round_trip_grouped_fit_through_the_stand_in_sampler(tmp_path):
    """Grouped fits go through the same pipeline and stand-in sampler as plain ones."""
    rng = np.random.default_rng(5)
    x = np.tile(np.geomspace(1e6, 1e9, 8), 3)
    groups = np.repeat(["a", "b", "c"], 8)
    y = np.repeat([1.8, 2.0, 2.2], 8) + 40 * x**-0.3 * np.exp(rng.normal(0, .01, 24))
    with mock.patch.object(sampling, "run_nuts", side_effect=prior_sampler), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)
        fit = bl.fit("saturating_power_law", {"x": x, "y": y, "set": groups}, x="x", y="y",
                     group="set", chains=2, draws=30, random_seed=1, progressbar=False)
    assert fit.posterior["E"].dims == ("chain", "draw", "group")
    assert fit.config["grouping"]["varying"] == ["E", "A"]
    back = bl.load(fit.save(tmp_path / "grouped.nc"))
    assert_same_fit(fit, back)
    assert back.grouping == fit.grouping
    at = {"x": [1e10, 1e10], "set": ["a", "new"]}
    np.testing.assert_array_equal(back.predict(at).to_numpy(), fit.predict(at).to_numpy())
    np.testing.assert_array_equal(back.log_density(fit.data()), fit.log_density(fit.data()))
    assert list(fit.data()["set"]) == list(groups)


# -- atomic writing -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_fit():
    return quick_fit("saturating_power_law", "lognormal")


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("interruption", [OSError("disk full"), KeyboardInterrupt()])
def test_interrupted_save_leaves_old_file_and_no_temp(tmp_path, small_fit, interruption):
    path = small_fit.save(tmp_path / "fit.nc")
    before = path.read_bytes()
    real = xr.DataTree.to_netcdf

    def half_write(self, target, *args, **kwargs):
        real(self, target, *args, **kwargs)
        with open(target, "r+b") as handle:  # half the bytes on disk, then the crash
            handle.truncate(os.path.getsize(target) // 2)
        raise interruption

    with mock.patch.object(xr.DataTree, "to_netcdf", half_write), \
            pytest.raises(type(interruption)):
        small_fit.save(path)
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []
    bl.load(path)


def test_interrupted_first_save_leaves_nothing(tmp_path, small_fit):
    with mock.patch.object(os, "replace", side_effect=OSError("rename failed")), \
            pytest.raises(OSError, match="rename failed"):
        small_fit.save(tmp_path / "new.nc")
    assert list(tmp_path.iterdir()) == []


def test_saved_file_is_readable_by_others(tmp_path, small_fit):
    """mkstemp makes 0600 files; the saved fit gets ordinary permissions (0644)."""
    path = small_fit.save(tmp_path / "fit.nc")
    assert path.stat().st_mode & 0o777 == 0o644


def test_save_to_a_folder_is_refused(tmp_path, small_fit):
    with pytest.raises(bl.FitFileError, match="is a folder"):
        small_fit.save(tmp_path)


# -- damaged, foreign and old or new files ----------------------------------------------------
def test_truncated_file(tmp_path, small_fit):
    path = small_fit.save(tmp_path / "fit.nc")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(bl.FitFileError, match="damaged or truncated"):
        bl.load(path)


def test_not_netcdf_at_all(tmp_path):
    path = tmp_path / "notes.nc"
    path.write_text("params,loss\n1e6,3.2\n")
    with pytest.raises(bl.FitFileError, match="cannot be read as a netCDF fit"):
        bl.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(bl.FitFileError, match="No saved fit at"):
        bl.load(tmp_path / "nope.nc")


def test_foreign_netcdf(tmp_path):
    path = tmp_path / "other.nc"
    xr.Dataset({"t": ("x", np.arange(3.0))}).to_netcdf(path, engine="h5netcdf")
    with pytest.raises(bl.FitFileError, match="not a bayeslaws fit"):
        bl.load(path)


def rewrite_config(path, **changes):
    """Rewrite the stored settings of a saved fit (as another version would have written)."""
    with xr.open_datatree(path, engine=io.ENGINE) as handle:
        tree = handle.load()
    config = json.loads(tree.attrs[io.CONFIG_ATTR])
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    tree.attrs = {io.CONFIG_ATTR: json.dumps(config)}
    tree.to_netcdf(path, engine=io.ENGINE)


@pytest.mark.parametrize("version", [None, 0])
def test_older_format_is_refused_naming_the_version(tmp_path, small_fit, version):
    path = small_fit.save(tmp_path / "old.nc")
    rewrite_config(path, format_version=version, bayeslaws_version="0.0.9")
    with pytest.raises(bl.FitFileError,
                       match=r"written by bayeslaws 0\.0\.9 in file format 0, older than format 1"
                             r".*Refit"):
        bl.load(path)


def test_newer_format_is_refused_naming_the_version(tmp_path, small_fit):
    path = small_fit.save(tmp_path / "new.nc")
    rewrite_config(path, format_version=io.FORMAT_VERSION + 1, bayeslaws_version="9.1.0")
    newer = io.FORMAT_VERSION + 1
    with pytest.raises(bl.FitFileError, match=rf"bayeslaws 9\.1\.0 in file format {newer}.*"
                                              r"pip install -U 'bayeslaws>=9\.1\.0'"):
        bl.load(path)


@pytest.mark.parametrize("changes, pattern", [
    ({"format_version": "one"}, r"format version 'one' is not a version number"),
    ({"law": None}, r"lack \['law'\]"),
    ({"law": "no_such_law"}, r"law 'no_such_law', which is not registered.*register_law"),
    ({"likelihood": "huber"}, r"incomplete or invalid"),
])
def test_damaged_settings(tmp_path, small_fit, changes, pattern):
    path = small_fit.save(tmp_path / "fit.nc")
    rewrite_config(path, **changes)
    with pytest.raises(bl.FitFileError, match=pattern):
        bl.load(path)


def test_missing_group_or_variable(tmp_path, small_fit):
    path = small_fit.save(tmp_path / "fit.nc")
    with xr.open_datatree(path, engine=io.ENGINE) as handle:
        tree = handle.load()
    tree["posterior"] = xr.DataTree(tree["posterior"].to_dataset().drop_vars("alpha"))
    tree.to_netcdf(path, engine=io.ENGINE)
    with pytest.raises(bl.FitFileError, match=r"lacks parameter\(s\) \['alpha'\]"):
        bl.load(path)


def test_seed_and_versions_are_stored(tmp_path, small_fit):
    path = small_fit.save(tmp_path / "fit.nc")
    with xr.open_datatree(path, engine=io.ENGINE) as handle:
        config = json.loads(handle.attrs[io.CONFIG_ATTR])
    assert config["random_seed"] == small_fit.config["random_seed"] == 0
    assert config["format_version"] == io.FORMAT_VERSION
    for package in ("bayeslaws", "pymc", "pytensor", "nutpie", "arviz", "numpy"):
        assert config["versions"][package], package


def test_float32_storage_halves_the_file_and_keeps_the_fit(tmp_path, small_fit):
    full = small_fit.save(tmp_path / "f64.nc")
    half = small_fit.save(tmp_path / "f32.nc", precision="float32")
    back = bl.load(half)
    for group in ("posterior", "log_likelihood"):
        data = back.trace[group].to_dataset()
        assert all(var.dtype == np.float32 for var in data.data_vars.values()), group
        xr.testing.assert_allclose(data.astype("float64"),
                                   small_fit.trace[group].to_dataset(), rtol=1e-6)
    assert sorted(back.trace.children) == sorted(small_fit.trace.children)
    # the file shrinks by (nearly) half the bytes of the float64 draws and log-likelihood
    # (the rest of a file this small is netCDF/HDF5 overhead)
    draws_bytes = sum(small_fit.trace[g].to_dataset().nbytes for g in ("posterior",
                                                                        "log_likelihood"))
    assert full.stat().st_size - half.stat().st_size > 0.4 * draws_bytes
    at = {name: [1e3, 1e9] for name in small_fit.law.inputs}
    np.testing.assert_allclose(back.predict(at)[["median", "lower", "upper"]],
                               small_fit.predict(at)[["median", "lower", "upper"]], rtol=1e-5)
    np.testing.assert_allclose(back.loo().elpd, small_fit.loo().elpd, rtol=1e-6)
    with pytest.raises(bl.BayesLawsError, match="valid choices: 'float32', 'float64'"):
        small_fit.save(tmp_path / "x.nc", precision="float16")


# -- files written by earlier versions ------------------------------------------------------
FIXTURES = Path(__file__).parent / "data"


@pytest.mark.parametrize("name, at", [
    ("chinchilla", {"N": [1e10, 7e10], "D": [2e11, 1.4e12]}),
    ("grouped", {"x": [1e8, 1e8, 1e8], "family": ["a", "c", "new"]}),
])
def test_fit_saved_by_version_0_1_0_loads_and_predicts_identically(name, at):
    """Fits saved by bayeslaws 0.1.0 (file format 1, made at commit 7103fae by
    tests/data/make_fixtures_0_1_0.py) predict exactly what they predicted then."""
    fit = bl.load(FIXTURES / f"fit_0.1.0_{name}.nc")
    assert fit.settings.bayeslaws_version == "0.1.0"
    assert fit.is_grouped == (name == "grouped")
    expected = pd.read_csv(FIXTURES / f"fit_0.1.0_{name}_predict.csv")
    got = fit.predict(pd.DataFrame(at))[list(expected.columns)]  # + later columns (beyond_*)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False,
                                  rtol=1e-12, atol=0)
    if name == "chinchilla":
        mean = pd.read_csv(FIXTURES / f"fit_0.1.0_{name}_predict_mean.csv")
        got = fit.predict(pd.DataFrame(at), kind="mean")[list(mean.columns)]
        pd.testing.assert_frame_equal(got, mean, check_dtype=False, rtol=1e-12, atol=0)


# -- the demo fit: round trip and refusals ----------------------------------------------------
def test_save_load_round_trip_reproduces_predict(demo_fit, tmp_path):
    path = demo_fit.save(tmp_path / "fit.nc")
    again = bl.load(path)
    at = {"N": [7e10], "D": [1.4e12]}
    pd.testing.assert_frame_equal(again.predict(at, prob=0.9), demo_fit.predict(at, prob=0.9))
    assert again.law.name == "chinchilla"
    assert again.priors == demo_fit.priors
    assert again.config["random_seed"] == 1
    assert again.config["versions"]["pymc"]
    np.testing.assert_array_equal(again.posterior["alpha"].values,
                                  demo_fit.posterior["alpha"].values)
    assert again.data().columns.tolist() == ["params", "tokens", "loss"]


def test_load_refuses_damaged_and_foreign_files(demo_fit, tmp_path):
    path = demo_fit.save(tmp_path / "fit.nc")
    truncated = tmp_path / "truncated.nc"
    truncated.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(bl.FitFileError, match="damaged or truncated"):
        bl.load(truncated)
    foreign = tmp_path / "foreign.nc"
    import xarray as xr

    xr.Dataset({"a": ("x", [1.0, 2.0])}).to_netcdf(foreign, engine="h5netcdf")
    with pytest.raises(bl.FitFileError, match="not a bayeslaws fit"):
        bl.load(foreign)
    with pytest.raises(bl.FitFileError, match="No saved fit"):
        bl.load(tmp_path / "missing.nc")


def test_load_refuses_unknown_law(demo_fit, tmp_path):
    import json

    import xarray as xr

    from bayeslaws.io import CONFIG_ATTR

    path = demo_fit.save(tmp_path / "fit.nc")
    with xr.open_datatree(path, engine="h5netcdf") as handle:
        tree = handle.load()
    config = json.loads(tree.attrs[CONFIG_ATTR])
    config["law"] = "my_private_law"
    tree.attrs[CONFIG_ATTR] = json.dumps(config)
    other = tmp_path / "other.nc"
    tree.to_netcdf(other, engine="h5netcdf")
    with pytest.raises(bl.FitFileError, match=r"my_private_law.*register_law"):
        bl.load(other)
