"""bayeslaws/backtest.py: leave-future-out backtests -- holdout masks, scores, the true law
winning, and the ``backtest`` command. Grouped backtests are in tests/test_hierarchy.py."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeslaws as bl
from bayeslaws import cli
from bayeslaws.backtest import COLUMNS, STACKED, grouped_holdout_mask, holdout_mask, score
from bayeslaws.compare import Average
from bayeslaws.exceptions import DataError, LawError
from tests.conftest import SMALL


# -- scoring, by hand -----------------------------------------------------------------------
def test_score_by_hand():
    y = np.array([1.0, 2.0, 4.0, 8.0])
    median = np.array([1.0, 2.0, 2.0, 16.0])
    intervals = {
        0.5: (np.array([0.9, 2.0, 1.0, 9.0]), np.array([1.1, 3.0, 3.0, 20.0])),
        0.9: (np.array([0.5, 1.0, 1.0, 4.0]), np.array([2.0, 4.0, 4.0, 20.0])),
    }
    density = np.array([0.5, -1.0, -2.0, 0.0])
    got = score(y, median, intervals, density)
    ln2 = np.log(2.0)
    assert got["n_heldout"] == 4
    assert got["elpd"] == pytest.approx(-2.5)
    assert got["elpd_mean"] == pytest.approx(-0.625)
    assert got["rmsle"] == pytest.approx(np.sqrt((ln2**2 + ln2**2) / 4))
    assert got["abs_rel_error"] == pytest.approx((0 + 0 + 0.5 + 1.0) / 4)
    # 50%: runs 0 and 1 (on the lower bound) covered; run 2 above, run 3 below the interval.
    assert got["coverage_50"] == pytest.approx(0.5)
    # 90%: every run covered (runs 2 on the upper bound): closed intervals.
    assert got["coverage_90"] == pytest.approx(1.0)


# -- holdout --------------------------------------------------------------------------------
def test_holdout_fraction_takes_largest_scale():
    frame = pd.DataFrame({"N": [1, 2, 3, 4, 5, 6, 7, 8.0], "D": [8, 1, 1, 1, 1, 1, 1, 1.0]})
    mask = holdout_mask(frame, 0.25, ["N", "D"])  # scale N * D = 8, 2, 3, ..., 7, 8
    np.testing.assert_array_equal(mask, [True] + [False] * 6 + [True])  # tie at 8: both
    assert holdout_mask(frame, 0.25, "N").sum() == 2  # ceil(0.25 * 8), no ties in N
    np.testing.assert_array_equal(holdout_mask(frame, 0.1, "N"), [False] * 7 + [True])


def test_holdout_mask_and_column():
    frame = pd.DataFrame({"x": [1.0, 2, 3, 4], "late": [0, 0, 1, 1]})
    np.testing.assert_array_equal(holdout_mask(frame, "late", "x"), [False, False, True, True])
    flags = np.array([True, False, True, False])
    np.testing.assert_array_equal(holdout_mask(frame, flags, "x"), flags)


@pytest.mark.parametrize("holdout, message", [
    (1.5, "fraction strictly between 0 and 1"),
    (0.0, "fraction strictly between 0 and 1"),
    (True, "fraction strictly between 0 and 1"),
    ("nope", "not a column"),
    (np.array([True, False]), "one flag per row"),
    (np.array([0, 2, 1, 0]), "booleans or 0/1"),
    (np.array([True] * 4), "both must be non-empty"),
])
def test_holdout_refuses(holdout, message):
    frame = pd.DataFrame({"x": [1.0, 2, 3, 4]})
    with pytest.raises(DataError, match=message):
        holdout_mask(frame, holdout, "x")


def test_holdout_refuses_bad_flag_column_and_scale():
    frame = pd.DataFrame({"x": [1.0, 2, 3, 4], "late": [0, 0, 1, 2], "name": list("abcd")})
    with pytest.raises(DataError, match="holdout column 'late' must hold booleans or 0/1"):
        holdout_mask(frame, "late", "x")
    with pytest.raises(DataError, match=r"scale column\(s\) \['size'\] are not in the data"):
        holdout_mask(frame, 0.5, "size")
    with pytest.raises(DataError, match="'name'.*non-numeric value 'a'"):
        holdout_mask(frame, 0.5, "name")
    with pytest.raises(DataError, match="group='family' is not a column"):
        grouped_holdout_mask(frame, 0.5, "x", "family")
    with pytest.raises(DataError, match="holds out no run"):
        grouped_holdout_mask(frame, 0.5, "x", "name")  # every group a single run


def test_backtest_refuses_bad_input():
    frame = pd.DataFrame({"x": np.geomspace(1, 100, 10), "y": np.linspace(2, 1, 10)})
    with pytest.raises(LawError, match="Unknown law|not in the catalogue|unknown"):
        bl.backtest("no_such_law", frame, x="x", y="y")
    with pytest.raises(bl.BayesLawsError, match="errors must be"):
        bl.backtest("power_law", frame, x="x", y="y", errors="ignore")
    with pytest.raises(bl.BayesLawsError, match="probs must lie strictly between 0 and 1"):
        bl.backtest("power_law", frame, x="x", y="y", probs=(0.5, 1.0))
    with pytest.raises(bl.BayesLawsError, match="discrepancy='yes': valid choices are 'auto'"):
        bl.backtest("power_law", frame, x="x", y="y", discrepancy="yes")


@pytest.mark.parametrize("kwargs, message", [
    ({"y": "loss"}, "y='loss' is not a column"),
    ({"x": {"N": "x"}, "laws": "chinchilla"}, "no column for input"),
    ({"x": "x", "laws": "chinchilla"}, "names one column but law 'chinchilla'"),
    ({"x": ["x"]}, "x must be a column name or a dict"),
    ({"x": {"x": 3.5}}, "not column names"),
    ({"x": {"x": "x", "Q": "y"}}, "x maps \\['Q'\\], which no law"),
    ({"x": "params"}, r"Column\(s\) \['params'\] of law 'power_law'"),
    ({"group": "family"}, "group='family' is not a column"),
    ({"holdout": "late"}, "holdout='late' is not a column"),
    ({"holdout": 2}, "fraction strictly between 0 and 1"),
    ({"scale": ["size"]}, "scale column"),
])
def test_backtest_input_mistakes_are_data_errors(kwargs, message):
    frame = pd.DataFrame({"x": np.geomspace(1, 100, 10), "y": np.linspace(2, 1, 10)})
    kwargs = {"laws": "power_law", "x": "x", "y": "y", **kwargs}
    with pytest.raises(DataError, match=message):
        bl.backtest(kwargs.pop("laws"), frame, **kwargs)


@pytest.mark.parametrize("laws, message", [
    ({STACKED: "power_law"}, "name of the stacked-average row"),
    (["power_law", "power_law"], "appears twice"),
    ({"p": {"law_options": {}}}, "without a 'law' key"),
    ([], "at least one law"),
    (3, "laws must be a law name"),
])
def test_backtest_law_spec_mistakes_are_law_errors(laws, message):
    frame = pd.DataFrame({"x": np.geomspace(1, 100, 10), "y": np.linspace(2, 1, 10)})
    with pytest.raises(LawError, match=message):
        bl.backtest(laws, frame, x="x", y="y")


# -- the backtest on simulated data ---------------------------------------------------------
@pytest.fixture(scope="module")
def curve() -> pd.DataFrame:
    """24 runs of y = 1.5 + 50 x^-0.4 with 2% noise; the largest 25% are held out."""
    rng = np.random.default_rng(11)
    x = np.geomspace(1e3, 1e7, 24)
    y = (1.5 + 50 * x**-0.4) * np.exp(0.02 * rng.standard_normal(24))
    return pd.DataFrame({"examples": x, "loss": y})


@pytest.fixture(scope="module")
def table(curve) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)
        return bl.backtest(["saturating_power_law", "power_law"], curve, x="examples",
                           y="loss", holdout=0.25, random_seed=5, **SMALL)


def test_backtest_table(table):
    assert list(table.index) == ["saturating_power_law", "power_law", STACKED]
    # the discrepancy is on by default for laws on a log link: its scale in ``tau``
    assert list(table.columns) == [*COLUMNS, "tau", "error"]
    assert table.attrs["discrepancy"] == {"saturating_power_law": "on", "power_law": "on"}
    assert (table["n_fit"] == 18).all() and (table["n_heldout"] == 6).all()
    singles = table.drop(index=STACKED)
    assert singles["weight"].sum() == pytest.approx(1.0)
    assert set(table.attrs["fits"]) == {"saturating_power_law", "power_law"}
    assert table.attrs["heldout"].sum() == 6 and table.attrs["heldout"][-6:].all()


def test_true_law_extrapolates_best(table, curve):
    # The held-out runs sit on the floor E = 1.5 that a pure power law overshoots downwards:
    # the power law misses by ~10-30% there, the true law by about the 2% noise.
    true, wrong = table.loc["saturating_power_law"], table.loc["power_law"]
    assert true["rmsle"] < 0.05 < wrong["rmsle"]
    assert true["elpd"] > wrong["elpd"] + 10
    assert true["abs_rel_error"] < wrong["abs_rel_error"]
    assert true["coverage_90"] >= 4 / 6  # 6 runs: a calibrated 90% interval misses <= 2
    # the wrong law's misfit inside the fitting runs (learned by leave-future-out) widens its
    # intervals beyond them: a larger discrepancy scale and wider intervals than the true law's
    assert wrong["tau"] > true["tau"] and wrong["width_90"] > 2 * true["width_90"]
    # without it (the plain fit) the wrong law's 90% intervals miss most held-out runs
    held = curve.loc[table.attrs["heldout"]]
    plain = table.attrs["fits"]["power_law"].predict({"x": held["examples"].to_numpy()},
                                                     prob=0.9, random_seed=5)
    inside = (plain["lower"].to_numpy() <= held["loss"].to_numpy()) \
        & (held["loss"].to_numpy() <= plain["upper"].to_numpy())
    assert inside.mean() <= 2 / 6
    assert table.loc[STACKED, "rmsle"] <= 1.5 * true["rmsle"]


def test_scores_match_per_run_forecasts(table, curve):
    points = table.attrs["points"]
    held = curve["loss"].to_numpy()[table.attrs["heldout"]]
    for law in table.index:
        part = points[points["law"] == law]
        np.testing.assert_allclose(part["y"], held)
        squared = []
        for pct in (50, 60, 70, 80, 90, 95, 99):
            inside = (part[f"lower_{pct}"] <= part["y"]) & (part["y"] <= part[f"upper_{pct}"])
            assert table.loc[law, f"coverage_{pct}"] == pytest.approx(inside.mean())
            squared.append((inside.mean() - pct / 100) ** 2)
        assert table.loc[law, "msce"] == pytest.approx(np.mean(squared))
        for pct in (50, 90):
            width = (part[f"upper_{pct}"] - part[f"lower_{pct}"]) / part["median"]
            assert table.loc[law, f"width_{pct}"] == pytest.approx(np.median(width))
        assert (part["lower_99"] <= part["lower_95"]).all()
        err = np.log(part["median"]) - np.log(part["y"])
        assert table.loc[law, "rmsle"] == pytest.approx(np.sqrt(np.mean(err**2)))
        assert table.loc[law, "elpd"] == pytest.approx(part["log_density"].sum())
        assert (part["lower_90"] <= part["lower_50"]).all()
        assert (part["upper_50"] <= part["upper_90"]).all()


def test_backtest_intervals_are_those_of_predict(table, curve):
    """One set of draws gives every level; it must equal predict's with the same seed (the
    forecasters scored: the fits with their discrepancy, the default)."""
    points, models = table.attrs["points"], table.attrs["models"]
    held = curve.loc[table.attrs["heldout"]]
    for law, model in models.items():
        got = model.predict({"x": held["examples"].to_numpy()}, prob=0.8, random_seed=5)
        part = points[points["law"] == law]
        np.testing.assert_allclose(part["lower_80"], got["lower"])
        np.testing.assert_allclose(part["median"], got["median"])
    mixture = Average(dict(models), table.drop(index=STACKED)["weight"].to_dict())
    got = mixture.predict({"x": held["examples"].to_numpy()}, prob=0.95, random_seed=5)
    part = points[points["law"] == STACKED]
    np.testing.assert_allclose(part["upper_95"], got["upper"])


def test_backtest_skips_unfittable_law(curve):
    tiny = curve.iloc[:6]
    with pytest.warns(UserWarning, match="was not fitted"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", bl.SamplerWarning)
            got = bl.backtest({"b2": {"law": "bnsl", "law_options": {"breaks": 2}}}, tiny,
                              x="examples", y="loss", holdout=0.5, errors="skip", **SMALL)
    assert "rows" in got.loc["b2", "error"] and np.isnan(got.loc["b2", "rmsle"])


def test_cli_backtest(curve, tmp_path, capsys):
    path = tmp_path / "curve.csv"
    curve.assign(late=(curve["examples"] > 1e6).astype(int)).to_csv(path, index=False)
    out = tmp_path / "bt.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = cli.main(["backtest", str(path), "--law", "sat=saturating_power_law",
                         "--x", "x=examples", "--y", "loss", "--holdout", "late",
                         "--draws", "200", "--tune", "200", "--chains", "2", "--quiet",
                         "--seed", "3", "--out", str(out)])
    assert code == 0
    saved = pd.read_csv(out, index_col="law")
    assert list(saved.index) == ["sat"]
    assert saved.loc["sat", "n_heldout"] == int((curve["examples"] > 1e6).sum())
    assert "coverage_90" in capsys.readouterr().out
    assert cli.main(["backtest", str(path), "--law", "sat=saturating_power_law", "--x",
                     "x=examples", "--y", "loss", "--holdout", "1.5"]) == 2
    assert "strictly between 0 and 1" in capsys.readouterr().err


def test_backtest_refuses_unknown_criterion():
    frame = pd.DataFrame({"x": np.geomspace(1, 100, 10), "y": np.linspace(2, 1, 10)})
    with pytest.raises(bl.BayesLawsError, match="criterion must be"):
        bl.backtest(["power_law", "saturating_power_law"], frame, x="x", y="y",
                    criterion="waic")


@pytest.mark.slow
def test_backtest_stacks_by_lfo(curve):
    """LFO weights (computed on the fitting runs) go to the law that extrapolates: the
    saturating law, whose floor the held-out runs sit on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = bl.backtest(["saturating_power_law", "power_law"], curve, x="examples",
                          y="loss", holdout=0.25, random_seed=5, criterion="lfo", **SMALL)
    assert got.loc["saturating_power_law", "weight"] > 0.8
    assert got.loc[STACKED, "rmsle"] <= 1.5 * got.loc["saturating_power_law", "rmsle"]


@pytest.mark.slow
def test_backtest_with_discrepancy(curve):
    """The discrepancy's tau is reported per law; the misspecified power law gets the larger
    one and wider held-out intervals than without it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kwargs = dict(x="examples", y="loss", holdout=0.25, random_seed=5, **SMALL)
        plain = bl.backtest("power_law", curve, discrepancy=False, **kwargs)
        wide = bl.backtest(["saturating_power_law", "power_law"], curve, discrepancy=True,
                           **kwargs)
    assert "tau" in wide.columns and "tau" not in plain.columns
    assert wide.loc["power_law", "tau"] > wide.loc["saturating_power_law", "tau"]
    assert wide.loc["power_law", "width_90"] > plain.loc["power_law", "width_90"]
    assert wide.loc["power_law", "elpd"] > plain.loc["power_law", "elpd"]
