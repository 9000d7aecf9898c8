"""Command line (issue 2): laws, fit, summary, predict, demo, and clear errors (exit 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayeslaws import cli_args
from bayeslaws.cli import main
from bayeslaws.cli_args import parse_prior
from bayeslaws.exceptions import BayesLawsError, PriorError
from bayeslaws.simulate import simulate

QUICK = ["--chains", "2", "--draws", "300", "--tune", "300", "--quiet", "--seed", "1"]


@pytest.fixture(scope="module")
def saved_fit(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    data = simulate("saturating_power_law", {"E": 1.8, "A": 400.0, "alpha": 0.35},
                    {"x": np.geomspace(1e6, 1e10, 14)}, random_seed=2)
    data.rename(columns={"x": "params", "y": "loss"}).to_csv(folder / "runs.csv", index=False)
    out = folder / "fit.nc"
    code = main(["fit", str(folder / "runs.csv"), "--law", "saturating_power_law",
                 "--x", "x=params", "--y", "loss", "--out", str(out), *QUICK])
    assert code in (0, None)
    return out


def test_laws_lists_catalogue(capsys):
    assert main(["laws"]) in (0, None)
    text = capsys.readouterr().out
    for name in ("power_law", "saturating_power_law", "chinchilla", "kaplan"):
        assert name in text
    assert main(["laws", "--name", "chinchilla"]) in (0, None)
    assert "Hoffmann" in capsys.readouterr().out


def test_fit_writes_file_and_summary_reads_it(saved_fit, capsys):
    assert saved_fit.exists()
    assert main(["summary", str(saved_fit)]) in (0, None)
    text = capsys.readouterr().out
    assert "alpha" in text and "R-hat" in text and "divergences" in text


def test_predict_prints_interval_and_writes_csv(saved_fit, tmp_path, capsys):
    csv = tmp_path / "forecast.csv"
    assert main(["predict", str(saved_fit), "--at", "x=1e11", "--at", "x=1e12",
                 "--prob", "0.9", "--csv", str(csv)]) in (0, None)
    table = pd.read_csv(csv)
    assert list(table.columns) == ["x", "mean", "median", "lower", "upper"]
    assert (table["lower"] < table["median"]).all() and (table["median"] < table["upper"]).all()
    assert table["median"].iloc[1] < table["median"].iloc[0]  # the loss keeps falling


def test_predict_group_needs_a_grouped_fit(saved_fit, capsys):
    assert main(["predict", str(saved_fit), "--at", "x=1e11", "--group", "a"]) == 2
    assert "needs a hierarchical fit" in capsys.readouterr().err


def test_user_prior_from_command_line():
    name, prior = parse_prior("alpha=Normal(mu=0.3, sigma=0.05)")
    assert name == "alpha" and prior.distribution == "Normal"
    assert prior.arguments == {"mu": 0.3, "sigma": 0.05}
    with pytest.raises(PriorError, match="NAME=Distribution"):
        parse_prior("alpha ~ Normal(0, 1)")
    with pytest.raises(PriorError, match="mu='zero' is not a number"):
        parse_prior("alpha=Normal(mu=zero, sigma=1)")


def test_string_parsers():
    assert cli_args.pairs(["N=params, D=tokens", "E=floor"], "--x") == {
        "N": "params", "D": "tokens", "E": "floor"}
    assert cli_args.pairs(None, "--x") == {}
    with pytest.raises(BayesLawsError, match="--x 'params' must look like NAME=VALUE"):
        cli_args.pairs(["params"], "--x")
    assert cli_args.number("2") == 2 and isinstance(cli_args.number("2"), int)
    assert cli_args.number("2.0") == 2.0 and isinstance(cli_args.number("2.0"), float)
    assert cli_args.number("1e3") == 1000.0 and isinstance(cli_args.number("1e3"), float)
    assert cli_args.number("linear") == "linear"
    assert cli_args.options(["breaks=2", "kind=log"], "--option") == {"breaks": 2, "kind": "log"}
    assert cli_args.numbers("1e21, 1e23,", "--C") == [1e21, 1e23]
    with pytest.raises(BayesLawsError, match="--C '1e21,big' must be numbers"):
        cli_args.numbers("1e21,big", "--C")
    assert cli_args.points(["N=7e10,D=1.4e12", "N=1e9,D=2e10"], "--at") == [
        {"N": 7e10, "D": 1.4e12}, {"N": 1e9, "D": 2e10}]
    with pytest.raises(BayesLawsError, match="N='big' is not a number"):
        cli_args.points(["N=big"], "--at")
    assert cli_args.holdout("0.25") == 0.25 and cli_args.holdout("late") == "late"


@pytest.mark.parametrize("argv, message", [
    (["fit", "missing.csv", "--law", "chinchilla", "--y", "loss", "--out", "x.nc"], "missing.csv"),
    (["laws", "--name", "nope"], "nope"),
    (["summary", "nothing_here.nc"], "nothing_here.nc"),
    # options are parsed before the table is read
    (["backtest", "runs.csv", "--law", "bnsl:breaks", "--y", "loss"], "KEY=VALUE"),
    (["fit", "runs.csv", "--law", "power_law", "--y", "loss", "--out", "x.nc", "--x", "x"],
     "NAME=VALUE"),
])
def test_errors_are_one_clear_line_with_exit_code_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err


def test_demo_runs_end_to_end(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--chains", "2", "--draws", "200",
                 "--tune", "200", "--quiet"]) in (0, None)
    text = capsys.readouterr().out
    assert "SIMULATED" in text and "median" in text
    assert (tmp_path / "demo_fit.png").stat().st_size > 10_000
    assert (tmp_path / "demo_fit.nc").exists()
