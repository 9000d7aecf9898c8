"""The Python API's tables as a new user meets them: ``predict`` takes the fitted data's own
column names, its forecast joins the table it was made from, ``bl.laws()`` is indexed by name
and ``print(fit.summary())`` is not cut by pandas' display width."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslaws as bl
from bayeslaws.simulate import CHINCHILLA_REPLICATION, chinchilla_grid, simulate
from tests.helpers import chinchilla_draws, fixed_draws_fit

COLUMNS = {"N": "Model Size", "D": "Training Tokens"}


@pytest.fixture(scope="module")
def named_fit():
    data = simulate("chinchilla", CHINCHILLA_REPLICATION, chinchilla_grid(), random_seed=0)
    return fixed_draws_fit("chinchilla", chinchilla_draws(spread=0.02),
                           data.rename(columns=COLUMNS), COLUMNS)


def test_predict_takes_the_law_inputs_or_the_fitted_columns(named_fit):
    by_input = named_fit.predict({"N": [7e10, 1e9], "D": [1.4e12, 2e10]})
    by_column = named_fit.predict({"Model Size": [7e10, 1e9], "Training Tokens": [1.4e12, 2e10]})
    pd.testing.assert_frame_equal(by_input, by_column)
    mixed = named_fit.predict({"N": [7e10, 1e9], "Training Tokens": [1.4e12, 2e10]})
    pd.testing.assert_frame_equal(by_input, mixed)
    with pytest.raises(bl.DataError, match=r"input\(s\) \['D'\]"):
        named_fit.predict({"Model Size": [7e10]})


def test_forecast_joins_the_table_it_was_made_from(named_fit):
    table = pd.DataFrame({"Model Size": [7e10, 1e9, 3e8], "Training Tokens": [1.4e12, 2e10, 6e9],
                          "note": ["big", "mid", "small"]}, index=["a", "b", "c"])
    forecast = named_fit.predict(table, inputs=False)
    assert list(forecast.columns) == ["mean", "median", "lower", "upper", "beyond_N",
                                      "beyond_N_span", "beyond_D", "beyond_D_span"]
    joined = table.join(forecast)
    assert list(joined.index) == ["a", "b", "c"]
    full = named_fit.predict(table)
    assert list(full.index) == ["a", "b", "c"]
    np.testing.assert_array_equal(joined["median"], full["median"])
    assert full.attrs["prob"] == 0.9
    with pytest.raises(ValueError, match="overlap"):  # the default keeps the inputs (N, D)
        table.rename(columns={"Model Size": "N"}).join(full)


def test_laws_table_is_indexed_by_name():
    table = bl.laws()
    assert table.index.name == "name"
    assert table.loc["chinchilla", "inputs"] == "N, D"


def test_printed_summary_and_forecast_are_whole(named_fit):
    """A terminal narrower than the table (pandas then cuts columns into "...")."""
    summary = named_fit.summary()
    with pd.option_context("display.width", 40, "display.max_columns", 3):
        text = repr(summary)
        forecast = repr(named_fit.predict({"N": [7e10], "D": [1.4e12]}))
    for column in summary.columns:
        assert column in text
    assert "..." not in text and "..." not in forecast
    assert all(name in text for name in ("E", "alpha", "beta", "sigma"))
    assert "upper" in forecast

