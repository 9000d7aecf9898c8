"""The real-data benchmark scripts of issue 4 run end to end on a small subset.

Each script compiles two laws of its own (about a minute of compilation and sampling on two
cores), so the end-to-end runs are marked slow (``pytest -m slow``) to keep the fast suite in
budget; the data-loading checks and ``--help`` run in the fast suite.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tests.conftest import load_script, requires_data


def _script(name: str):
    return load_script("benchmarks", name)


@requires_data
def test_revisiting_data_and_order():
    revisiting = _script("revisiting")
    frame = revisiting.load_curves()
    assert frame.duplicated().sum() == 0
    assert frame.groupby(list(revisiting.KEY)).ngroups == 92
    assert [key[0] for key in revisiting.curve_order(frame)[:5]] == ["IC", "NMT", "LM", "BB", "IC"]


def test_revisiting_all_refuses_a_subset(tmp_path):
    revisiting = _script("revisiting")
    with pytest.raises(SystemExit):
        revisiting.main(["--all", "--skip", "8", "--out", str(tmp_path)])


@requires_data
@pytest.mark.slow
def test_revisiting_two_curves(tmp_path):
    revisiting = _script("revisiting")
    frame = revisiting.load_curves()
    assert frame.duplicated().sum() == 0
    assert frame.groupby(list(revisiting.KEY)).ngroups == 92
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert revisiting.main(["--quick", "--out", str(tmp_path)]) == 0
    per_curve = pd.read_csv(tmp_path / "per_curve.csv")
    assert per_curve["curve"].nunique() == 2
    assert set(per_curve["Domain"]) == {"IC", "NMT"}  # the order interleaves domains
    assert set(per_curve["law"]) == {"saturating_power_law", "bnsl1", "stacked"}
    assert np.isfinite(per_curve["rmsle"]).all()
    assert per_curve["coverage_90"].between(0, 1).all()
    report = (tmp_path / "results.md").read_text()
    assert "## IC" in report and "## NMT" in report and "## Goals" in report


@requires_data
@pytest.mark.slow
def test_gadre_protocol(tmp_path):
    gadre = _script("gadre")
    frame = gadre.load()
    assert gadre.protocol_mask(frame).sum() == 5
    targets = frame.loc[gadre.target_mask(frame)]
    assert sorted(targets["token_multiplier_M"]) == [20.0, 640.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert gadre.main(["--quick", "--out", str(tmp_path)]) == 0
    result = pd.read_csv(tmp_path / "gadre.csv")
    assert len(result) == 4 and set(result["law"]) == {"overtraining", "chinchilla"}
    assert np.isfinite(result["rel_error"]).all()
    assert (result["lower_90"] < result["median"]).all()
    assert (result["median"] < result["upper_90"]).all()
    covered = (result["lower_90"] <= result["loss"]) & (result["loss"] <= result["upper_90"])
    assert (covered == result["covered_90"]).all()
    assert "published_rel_error" in (tmp_path / "results.md").read_text()


@pytest.mark.parametrize("name", ["revisiting", "gadre"])
def test_scripts_have_help(name, capsys):
    with pytest.raises(SystemExit) as stop:
        _script(name).main(["--help"])
    assert stop.value.code == 0
    assert "--quick" in capsys.readouterr().out


def test_adaptation_benchmark_compares_both_adaptations(tmp_path):
    """One small law end to end (compiled once, 2 x 4 x 1,000 draws: seconds on two cores)."""
    adaptation = _script("adaptation")
    out = tmp_path / "adaptation.md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert adaptation.main(["--only", "m1", "--out", str(out)]) == 0
    text = out.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| m1 ")]
    assert len(rows) == 2
    assert "| diag |  |" in rows[0] and "| low_rank | yes |" in rows[1]
    assert "Fits where `low_rank` is the default (1): ESS per second low_rank / diag" in text
    assert "adaptation.py --only m1 --out" in text


def test_markdown_table_cells():
    from benchmarks.tables import markdown

    frame = pd.DataFrame({"a": [1.23456, np.nan], "b": ["x", None]})
    assert markdown(frame).splitlines() == ["| a | b |", "|---|---|", "| 1.23 | x |", "|  |  |"]
    assert "1.235" in markdown(frame, digits=4)


@requires_data
def test_defaults_benchmark_covers_every_family_in_both_splits():
    module = load_script("benchmarks", "defaults")
    todo = module.cases(list(module.FAMILIES), "all", quick=False, options={}, seed=0)
    families = {c["family"].split()[0] for c in todo}
    assert families == {"revisiting", "chinchilla", "gadre", "pythia", "bnsl4digit", "simulated"}
    assert {c["split"] for c in todo} == {"decide", "confirm"}
    again = {(c["family"], c["case"], c["law"]): c["seed"]
             for c in module.cases(["chinchilla"], "all", quick=False, options={}, seed=0)}
    assert all(again[(c["family"], c["case"], c["law"])] == c["seed"] for c in todo
               if c["family"] == "chinchilla")  # a case's seed does not depend on the others


@pytest.mark.slow
@requires_data
def test_backtest_time_against_the_same_checkout_finds_identical_results(tmp_path):
    """Both sides of ``--against`` import the checkout they are given and score the same."""
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[1])
    assert _script("backtest_time").main(
        ["--plain", "--curves", "1", "--laws", "m1", "--against", root, "--out",
         str(tmp_path)]) == 0
    text = (tmp_path / "results.md").read_text()
    assert text.count(f"bayeslaws from `{root}/bayeslaws`") == 2
    assert "held-out elpd of every law identical to 1e-6 (a law refused on both: NaN on both): " \
           "True" in text
    assert len([line for line in text.splitlines() if line.startswith("| NMT")]) == 2
