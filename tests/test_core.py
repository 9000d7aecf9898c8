"""Core package: catalogue, priors, fit, summary, predict, save/load (issue 2)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import bayeslaws as bl
from bayeslaws import sampling
from bayeslaws.catalogue import models_dir
from bayeslaws.simulate import CHINCHILLA_REPLICATION, demo_data
from tests.conftest import SMALL

CORE_LAWS = ("power_law", "saturating_power_law", "chinchilla", "kaplan")


@pytest.fixture(scope="module")
def demo_fit():
    data = demo_data(random_seed=0)
    return bl.fit("chinchilla", data, x={"N": "params", "D": "tokens"}, y="loss",
                  random_seed=1, **SMALL)


def test_catalogue_lists_core_laws_with_formula_and_reference():
    table = bl.laws()
    assert {"name", "inputs", "parameters", "formula", "reference"} <= set(table.columns)
    assert set(CORE_LAWS) <= set(table["name"])
    row = table.set_index("name").loc["chinchilla"]
    assert row["inputs"] == "N, D"
    assert row["parameters"] == "E, A, B, alpha, beta"
    assert "Hoffmann" in row["reference"]


@pytest.mark.parametrize("name", CORE_LAWS)
def test_each_law_file_documents_its_formula(name):
    text = (models_dir() / f"{name}.py").read_text()
    assert ".. math::" in text and "Reference" in text


def test_fit_exposes_paper_parameters(demo_fit):
    post = demo_fit.posterior
    assert set(post.data_vars) == {"E", "A", "B", "alpha", "beta", "sigma"}
    assert dict(post.sizes) == {"chain": 2, "draw": 400}
    assert set(demo_fit.trace.children) >= {"posterior", "sample_stats", "log_likelihood",
                                           "observed_data", "constant_data"}
    assert demo_fit.trace["log_likelihood"]["y"].shape == (2, 400, 81)


def test_demo_fit_recovers_replication_parameters(demo_fit):
    table = demo_fit.summary(prob=0.9)
    for name, true in CHINCHILLA_REPLICATION.items():
        assert table.loc[name, "eti90_lower"] <= true <= table.loc[name, "eti90_upper"], name


def test_summary_has_diagnostics(demo_fit):
    table = demo_fit.summary()
    assert {"mean", "sd", "median", "ess_bulk", "ess_tail", "r_hat"} <= set(table.columns)
    assert table.attrs["divergences"] == demo_fit.diagnostics().divergences
    assert (table["r_hat"] < 1.05).all()


def test_predict_intervals_are_ordered_and_nest(demo_fit):
    at = {"N": [1e9, 7e10], "D": [2e10, 1.4e12]}
    wide = demo_fit.predict(at, prob=0.9)
    narrow = demo_fit.predict(at, prob=0.5)
    assert list(wide.columns) == ["N", "D", "mean", "median", "lower", "upper"]
    assert (wide["lower"] < wide["median"]).all() and (wide["median"] < wide["upper"]).all()
    assert (wide["lower"] <= narrow["lower"]).all() and (narrow["upper"] <= wide["upper"]).all()
    mean_curve = demo_fit.predict(at, prob=0.9, kind="mean")
    # Observation noise widens the interval of a new run's loss.
    assert ((mean_curve["upper"] - mean_curve["lower"]) < (wide["upper"] - wide["lower"])).all()
    assert demo_fit.predict(at).equals(demo_fit.predict(at)), "default seed makes it repeatable"


def test_predict_matches_law_at_posterior_median(demo_fit):
    draws = demo_fit.draws()
    at = {"N": np.array([7e10]), "D": np.array([1.4e12])}
    per_draw = bl.get_law("chinchilla").mean({k: v[:, None] for k, v in draws.items()}, at)
    table = demo_fit.predict(at, kind="mean")
    assert table["median"].iloc[0] == pytest.approx(np.median(per_draw), rel=1e-12)


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


def test_loo_works_on_every_fit(demo_fit):
    result = demo_fit.loo()
    assert np.isfinite(result.elpd)


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


def test_user_prior_overrides_default(demo_fit):
    prior = bl.Prior("Normal", mu=0.3, sigma=0.05)
    spec, _ = bl.fitting.prepare_fit("chinchilla", demo_data(), x={"N": "params", "D": "tokens"},
                                     y="loss", priors={"alpha": prior})
    assert spec.priors["alpha"] == prior
    assert spec.priors["beta"] == demo_fit.priors["beta"]


def test_register_user_law_file(tmp_path):
    source = (models_dir() / "power_law.py").read_text().replace('"power_law"', '"my_power"')
    path = tmp_path / "my_power.py"
    path.write_text(source)
    assert bl.register_law(path) == "my_power"
    assert "my_power" in bl.law_names()
    with pytest.raises(bl.LawError, match="already registered"):
        bl.register_law(path)


def test_prior_round_trips_through_dict():
    prior = bl.Prior("TruncatedNormal", mu=0.3, sigma=0.1, lower=0.0)
    assert bl.Prior.from_dict(prior.to_dict()) == prior
    assert re.search(r"Prior\('Normal', mu=0.3, sigma=0.05\)",
                     repr(bl.Prior("Normal", mu=0.3, sigma=0.05)))


def test_compiled_model_is_reused_for_new_data(demo_fit):
    before = dict(sampling.COMPILATIONS)
    data = demo_data(random_seed=5).iloc[:60]
    again = bl.fit("chinchilla", data, x={"N": "params", "D": "tokens"}, y="loss",
                   random_seed=2, **SMALL)
    assert sampling.COMPILATIONS == before
    assert again.observations.n == 60
