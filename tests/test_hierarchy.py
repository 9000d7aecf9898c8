"""bayeslaws/hierarchy.py and grouped fits: partial pooling over groups.

One module-scoped fit of simulated groups (saturating power law, five groups with their own
floor and amplitude, a shared exponent, three seeds per scale; ``simulate_groups`` of
tests/helpers.py) serves the recovery, replicate, prediction, LOO and save/load tests; bad input
is checked without sampling. The grouped fit's use by the other modules -- backtests, LOO
comparisons and averages, the command line, plots -- is tested here too, on that one fit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslaws as bl
from bayeslaws.compare import compare
from bayeslaws.hierarchy import DEFAULT_TAU_SCALE, resolve_grouping
from tests.conftest import SMALL
from tests.helpers import ALPHA, GROUPS, SEEDS, SIGMA, X, simulate_groups


@pytest.fixture(scope="module")
def data():
    return simulate_groups()


@pytest.fixture(scope="module")
def hfit(data):
    # lognormal noise, as simulated (the Student-t default's heavy tails would blur the
    # per-group densities these tests compare)
    return bl.fit("saturating_power_law", data, x="x", y="loss", group="family",
                  likelihood="lognormal", random_seed=3, **SMALL)


def test_fit_routes_to_hierarchy_with_documented_defaults(hfit):
    assert hfit.is_grouped
    h = hfit.grouping
    assert h.varying == ("E", "A") and h.pooled == ("alpha", "sigma")
    assert h.tau_scale == {"E": DEFAULT_TAU_SCALE, "A": DEFAULT_TAU_SCALE}
    post = hfit.posterior
    assert post["E"].dims == ("chain", "draw", "group")
    assert list(post["group"].values) == sorted(GROUPS)
    assert post["alpha"].dims == ("chain", "draw")
    assert {"E_pop", "E_tau", "A_pop", "A_tau"} <= set(post.data_vars)


def test_recovers_group_values_and_shared_exponent(hfit):
    # 99% intervals: with 5 groups x 3 parameters + alpha checked, a 90% interval would miss
    # one of 11 true values about half the time by chance alone.
    table = hfit.summary(prob=0.99)
    for label, (floor, _amp) in GROUPS.items():
        row = table.loc[f"E[{label}]"]
        assert row["eti99_lower"] <= floor <= row["eti99_upper"], label
    row = table.loc["alpha"]
    assert row["eti99_lower"] <= ALPHA <= row["eti99_upper"]
    # the groups are told apart: g3's floor is above g0's in (nearly) every draw
    e = hfit.posterior["E"]
    assert float((e.sel(group="g3") > e.sel(group="g0")).mean()) > 0.99


def test_sigma_measures_the_seed_to_seed_scatter(hfit):
    # 90 runs, 13 effective parameters: the posterior sd of sigma is about
    # SIGMA / sqrt(2 * 77) = 8% of it, so 25% is three posterior sds. Between-group
    # differences (10-40% in y) must not leak into sigma: a single curve through all groups
    # would need sigma near 0.1.
    sigma = float(hfit.posterior["sigma"].median())
    assert abs(sigma - SIGMA) / SIGMA < 0.25
    assert float(hfit.posterior["E_tau"].median()) > 3 * SIGMA


def test_new_group_prediction_wider_than_existing(hfit):
    at = {"x": [3e7]}
    known = hfit.predict(at, group="g1", prob=0.9)
    new = hfit.predict(at, group="new", prob=0.9)
    assert known["family"].tolist() == ["g1"] and new["family"].tolist() == ["new"]
    width_known = float(known["upper"].iloc[0] - known["lower"].iloc[0])
    width_new = float(new["upper"].iloc[0] - new["lower"].iloc[0])
    assert width_new > 2 * width_known
    # the existing group's forecast is centred on its own law, within 3%
    truth = GROUPS["g1"][0] + GROUPS["g1"][1] * 3e7 ** -ALPHA
    assert abs(float(known["median"].iloc[0]) / truth - 1) < 0.03


def test_predict_takes_group_column_and_defaults_to_new(hfit):
    table = hfit.predict(pd.DataFrame({"x": [1e8, 1e8, 1e8], "family": ["g0", "g3", "new"]}))
    assert table["family"].tolist() == ["g0", "g3", "new"]
    assert table["median"].iloc[0] < table["median"].iloc[1]
    default = hfit.predict({"x": [1e8]})
    assert default["family"].tolist() == ["new"]


def test_pointwise_log_likelihood_per_run_and_loo(hfit, data):
    ll = hfit.trace["log_likelihood"]["y"]
    assert ll.dims == ("chain", "draw", "obs") and ll.shape[-1] == len(data)
    loo = hfit.loo()
    assert np.isfinite(loo.elpd) and loo.n_data_points == len(data)
    # the held-in density of each run equals the mean of its stored likelihood
    dens = hfit.log_density(data)
    flat = ll.values.reshape(-1, len(data))
    expected = np.logaddexp.reduce(flat, axis=0) - np.log(flat.shape[0])
    np.testing.assert_allclose(dens, expected, rtol=1e-8)


@pytest.mark.filterwarnings("ignore::bayeslaws.SamplerWarning")  # one curve: misspecified
def test_hierarchical_beats_single_curve_by_loo(hfit, data):
    pooled = bl.fit("saturating_power_law", data, x="x", y="loss", random_seed=3, **SMALL)
    table = compare({"hierarchical": hfit, "single": pooled})
    assert table.index[0] == "hierarchical"


def test_exact_loo_refit_keeps_the_grouping(hfit):
    from bayeslaws.compare import FitWrapper

    wrapper = FitWrapper(hfit)
    index = 17  # a run of g0 at the largest scale: its group keeps 17 runs in the refit
    kept, left_out = wrapper.sel_observations(np.array([index]))
    assert len(kept) == len(hfit.data()) - 1 and len(left_out) == 1
    refitted = wrapper.get_inference_data(wrapper.sample(kept))
    assert refitted.is_grouped
    assert refitted.grouping.varying == hfit.grouping.varying
    assert refitted.config["random_seed"] != hfit.config["random_seed"]
    ll = wrapper.log_likelihood__i(left_out, refitted)
    assert ll.dims == ("chain", "draw", "obs") and ll.shape[-1] == 1
    exact = float(np.logaddexp.reduce(ll.values.ravel()) - np.log(ll.size))
    # the exact LOO density of the run matches its PSIS estimate: with 17 other runs in the
    # group and k < 0.7 the two differ by Monte Carlo error (~0.1 nats at 800 draws), while
    # scoring the run under the wrong group (g3, 25% higher loss, sigma 0.02) costs > 50 nats
    psis = float(hfit.loo(pointwise=True).elpd_i.values[index])
    assert abs(exact - psis) < 0.5
    wrong = left_out.assign(family="g3")
    assert float(refitted.log_density(wrong)[0]) < exact - 50


def test_exact_loo_scores_a_removed_group_as_new(hfit):
    from bayeslaws.compare import FitWrapper

    wrapper = FitWrapper(hfit)
    fitted = wrapper.fit.data().assign(family="g9")  # pretend run 0 is a one-run group
    row = fitted.iloc[[0]].reset_index(drop=True)
    ll = wrapper.log_likelihood__i(row, hfit)  # g9 is not a group of the fit: a new group
    assert ll.shape[-1] == 1 and np.isfinite(ll.values).all()
    new = hfit.log_density(row.assign(family="new"))
    np.testing.assert_allclose(np.logaddexp.reduce(ll.values.ravel()) - np.log(ll.size), new)


@pytest.mark.filterwarnings("ignore::bayeslaws.SamplerWarning")  # one curve: misspecified
def test_backtest_with_groups_holds_out_each_groups_largest_runs(data):
    from bayeslaws.backtest import backtest

    table = backtest("saturating_power_law", data, x="x", y="loss", group="family",
                     holdout=0.2, random_seed=1, **SMALL)
    mask = table.attrs["heldout"]
    held = data.loc[mask]
    # per group ceil(0.2 * 18) = 4 runs; the cut falls among the 3 seeds of the second
    # largest scale and ties at the cut are held out: the two largest scales, 6 runs per group
    assert held.groupby("family").size().to_dict() == {g: 6 for g in GROUPS}
    assert set(held["x"]) == set(X[-2:])
    row = table.loc["saturating_power_law"]
    assert table.attrs["fits"]["saturating_power_law"].is_grouped
    # each group is forecast on its own curve: errors near the noise level (sigma 2%) and
    # 90% intervals that cover (30 runs; a miscalibrated forecast would cover far fewer)
    assert row["abs_rel_error"] < 0.05
    assert row["coverage_90"] >= 0.8
    single = backtest("saturating_power_law", data, x="x", y="loss", holdout=mask,
                      random_seed=1, **SMALL).loc["saturating_power_law"]
    assert row["elpd"] > single["elpd"] + 30


def test_backtest_scores_an_unseen_group_as_new(hfit, data):
    from bayeslaws.backtest import backtest

    mask = (data["family"] == "g4").to_numpy()
    table = backtest("saturating_power_law", data, x="x", y="loss", group="family",
                     holdout=mask, random_seed=1, **SMALL)
    fit = table.attrs["fits"]["saturating_power_law"]
    assert "g4" not in fit.groups
    points = table.attrs["points"]
    assert len(points) == mask.sum() and np.isfinite(points["log_density"]).all()
    # a new group's 90% interval spans the population of floors (1.6-2.3), so it covers g4
    assert table.loc["saturating_power_law", "coverage_90"] == 1.0


@pytest.mark.filterwarnings("ignore::bayeslaws.SamplerWarning")
def test_cli_backtest_with_group(data, tmp_path, capsys):
    from bayeslaws.cli import main

    path = tmp_path / "runs.csv"
    data.to_csv(path, index=False)
    assert main(["backtest", str(path), "--law", "saturating_power_law", "--x", "x=x",
                 "--y", "loss", "--group", "family", "--varying", "E", "--draws", "300",
                 "--tune", "300", "--chains", "2", "--quiet", "--out",
                 str(tmp_path / "bt.csv")]) == 0
    table = pd.read_csv(tmp_path / "bt.csv", index_col="law")
    assert table.loc["saturating_power_law", "n_heldout"] == 30
    assert main(["backtest", str(path), "--law", "saturating_power_law", "--x", "x=x",
                 "--y", "loss", "--group", "lab", "--quiet"]) == 2
    assert "--group 'lab': table" in capsys.readouterr().err


def test_stacked_average_of_hierarchical_fits_takes_groups(hfit, data):
    from bayeslaws.compare import Average

    mix = Average({"a": hfit, "b": hfit}, {"a": 0.5, "b": 0.5})
    assert mix.group_columns == ("family",)
    at = {"x": [1e8, 1e8], "family": ["g0", "g3"]}
    table = mix.predict(at)
    assert table["family"].tolist() == ["g0", "g3"]
    np.testing.assert_allclose(table["median"], hfit.predict(at)["median"], rtol=0.02)
    np.testing.assert_allclose(mix.log_density(data.iloc[:5]), hfit.log_density(data.iloc[:5]),
                               rtol=1e-10)


def test_save_load_round_trip(hfit, tmp_path):
    path = hfit.save(tmp_path / "h.nc")
    back = bl.load(path)
    assert back.is_grouped
    assert back.grouping == hfit.grouping
    at = pd.DataFrame({"x": [1e8, 1e8], "family": ["g2", "new"]})
    pd.testing.assert_frame_equal(back.predict(at), hfit.predict(at))
    pd.testing.assert_frame_equal(back.summary(), hfit.summary())
    assert back.data()["family"].tolist() == hfit.data()["family"].tolist()


# -- bad input, before sampling ---------------------------------------------------------------
def test_missing_group_column_lists_columns(data):
    with pytest.raises(bl.DataError, match=r"'dataset'.*Available columns: .*'family'"):
        bl.fit("saturating_power_law", data, x="x", y="loss", group="dataset", **SMALL)


def test_unknown_names_in_pooled_or_varying_list_valid_names(data):
    for key in ("pooled", "varying"):
        with pytest.raises(bl.BayesLawsError,
                           match=r"Unknown parameter.*'Z'.*Valid names: 'A', 'E', 'alpha', "
                                 r"'sigma'"):
            bl.fit("saturating_power_law", data, x="x", y="loss", group="family",
                   likelihood="lognormal", **{key: ["Z"]}, **SMALL)


def test_overlap_single_group_and_orphan_options_are_errors(data):
    with pytest.raises(bl.BayesLawsError, match="both pooled= and varying="):
        bl.fit("saturating_power_law", data, x="x", y="loss", group="family",
               pooled=["E"], varying=["E"], **SMALL)
    with pytest.raises(bl.DataError, match="single group"):
        bl.fit("saturating_power_law", data.assign(family="a"), x="x", y="loss",
               group="family", **SMALL)
    with pytest.raises(bl.BayesLawsError, match="give group="):
        bl.fit("saturating_power_law", data, x="x", y="loss", varying=["E"], **SMALL)
    with pytest.raises(bl.BayesLawsError, match="tau_scale values must be finite and > 0"):
        bl.fit("saturating_power_law", data, x="x", y="loss", group="family", tau_scale=0,
               **SMALL)
    with pytest.raises(bl.DataError, match="missing value"):
        bl.fit("saturating_power_law", data.assign(family=[None] + [1] * (len(data) - 1)),
               x="x", y="loss", group="family", **SMALL)


def test_unknown_group_in_predict_lists_groups(hfit):
    with pytest.raises(bl.BayesLawsError, match=r"Unknown group.*'g9'.*'g0', 'g1'.*'new'"):
        hfit.predict({"x": [1e8]}, group="g9")


def test_chinchilla_defaults_and_explicit_split():
    from bayeslaws.simulate import demo_data
    from bayeslaws.spec import prepare_fit

    spec, _ = prepare_fit("chinchilla", demo_data(random_seed=0),
                          x={"N": "params", "D": "tokens"}, y="loss", likelihood="lognormal")

    def resolve(**options):
        return resolve_grouping(spec.law, spec.parameters, "dataset", ["a", "b"], **options)

    h = resolve()
    assert h.varying == ("E", "A", "B") and h.pooled == ("alpha", "beta", "sigma")
    h = resolve(pooled=["alpha", "beta"])
    assert h.varying == ("E", "A", "B", "sigma")
    h = resolve(varying=["E"], tau_scale={"E": 0.1})
    assert h.pooled == ("A", "B", "alpha", "beta", "sigma") and h.tau_scale == {"E": 0.1}


def test_cli_summary_and_predict_for_a_group(hfit, tmp_path, capsys):
    from bayeslaws.cli import main

    path = str(hfit.save(tmp_path / "h.nc"))
    assert main(["summary", path]) == 0
    assert "E[g3]" in capsys.readouterr().out
    assert main(["predict", path, "--at", "x=1e8", "--group", "g3"]) == 0
    out = capsys.readouterr().out
    assert "g3" in out
    assert main(["predict", path, "--at", "x=1e8", "--group", "g9"]) == 2
    assert "Unknown group" in capsys.readouterr().err


def test_fit_options_repeat_the_grouping(hfit):
    opts = hfit.grouping.fit_options()
    assert opts == {"group": "family", "varying": ["E", "A"],
                    "tau_scale": {"E": DEFAULT_TAU_SCALE, "A": DEFAULT_TAU_SCALE}}


def test_plot_draws_one_panel_per_group(hfit, data):
    import matplotlib

    matplotlib.use("Agg")
    held = data[data["x"] == X.max()].head(2)
    fig = hfit.plot(held_out=held)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == [f"family = {g}" for g in GROUPS]
    # each panel shows its own group's runs (6 scales x 3 seeds), not all groups' runs
    for ax in panels:
        sizes = [c.get_offsets().shape[0] for c in ax.collections if hasattr(c, "get_offsets")]
        assert len(X) * SEEDS in sizes and len(data) not in sizes
