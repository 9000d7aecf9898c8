"""priors="informed": population priors learned from published studies (bayeslaws.informed)."""

from __future__ import annotations

import json
import math
import warnings
from unittest import mock

import numpy as np
import pytest

import bayeslaws as bl
from bayeslaws import sampling
from bayeslaws.catalogue import get_law
from bayeslaws.exceptions import PriorError
from bayeslaws.informed import (
    DATA_FILE,
    InformedPriors,
    exponent_axis,
    exponent_names,
    exponent_population,
    populations,
)
from bayeslaws.simulate import CHINCHILLA_REPLICATION, chinchilla_grid, simulate
from tests.conftest import load_script, prior_sampler, requires_data

DATA = simulate("chinchilla", CHINCHILLA_REPLICATION, chinchilla_grid(4, 4), random_seed=0)


def _fit(law="chinchilla", data=DATA, **kwargs):
    kwargs.setdefault("x", {"N": "N", "D": "D"})
    with mock.patch.object(sampling, "run_nuts", side_effect=prior_sampler), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)  # prior draws fit the data badly
        return bl.fit(law, data, y="y", chains=2, draws=100, random_seed=0,
                      progressbar=False, **kwargs)


def test_the_shipped_file_has_provenance_and_every_leave_one_out_set():
    doc = json.loads(DATA_FILE.read_text())
    assert set(doc["studies"]) == {"chinchilla", "gadre", "revisiting", "muennighoff"}
    assert "benchmarks/informed_priors.py" in doc["command"]
    assert set(doc["populations"]) == {"all"} | {f"without={s}" for s in doc["studies"]}
    for label, pops in doc["populations"].items():
        curve = {"exponent_curve"} if label != "without=revisiting" else set()
        assert set(pops) == {"exponent_scale", "exponent", "noise", "floor"} | curve
        assert all(0 < p["sigma"] < 3 for p in pops.values())
    # the population median exponent is of the size of published ones (0.076 to ~0.5)
    assert 0.1 < math.exp(doc["populations"]["all"]["exponent"]["mu"]) < 0.6
    # L(N, D) exponents (0.25-0.37 in every study) are a tighter population than curves'
    scale, curve = (doc["populations"]["all"][k] for k in ("exponent_scale", "exponent_curve"))
    assert 0.2 < math.exp(scale["mu"]) < 0.4 and scale["sigma"] < curve["sigma"]
    # every published exponent used is cited; Kaplan's (no floor) is listed as excluded
    assert all("arXiv" in row["source"] for row in doc["published_exponents"])
    assert {row["value"] for row in doc["published_exponents"]} >= {0.34, 0.28, 0.348, 0.366}
    assert any("Kaplan" in key for key in doc["excluded_published"])


def test_informed_priors_replace_exponents_floor_and_noise_only():
    default, informed = _fit(), _fit(priors="informed")
    pops = populations()
    assert exponent_names(informed.law) == ("alpha", "beta")
    for name in ("alpha", "beta"):  # N and D exponents: the L(N, D) population
        assert informed.priors[name].arguments == pytest.approx(
            {"mu": pops["exponent_scale"]["mu"], "sigma": pops["exponent_scale"]["sigma"]})
    y_min = float(np.log(DATA["y"].min()))
    assert informed.priors["E"].arguments["mu"] == pytest.approx(y_min + pops["floor"]["mu"])
    assert informed.priors["sigma"].arguments["sigma"] == pytest.approx(pops["noise"]["sigma"])
    for name in ("A", "B", "nu"):  # amplitudes and Student-t's nu keep their defaults
        assert informed.priors[name] == default.priors[name]
    assert informed.priors["alpha"] != default.priors["alpha"]


def test_leave_one_study_out_priors_differ_and_unknown_study_is_refused():
    without = _fit(priors=InformedPriors(without="gadre"))
    assert without.priors["alpha"].arguments["mu"] == pytest.approx(
        populations(InformedPriors(without="gadre"))["exponent_scale"]["mu"])
    assert without.priors["alpha"] != _fit(priors="informed").priors["alpha"]
    with pytest.raises(PriorError, match="no such study.*gadre"):
        _fit(priors=InformedPriors(without="kaplan"))


def test_informed_priors_round_trip_in_saved_fits(tmp_path):
    fit = _fit(priors="informed")
    loaded = bl.load(fit.save(tmp_path / "informed.nc"))
    assert loaded.priors == fit.priors


@pytest.mark.usefixtures("no_sampling")
@pytest.mark.parametrize("law, kwargs, words", [
    ("sigmoid", {"x": "x"}, "covers the laws"),
    ("chinchilla", {"likelihood": "lognormal", "priors": "flat"}, "only named prior set"),
])
def test_refused_with_a_clear_message_before_sampling(law, kwargs, words):
    data = simulate("power_law", {"A": 4.0, "alpha": 0.3}, {"x": np.geomspace(1e3, 1e7, 12)})
    data["y"] = np.clip(data["y"] / data["y"].max() * 0.9, 0.01, 0.99)
    table = data if law != "chinchilla" else DATA
    kwargs = {"priors": "informed", **kwargs}
    with pytest.raises(PriorError, match=words):
        bl.fit(law, table, y="y", progressbar=False,
               **({"x": {"N": "N", "D": "D"}} if law == "chinchilla" else {}), **kwargs)


@requires_data
def test_the_shipped_file_matches_its_build_script():
    build = load_script("benchmarks", "informed_priors")
    units = build.units()
    assert {u["study"] for u in units} | {row[0] for row in build.PUBLISHED} == set(
        json.loads(DATA_FILE.read_text())["studies"])
    shipped = {row["unit"] for row in json.loads(DATA_FILE.read_text())["units"]}
    published = {unit for _, unit, *_ in build.PUBLISHED}
    assert shipped == {u["unit"] for u in units} | published
    assert len(units) == 1 + 3 + sum(build.REVISITING.values())


def test_use_applies_only_the_chosen_populations():
    default = _fit()
    some = _fit(priors=InformedPriors(use=("exponent",)))
    assert some.priors["E"] == default.priors["E"]
    assert some.priors["sigma"] == default.priors["sigma"]
    assert some.priors["alpha"] == _fit(priors="informed").priors["alpha"] != \
        default.priors["alpha"]
    with pytest.raises(PriorError, match="use=.*'slope'"):
        InformedPriors(use=("slope",))


def test_exponent_axis_is_chosen_by_the_law_input_name():
    assert exponent_axis(get_law("chinchilla"), "alpha") == "scale"
    assert exponent_axis(get_law("overtraining"), "b") == "scale"
    assert exponent_axis(get_law("saturating_power_law"), "alpha") == "curve"
    curve_law = get_law("saturating_power_law")
    assert exponent_population(curve_law, "alpha", InformedPriors()) == "exponent_curve"
    forced = InformedPriors(exponents="scale")
    assert exponent_population(curve_law, "alpha", forced) == "exponent_scale"
    pooled = InformedPriors(exponents="pooled")
    assert exponent_population(get_law("chinchilla"), "alpha", pooled) == "exponent"
    # learned without the learning curves there is no curve population: the pooled one applies
    assert exponent_population(curve_law, "alpha", InformedPriors(without="revisiting")) \
        == "exponent"
    fit = _fit(priors=InformedPriors(exponents="pooled"))
    assert fit.priors["alpha"].arguments["mu"] == pytest.approx(populations()["exponent"]["mu"])
    with pytest.raises(PriorError, match="exponents='slopes'.*'auto'"):
        InformedPriors(exponents="slopes")
