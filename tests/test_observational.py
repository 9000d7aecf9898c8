"""Linear-scale law inputs, the PCA helper and the ``observational`` law (Ruan et al. 2024)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special

import bayeslaws as bl
from bayeslaws.exceptions import DataError, LawError, OptionError
from tests.conftest import SMALL, requires_data

TRUTH = {"alpha": 0.3, "beta1": 0.9, "beta2": -0.5}


# -- principal components -----------------------------------------------------------------
def scores(n: int = 60, seed: int = 0) -> pd.DataFrame:
    """Five benchmarks driven by one general capability g (and noise)."""
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(n)
    weights = np.array([1.0, 0.8, 0.6, 0.9, 0.7])
    values = 0.5 + 0.1 * np.outer(g, weights) + 0.02 * rng.standard_normal((n, 5))
    return pd.DataFrame(values, columns=[f"task{k}" for k in range(5)]).assign(g=g)


def test_first_component_is_the_general_capability():
    data = scores()
    pcs = bl.principal_components(data, [f"task{k}" for k in range(5)], n=2)
    assert list(pcs.scores.columns) == ["S1", "S2"]
    assert np.corrcoef(pcs.scores["S1"], data["g"])[0, 1] > 0.99  # sign: higher is better
    assert pcs.explained["S1"] > 0.9 and pcs.explained.sum() <= 1.0 + 1e-12
    np.testing.assert_allclose(pcs.loadings.T @ pcs.loadings, np.eye(2), atol=1e-12)
    assert abs(pcs.scores["S1"].mean()) < 1e-12 and (pcs.scores["S1"] < 0).any()
    np.testing.assert_allclose(pcs.transform(data), pcs.scores, atol=1e-12)


@pytest.mark.parametrize("change, error, match", [
    ({"columns": ["task0", "nope"]}, DataError, "'nope'"),
    ({"n": 6}, OptionError, "n=6 must be an integer from 1 to 5"),
])
def test_principal_components_refuses_bad_input(change, error, match):
    args = {"frame": scores(), "columns": [f"task{k}" for k in range(5)], **change}
    with pytest.raises(error, match=match):
        bl.principal_components(**args)


def test_principal_components_names_missing_scores_and_flat_benchmarks():
    data = scores()
    data.loc[4, "task2"] = np.nan
    with pytest.raises(DataError, match="'task2' has a missing .* row 4"):
        bl.principal_components(data, ["task0", "task2"], n=1)
    data = scores().assign(task3=0.5)
    with pytest.raises(DataError, match=r"\['task3'\] have the same score"):
        bl.principal_components(data, ["task0", "task3"], n=1)


# -- the law and its linear inputs --------------------------------------------------------
def test_observational_is_the_logistic_of_the_components():
    law = bl.get_law("observational", components=2, chance=0.25)
    s1, s2 = np.array([-2.0, 0.0, 1.5]), np.array([0.5, -1.0, 0.0])
    got = law.mean(TRUTH, {"S1": s1, "S2": s2})
    want = 0.25 + 0.75 * special.expit(0.3 + 0.9 * s1 - 0.5 * s2)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert law.linear_inputs == ("S1", "S2") and law.default_varying() == ("alpha",)


@pytest.mark.parametrize("options, match", [({"components": 0}, "components=0"),
                                            ({"chance": 1.0}, "chance=1.0")])
def test_observational_options_are_checked(options, match):
    with pytest.raises(LawError, match=match):
        bl.get_law("observational", **options)


def test_linear_inputs_must_be_inputs():
    with pytest.raises(LawError, match="linear_inputs"):
        bl.Law(name="bad", inputs=("x",), linear_inputs=("z",), parameters=(),
               function=lambda p, logx, xp: logx.x, default_priors=lambda s: {},
               formula="y = x", reference="-")


def simulated(seed: int = 0, n: int = 80) -> pd.DataFrame:
    """Binomial accuracies (200 questions) from the law at TRUTH, components centred."""
    rng = np.random.default_rng(seed)
    s = rng.standard_normal((n, 2)) * [1.5, 0.8]
    law = bl.get_law("observational", components=2)
    mean = law.mean(TRUTH, {"S1": s[:, 0], "S2": s[:, 1]})
    return pd.DataFrame({"S1": s[:, 0], "S2": s[:, 1], "n": 200.0,
                         "acc": rng.binomial(200, mean) / 200.0})


def test_negative_linear_inputs_are_accepted_and_summarised_on_their_scale():
    data = simulated()
    assert (data["S1"] < 0).any()
    check = bl.prior_predictive("observational", data, x={"S1": "S1", "S2": "S2"}, y="acc",
                                law_options={"components": 2}, likelihood="binomial",
                                extra={"trials": "n"}, draws=50)
    summary = check.observations.summary.inputs["S1"]
    assert summary.log_min == pytest.approx(data["S1"].min())  # the values, not their log
    assert summary.log_centre == pytest.approx(data["S1"].mean())
    # a log-scale input still refuses non-positive values
    with pytest.raises(DataError, match="must be > 0"):
        bl.prior_predictive("power_law", pd.DataFrame({"x": [-1.0, 1.0, 2.0],
                                                       "y": [1.0, 2.0, 3.0]}), x="x")


@pytest.fixture(scope="module")
def fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)
        return bl.fit("observational", simulated(seed=1), x={"S1": "S1", "S2": "S2"}, y="acc",
                      law_options={"components": 2}, likelihood="binomial",
                      extra={"trials": "n"}, random_seed=1, **SMALL)


def test_observational_recovers_its_coefficients(fit):
    table = fit.summary(prob=0.9)
    for name, value in TRUTH.items():
        lo, hi = table.loc[name, "eti90_lower"], table.loc[name, "eti90_upper"]
        assert lo <= value <= hi and hi - lo < 0.6, (name, lo, value, hi)


def test_predict_at_negative_components(fit):
    at = {"S1": [-3.0, 0.0, 3.0], "S2": [0.0, 0.0, -1.0]}
    curve = fit.predict(at, kind="mean")
    truth = bl.get_law("observational", components=2).mean(
        TRUTH, {k: np.asarray(v) for k, v in at.items()})
    assert ((curve["lower"] <= truth) & (truth <= curve["upper"])).all()
    assert np.isfinite(fit.observations.summary.inputs["S1"].log_centre)


# -- Pythia: components of seven tasks, the eighth predicted -------------------------------
#: Checkpoints from step 1,000 (2.1e9 tokens) on: earlier ones score 0 on lambada_openai.
MIN_STEP = 1000


def pythia_table(target: str = "lambada_openai") -> tuple[pd.DataFrame, list[str]]:
    from bayeslaws.datasets import data_dir

    raw = pd.read_csv(data_dir() / "pythia-evals" / "pythia_v1_benchmarks_long.csv")
    rows = raw[(raw["shots"] == 0) & (raw["metric"] == "acc") & (raw["step"] >= MIN_STEP)]
    wide = rows.pivot_table(index=["model", "step"], columns="task", values="value")
    err = rows.pivot_table(index=["model", "step"], columns="task", values="stderr")
    others = [t for t in wide.columns if t not in (target, "mmlu_avg_57_subjects")]
    pcs = bl.principal_components(wide, others, n=2)
    acc, se = wide[target], err[target]
    trials = float(np.median((acc * (1 - acc) / se**2)[se > 0]).round())
    frame = pcs.scores.assign(acc=acc.to_numpy(), n=trials).reset_index()
    return frame, others


@requires_data
def test_prior_predictive_on_pythia_matches_the_law_file():
    """The numbers stated in models/observational.py: lambada_openai from the components of
    seven other tasks, 240 checkpoints; the 90% prior band spans almost all of (0, 1), the
    prior median curve stays in the middle (slopes centred at 0)."""
    frame, others = pythia_table()
    assert len(frame) == 240 and len(others) == 7
    assert frame["acc"].min() == pytest.approx(0.026, abs=0.001)
    assert frame["acc"].max() == pytest.approx(0.715, abs=0.001)
    check = bl.prior_predictive("observational", frame, x={"S1": "S1", "S2": "S2"}, y="acc",
                                law_options={"components": 2}, likelihood="binomial",
                                extra={"trials": "n"}, draws=1000)
    lo, med, hi = np.quantile(check.draws, [0.05, 0.5, 0.95], axis=0)
    assert lo.min() < 0.01 and hi.max() > 0.99
    assert 0.35 < med.min() and med.max() < 0.6


@requires_data
def test_pythia_case_study_splits_by_model_size():
    from tests.conftest import load_script

    study = load_script("case_studies", "observational_pythia")
    table = study.checkpoints()
    train = table[table["params"] <= study.FIT_MAX]
    assert len(train) == 176 and len(table) - len(train) == 64
    assert table["trials"].nunique() == 1 and table["trials"].iloc[0] == 5152


def test_grouped_by_family_alpha_varies(monkeypatch):
    """Hierarchical by model family through the pipeline's grouping (prior draws instead of
    NUTS: this checks the pipeline, not the posterior)."""
    from bayeslaws import sampling
    from tests.conftest import prior_sampler

    monkeypatch.setattr(sampling, "run_nuts", prior_sampler)
    data = simulated(seed=3).assign(family=lambda d: np.where(d.index % 2, "a", "b"))
    fit = bl.fit("observational", data, x={"S1": "S1", "S2": "S2"}, y="acc",
                 law_options={"components": 2}, likelihood="binomial",
                 extra={"trials": "n"}, group="family", random_seed=0, **SMALL)
    assert fit.posterior["alpha"].dims[-1] == "group"
    assert "beta1" in fit.posterior and fit.posterior["beta1"].ndim == 2  # shared
    curve = fit.predict({"S1": [-2.0, 2.0], "S2": [0.0, 0.0], "family": ["a", "b"]},
                        kind="mean")
    assert np.isfinite(curve["median"]).all() and list(curve["family"]) == ["a", "b"]
