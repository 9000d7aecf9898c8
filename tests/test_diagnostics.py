"""bayeslaws/diagnostics.py: sampler health is checked after every fit: fit.diagnostics(),
warnings, strict=True.

Unit tests feed :func:`bayeslaws.diagnostics.compute` synthetic traces with known defects (chains
that disagree, divergences, too few draws) -- exact, no sampling. Real tiny fits check the
wiring: a deliberately starved fit (draws=20, tune=5) warns with advice and raises under
``strict=True``; a healthy one is quiet; PSIS-LOO flags a planted outlier by Pareto k.
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest
import xarray as xr

import bayeslaws as bl
from bayeslaws import diagnostics
from tests.conftest import SMALL


def synthetic_trace(chains=4, draws=1000, shift=0.0, diverging=0, seed=0):
    """Independent normal draws; chain 0 shifted by ``shift``; ``diverging`` flagged draws."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(chains, draws))
    a[0] += shift
    b = rng.normal(size=(chains, draws))
    flags = np.zeros((chains, draws), dtype=bool)
    flags.flat[:diverging] = True
    dims = ("chain", "draw")
    return xr.DataTree.from_dict({
        "posterior": xr.Dataset({"a": (dims, a), "b": (dims, b)}),
        "sample_stats": xr.Dataset({"diverging": (dims, flags)}),
    })


def test_healthy_trace_has_no_problems():
    diag = diagnostics.compute(synthetic_trace(), ["a", "b"])
    assert diag.ok and diag.problems == []
    assert diag.divergences == 0
    assert diag.max_rhat < 1.01  # 4 x 1000 independent draws: R-hat ~ 1.000 +- 0.002
    assert diag.min_ess_bulk > 2000
    assert set(diag.as_dict()) >= {"divergences", "max_rhat", "min_ess_bulk", "problems"}


def test_disagreeing_chains_report_rhat_with_advice():
    diag = diagnostics.compute(synthetic_trace(shift=3.0), ["a", "b"])
    assert diag.table.loc["a", "r_hat"] > 1.1 and diag.table.loc["b", "r_hat"] < 1.01
    (problem,) = [p for p in diag.problems if "R-hat" in p]
    # the advice measured to fix it (benchmarks/defaults.py): safer NUTS, not more draws
    assert "['a']" in problem and "retry=2" in problem and "target_accept=0.95" in problem
    assert "priors" in problem


def test_chains_not_yet_mixed_are_told_to_draw_more():
    """R-hat just above 1.01 with no divergence or stuck chain: more draws is the advice (it
    fixed 55 of 101 such real fits in benchmarks/defaults.py); safer NUTS for the rest."""
    diag = diagnostics.compute(synthetic_trace(shift=0.5), ["a", "b"])
    assert diagnostics.RHAT_MAX < diag.table.loc["a", "r_hat"] <= diagnostics.MILD_RHAT
    (problem,) = [p for p in diag.problems if "R-hat" in p]
    assert "draws=2000" in problem and "retry=1" in problem and "not yet agree" in problem
    # after retry=1 drew more, the next advised step is safer NUTS (retry=2), not retry=1
    retried = diagnostics.compute(synthetic_trace(shift=0.5), ["a", "b"], retried=1)
    (problem,) = [p for p in retried.problems if "R-hat" in p]
    assert "after 1 automatic refit" in problem and "retry=2" in problem
    assert "retry=1" not in problem and "target_accept=0.95" in problem
    mixed_badly = diagnostics.compute(synthetic_trace(shift=0.5, diverging=7), ["a", "b"])
    (problem,) = [p for p in mixed_badly.problems if "R-hat" in p]
    assert "more draws alone rarely help" in problem


def test_divergences_counted_with_advice():
    diag = diagnostics.compute(synthetic_trace(diverging=7), ["a", "b"])
    assert diag.divergences == 7
    (problem,) = diag.problems
    assert "7 divergent transitions out of 4000 draws" in problem
    assert "target_accept=0.95" in problem and "studentt" in problem
    # a fit that already used 0.95 (bnsl's default) is told to go higher
    (problem,) = diagnostics.compute(synthetic_trace(diverging=7), ["a", "b"], 0.95).problems
    assert "target_accept=0.99" in problem and "adaptation" not in problem
    # a fit with nutpie's low-rank adaptation is also pointed to the diagonal one
    (problem,) = diagnostics.compute(synthetic_trace(diverging=7), ["a", "b"], 0.9,
                                     "low_rank").problems
    assert "target_accept=0.95 and adaptation='diag'" in problem


def test_low_ess_with_advice():
    diag = diagnostics.compute(synthetic_trace(chains=2, draws=50), ["a", "b"])
    (problem,) = [p for p in diag.problems if "Effective sample size" in p]
    assert "< 400" in problem and "draws=2000" in problem


def test_single_chain_skips_rhat_but_checks_ess():
    diag = diagnostics.compute(synthetic_trace(chains=1, draws=2000), ["a", "b"])
    assert np.isnan(diag.max_rhat)
    assert diag.ok


def test_report_warns_each_problem_or_raises_all_when_strict():
    diag = diagnostics.compute(synthetic_trace(chains=2, draws=50, shift=3.0, diverging=2),
                               ["a", "b"])
    assert len(diag.problems) == 3
    with pytest.warns(bl.SamplerWarning) as caught:
        diagnostics.report(diag, strict=False)
    assert [str(w.message) for w in caught] == diag.problems
    with pytest.raises(bl.SamplerError) as err:
        diagnostics.report(diag, strict=True)
    assert all(p in str(err.value) for p in diag.problems)


# -- real fits ----------------------------------------------------------------------------
def _data(n=15, seed=0, outlier=False):
    rng = np.random.default_rng(seed)
    x = np.geomspace(1e6, 1e9, n)
    y = 2.0 + 60 * x**-0.3 * np.exp(rng.normal(0, 0.01, n))
    if outlier:
        y[7] *= 3.0
    return {"x": x, "y": y}


def test_starved_fit_warns_and_strict_raises():
    """draws=20, tune=5: far too short -- ESS < 400 is certain (at most 40 draws in all)."""
    kwargs = {"x": "x", "y": "y", "draws": 20, "tune": 5, "chains": 2, "random_seed": 1,
              "progressbar": False}
    with pytest.warns(bl.SamplerWarning, match="Refit with more draws"):
        fit = bl.fit("saturating_power_law", _data(), **kwargs)
    diag = fit.diagnostics()
    assert not diag.ok and diag.min_ess_bulk < 400
    assert list(diag.table.index) == list(fit.spec.parameter_names)
    with pytest.raises(bl.SamplerError, match=r"(?s)strict=True.*Effective sample size"):
        bl.fit("saturating_power_law", _data(), strict=True, **kwargs)


def test_healthy_fit_is_quiet_and_summary_carries_diagnostics():
    with warnings.catch_warnings():
        warnings.simplefilter("error", bl.SamplerWarning)
        fit = bl.fit("power_law", _data(), x="x", y="y", random_seed=2, chains=2, draws=1000,
                     tune=500, progressbar=False)
    diag = fit.diagnostics()
    assert diag.ok and diag.divergences == 0 and diag.max_rhat <= diagnostics.RHAT_MAX
    summary = fit.summary()
    assert summary.attrs["divergences"] == 0
    np.testing.assert_allclose(summary["r_hat"], diag.table["r_hat"])


def test_pareto_k_flags_a_planted_outlier():
    """One run at 3x the curve: PSIS-LOO cannot trust that point; the warning names it."""
    compare = importlib.import_module("bayeslaws.compare")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SamplerWarning)
        fit = bl.fit("power_law", _data(outlier=True), x="x", y="y", random_seed=3, **SMALL)
    with pytest.warns(bl.SamplerWarning, match=r"Pareto k > .*reloo=True") as caught:
        compare.loo(fit, name="outlier")
    assert any("row 7" in str(w.message) or "7" in str(w.message) for w in caught)


def test_psis_loo_is_computed_once_and_reused(demo_fit, monkeypatch):
    """The fit's diagnostics compute PSIS-LOO once; Fit.loo, bl.loo and compare reuse it."""
    import arviz as az

    first = demo_fit.loo()
    assert demo_fit.diagnostics().loo is not None

    def no_second_loo(*args, **kwargs):
        raise AssertionError("PSIS-LOO recomputed")

    monkeypatch.setattr(az, "loo", no_second_loo)
    again = demo_fit.loo(pointwise=True)
    assert again is not demo_fit.diagnostics().loo  # a copy: callers may annotate it
    assert float(again.elpd) == float(first.elpd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loo = importlib.import_module("bayeslaws.compare").loo
        assert float(loo(demo_fit).elpd) == float(first.elpd)
    with pytest.raises(AssertionError, match="recomputed"):
        demo_fit.loo(pointwise=False)  # other options recompute
