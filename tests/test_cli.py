"""bayeslaws/cli.py and cli_args.py: the command line -- laws, fit, summary, predict, demo, the
decision commands (optimal, target, prob-below, report) -- and clear errors (exit 2).

The ``backtest`` and ``compare`` commands, and the commands on a grouped fit, are tested with
the fits of their modules in tests/test_backtest.py, test_compare.py and test_hierarchy.py.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import bayeslaws as bl
from bayeslaws import cli_args
from bayeslaws.cli import main
from bayeslaws.cli_args import parse_law_specs, parse_prior
from bayeslaws.exceptions import BayesLawsError, LawError, PriorError
from bayeslaws.simulate import demo_data, simulate
from tests.helpers import power_law_data as data

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
    assert list(table.columns)[:5] == ["x", "mean", "median", "lower_90", "upper_90"]
    assert (table["lower_90"] < table["median"]).all()
    assert (table["median"] < table["upper_90"]).all()
    assert table["median"].iloc[1] < table["median"].iloc[0]  # the loss keeps falling


def test_predict_group_needs_a_grouped_fit(saved_fit, capsys):
    assert main(["predict", str(saved_fit), "--at", "x=1e11", "--group", "a"]) == 2
    assert "needs a hierarchical fit" in capsys.readouterr().err


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


def test_parse_law_specs():
    got = parse_law_specs(["power_law", "bnsl2=bnsl:breaks=2", "b1=bnsl:breaks=1"])
    assert got == {"power_law": {"law": "power_law", "law_options": {}},
                   "bnsl2": {"law": "bnsl", "law_options": {"breaks": 2}},
                   "b1": {"law": "bnsl", "law_options": {"breaks": 1}}}
    assert parse_law_specs(["s=saturating_power_law:E=1.5"])["s"]["law_options"] == {"E": 1.5}
    with pytest.raises(LawError, match="KEY=VALUE"):
        parse_law_specs(["bnsl:breaks"])
    with pytest.raises(LawError, match="appears twice"):
        parse_law_specs(["bnsl", "bnsl"])
    with pytest.raises(LawError, match="names no law"):
        parse_law_specs(["b2="])


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


# -- decision commands on a saved Chinchilla fit ----------------------------------------------
#: The decision commands run on a small wiring fit: its sampler warnings are expected.
QUIET_SAMPLER = pytest.mark.filterwarnings("ignore::bayeslaws.SamplerWarning")


QUICK_CHINCHILLA = ["--chains", "2", "--draws", "300", "--tune", "300", "--quiet", "--seed", "3"]


@pytest.fixture(scope="module")
def saved_chin_fit(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_decisions")
    demo_data(random_seed=0).to_csv(folder / "runs.csv", index=False)
    out = folder / "fit.nc"
    code = main(["fit", str(folder / "runs.csv"), "--law", "chinchilla", "--x", "N=params",
                 "--x", "D=tokens", "--y", "loss", "--out", str(out), *QUICK_CHINCHILLA])
    assert code in (0, None)
    return out


@QUIET_SAMPLER
def test_optimal_prints_and_writes_the_python_answer(saved_chin_fit, tmp_path, capsys):
    csv = tmp_path / "opt.csv"
    assert main(["optimal", str(saved_chin_fit), "--C", "1e21,1e23", "--csv", str(csv)]) == 0
    text = capsys.readouterr().out
    assert "method closed" in text and "exponents" in text
    table = pd.read_csv(csv)
    expected = bl.compute_optimal(bl.load(saved_chin_fit), [1e21, 1e23]).table
    np.testing.assert_allclose(table["C"], [1e21, 1e23])
    np.testing.assert_allclose(table["N_median"], expected["N_median"], rtol=1e-12)
    np.testing.assert_allclose(table["tokens_per_param_upper"],
                               expected["tokens_per_param_upper"], rtol=1e-12)


@QUIET_SAMPLER
def test_optimal_inference_aware_mode(saved_chin_fit, capsys):
    assert main(["optimal", str(saved_chin_fit), "--target", "2.1",
                 "--inference-tokens", "0,1e13"]) == 0
    text = capsys.readouterr().out
    assert "6ND + 2N" in text and "cost_ratio_median" in text
    assert main(["optimal", str(saved_chin_fit), "--target", "2.1"]) == 2
    assert "needs both --target and --inference-tokens" in capsys.readouterr().err
    assert main(["optimal", str(saved_chin_fit)]) == 2
    assert "Give --C budgets" in capsys.readouterr().err


@QUIET_SAMPLER
def test_target_matches_scale_for(saved_chin_fit, capsys):
    assert main(["target", str(saved_chin_fit), "--target", "2.1", "--along", "N",
                 "--fixed", "D=1e12"]) == 0
    text = capsys.readouterr().out
    expected = bl.load(saved_chin_fit).scale_for(2.1, along="N", fixed={"D": 1e12}).table
    median = float(re.search(r"^0\s+N\s+2\.1\s+1e\+12\s+(\S+)", text, flags=re.M).group(1))
    assert median == pytest.approx(expected["median"].iloc[0], rel=1e-3)  # printed to 4 digits
    assert main(["target", str(saved_chin_fit), "--target", "2.1", "--along", "Q",
                 "--fixed", "D=1e12"]) == 2
    assert "along='Q' is not an input" in capsys.readouterr().err


@QUIET_SAMPLER
def test_prob_below_prints_tail_probabilities_honestly(saved_chin_fit, capsys):
    assert main(["prob-below", str(saved_chin_fit), "--at", "N=7e10,D=1.4e12", "--target", "1.0",
                 "--at", "N=7e10,D=1.4e12"]) == 0
    text = capsys.readouterr().out
    assert text.count("< 1/600") == 2  # 2 chains x 300 draws, none below a loss of 1.0


@QUIET_SAMPLER
def test_report_command_writes_markdown_html_and_figures(saved_chin_fit, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", str(saved_chin_fit), "--out", str(out), "--budgets", "1e22,1e24"]) == 0
    assert "report.md" in capsys.readouterr().out
    for name in ("report.md", "report.html", "fit.png", "pareto_k.png", "compute_optimal.png"):
        assert (out / name).stat().st_size > 1000
    assert "| 1e+22 |" in (out / "report.md").read_text()


def test_fit_options_reach_bl_fit(tmp_path, monkeypatch):
    """--likelihood defaults to the package's own choice (None), and --init, --retry and
    --informed are passed to bl.fit; --informed with --prior is refused."""
    import bayeslaws.fitting

    seen = {}

    class Stop(Exception):
        pass

    def spy(law, table, **kwargs):
        seen.update(kwargs)
        raise Stop

    monkeypatch.setattr(bayeslaws.fitting, "fit", spy)
    data(0).to_csv(tmp_path / "runs.csv", index=False)
    base = ["fit", str(tmp_path / "runs.csv"), "--law", "power_law", "--x", "x=x", "--y", "y",
            "--out", str(tmp_path / "f.nc")]
    with pytest.raises(Stop):
        main([*base, "--init", "jitter", "--retry", "1", "--informed"])
    assert seen["likelihood"] is None and seen["init"] == "jitter" and seen["retry"] == 1
    assert seen["priors"] == "informed"
    assert main([*base, "--informed", "--prior", "alpha=Normal(mu=0.3,sigma=0.1)"]) == 2


def test_compare_and_backtest_take_the_criterion(tmp_path, monkeypatch):
    import importlib

    seen = {}

    def spy(name):
        def record(*args, **kwargs):
            seen[name] = kwargs
            return pd.DataFrame({"x": [1.0]})
        return record

    monkeypatch.setattr(importlib.import_module("bayeslaws.compare"), "compare_files",
                        spy("compare"))
    monkeypatch.setattr(importlib.import_module("bayeslaws.backtest"), "backtest",
                        spy("backtest"))
    assert main(["compare", "a.nc", "b.nc", "--criterion", "lfo"]) in (0, None)
    assert seen["compare"]["criterion"] == "lfo"
    assert main(["compare", "a.nc", "b.nc", "--extrapolate"]) in (0, None)
    assert seen["compare"]["criterion"] == "auto" and seen["compare"]["extrapolate"] is True
    assert main(["compare", "a.nc", "b.nc"]) in (0, None)
    assert seen["compare"]["extrapolate"] is False
    data(0).to_csv(tmp_path / "runs.csv", index=False)
    assert main(["backtest", str(tmp_path / "runs.csv"), "--law", "power_law", "--x", "x=x",
                 "--y", "y", "--criterion", "lfo", "--discrepancy"]) in (0, None)
    assert seen["backtest"]["criterion"] == "lfo" and seen["backtest"]["discrepancy"] is True
    assert main(["backtest", str(tmp_path / "runs.csv"), "--law", "power_law", "--x", "x=x",
                 "--y", "y"]) in (0, None)
    assert seen["backtest"]["criterion"] == "auto" and seen["backtest"]["discrepancy"] == "auto"
    assert main(["backtest", str(tmp_path / "runs.csv"), "--law", "power_law", "--x", "x=x",
                 "--y", "y", "--no-discrepancy"]) in (0, None)
    assert seen["backtest"]["discrepancy"] is False


def test_backtest_prints_what_the_discrepancy_did(tmp_path, monkeypatch, capsys):
    import importlib

    def fake_backtest(*args, **kwargs):
        table = pd.DataFrame({"rmsle": [0.01, 0.02]}, index=["power_law", "m2"])
        table.attrs["discrepancy"] = {"power_law": "on", "m2": "off: too few runs"}
        return table

    monkeypatch.setattr(importlib.import_module("bayeslaws.backtest"), "backtest",
                        fake_backtest)
    data(0).to_csv(tmp_path / "runs.csv", index=False)
    assert main(["backtest", str(tmp_path / "runs.csv"), "--law", "power_law", "--law", "m2",
                 "--x", "x=x", "--y", "y"]) in (0, None)
    out = capsys.readouterr().out
    assert "discrepancy, power_law: on" in out and "discrepancy, m2: off: too few runs" in out
