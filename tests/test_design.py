"""bl.next_run: which run to train next (bayeslaws.design)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeslaws as bl
from bayeslaws.design import next_run, plot_next_run
from bayeslaws.exceptions import DataError, OptionError
from bayeslaws.simulate import simulate
from tests.conftest import load_script, requires_data

UNIT = {"cost": lambda runs: np.ones(len(runs))}
DATA = simulate("saturating_power_law", {"E": 1.5, "A": 30.0, "alpha": 0.3},
                {"x": np.geomspace(1e3, 1e5, 6)}, sigma=0.02, random_seed=0)
SMALL = {"x": "x", "y": "y", "likelihood": "lognormal", "chains": 2, "draws": 1000,
         "tune": 600, "progressbar": False}


@pytest.fixture(scope="module")
def six_runs():
    """A real posterior from 6 runs at x in [1e3, 1e5]; forecasts at 1e9 hinge on alpha."""
    with warnings.catch_warnings():  # ESS/R-hat warnings of a short run; tolerances allow
        warnings.simplefilter("ignore")
        return bl.fit("saturating_power_law", DATA, random_seed=1, **SMALL)


def test_a_run_that_pins_the_exponent_beats_repeating_a_measured_point(six_runs):
    measured = float(DATA["x"].iloc[0])
    table = next_run(six_runs, {"x": [measured, 1e7]}, {"x": 1e9}, **UNIT)
    by_x = table.set_index("x")
    # measured: about a 5% reduction of the variance (spot check 0.0247 -> 0.0234); 1e7: 95%
    assert by_x.loc[1e7, "relative_reduction"] > 0.8
    assert by_x.loc[1e7, "reduction"] > 5 * by_x.loc[measured, "reduction"] > 0
    assert table.iloc[0]["x"] == 1e7 and by_x.loc[1e7, "batch"] == 1
    assert (table["expected"] <= table["current"]).all()


def test_cost_divides_the_reduction_and_defaults_to_6ND(chin):
    cand = pd.DataFrame({"N": [1e8, 1e9], "D": [2e9, 2e10]})
    table = next_run(chin, cand, {"N": 7e10, "D": 1.4e12}, outcomes=32).sort_index()
    np.testing.assert_allclose(table["cost"], 6 * cand["N"] * cand["D"])
    np.testing.assert_allclose(table["score"], table["reduction"] / table["cost"])
    by_columns = next_run(chin, cand.assign(gpu_hours=[1.0, 1.0]), {"N": 7e10, "D": 1.4e12},
                          cost="gpu_hours", outcomes=32).sort_index()
    np.testing.assert_allclose(by_columns["reduction"], table["reduction"])


def test_greedy_batch_conditions_on_the_runs_chosen(six_runs):
    cand = {"x": [1e5, 1e6, 1e7, 1e8]}
    table = next_run(six_runs, cand, {"x": 1e9}, k=3, **UNIT)
    steps = table.attrs["batch_expected"]
    assert sorted(table["batch"]) == [0, 1, 2, 3] and len(table.attrs["batch"]) == 3
    assert steps[0] > steps[1] > steps[2] > 0  # each run still helps, less each time
    assert steps[0] == pytest.approx(table[table["batch"] == 1]["expected"].iloc[0])


def test_width_criterion_and_plot(six_runs, close_figures):
    table = next_run(six_runs, {"x": [1e3, 1e7]}, {"x": 1e9}, criterion="width", **UNIT)
    assert table.iloc[0]["x"] == 1e7 and table.iloc[0]["relative_reduction"] > 0.05
    assert plot_next_run(table).get_xscale() == "log"


def test_information_criterion_ranks_the_exponent_run_first(six_runs, close_figures):
    measured = float(DATA["x"].iloc[0])
    table = next_run(six_runs, {"x": [measured, 1e5, 1e7]}, {"x": 1e9},
                     criterion="information", **UNIT).set_index("x")
    gain = table["reduction"]  # expected information gain about the target's loss, nats
    # a run at 1e7 tells far more about the 1e9 forecast than repeating x = 1e3
    assert gain.loc[1e7] > gain.loc[1e5] > gain.loc[measured]
    assert gain.loc[1e7] > 0.3 and gain.loc[1e7] > 5 * gain.loc[measured]
    # H = log(2 pi e v) / 2 of the target's predictive draws now
    predictive = six_runs.predictive_draws({"x": 1e9}, random_seed=0)[1][:, 0]
    h_now = 0.5 * np.log(2 * np.pi * np.e * predictive.var())
    assert table["current"].iloc[0] == pytest.approx(h_now, abs=0.05)
    np.testing.assert_allclose(table["relative_reduction"], 1 - np.exp(-2 * gain))
    assert table.attrs["criterion"] == "information"
    plot_next_run(table.reset_index())


@pytest.mark.parametrize("kwargs, error, words", [
    ({"candidates": {"size": [1e9]}}, DataError, "input(s) ['x']"),
    ({"candidates": {"x": []}}, DataError, "empty"),
    ({"target": {"x": [1e11, 1e12]}}, OptionError, "one scale"),
    ({"k": 3}, OptionError, "between 1 and 2"),
    ({"criterion": "entropy"}, OptionError, "entropy"),
    ({"cost": None}, OptionError, "No default cost"),
    ({"cost": "flops"}, OptionError, "not a column"),
    ({"cost": lambda runs: -runs["x"]}, OptionError, "positive"),
])
def test_input_errors(one_input, kwargs, error, words):
    call = {"candidates": {"x": [1e9, 1e10]}, "target": {"x": 1e12}, **UNIT, **kwargs}
    with pytest.raises(error, match=None) as info:
        next_run(one_input, call.pop("candidates"), call.pop("target"), **call)
    assert words in str(info.value)


@pytest.mark.slow
def test_reweighting_matches_exact_refits():
    """The expected forecast variance after a run, from reweighted draws, against the mean
    of exact refits with the run added, over possible measurements drawn from the posterior
    predictive (tolerance: the refits' Monte Carlo spread, about 10% for 8 outcomes)."""
    data, kw = DATA, SMALL
    fit = bl.fit("saturating_power_law", data, random_seed=1, **kw)
    target = {"x": 1e9}
    table = next_run(fit, {"x": [1e5, 1e7]}, target, outcomes=400, **UNIT).set_index("x")
    information = next_run(fit, {"x": [1e5, 1e7]}, target, outcomes=400,
                           criterion="information", **UNIT).set_index("x")
    rng = np.random.default_rng(5)
    for x in (1e5, 1e7):
        ys = fit.predictive_draws({"x": x}, random_seed=3)[1][:, 0]
        exact, entropy = [], []
        for j in range(8):
            run = pd.DataFrame({"x": [x], "y": [ys[rng.integers(len(ys))]]})
            refit = bl.fit("saturating_power_law", pd.concat([data, run]), random_seed=2 + j,
                           **kw)
            exact.append(refit.predictive_draws(target, "mean")[1][:, 0].var())
            pred = refit.predictive_draws(target, random_seed=j)[1][:, 0]
            entropy.append(0.5 * np.log(2 * np.pi * np.e * pred.var()))
        assert table.loc[x, "expected"] == pytest.approx(np.mean(exact), rel=0.3)
        # the information criterion: expected entropy after the run, from refits (nats; the
        # 8 refits' sd of H is about 0.15, se of their mean 0.05; measured differences 0.10 at
        # x = 1e5 and 0.06 at 1e7)
        assert information.loc[x, "expected"] == pytest.approx(np.mean(entropy), abs=0.25)
    assert table.loc[1e7, "expected"] < 0.2 * table.loc[1e5, "expected"]


def test_cli_next_run_end_to_end(chin, tmp_path, capsys, close_figures):
    from bayeslaws.cli import main

    fit_file = chin.save(tmp_path / "chin.nc")
    grid = tmp_path / "grid.csv"
    pd.DataFrame({"N": [1e8, 1e9, 4e9], "D": [2e9, 2e10, 8e10]}).to_csv(grid, index=False)
    out, png = tmp_path / "ranked.csv", tmp_path / "next.png"
    assert main(["next-run", str(fit_file), "--candidates", str(grid), "--target",
                 "N=7e10,D=1.4e12", "--k", "2", "--csv", str(out), "--plot", str(png)]) == 0
    printed = capsys.readouterr().out
    assert "batch (candidate rows, in order)" in printed and "score" in printed
    table = pd.read_csv(out)
    assert len(table) == 3 and sorted(table["batch"]) == [0, 1, 2]
    assert png.stat().st_size > 5_000
    # a target missing an input: a one-line error, exit status 2
    assert main(["next-run", str(fit_file), "--candidates", str(grid), "--target",
                 "N=7e10"]) == 2
    assert "input(s) ['D']" in capsys.readouterr().err


@requires_data
@pytest.mark.slow
def test_replay_benchmark_and_case_study_smoke(tmp_path):
    replay = load_script("benchmarks", "design")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert replay.main(["--quick", "--steps", "1", "--starts", "1",
                            "--out", str(tmp_path)]) == 0
        assert replay.main(["--grid", "chinchilla", "--quick", "--steps", "1", "--starts",
                            "2", "--strategies", "next_run-information,cheapest",
                            "--out", str(tmp_path / "chin")]) == 0
    table = pd.read_csv(tmp_path / "replay.csv")
    assert set(table["strategy"]) == {"next_run", "next_run-width", "next_run-information",
                                      "cheapest", "largest-affordable", "random"}
    assert (table.groupby("strategy")["runs"].max() == 6).all()
    assert (tmp_path / "replay.png").exists()
    chin = pd.read_csv(tmp_path / "chin" / "replay.csv")
    assert set(chin["start"]) == {0, 1} and (chin.groupby("strategy")["runs"].max() == 6).all()
    starts = chin[chin["step"] == 0].groupby("start")["flops"].first()
    assert starts[0] != starts[1]  # different cheapest-few starting sets
    assert "Goal check" in (tmp_path / "chin" / "results.md").read_text()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert load_script("case_studies", "few_runs").main(
            ["--quick", "--out", str(tmp_path / "few.md")]) == 0
    text = (tmp_path / "few.md").read_text()
    assert "How much the priors carry" in text and "Which run next" in text
