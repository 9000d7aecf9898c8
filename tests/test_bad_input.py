"""Bad input gets a clear error naming the value, the choices and the fix -- before sampling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslaws as bl
from bayeslaws import sampling


@pytest.fixture(autouse=True)
def no_sampling(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("sampling started although the input is invalid")

    monkeypatch.setattr(sampling, "run_nuts", refuse)


def runs(n=12, seed=0):
    rng = np.random.default_rng(seed)
    x = np.geomspace(1e6, 1e9, n)
    return pd.DataFrame({"size": x, "loss": 2 + 50 * x**-0.3 * np.exp(rng.normal(0, .01, n))})


def fit(data, law="saturating_power_law", **kwargs):
    kwargs.setdefault("x", "size")
    kwargs.setdefault("y", "loss")
    return bl.fit(law, data, progressbar=False, **kwargs)


@pytest.mark.parametrize("bad, pattern", [
    (0.0, r"'size'.*must be > 0.*row 3"),
    (-5.0, r"'size'.*must be > 0.*-5.0"),
    (np.nan, r"'size'.*non-finite value nan at row 3"),
    (np.inf, r"'size'.*non-finite value inf at row 3"),
])
def test_bad_x_values(bad, pattern):
    data = runs()
    data.loc[3, "size"] = bad
    with pytest.raises(bl.DataError, match=pattern):
        fit(data)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_bad_y_values(bad):
    data = runs()
    data.loc[5, "loss"] = bad
    with pytest.raises(bl.DataError, match=r"'loss' \(for y\).*row 5"):
        fit(data)


def test_strings_in_a_column():
    data = runs().astype({"size": object})
    data.loc[2, "size"] = "1e7 params"
    with pytest.raises(bl.DataError, match=r"non-numeric value '1e7 params' at row 2"):
        fit(data)


def test_missing_column_lists_available_ones():
    with pytest.raises(bl.DataError, match=r"'params'.*not in data.*'loss', 'size'"):
        fit(runs(), x="params")


def test_missing_law_input():
    with pytest.raises(bl.DataError, match=r"needs input\(s\) \['D'\]"):
        fit(runs().assign(N=1e9), law="chinchilla", x={"N": "size"})


def test_unknown_law_input():
    with pytest.raises(bl.DataError, match=r"no input\(s\) \['M'\].*'D', 'N'"):
        fit(runs(), law="chinchilla", x={"N": "size", "D": "size", "M": "size"})


def test_mismatched_lengths():
    with pytest.raises(bl.DataError, match=r"mismatched lengths \(size: 5, loss: 4\)"):
        fit({"size": [1e6, 1e7, 1e8, 1e9, 1e10], "loss": [3.0, 2.5, 2.2, 2.1]})


def test_fewer_rows_than_parameters():
    with pytest.raises(bl.DataError, match=r"4 parameters but the data have only 4 rows"):
        fit(runs(4))


def test_empty_frame_and_constant_columns():
    with pytest.raises(bl.DataError, match="empty"):
        fit(runs().iloc[:0])
    with pytest.raises(bl.DataError, match="single value"):
        fit(runs().assign(size=1e8))
    with pytest.raises(bl.DataError, match="same value"):
        fit(runs().assign(loss=2.0))


def test_unknown_law_lists_choices():
    with pytest.raises(bl.LawError, match=r"Unknown law 'chinchila'.*'chinchilla'"):
        fit(runs(), law="chinchila")


def test_unknown_prior_name_lists_valid_names():
    with pytest.raises(bl.PriorError, match=r"Unknown prior name 'alpah'.*'A', 'E', 'alpha'"):
        fit(runs(), priors={"alpah": bl.Prior("Normal", mu=0.3, sigma=0.1)})


def test_prior_with_invalid_arguments():
    with pytest.raises(bl.PriorError, match=r"sigma=-0.1 must be > 0"):
        bl.Prior("Normal", mu=0.3, sigma=-0.1)
    with pytest.raises(bl.PriorError, match=r"does not take argument\(s\) scale"):
        bl.Prior("HalfNormal", scale=1.0)
    with pytest.raises(bl.PriorError, match=r"Unknown prior distribution 'Gaussian'"):
        bl.Prior("Gaussian", mu=0.0, sigma=1.0)
    with pytest.raises(bl.PriorError, match="must be a bayeslaws.Prior"):
        fit(runs(), priors={"alpha": 0.3})


def test_unknown_likelihood_and_sampler():
    with pytest.raises(bl.BayesLawsError, match=r"Unknown likelihood 'huber'.*'lognormal'"):
        fit(runs(), likelihood="huber")
    with pytest.raises(bl.BayesLawsError, match=r"Unknown sampler 'stan'.*'nutpie'"):
        fit(runs(), sampler="stan")


def test_bad_sampler_settings():
    with pytest.raises(bl.BayesLawsError, match="draws must be an integer >= 1"):
        fit(runs(), draws=0)
    with pytest.raises(bl.BayesLawsError, match="target_accept"):
        fit(runs(), target_accept=1.5)
