"""bayeslaws/model.py: a model's data are two shared variables -- its scalars packed into one
vector, its float columns into one matrix -- and the compiled-model cache follows that layout.
"""

from __future__ import annotations

import numpy as np
import pymc as pm

from bayeslaws import sampling
from bayeslaws.model import COLUMNS, SCALARS, packed, register_data
from tests.helpers import power_law_data as data


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
