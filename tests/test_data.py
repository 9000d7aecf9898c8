"""bayeslaws/data.py: every wrong table gets a clear DataError before sampling, or a fit.

Named defects first: each bad value, missing column or unusable shape gets an error naming the
value, the column and the fix -- before sampling (the ``no_sampling`` fixture fails a test whose
fit starts sampling).

Property tests then generate tables (valid ones, ones with a planted defect, and ones of arbitrary
floats) and call :func:`bayeslaws.fit` with the sampler replaced by a probe. The probe receives
the model and data the sampler would have got and checks that the model's log density and its
gradient are finite at the starting point -- what NUTS needs to start without a PyTensor error or
NaN. A defect that makes fitting meaningless must raise :class:`~bayeslaws.DataError` naming the
column; anything else must reach the probe. Two real small fits cover the "correct fit" branch at
the extremes of scale (x over 30 orders of magnitude, y of order 1e-200); they are in
tests/test_recovery.py.
"""

from __future__ import annotations

import math
import re
import warnings
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import bayeslaws as bl
from bayeslaws import sampling
from bayeslaws.model import build_model, set_data
from tests.helpers import EXPECT, Expect, fit_runs, runs


# -- named defects, refused before sampling ---------------------------------------------------
@pytest.mark.usefixtures("no_sampling")
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
        fit_runs(data)


@pytest.mark.usefixtures("no_sampling")
@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_bad_y_values(bad):
    data = runs()
    data.loc[5, "loss"] = bad
    with pytest.raises(bl.DataError, match=r"'loss' \(for y\).*row 5"):
        fit_runs(data)


@pytest.mark.usefixtures("no_sampling")
def test_strings_in_a_column():
    data = runs().astype({"size": object})
    data.loc[2, "size"] = "1e7 params"
    with pytest.raises(bl.DataError, match=r"non-numeric value '1e7 params' at row 2"):
        fit_runs(data)


@pytest.mark.usefixtures("no_sampling")
def test_missing_column_lists_available_ones():
    with pytest.raises(bl.DataError, match=r"'params'.*not in data.*'loss', 'size'"):
        fit_runs(runs(), x="params")


@pytest.mark.usefixtures("no_sampling")
def test_missing_law_input():
    with pytest.raises(bl.DataError, match=r"needs input\(s\) \['D'\]"):
        fit_runs(runs().assign(N=1e9), law="chinchilla", x={"N": "size"})


@pytest.mark.usefixtures("no_sampling")
def test_unknown_law_input():
    with pytest.raises(bl.DataError, match=r"no input\(s\) \['M'\].*'D', 'N'"):
        fit_runs(runs(), law="chinchilla", x={"N": "size", "D": "size", "M": "size"})


@pytest.mark.usefixtures("no_sampling")
def test_mismatched_lengths():
    with pytest.raises(bl.DataError, match=r"mismatched lengths \(size: 5, loss: 4\)"):
        fit_runs({"size": [1e6, 1e7, 1e8, 1e9, 1e10], "loss": [3.0, 2.5, 2.2, 2.1]})


@pytest.mark.usefixtures("no_sampling")
def test_fewer_rows_than_parameters():
    with pytest.raises(bl.DataError, match=r"4 parameters but the data have only 4 rows"):
        fit_runs(runs(4), likelihood="lognormal")  # E, A, alpha, sigma


@pytest.mark.usefixtures("no_sampling")
def test_empty_frame_and_constant_columns():
    with pytest.raises(bl.DataError, match="empty"):
        fit_runs(runs().iloc[:0])
    with pytest.raises(bl.DataError, match="single value"):
        fit_runs(runs().assign(size=1e8))
    with pytest.raises(bl.DataError, match="same value"):
        fit_runs(runs().assign(loss=2.0))


# -- generated tables: an error, or a finite start for the sampler ----------------------------
class ReachedSampling(Exception):  # noqa: N818 -- a signal, not an error
    """Raised by the probe in place of sampling, carrying what the sampler would get."""

    def __init__(self, spec, values):
        super().__init__("reached sampling")
        self.spec = spec
        self.values = values


def _probe(spec, values, **_):
    raise ReachedSampling(spec, values)


_COMPILED: dict = {}


def start_density(spec, values) -> tuple[float, np.ndarray]:
    """Log density and gradient at the starting point, compiling each law once per session."""
    key = spec.structure_key()
    if key not in _COMPILED:
        model = build_model(spec, values)
        _COMPILED[key] = (model, model.compile_logp(), model.compile_dlogp())
    model, logp, dlogp = _COMPILED[key]
    set_data(model, values)
    point = model.initial_point()
    return float(logp(point)), np.asarray(dlogp(point))


def attempt(law, frame, **kwargs):
    """``"error"`` with the DataError, or ``"reached"`` after checking the start is finite."""
    with mock.patch.object(sampling, "run_nuts", side_effect=_probe):
        try:
            bl.fit(law, frame, progressbar=False, **kwargs)
        except bl.DataError as err:
            return "error", err
        except ReachedSampling as reached:
            for name, value in reached.values.items():
                assert np.all(np.isfinite(value)), f"model data {name} not finite: {value}"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                logp, grad = start_density(reached.spec, reached.values)
            assert math.isfinite(logp), f"log density {logp} at the start"
            assert np.all(np.isfinite(grad)), f"gradient {grad} at the start"
            return "reached", reached
    raise AssertionError("bl.fit returned although sampling was replaced by the probe")


def law_table(law_name: str, n: int, lows: list[float], spans: list[float], seed: int):
    """A valid table for ``law_name``: inputs log-spaced, y a plausible noisy curve."""
    law = bl.get_law(law_name)
    rng = np.random.default_rng(seed)
    frame = {}
    curve = np.zeros(n)
    for i, name in enumerate(law.inputs):
        lo, span = lows[i % len(lows)], spans[i % len(spans)]
        if name in EXPECT.get(law_name, Expect()).data:  # not a scale: a loss, a rate
            low, high = EXPECT[law_name].data[name]
            lo, span = np.log10(low), np.log10(high / low)
        values = 10.0 ** (lo + span * rng.permutation(np.linspace(0, 1, n)))
        frame[name] = values
        curve += (values / 10.0**lo) ** -0.3
    if law.link == "log":
        y = (1.5 + curve) * np.exp(rng.normal(0, 0.02, n))
    else:
        y = np.clip(0.9 - 0.4 * curve / curve.max() + rng.normal(0, 0.01, n), 0.02, 0.98)
    frame["y"] = y
    return law, pd.DataFrame(frame)


def fit_kwargs(law):
    return {"x": {name: name for name in law.inputs}, "y": "y",
            **({"likelihood": "beta"} if law.link == "identity" else {})}


LAWS = st.sampled_from(bl.law_names())
#: Laws whose inputs are all scales (parameters, tokens, compute...): any positive range is valid.
#: The others take losses or learning rates (ranges declared in the numerics test's EXPECT).
SCALE_LAWS = st.sampled_from([n for n in bl.law_names() if not EXPECT.get(n, Expect()).data])


#: Defects that leave nothing to fit, or make the log scale meaningless: each must be refused.
REFUSED = ("nan", "inf", "-inf", "zero", "negative", "text", "none", "bool", "complex",
           "duplicate_name", "empty", "single_x", "constant_y", "too_few_rows", "missing_column")
#: Changes after which the table is still a valid (if unusual) data set: each must fit.
ACCEPTED = ("nothing", "numeric_text", "shuffled_index", "integer_x", "huge_values",
            "tiny_values", "extra_columns")


def corrupt(frame: pd.DataFrame, defect: str, column: str, row: int) -> pd.DataFrame:
    out = frame.copy()
    row = row % len(out)
    if defect in ("nan", "inf", "-inf", "zero", "negative"):
        value = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf, "zero": 0.0,
                 "negative": -abs(out[column].iloc[row])}[defect]
        out.loc[out.index[row], column] = value
    elif defect in ("text", "none", "bool", "complex"):
        out[column] = out[column].astype(object)
        value = {"text": "1.3e9 params", "none": None, "bool": True, "complex": 1 + 2j}[defect]
        out.loc[out.index[row], column] = value
    elif defect == "duplicate_name":
        other = next(c for c in out.columns if c != column)
        out = out.rename(columns={other: column})
    elif defect == "empty":
        out = out.iloc[:0]
    elif defect == "single_x":
        out[column] = out[column].iloc[row]
    elif defect == "constant_y":
        out["y"] = out["y"].iloc[row]
    elif defect == "too_few_rows":
        out = out.iloc[:2]
    elif defect == "missing_column":
        out = out.drop(columns=[column])
    elif defect == "numeric_text":
        out[column] = [repr(float(v)) for v in out[column]]
    elif defect == "shuffled_index":
        out.index = np.arange(len(out))[::-1] * 7 + 3
    elif defect == "integer_x":
        if column != "y":
            out[column] = np.maximum(np.round(out[column]), 1.0).astype(np.int64)
            if out[column].nunique() < 2:
                out[column] = np.arange(1, len(out) + 1)
    elif defect == "huge_values":
        if column != "y":
            out[column] = out[column] * 1e250
    elif defect == "tiny_values":
        if column != "y":
            out[column] = out[column] * 1e-250
    elif defect == "extra_columns":
        out["note"] = "run"
        out["seed"] = np.arange(len(out))
    return out


@given(law_name=LAWS, defect=st.sampled_from(REFUSED + ACCEPTED), which=st.integers(0, 10),
       row=st.integers(0, 100), n=st.integers(12, 30), seed=st.integers(0, 2**16))
def test_planted_defects_are_refused_and_valid_tables_fit(law_name, defect, which, row, n, seed):
    law, frame = law_table(law_name, n, lows=[6.0, 8.0], spans=[3.0, 2.0], seed=seed)
    columns = list(law.inputs) + ["y"]
    column = columns[which % len(columns)]
    if defect in ("single_x", "integer_x", "huge_values", "tiny_values"):
        column = law.inputs[which % len(law.inputs)]
    if defect == "constant_y":
        column = "y"
    if law.link == "identity" and defect in ("bool",) and column == "y":
        column = law.inputs[0]  # True is a valid accuracy of 1.0 -- not a defect for y there
    if defect in ("integer_x", "huge_values", "tiny_values"):
        assume(column not in EXPECT.get(law_name, Expect()).data)  # rescaling a loss is no scale
    bad = corrupt(frame, defect, column, row)
    outcome, detail = attempt(law_name, bad, **fit_kwargs(law))
    if defect in REFUSED:
        assert outcome == "error", f"{defect} in {column!r} was not refused"
        message = str(detail)
        if defect not in ("empty", "too_few_rows", "duplicate_name"):
            assert repr(column) in message or f"['{column}']" in message, message
        assert "pytensor" not in message.lower()
    else:
        assert outcome == "reached", f"valid table ({defect}) refused: {detail}"


finite_or_not = st.floats(allow_nan=True, allow_infinity=True, width=64)


@given(law_name=LAWS, data=st.data(), n=st.integers(0, 14))
def test_arbitrary_floats_give_an_error_or_a_finite_start(law_name, data, n):
    law = bl.get_law(law_name)
    frame = {name: data.draw(st.lists(finite_or_not, min_size=n, max_size=n), label=name)
             for name in law.inputs}
    frame["y"] = data.draw(st.lists(finite_or_not, min_size=n, max_size=n), label="y")
    outcome, detail = attempt(law_name, pd.DataFrame(frame), **fit_kwargs(law))
    if outcome == "error":
        assert str(detail).strip()


@given(law_name=SCALE_LAWS, n=st.integers(12, 25),
       lows=st.lists(st.floats(-3, 250), min_size=2, max_size=2),
       spans=st.lists(st.floats(0.5, 30), min_size=2, max_size=2),
       seed=st.integers(0, 2**16))
def test_any_positive_scale_reaches_a_finite_start(law_name, n, lows, spans, seed):
    """x anywhere in 1e-3 .. 1e280 and spanning up to 30 decades is valid data."""
    law, frame = law_table(law_name, n, lows=lows, spans=spans, seed=seed)
    assume(all(frame[name].nunique() > 1 for name in law.inputs))
    outcome, detail = attempt(law_name, frame, **fit_kwargs(law))
    assert outcome == "reached", detail


def test_mixed_types_in_one_column():
    law, frame = law_table("saturating_power_law", 12, [6.0], [3.0], seed=1)
    frame["x"] = frame["x"].astype(object)
    frame.loc[4, "x"] = "big"
    outcome, err = attempt("saturating_power_law", frame, x="x", y="y")
    assert outcome == "error"
    assert "non-numeric value 'big' at row 4" in str(err)


def test_index_label_named_when_index_is_not_positional():
    law, frame = law_table("saturating_power_law", 12, [6.0], [3.0], seed=1)
    frame.index = [f"run{i}" for i in range(12)]
    frame.loc["run5", "y"] = np.nan
    outcome, err = attempt("saturating_power_law", frame, x="x", y="y")
    assert outcome == "error"
    assert "row 5 (index 'run5')" in str(err)


@pytest.mark.parametrize("x, y, pattern", [
    (0, "y", None),
    (["x"], "y", r"x must be a column name or a dict.*got \['x'\] \(list\)"),
    ({"x": None}, "y", r"x maps law inputs to \{'x': None\}"),
    ("x", 1.5, r"y must be the name of one column, got 1.5"),
])
def test_x_and_y_must_be_column_labels(x, y, pattern):
    _, frame = law_table("saturating_power_law", 12, [6.0], [3.0], seed=2)
    frame = frame.rename(columns={"x": 0}) if x == 0 else frame
    outcome, detail = attempt("saturating_power_law", frame, x=x, y=y)
    if pattern is None:  # integer labels are pandas' default and work
        assert outcome == "reached"
    else:
        assert outcome == "error"
        assert re.search(pattern, str(detail)), str(detail)


def test_two_dimensional_column_in_a_dict():
    outcome, err = attempt("power_law", {"x": np.ones((3, 4)), "y": np.arange(1.0, 13.0)},
                           x="x", y="y")
    assert outcome == "error"
    assert "2-dimensional" in str(err)


def test_y_equal_up_to_rounding_is_constant():
    x = np.geomspace(1e6, 1e9, 12)
    y = np.full(12, 2.0) + np.arange(12) * 1e-15
    outcome, err = attempt("power_law", {"x": x, "y": y}, x="x", y="y")
    assert outcome == "error"
    assert "same value 2.0 in every row" in str(err)
