"""``bayeslaws.fit``: validate, build, sample, check, return a :class:`~bayeslaws.result.Fit`."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bayeslaws import chains as chain_mod
from bayeslaws import diagnostics, sampling, starts
from bayeslaws.data import from_data
from bayeslaws.exceptions import OptionError
from bayeslaws.groups import with_predictive_groups
from bayeslaws.law import Law
from bayeslaws.model import data_values
from bayeslaws.priors import Prior
from bayeslaws.result import Fit
from bayeslaws.settings import RETRIED, FitSettings, versions
from bayeslaws.spec import ModelSpec, prepare_fit
from bayeslaws.trace import assemble


def _check_settings(draws: int, tune: int, chains: int, target_accept: float | None) -> None:
    for name, value, low in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)):
        if not isinstance(value, int | np.integer) or value < low:
            raise OptionError(f"{name} must be an integer >= {low}, got {value!r}.")
    if target_accept is not None and not 0 < target_accept < 1:
        raise OptionError(f"target_accept must be in (0, 1), got {target_accept!r}.")


def fit(law: str | Law, data: Any, x: Mapping[str, str] | str | None = None, y: str = "y", *,
        priors: Mapping[str, Prior] | None = None, likelihood: str | None = None,
        sampler: str = sampling.DEFAULT_SAMPLER, draws: int = 1000, tune: int = 1000,
        chains: int = 4, random_seed: int | None = None, target_accept: float | None = None,
        adaptation: str | None = None, progressbar: bool = True, strict: bool = False,
        law_options: Mapping[str, Any] | None = None,
        extra: Mapping[str, str] | None = None, group: str | None = None,
        pooled: Sequence[str] | None = None, varying: Sequence[str] | None = None,
        tau_scale: float | Mapping[str, float] | None = None,
        allow_few_runs: bool = False, retry: int = 0, init: str | None = None,
        stuck_chains: str = chain_mod.DEFAULT_POLICY, predictive: bool = True) -> Fit:
    """Fit a scaling law to measurements by full Bayesian inference (NUTS).

    Parameters
    ----------
    law : str or Law
        Name of a catalogue law (see :func:`bayeslaws.laws`) or a Law object.
    data : DataFrame or dict of columns
        One row per training run.
    x : dict or str, optional
        Law input -> column, e.g. ``{"N": "params", "D": "tokens"}``; a column name for
        one-input laws; ``None`` when columns are named like the inputs.
    y : str
        Column of the measured loss (or error, accuracy).
    priors : dict or "informed", optional
        ``{parameter: Prior}`` replacing default priors by the paper's parameter names, or
        ``"informed"``: exponents, floor and noise priors learned from published studies
        (:mod:`bayeslaws.informed`; ``bl.InformedPriors(without=...)`` leaves a study out).
    likelihood : {"studentt", "lognormal", "binomial", "betabinomial", "beta"}, optional
        Noise model. Losses: ``studentt`` (Student-t noise on ``log y``, robust to outlying
        runs; the default) or ``lognormal`` (Normal noise on ``log y``). Fractions such as
        accuracies: ``betabinomial`` (the default when ``extra`` gives the number of questions,
        ``{"trials": <column>}``), ``binomial`` (sampling noise of the questions only) or
        ``beta`` (the default otherwise). See :mod:`bayeslaws.likelihoods`.
    sampler : {"nutpie", "pymc", "numpyro"}
        NUTS implementation. nutpie (default) is the fastest measured on CPU; numpyro runs on
        GPU when JAX sees one.
    draws, tune, chains : int
        Posterior draws and tuning steps per chain, number of chains.
    random_seed : int, optional
        Seed; when omitted one is drawn and stored in the fit, so every fit is reproducible.
    target_accept : float, optional
        NUTS target acceptance (raise towards 0.95 if divergences are reported). Default: the
        law's own (e.g. ``bnsl``: 0.95, see :attr:`bayeslaws.law.Law.target_accept`), else
        0.9 with nutpie's low-rank adaptation, else the sampler's (0.8).
    adaptation : {"low_rank", "diag", "draw_diag"}, optional
        nutpie's mass-matrix adaptation. Default: ``"diag"`` for a grouped fit, else the
        law's own (``"diag"`` for the laws with curved ridges, see
        :attr:`bayeslaws.law.Law.adaptation`), else ``"low_rank"``, which learns the
        correlations left between a law's parameters (``benchmarks/adaptation.py`` compares
        both on every catalogue law). Only with ``sampler="nutpie"``.
    progressbar : bool
        Show the sampler's progress bar.
    strict : bool
        Raise :class:`~bayeslaws.exceptions.SamplerError` instead of warning on divergences,
        R-hat > 1.01 or bulk/tail ESS < 400.
    law_options : dict, optional
        Options of laws that take them, e.g. ``{"breaks": 2}`` for ``bnsl``.
    extra : dict, optional
        Extra columns a likelihood needs, e.g. ``{"trials": "n_questions"}``.
    group : str, optional
        Column of group labels (training set, model family, task): fit the law with partial
        pooling over groups (see :mod:`bayeslaws.hierarchy`); the fit's varying parameters
        then have a ``group`` dimension and its forecasts take a group.
    pooled, varying : list of str, optional
        With ``group``: parameters shared by all groups, and parameters with one value per
        group drawn from an estimated population (default: the law file's
        :meth:`~bayeslaws.law.Law.default_varying`).
    tau_scale : float or dict, optional
        With ``group``: scale of the HalfNormal prior on each between-group sd (default 0.5).
    allow_few_runs : bool
        Fit even with as many parameters as runs (or more), e.g. five small runs of a
        five-parameter law: the priors then carry what the runs cannot pin down, and a
        :class:`~bayeslaws.exceptions.FewRunsWarning` says so. Refused by default.
    retry : int
        Refit up to this many times when the sampler reports divergences, R-hat > 1.01, a
        chain stuck in a worse mode or a low ESS, as the warnings advise: the first time only
        the ESS is low or R-hat is at most 1.05 (no divergence, no stuck chain), with twice
        the draws and the same seed; otherwise, or when that did not suffice, with safer
        settings (twice the tuning and at least 2,000 steps, ``target_accept`` 0.95 then 0.99,
        nutpie's diagonal adaptation; another seed after divergences or a stuck chain). On the
        reliability benchmark's 101 real fits with a mild R-hat, ``retry=1`` fixed 55 and
        ``retry=2`` 70 (69% on both the deciding and the confirming split); of the worse
        failures ``retry=2`` fixed 28 of 38 m2/m3/chinchilla fits, 8 of 51 bnsl. Off by default;
        the settings and problems of every attempt are kept in ``fit.settings.attempts``.
    init : {"jitter", "optimised"}, optional
        Where the chains start. ``"jitter"`` (default): the law's starting values jittered by
        the sampler. ``"optimised"``: at the best modes of the posterior found by multi-start
        optimisation (SciPy's L-BFGS-B on PyMC's log density, 12 starts, about 0.5 s), each
        chain at a draw from its mode's Laplace approximation (see :mod:`bayeslaws.starts`:
        on the reliability benchmark it fixed 17 of 98 failing fits and broke 13 of 115
        good ones, so it is not the default).
    stuck_chains : {"drop", "keep"}
        Every chain is kept (``"keep"``, the default), or a chain stuck in a worse mode (its
        mean log density far below the others') that stacking the chains gives weight below
        0.01 (Yao, Vehtari and Gelman 2022) is dropped from the posterior (``"drop"``; a
        warning names it and the fit records it in ``fit.settings.chain_drop``). Dropping
        gives the posterior of the best mode; on the bnsl benchmark its forecasts of larger
        runs were overconfident for bnsl1 (90% coverage 0.81 -> 0.69) and more accurate for
        bnsl2 (RMSLE 0.024 -> 0.021): see :mod:`bayeslaws.chains`.
    predictive : bool
        Store the ``posterior_predictive``, ``prior`` and ``prior_predictive`` groups ArviZ
        plots read (:mod:`bayeslaws.groups`). Refits for cross-validation leave them out: they
        only need the posterior and its log-likelihood.

    Returns
    -------
    Fit
    """
    _check_settings(draws, tune, chains, target_accept)
    sampling.check_sampler(sampler)
    if init is not None:
        starts.check_init(init)
    chain_mod.check_policy(stuck_chains)
    spec, obs = prepare_fit(law, data, x, y, priors=priors, likelihood=likelihood,
                            law_options=law_options, extra=extra, group=group, pooled=pooled,
                            varying=varying, tau_scale=tau_scale, allow_few_runs=allow_few_runs)
    adaptation = sampling.resolve_adaptation(sampler, adaptation, spec.law.adaptation,
                                             grouped=spec.grouping is not None)
    init = starts.resolve_init(init, grouped=spec.grouping is not None)
    if target_accept is None:  # the law's, else 0.9 with low-rank adaptation, else the sampler's
        target_accept = spec.law.target_accept or (
            sampling.LOW_RANK_TARGET_ACCEPT if adaptation == "low_rank" else None)
    if random_seed is None:
        random_seed = int(np.random.SeedSequence().generate_state(1)[0])
    if not isinstance(retry, int | np.integer) or isinstance(retry, bool) or retry < 0:
        raise OptionError(f"retry must be an integer >= 0 (refits allowed), got {retry!r}.")
    settings = FitSettings(
        law=spec.law.name, law_options=dict(spec.law.options), likelihood=spec.likelihood.name,
        columns=dict(obs.columns), y_column=obs.y_column, extra_columns=dict(extra or {}),
        sampler=sampler, draws=int(draws), tune=int(tune), chains=int(chains),
        random_seed=int(random_seed), target_accept=target_accept, adaptation=adaptation,
        allow_few_runs=bool(allow_few_runs), retry=int(retry), init=init,
        stuck_chains=stuck_chains, bayeslaws_version=versions().get("bayeslaws", "unknown"),
        versions=versions())
    values = from_data(spec.law, obs, "starting values", data_values, spec, obs)
    result = _sample(spec, obs, values, settings, progressbar)
    while result.settings.retry > len(result.settings.attempts) and _needs_retry(result):
        record = {**{k: getattr(result.settings, k) for k in RETRIED},
                  "problems": list(result.diagnostics().problems)}
        result = _sample(spec, obs, values, result.settings.replace(
            **_safer(result), attempts=[*result.settings.attempts, record]), progressbar)
    if predictive:
        result.trace = with_predictive_groups(result.trace, spec, obs,
                                              result.settings.random_seed)
    diagnostics.report(result.diagnostics(), strict=strict, stacklevel=3)
    return result


def _sample(spec: ModelSpec, obs, values, settings: FitSettings, progressbar: bool) -> Fit:
    raw, seconds = sampling.run_nuts(
        spec, values, sampler=settings.sampler, draws=settings.draws, tune=settings.tune,
        chains=settings.chains, random_seed=settings.random_seed, progressbar=progressbar,
        target_accept=settings.target_accept, adaptation=settings.adaptation,
        init=settings.init)
    trace, drop = assemble(raw, spec, obs), {}
    if settings.stuck_chains == "drop":
        trace, record = chain_mod.drop_stuck(trace)
        drop = dataclasses.asdict(record) if record.weights else {}
    return Fit(trace, spec, settings.replace(sampling_seconds=seconds, chain_drop=drop))


def _needs_retry(fit: Fit) -> bool:
    diag = fit.diagnostics()
    return bool(diag.divergences or diag.stuck_chains or diag.max_rhat > diagnostics.RHAT_MAX
                or min(diag.min_ess_bulk, float(diag.table["ess_tail"].min()))
                < diagnostics.ESS_MIN)


def _safer(fit: Fit) -> dict:
    """The next attempt's settings, as the warnings advise.

    The first time only the effective sample size was short or the chains had not yet mixed
    (R-hat up to ``diagnostics.MILD_RHAT``, no divergence, no stuck chain), also after an
    attempt with safer NUTS: twice the draws, the same seed. When that did not suffice: safer
    NUTS (twice the tuning, at least 2,000 steps, a higher ``target_accept``, nutpie's
    diagonal adaptation), the same seed. After divergences, a stuck chain or a higher R-hat:
    safer NUTS with a new seed. On the reliability benchmark (``benchmarks/README.md``) the
    first step met the goal for 55 of 101 mildly failing real fits (a new seed with twice the
    draws for 42: it put a chain in a worse mode in 12), ``retry=2`` for 70 of them, for 28
    of 38 m2/m3/chinchilla fits with divergences or R-hat > 1.05 (12 when the second step
    was safer NUTS again) and for 8 of 43 such bnsl1 fits (0 of 8 bnsl2).
    """
    diag, cfg = fit.diagnostics(), fit.settings
    drew_more = any(a["draws"] < cfg.draws for a in cfg.attempts)
    if diag.not_yet_mixed and not drew_more:
        return {"draws": 2 * cfg.draws}
    accept = cfg.target_accept or 0.8
    return {"random_seed": cfg.random_seed + (0 if diag.not_yet_mixed else 1),
            "tune": max(2 * cfg.tune, 2000), "target_accept": 0.95 if accept < 0.95 else 0.99,
            "adaptation": "diag" if cfg.sampler == "nutpie" else None}
