"""CLI decision commands end to end on a small real fit: optimal, target, prob-below, report."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import bayeslaws as bl
from bayeslaws.cli import main
from bayeslaws.simulate import demo_data

pytestmark = pytest.mark.filterwarnings("ignore::bayeslaws.SamplerWarning")  # small wiring fit

QUICK = ["--chains", "2", "--draws", "300", "--tune", "300", "--quiet", "--seed", "3"]


@pytest.fixture(scope="module")
def saved_fit(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_decisions")
    demo_data(random_seed=0).to_csv(folder / "runs.csv", index=False)
    out = folder / "fit.nc"
    code = main(["fit", str(folder / "runs.csv"), "--law", "chinchilla", "--x", "N=params",
                 "--x", "D=tokens", "--y", "loss", "--out", str(out), *QUICK])
    assert code in (0, None)
    return out


def test_optimal_prints_and_writes_the_python_answer(saved_fit, tmp_path, capsys):
    csv = tmp_path / "opt.csv"
    assert main(["optimal", str(saved_fit), "--C", "1e21,1e23", "--csv", str(csv)]) == 0
    text = capsys.readouterr().out
    assert "method closed" in text and "exponents" in text
    table = pd.read_csv(csv)
    expected = bl.compute_optimal(bl.load(saved_fit), [1e21, 1e23]).table
    np.testing.assert_allclose(table["C"], [1e21, 1e23])
    np.testing.assert_allclose(table["N_median"], expected["N_median"], rtol=1e-12)
    np.testing.assert_allclose(table["tokens_per_param_upper"],
                               expected["tokens_per_param_upper"], rtol=1e-12)


def test_optimal_inference_aware_mode(saved_fit, capsys):
    assert main(["optimal", str(saved_fit), "--target", "2.1",
                 "--inference-tokens", "0,1e13"]) == 0
    text = capsys.readouterr().out
    assert "6ND + 2N" in text and "cost_ratio_median" in text
    assert main(["optimal", str(saved_fit), "--target", "2.1"]) == 2
    assert "needs both --target and --inference-tokens" in capsys.readouterr().err
    assert main(["optimal", str(saved_fit)]) == 2
    assert "Give --C budgets" in capsys.readouterr().err


def test_target_matches_scale_for(saved_fit, capsys):
    assert main(["target", str(saved_fit), "--target", "2.1", "--along", "N",
                 "--fixed", "D=1e12"]) == 0
    text = capsys.readouterr().out
    expected = bl.load(saved_fit).scale_for(2.1, along="N", fixed={"D": 1e12}).table
    median = float(re.search(r"^0\s+N\s+2\.1\s+1e\+12\s+(\S+)", text, flags=re.M).group(1))
    assert median == pytest.approx(expected["median"].iloc[0], rel=1e-3)  # printed to 4 digits
    assert main(["target", str(saved_fit), "--target", "2.1", "--along", "Q",
                 "--fixed", "D=1e12"]) == 2
    assert "along='Q' is not an input" in capsys.readouterr().err


def test_prob_below_prints_tail_probabilities_honestly(saved_fit, capsys):
    assert main(["prob-below", str(saved_fit), "--at", "N=7e10,D=1.4e12", "--target", "1.0",
                 "--at", "N=7e10,D=1.4e12"]) == 0
    text = capsys.readouterr().out
    assert text.count("< 1/600") == 2  # 2 chains x 300 draws, none below a loss of 1.0


def test_report_command_writes_markdown_html_and_figures(saved_fit, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", str(saved_fit), "--out", str(out), "--budgets", "1e22,1e24"]) == 0
    assert "report.md" in capsys.readouterr().out
    for name in ("report.md", "report.html", "fit.png", "pareto_k.png", "compute_optimal.png"):
        assert (out / name).stat().st_size > 1000
    assert "| 1e+22 |" in (out / "report.md").read_text()
