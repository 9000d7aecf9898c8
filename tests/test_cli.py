"""Command line (issue 2): laws, fit, summary, predict, demo, and clear errors (exit 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayeslaws.cli import main, parse_prior
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


def test_user_prior_from_command_line():
    name, prior = parse_prior("alpha=Normal(mu=0.3, sigma=0.05)")
    assert name == "alpha" and prior.distribution == "Normal"
    assert prior.arguments == {"mu": 0.3, "sigma": 0.05}


@pytest.mark.parametrize("argv, message", [
    (["fit", "missing.csv", "--law", "chinchilla", "--y", "loss", "--out", "x.nc"], "missing.csv"),
    (["laws", "--name", "nope"], "nope"),
    (["summary", "nothing_here.nc"], "nothing_here.nc"),
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
