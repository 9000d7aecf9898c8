"""Sampler and model health after every fit: divergences, R-hat, effective sample size, stuck
chains, influential runs.

Thresholds follow current practice (Vehtari et al. 2021): R-hat <= 1.01 and bulk/tail ESS >= 400
across all chains. A chain is *stuck* when its mean log density lies far below the best chain's
(:data:`STUCK_GAP`): it sits in a worse mode that the other chains never visit. PSIS-LOO is
computed once per fit: a run with Pareto k > 0.7 (:data:`PARETO_K_MAX`) is influential (the
posterior changes a lot without it), and an effective number of parameters ``p_loo`` above
twice the law's (:data:`P_LOO_RATIO`) says the law misses the data or some runs are outliers.
Each problem becomes a :class:`~bayeslaws.exceptions.SamplerWarning` that says what to do, or
a :class:`~bayeslaws.exceptions.SamplerError` with ``strict=True``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from bayeslaws.exceptions import SamplerError, SamplerWarning

RHAT_MAX = 1.01
#: R-hat up to this, with no divergence and no stuck chain, is "not yet mixed": more draws fixed
#: 12 of 15 such fits in benchmarks/defaults.py (results/defaults/draws2000_decide), and 0 of
#: the 29 failing fits with higher R-hat, divergences or a stuck chain. On all 101 such real
#: fits of the session-7 defaults twice the draws with the same seed fixed 55
#: (results/defaults/mild_draws2000_after7; 42 with a new seed, mild_retry_after7), and safer
#: NUTS after it 20 of the other 46 (mild_safer_after_draws2000); retry=2, both steps as
#: ``fitting._safer`` takes them, 70 of 101 (mild_retry2_after7).
MILD_RHAT = 1.05
#: What ``retry=2`` achieved on the failures with divergences, R-hat above MILD_RHAT or a stuck
#: chain (benchmarks/results/defaults/severe_*_retry2*_after7).
SEVERE_FIXED = ("on the reliability benchmark retry=2 fixed 28 of 38 such m2/m3/chinchilla "
                "fits, but only 8 of 51 bnsl ones")
#: What the mild R-hat warning says its advice achieved (measured, see MILD_RHAT).
MILD_FIXED = ("on the reliability benchmark more draws fixed 55 of 101 such fits, and "
              "retry=2, which adds safer NUTS where that is not enough, 70 of 101")
#: Where a retried fit's earlier attempts are recorded (named by every retry message).
ATTEMPTS_HINT = "fit.settings.attempts lists each earlier attempt's settings and problems"
ESS_MIN = 400
#: A chain whose mean log density is this many times the typical within-chain sd (and at least
#: 3 units) below the best chain's is stuck in a worse mode.
STUCK_GAP = 2.0
#: A stuck chain whose stacking weight (:mod:`bayeslaws.chains`) is below this adds nothing to
#: the predictive distribution (it moves the mixture's log score by less than 1%).
STACKING_WEIGHT_MAX = 0.01
PARETO_K_MAX = 0.7
#: p_loo above this multiple of the number of parameters (and 3 more) is flagged.
P_LOO_RATIO = 2.0


@dataclass
class Diagnostics:
    """Convergence diagnostics of a fit.

    Attributes
    ----------
    divergences : int
        Divergent transitions after tuning, all chains together.
    table : DataFrame
        Per parameter: ``r_hat``, ``ess_bulk``, ``ess_tail``.
    problems : list of str
        One sentence per problem, each saying what to do (empty when healthy).
    """

    divergences: int
    draws: int
    table: pd.DataFrame
    problems: list[str] = field(default_factory=list)
    #: Mean log density of each chain, and the chains stuck in a worse mode (0-based).
    chain_logp: list[float] = field(default_factory=list)
    stuck_chains: list[int] = field(default_factory=list)
    #: The fit's record of its chains as sampled (``FitSettings.chain_drop``, see
    #: :mod:`bayeslaws.chains`): ``weights`` (stacking), ``dropped``, ``log_density``. These
    #: number the chains as sampled; ``chain_logp`` and ``stuck_chains`` the chains kept.
    chain_drop: dict = field(default_factory=dict)
    #: What the fit did that a user should know but that is not a problem of the posterior it
    #: kept (a dropped chain); warned like the problems, never an error with ``strict``.
    notes: list[str] = field(default_factory=list)
    #: PSIS-LOO: largest Pareto k, effective number of parameters, runs with k > 0.7.
    max_pareto_k: float = float("nan")
    p_loo: float = float("nan")
    n_parameters: int = 0
    influential: list[str] = field(default_factory=list)
    #: The PSIS-LOO result these come from (ArviZ's ``ELPDData``, pointwise), computed once at
    #: fit time and reused by ``Fit.loo``, ``compare`` and the report; ``None`` without one.
    loo: Any = field(default=None, repr=False, compare=False)

    @property
    def max_rhat(self) -> float:
        return float(self.table["r_hat"].max())

    @property
    def not_yet_mixed(self) -> bool:
        """Nothing worse than chains that have not yet mixed: no divergence, no stuck chain,
        R-hat at most :data:`MILD_RHAT` (the case more draws fix)."""
        return not (self.divergences or self.stuck_chains or self.max_rhat > MILD_RHAT)

    @property
    def min_ess_bulk(self) -> float:
        return float(self.table["ess_bulk"].min())

    @property
    def dropped_chains(self) -> list[int]:
        return [int(c) for c in self.chain_drop.get("dropped", [])]

    @property
    def chain_weights(self) -> list[float]:
        return [float(w) for w in self.chain_drop.get("weights", [])]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"divergences": self.divergences, "max_rhat": self.max_rhat,
                "min_ess_bulk": self.min_ess_bulk,
                "min_ess_tail": float(self.table["ess_tail"].min()),
                "stuck_chains": list(self.stuck_chains),
                "dropped_chains": list(self.dropped_chains), "max_pareto_k": self.max_pareto_k,
                "p_loo": self.p_loo, "influential": list(self.influential),
                "problems": list(self.problems)}


def chain_log_density(trace: xr.DataTree) -> np.ndarray:
    """Draws of the log density per chain, ``(chains, draws)`` (empty if not recorded)."""
    stats = trace["sample_stats"] if "sample_stats" in trace.children else {}
    for name in ("logp", "lp"):
        if name in stats:
            return np.asarray(stats[name].values, dtype=float)
    return np.empty((0, 0))


def stuck_chains(logp: np.ndarray) -> list[int]:
    """Chains whose mean log density is far below the best chain's (see :data:`STUCK_GAP`)."""
    if logp.shape[0] < 2 or logp.shape[1] < 2:
        return []
    means = logp.mean(axis=1)
    gap = max(3.0, STUCK_GAP * float(np.median(logp.std(axis=1))))
    return [int(c) for c in np.flatnonzero(means < means.max() - gap)]


def psis_loo(trace: xr.DataTree):
    """``arviz.loo`` of the stored log-likelihood, its own warnings silenced (bayeslaws words
    them), or ``None`` when the trace has no log-likelihood or too few draws for it."""
    if "log_likelihood" not in trace.children:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return az.loo(trace, pointwise=True)
        except (ValueError, IndexError):  # too few draws for Pareto smoothing
            return None


def compute(trace: xr.DataTree, names, target_accept: float | None = None,
            adaptation: str | None = None, n_parameters: int | None = None,
            describe: Callable[[int], str] | None = None,
            chain_drop: dict | None = None, retried: int = 0) -> Diagnostics:
    """Diagnostics of the posterior variables ``names`` in ``trace``.

    ``target_accept`` is the one the fit used (``None``: the sampler's 0.8); the advice on
    divergences names a higher one, and nutpie's diagonal adaptation when the fit used the
    low-rank one (``adaptation``). ``n_parameters`` (default: ``len(names)``) is what p_loo is
    compared with; ``describe(i)`` names run ``i`` in the influential-run warning;
    ``chain_drop`` is the fit's record of stuck chains weighed and dropped
    (``FitSettings.chain_drop``). ``retried``: how many automatic refits (``retry=``) the fit
    already made; the advice then no longer suggests ``retry=1``.
    """
    names = list(names)
    post = trace["posterior"].to_dataset()[names]
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    multi = chains > 1
    rhat = az.rhat(post) if multi else None
    bulk, tail = az.ess(post, method="bulk"), az.ess(post, method="tail")
    table = pd.DataFrame.from_dict({name: {
        "r_hat": float(np.max(rhat[name])) if multi else np.nan,
        "ess_bulk": float(np.min(bulk[name])), "ess_tail": float(np.min(tail[name])),
    } for name in names}, orient="index")
    stats = trace["sample_stats"] if "sample_stats" in trace.children else {}
    divergences = int(stats["diverging"].sum()) if "diverging" in stats else 0
    diag = Diagnostics(divergences=divergences, draws=chains * draws, table=table,
                       n_parameters=len(names) if n_parameters is None else int(n_parameters))
    logp = chain_log_density(trace)
    if logp.size:
        diag.chain_logp = [float(v) for v in logp.mean(axis=1)]
        diag.stuck_chains = stuck_chains(logp)
    diag.chain_drop = dict(chain_drop or {})
    loo = psis_loo(trace)
    if loo is not None:
        k = np.asarray(loo.pareto_k).ravel()
        diag.loo = loo
        diag.max_pareto_k, diag.p_loo = float(np.nanmax(k)), float(loo.p)
        describe = describe or (lambda i: f"run {i}")
        diag.influential = [describe(int(i)) for i in np.flatnonzero(k > PARETO_K_MAX)]
    diag.problems = _problems(diag, multi, target_accept, adaptation, retried)
    if diag.dropped_chains:
        diag.notes.append(_dropped_note(diag))
    return diag


def _dropped_note(diag: Diagnostics) -> str:
    logp = diag.chain_drop["log_density"]
    kept = [v for c, v in enumerate(logp) if c not in diag.dropped_chains]
    dropped = ", ".join(f"{logp[c]:.1f}" for c in diag.dropped_chains)
    weights = ", ".join(f"{diag.chain_weights[c]:.3f}" for c in diag.dropped_chains)
    return (f"Chain(s) {diag.dropped_chains} of {len(logp)} were stuck in a worse mode (mean log "
            f"density {dropped} against {min(kept):.1f}-{max(kept):.1f}) and stacking the chains "
            f"gives them weight {weights} (Yao et al. 2022): they were dropped, and the "
            f"posterior holds the other {len(kept)} chains, renumbered from 0 "
            "(fit.settings.chain_drop). Refit with stuck_chains='keep' (the default) to keep "
            "every chain.")


def _problems(diag: Diagnostics, multi_chain: bool, target_accept: float | None = None,
              adaptation: str | None = None, retried: int = 0) -> list[str]:
    out = []
    if diag.divergences:
        higher = 0.95 if target_accept is None or target_accept < 0.95 else 0.99
        # on curved ridges the low-rank estimate diverged where the diagonal one did not
        # (benchmarks/adaptation.py)
        diag_too = " and adaptation='diag'" if adaptation == "low_rank" else ""
        out.append(
            f"{diag.divergences} divergent transitions out of {diag.draws} draws: parts of the "
            "posterior were not explored and intervals may be wrong. Check that priors suit the "
            "data (fit.summary()), try likelihood='studentt' if some runs are outliers, or "
            f"refit with target_accept={higher}{diag_too}.")
    if multi_chain:
        bad = diag.table.index[diag.table["r_hat"] > RHAT_MAX].tolist()
        if bad:
            worst = diag.table.loc[bad, "r_hat"].max()
            safer = "target_accept=0.95, tune=2000" + (
                ", adaptation='diag'" if adaptation == "low_rank" else "")
            mild = diag.not_yet_mixed
            head = f"R-hat up to {worst:.3f} > {RHAT_MAX} for {bad}: "
            if retried == 1 and mild:
                out.append(
                    head + f"the chains do not yet agree after 1 automatic refit "
                    f"({ATTEMPTS_HINT}). Refit with retry=2, which then tries safer NUTS, or "
                    f"with {safer} ({MILD_FIXED}).")
            elif retried:
                out.append(
                    head + f"the chains still disagree after {retried} automatic refit(s) "
                    f"({ATTEMPTS_HINT}): the posterior is probably multimodal or a ridge. "
                    "Tighten the priors of those parameters, compare the law with simpler ones "
                    "(bayeslaws.compare), or refit with more chains (chains=8) to see how many "
                    "modes there are.")
            elif mild:
                out.append(
                    head + "the chains do not yet agree (no divergence, no stuck chain). "
                    "Refit with more draws (draws=2000, the same seed), or with retry=1, "
                    f"which does that; if it persists, with {safer} ({MILD_FIXED}).")
            else:
                out.append(
                    head + f"the chains disagree. Refit with retry=2, or with {safer} (more "
                    f"draws alone rarely help; {SEVERE_FIXED}); if it persists the posterior "
                    "may be multimodal -- tighten the priors of those parameters.")
    if diag.stuck_chains:
        out.append(_stuck_advice(diag))
    ess = diag.table[["ess_bulk", "ess_tail"]]
    low = diag.table.index[(ess < ESS_MIN).any(axis=1)].tolist()
    if low:
        out.append(
            f"Effective sample size down to {ess.loc[low].min().min():.0f} (< {ESS_MIN}) for "
            f"{low}: interval bounds are noisy. Refit with more draws (e.g. draws=2000) or more "
            "chains.")
    if diag.influential:
        listed = "; ".join(diag.influential[:5]) + ("; ..." if len(diag.influential) > 5 else "")
        out.append(
            f"{len(diag.influential)} run(s) with Pareto k > {PARETO_K_MAX} (max "
            f"{diag.max_pareto_k:.2f}) dominate the fit: {listed}. Check them for outliers or "
            "typos, fit with likelihood='studentt' if some runs are outliers, and use "
            "bayeslaws.compare(..., reloo=True) before trusting LOO.")
    limit = max(P_LOO_RATIO * diag.n_parameters, diag.n_parameters + 3)
    if np.isfinite(diag.p_loo) and diag.p_loo > limit:
        out.append(
            f"p_loo = {diag.p_loo:.1f} is far above the {diag.n_parameters} parameters: the law "
            "misses part of the data or some runs are outliers. Plot the residuals "
            "(fit.plot()), try likelihood='studentt', or compare other law forms.")
    return out


def _stuck_advice(diag: Diagnostics) -> str:
    means = ", ".join(f"{v:.1f}" for v in diag.chain_logp)
    head = (f"Chain(s) {diag.stuck_chains} are stuck in a worse mode: their mean log density is "
            f"far below the others' (per chain: {means}), so the posterior mixes two different "
            "explanations of the data. ")
    # chain_weights are per chain as sampled; stuck_chains count the chains kept
    sampled = [c for c in range(len(diag.chain_weights)) if c not in diag.dropped_chains]
    weights = [diag.chain_weights[sampled[c]] for c in diag.stuck_chains] if sampled else []
    if not weights:  # stuck_chains='keep', or too few draws to weigh the chains
        return head + (
            "Longer tuning, another seed or init='optimised' rarely unstick it (bnsl benchmark). "
            "Its mode extrapolates differently, so the forecast intervals span both "
            "explanations (on the bnsl benchmark they covered larger runs better than without "
            "it: 90% coverage 0.81 against 0.73). For the best mode's posterior refit with "
            "stuck_chains='drop' (it drops a stuck chain that stacking the chains gives no "
            "weight; its medians were slightly more accurate there), and compare the law with "
            "simpler ones (bayeslaws.compare).")
    shown = ", ".join(f"{w:.3f}" for w in weights)
    if max(weights) < STACKING_WEIGHT_MAX:  # too few chains would be left to compare
        return head + (
            f"Stacking gives them weight {shown}, but dropping them would leave fewer than two "
            "chains: refit with more chains (e.g. chains=8).")
    return head + (
        f"Stacking the chains gives them weight {shown}: the data support that mode too, so "
        "the posterior is multimodal. Compare the law with simpler ones (bayeslaws.compare) "
        "or tighten the priors of the parameters that differ between the chains.")


def retried_note(attempts: list[dict], final: Mapping[str, Any], retry: int) -> str:
    """The note of a fit that ``retry`` refitted: how often, and which settings its posterior
    was drawn with that differ from the first attempt's (``final``: the fit's values of
    :data:`bayeslaws.settings.RETRIED`)."""
    first = attempts[0]
    changed = ", ".join(f"{k}={final[k]!r}" for k in final if first.get(k) != final[k])
    return (f"Refitted {len(attempts)} time(s) (retry={retry}) because the sampler reported "
            f"trouble; this posterior is the last attempt's ({changed or 'same settings'}); "
            f"{ATTEMPTS_HINT}.")


def report(diag: Diagnostics, *, strict: bool, stacklevel: int = 3) -> None:
    """Warn about each problem, or raise them all at once when ``strict``."""
    for note in diag.notes:
        warnings.warn(note, SamplerWarning, stacklevel=stacklevel)
    if not diag.problems:
        return
    if strict:
        raise SamplerError("Sampler problems (strict=True):\n- " + "\n- ".join(diag.problems))
    for problem in diag.problems:
        warnings.warn(problem, SamplerWarning, stacklevel=stacklevel)
