"""IsoFLOP analysis (bl.isoflop): budgets, bad input before sampling, recovery of the
compute-optimal exponent on simulated IsoFLOP profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayeslaws.exceptions import DataError, OptionError
from bayeslaws.isoflop import assign_budgets, isoflop
from tests.conftest import requires_data

SMALL = {"chains": 2, "draws": 400, "tune": 400}
#: Truth of the simulated sweep: N_opt = exp(N0) (C / C0)^A, parabola of curvature H.
A, N0, C0, H = 0.45, np.log(3e8), 1e19, 0.06
BUDGETS = np.geomspace(1e18, 1e21, 6)


def profiles(seed: int = 0, noise: float = 0.004, scatter: float = 0.0) -> pd.DataFrame:
    """Seven sizes per budget around its optimum (a factor of 8 either way), loss a parabola
    in log N whose minimum falls with C, Normal noise; C written as 6 N D (tokens column)."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in BUDGETS:
        log_opt = N0 + A * np.log(c / C0) + scatter * rng.standard_normal()
        floor = 1.8 + 8.0 * c ** -0.08
        for log_n in log_opt + np.linspace(-2.1, 2.1, 7):
            loss = floor + H * (log_n - log_opt) ** 2 + noise * rng.standard_normal()
            n = float(np.exp(log_n))
            rows.append({"params": n, "tokens": c / (6.0 * n), "flops": c, "loss": loss})
    return pd.DataFrame(rows)


def test_budgets_binned_from_c_with_a_tolerance():
    c = np.array([1e19, 1.1e19, 0.95e19, 1e20, 1.2e20, 1e21])
    got = assign_budgets(c, None, tolerance=0.1)
    assert len(np.unique(got)) == 3
    assert got[0] == got[1] == got[2] and got[3] == got[4] != got[5]
    np.testing.assert_allclose(got[0], np.exp(np.log(c[:3]).mean()))
    # nearest given budget within the tolerance, NaN otherwise
    given = assign_budgets(c, [1e19, 1e20], tolerance=0.1)
    np.testing.assert_array_equal(given[:5], [1e19, 1e19, 1e19, 1e20, 1e20])
    assert np.isnan(given[5])


@pytest.mark.parametrize("change, error, match", [
    ({"N": "size"}, DataError, "'size' is not a column"),
    ({"D": None}, OptionError, "exactly one of D= .* and C="),
    ({"C": "flops"}, OptionError, "exactly one of D="),
    ({"tolerance": 0}, OptionError, "tolerance must be a positive"),
    ({"budgets": [1e18, 1e19]}, DataError, "at least 3"),
    ({"budgets": [-1.0]}, OptionError, "budgets must be positive"),
    ({"likelihood": "cauchy"}, OptionError, "cauchy"),
    ({"draws": 0}, OptionError, "draws must be an integer"),
])
def test_bad_input_is_refused_before_sampling(change, error, match, monkeypatch):
    import nutpie

    monkeypatch.setattr(nutpie, "sample", lambda *a, **k: pytest.fail("sampled"))
    data = profiles()
    args = {"N": "params", "D": "tokens", "loss": "loss", **change}
    with pytest.raises(error, match=match):
        isoflop(data, **args)


def test_budget_with_two_runs_is_refused():
    data = profiles().drop(index=[0, 1, 2, 3, 4])  # the smallest budget keeps 2 runs
    with pytest.raises(DataError, match=r"fewer than 3 runs \(\[2\]\).*widen tolerance"):
        isoflop(data, N="params", D="tokens")


def test_negative_loss_is_a_data_error():
    data = profiles()
    data.loc[3, "loss"] = -1.0
    with pytest.raises(DataError, match="row 3"):
        isoflop(data, N="params", D="tokens")


@pytest.fixture(scope="module")
def result():
    return isoflop(profiles(seed=1, scatter=0.05), N="params", D="tokens", loss="loss",
                   random_seed=1, **SMALL)


def test_recovers_the_compute_optimal_exponent(result):
    """Truth a = 0.45 inside the 90% interval, which is narrower than 0.1 (so a wrong line
    through the optima, e.g. a = 0.5, would be excluded), and b = 1 - a."""
    table = result.summary(prob=0.9)
    lo, hi = table.loc["a", "eti90_lower"], table.loc["a", "eti90_upper"]
    assert lo <= A <= hi and hi - lo < 0.1, (lo, hi)
    np.testing.assert_allclose(result.draws("b"), 1.0 - result.draws("a"))
    assert result.diagnostics.divergences == 0
    assert len(result.budgets) == 6 and result.budgets["runs"].eq(7).all()


def test_n_opt_on_the_line_with_intervals(result):
    line = result.n_opt([1e19, 1e23], prob=0.9)
    truth = np.exp(N0 + A * np.log(np.array([1e19, 1e23]) / C0))
    assert (line["N_lower90"] <= truth).all() and (truth <= line["N_upper90"]).all()
    assert (line["N_lower90"] < line["N_opt"]).all() and (line["N_opt"] < line["N_upper90"]).all()
    np.testing.assert_allclose(line["D_opt"], line["C"] / (6 * line["N_opt"]))
    # extrapolating four decades widens the interval
    width = np.log(line["N_upper90"] / line["N_lower90"])
    assert width[1] > 2 * width[0]


def test_plot_draws_profiles_and_the_line(result, close_figures):
    fig = result.plot()
    left, right = fig.axes[:2]
    assert len(left.collections) == 6  # one scatter per budget
    assert right.get_xscale() == "log" and right.get_legend() is not None


@requires_data
def test_chinchilla_runs_fall_into_the_nine_budgets():
    """The case study's assignment: at 0.15 decades 211 of the 245 digitised runs are near one
    of Hoffmann et al.'s nine budgets, each with at least 12 runs (enough for a parabola)."""
    from bayeslaws.datasets import chinchilla
    from bayeslaws.isoflop import prepare_runs
    from tests.conftest import load_script

    study = load_script("case_studies", "isoflop_chinchilla")
    runs, excluded = prepare_runs(chinchilla(drop_highest=0), N="N", C="C", loss="loss",
                                  budgets=list(study.BUDGETS), tolerance=study.TOLERANCE)
    counts = runs.groupby("budget").size()
    assert len(counts) == 9 and counts.min() >= 12
    assert len(runs) == 211 and len(excluded) == 34


def test_budgets_from_a_column_and_binned_from_tokens_agree():
    from bayeslaws.isoflop import prepare_runs

    data = profiles().assign(budget=lambda d: d["flops"])
    by_column, _ = prepare_runs(data, N="params", D="tokens", budgets="budget")
    binned, excluded = prepare_runs(data, N="params", D="tokens")
    assert len(excluded) == 0 and by_column["budget"].nunique() == binned["budget"].nunique() == 6
    np.testing.assert_allclose(np.sort(binned["budget"].unique()), BUDGETS, rtol=1e-9)
    np.testing.assert_allclose(binned["C"], 6 * data["params"] * data["tokens"])


@requires_data
@pytest.mark.slow
def test_isoflop_case_study_smoke(tmp_path, close_figures):
    import warnings

    from tests.conftest import load_script

    out = tmp_path / "iso.md"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert load_script("case_studies", "isoflop_chinchilla").main(
            ["--quick", "--out", str(out)]) == 0
    text = out.read_text()
    assert "two-stage point fit" in text and "approach 3" in text
    assert (tmp_path / "iso.png").exists()


#: Chinchilla-law truth for the law-profile tests (Besiroglu et al.'s refit, ../shared/data
#: README): a = beta / (alpha + beta) = 0.5126.
LAW_TRUTH = {"E": 1.817, "A": 482.01, "B": 2085.43, "alpha": 0.348, "beta": 0.366}
LAW_A = LAW_TRUTH["beta"] / (LAW_TRUTH["alpha"] + LAW_TRUTH["beta"])


def law_profiles(seed: int = 0, noise: float = 0.005) -> pd.DataFrame:
    """Seven sizes per budget about the law's optimum (a factor of 8 either way), loss the
    Chinchilla law at D = C / (6 N) plus Normal noise."""
    rng = np.random.default_rng(seed)
    p = LAW_TRUTH
    log_g = (np.log(p["alpha"] * p["A"]) - np.log(p["beta"] * p["B"])) / (p["alpha"] + p["beta"])
    rows = []
    for c in BUDGETS:
        log_opt = log_g + LAW_A * np.log(c / 6.0)
        for log_n in log_opt + np.linspace(-2.1, 2.1, 7):
            n = float(np.exp(log_n))
            d = c / (6.0 * n)
            loss = p["E"] + p["A"] * n ** -p["alpha"] + p["B"] * d ** -p["beta"]
            rows.append({"params": n, "tokens": d, "loss": loss + noise * rng.standard_normal()})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def law_result():
    return isoflop(law_profiles(seed=2), N="params", D="tokens", profile="law",
                   random_seed=2, **SMALL)


def test_law_profile_recovers_the_law_and_its_exponent(law_result):
    """Simulated from the Chinchilla law along six IsoFLOP budgets: a = beta / (alpha + beta)
    inside its 90% interval (narrower than 0.1), as are alpha, beta and E; each budget's
    optimum is the law's own, N_opt = G (C/6)^a."""
    table = law_result.summary(prob=0.9)
    for name, value in {"a": LAW_A, "alpha": LAW_TRUTH["alpha"], "beta": LAW_TRUTH["beta"],
                        "E": LAW_TRUTH["E"]}.items():
        lo, hi = table.loc[name, "eti90_lower"], table.loc[name, "eti90_upper"]
        assert lo <= value <= hi, (name, lo, value, hi)
    assert table.loc["a", "eti90_upper"] - table.loc["a", "eti90_lower"] < 0.1
    assert "tau" not in table.index and law_result.profile == "law"
    draws = {k: law_result.draws(k) for k in ("A", "B", "alpha", "beta", "a", "log_N_opt")}
    log_g = (np.log(draws["alpha"] * draws["A"]) - np.log(draws["beta"] * draws["B"])) / (
        draws["alpha"] + draws["beta"])
    want = log_g[:, None] + draws["a"][:, None] * np.log(law_result.budgets["C"].to_numpy() / 6)
    np.testing.assert_allclose(draws["log_N_opt"], want, rtol=1e-10)
    assert law_result.diagnostics.divergences == 0


def test_law_profile_curve_is_the_law_along_the_isoflop(law_result):
    """The plotted curve is the law at D = C / (6 N) with the posterior-median parameters'
    optimum (the profile form and the law agree to rounding)."""
    k = 2
    grid = np.log(np.geomspace(1e7, 1e10, 5))
    opt = np.median(law_result.draws("log_N_opt")[:, k])
    alpha, beta = (np.median(law_result.draws(v)) for v in ("alpha", "beta"))
    t = np.median(law_result.draws("T")[:, k])
    floor = np.median(law_result.draws("L_opt")[:, k]) - t * (1 + alpha / beta)
    b_term = t * alpha / beta * np.exp(-beta * opt)  # B (C/6)^-beta
    want = floor + t * np.exp(-alpha * (grid - opt)) + b_term * np.exp(beta * grid)
    np.testing.assert_allclose(law_result.profile_curve(k, grid), want, rtol=1e-10)


def test_law_profile_puts_each_run_at_its_own_c_not_its_budgets():
    """Runs up to 0.1 decades off their budget: the law profile's likelihood is the law at
    each run's own D = C / (6 N) (Normal noise, any parameter point), so snapping the runs
    to the nominal budgets (which moved a by +0.011 on Chinchilla) would fail here."""
    from scipy import stats

    from bayeslaws.isoflop import build_law, prepare_runs

    frame = law_profiles(seed=4)
    shift = 10.0 ** np.random.default_rng(4).uniform(-0.1, 0.1, len(frame))
    frame["tokens"] = frame["tokens"] * shift  # C = 6 N D now off the budget by up to 0.1 dex
    runs, _ = prepare_runs(frame, N="params", D="tokens", budgets=list(BUDGETS),
                           tolerance=0.15)
    assert np.abs(np.log10(runs["C"] / runs["budget"])).max() > 0.09
    model, _, _ = build_law(runs, likelihood="normal")
    point = model.initial_point()
    point.update({"E_log__": np.log(1.8), "alpha_log__": np.log(0.34),
                  "beta_log__": np.log(0.37), "log_A_c": -0.3, "log_B_c": -0.6,
                  "sigma_log__": np.log(0.01)})
    n, d = runs["N"].to_numpy(), runs["C"].to_numpy() / (6.0 * runs["N"].to_numpy())
    # A, B from their terms at the runs' centre (mean log N, mean log D; module docstring)
    a_amp, b_amp = np.exp(-0.3 + 0.34 * np.log(n).mean()), np.exp(-0.6 + 0.37 * np.log(d).mean())
    law = 1.8 + a_amp * n ** -0.34 + b_amp * d ** -0.37
    want = stats.norm.logpdf(runs["loss"].to_numpy(), law, 0.01).sum()
    got = model.compile_logp(vars=[model["loss"]], sum=True)(point)
    np.testing.assert_allclose(got, want, rtol=1e-9)


def test_saved_result_loads_back_the_same(law_result, result, tmp_path):
    """Round trip through one netCDF file: draws, runs, budgets, excluded runs, settings and
    every summary number are the same; a fit file is refused with a pointer to bl.load."""
    import bayeslaws as bl

    for res, name in ((law_result, "law.nc"), (result, "parabola.nc")):
        path = res.save(tmp_path / name)
        back = bl.load_isoflop(path)
        assert back.profile == res.profile and back.settings == res.settings
        assert back.centre == res.centre
        pd.testing.assert_frame_equal(back.summary(), res.summary())
        pd.testing.assert_frame_equal(back.runs, res.runs, check_dtype=False)
        pd.testing.assert_frame_equal(back.budgets, res.budgets, check_dtype=False)
        assert len(back.excluded) == len(res.excluded)
        np.testing.assert_array_equal(back.draws("a"), res.draws("a"))
        assert back.diagnostics.divergences == res.diagnostics.divergences
        np.testing.assert_allclose(back.n_opt([1e22])["N_opt"], res.n_opt([1e22])["N_opt"])


def test_loading_a_non_isoflop_file_is_refused(tmp_path, demo_fit):
    from bayeslaws.exceptions import FitFileError
    from bayeslaws.isoflop import load_isoflop

    path = demo_fit.save(tmp_path / "fit.nc")
    with pytest.raises(FitFileError, match="not a saved IsoFLOP result.*bl.load"):
        load_isoflop(path)
    with pytest.raises(FitFileError, match="No saved file"):
        load_isoflop(tmp_path / "missing.nc")


@pytest.mark.parametrize("change, match", [({"profile": "cubic"}, "profile must be one of"),
                                           ({"scatter": "yes"}, "scatter must be True")])
def test_bad_profile_options_are_refused_before_sampling(change, match, monkeypatch):
    import nutpie

    monkeypatch.setattr(nutpie, "sample", lambda *a, **k: pytest.fail("sampled"))
    with pytest.raises(OptionError, match=match):
        isoflop(law_profiles(), N="params", D="tokens", **change)
