"""nutpie's mass-matrix adaptation and the packing of a model's scalars into one shared vector."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest

import bayeslaws as bl
from bayeslaws import sampling
from bayeslaws.cli import main
from bayeslaws.model import COLUMNS, SCALARS, packed, register_data
from tests.test_hierarchy import simulate as simulate_groups
from tests.test_speed_reuse import data

SMALL = {"chains": 2, "draws": 200, "tune": 200, "progressbar": False}


def test_single_curve_defaults_to_low_rank_at_0_9():
    fit = bl.fit("power_law", data(0), x="x", random_seed=0, **SMALL)
    assert fit.config["adaptation"] == "low_rank"
    assert fit.config["target_accept"] == 0.9


def test_law_and_user_target_accept_take_precedence_over_the_low_rank_default():
    fit = bl.fit("power_law", data(0), x="x", random_seed=0, target_accept=0.85, **SMALL)
    assert fit.config["target_accept"] == 0.85
    spec = bl.get_law("bnsl", breaks=1)
    assert spec.target_accept == 0.95  # bnsl's own is kept (tests/test_catalogue_laws.py)


def test_diag_adaptation_reaches_nutpie_and_is_stored(monkeypatch):
    seen = {}
    real = sampling.sample_entry

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(sampling, "sample_entry", spy)
    fit = bl.fit("power_law", data(0), x="x", random_seed=0, adaptation="diag", **SMALL)
    assert seen["adaptation"] == "diag"
    assert fit.config["adaptation"] == "diag"
    assert fit.config["target_accept"] is None  # nutpie's own 0.8


def test_hierarchical_fits_default_to_diag():
    fit = bl.fit("saturating_power_law", simulate_groups(), x="x", y="loss", group="family",
                 random_seed=0, **SMALL)
    assert fit.config["adaptation"] == "diag"
    assert fit.config["target_accept"] is None


def test_unknown_adaptation_names_the_choices():
    with pytest.raises(bl.BayesLawsError, match="diag.*low_rank"):
        bl.fit("power_law", data(0), x="x", adaptation="dense", **SMALL)


@pytest.mark.parametrize("sampler", ["pymc", "numpyro"])
def test_adaptation_with_another_sampler_is_refused(sampler):
    with pytest.raises(bl.BayesLawsError, match="nutpie option"):
        bl.fit("power_law", data(0), x="x", sampler=sampler, adaptation="low_rank", **SMALL)
    assert sampling.resolve_adaptation(sampler, None) is None


def test_cli_passes_adaptation_and_target_accept(tmp_path):
    csv = tmp_path / "runs.csv"
    data(0).to_csv(csv, index=False)
    out = tmp_path / "fit.nc"
    main(["fit", str(csv), "--law", "power_law", "--x", "x=x", "--y", "y", "--out", str(out),
          "--draws", "200", "--tune", "200", "--chains", "2", "--seed", "0", "--quiet",
          "--adaptation", "diag", "--target-accept", "0.85"])
    fit = bl.load(out)
    assert fit.config["adaptation"] == "diag"
    assert fit.config["target_accept"] == 0.85


def test_scalars_share_one_vector_and_float_columns_one_matrix():
    values = {"y_obs": np.zeros(5), "logx__x": np.log(np.geomspace(1.0, 10.0, 5)),
              "loc__b": np.asarray(0.5), "prior__b__mu": np.asarray(-1.0),
              "group_index": np.arange(5)}
    out = packed(values)
    assert sorted(out) == [COLUMNS, "group_index", SCALARS]
    np.testing.assert_array_equal(out[SCALARS], [0.5, -1.0])  # sorted by name
    np.testing.assert_array_equal(out[COLUMNS], [values["logx__x"], values["y_obs"]])
    uneven = packed({"a": np.zeros(3), "b": np.ones(4)})
    assert sorted(uneven) == ["a", "b", SCALARS]


def test_model_data_is_two_shared_variables():
    model = sampling.cached_entry(*_spec_values(), "nutpie").model
    assert sorted(v.name for v in model.data_vars) == [COLUMNS, SCALARS]


def test_every_name_reads_its_own_value_from_the_shared_data():
    _, values = _spec_values()
    with pm.Model():
        tensors = register_data(values)
    assert sorted(tensors) == sorted(values)
    for name, value in values.items():
        np.testing.assert_array_equal(tensors[name].eval(), value, err_msg=name)


def _spec_values():
    from bayeslaws.model import data_values
    from bayeslaws.spec import prepare_fit

    spec, obs = prepare_fit("power_law", data(0), "x", "y")
    return spec, data_values(spec, obs)


def test_data_of_another_layout_gets_its_own_model():
    """The compiled-model cache is keyed by the data layout too: values with another set of
    scalars (or columns) must not be read through a model whose vector has other positions."""
    from bayeslaws.model import data_layout

    spec, values = _spec_values()
    other = {**values, "prior__zzz": np.asarray(1.0)}  # one more scalar, sorted last
    assert data_layout(values) != data_layout(other)
    entry = sampling.cached_entry(spec, values, "nutpie")
    assert entry is not sampling.cached_entry(spec, other, "nutpie")
    assert entry is sampling.cached_entry(spec, dict(values), "nutpie")
