"""Compute-optimal and inference-aware allocation of training compute, per posterior draw.

- :func:`compute_optimal` -- ``N_opt``, ``D_opt``, tokens per parameter and loss at the optimum
  for training budgets ``C`` under a FLOP model (``6 N D`` by default), in closed form for the
  laws that declare one (``Law.compute_optimum``: Chinchilla, Kaplan) and by a vectorised
  numerical optimum per draw for any other ``(N, D)`` law or FLOP model, with the exponents
  of ``N_opt ~ C^a`` and ``D_opt ~ C^b``;
- :func:`inference_optimal` -- Sardana et al. 2024 ("Beyond Chinchilla-optimal",
  arXiv:2401.00448): the ``N, D`` reaching a target loss with the least training plus inference
  FLOPs, ``6 N D + 2 N T`` for a lifetime demand of ``T`` inference tokens.

The numerical optimum brackets each minimum on a grid of ``log N`` and refines it with SciPy's
elementwise :func:`~scipy.optimize.elementwise.find_minimum`, on all draws at once; token counts
under a custom FLOP model come from :func:`~scipy.optimize.elementwise.bracket_root` and
:func:`~scipy.optimize.elementwise.find_root`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import elementwise

from bayeslaws.catalogue import laws_declaring
from bayeslaws.checks import check_choice, check_prob
from bayeslaws.decisions import (
    LOG_TOL,
    _check_target,
    _link,
    _positive_array,
    _summarise,
    law_draws,
    solve_along,
)
from bayeslaws.exceptions import OptionError
from bayeslaws.extrapolation import data_ranges, distances, warn_beyond
from bayeslaws.law import Law

Flops = Callable[[Any, Any], Any]

#: Grid points (in log N) used to bracket each optimum before refining it.
GRID_POINTS = 241


def _check_nd_law(law: Law, fixed: Mapping[str, Any] | None, what: str) -> dict[str, float]:
    if not {"N", "D"} <= set(law.inputs):
        raise OptionError(
            f"{what} needs a law with inputs N (parameters) and D (tokens); law {law.name!r} "
            f"has {list(law.inputs)}. Choose e.g. 'chinchilla' or 'kaplan'.")
    if law.link != "log":
        raise OptionError(
            f"{what} minimises a loss, but law {law.name!r} models an accuracy (identity "
            "link); fit a loss law.")
    fixed = dict(fixed or {})
    extra = [n for n in law.inputs if n not in ("N", "D")]
    missing = [n for n in extra if n not in fixed]
    if missing:
        raise OptionError(
            f"Law {law.name!r} has input(s) {missing} besides N and D: give their values with "
            f"fixed={{{', '.join(repr(n) + ': ...' for n in missing)}}}.")
    unknown = sorted(set(fixed) - set(extra))
    if unknown:
        raise OptionError(
            f"fixed names {unknown}, which are not extra inputs of law {law.name!r} "
            f"(those are {extra or 'none'}); N and D are chosen by the optimum.")
    return {k: float(_positive_array(v, f"fixed[{k!r}]", "1e9")[0]) for k, v in fixed.items()}


def _closed_form_laws() -> str:
    """The catalogue's laws that declare a closed-form optimum, for error messages."""
    try:
        return ", ".join(laws_declaring("compute_optimum")) or "none"
    except Exception:  # a broken user law file must not hide the real message
        return "the laws that declare compute_optimum"


def _log_tokens(flops: Flops | None, log_n: np.ndarray, log_c: np.ndarray) -> np.ndarray:
    """``log D`` solving ``flops(N, D) = C`` (elementwise; increasing in D assumed)."""
    if flops is None:
        return log_c - np.log(6.0) - log_n
    log_n, log_c = np.broadcast_arrays(log_n, log_c)
    shape, log_n, log_c = log_n.shape, log_n.ravel(), log_c.ravel()

    def g(v, ln, lc):
        return np.log(np.asarray(flops(np.exp(ln), np.exp(v)), dtype=float)) - lc

    guess = log_c - np.log(6.0) - log_n
    with np.errstate(all="ignore"):
        br = elementwise.bracket_root(g, guess - 1.0, guess + 1.0, args=(log_n, log_c))
        out, ok = np.full(log_n.shape, np.nan), br.success
        if ok.any():
            res = elementwise.find_root(g, (br.bracket[0][ok], br.bracket[1][ok]),
                                        args=(log_n[ok], log_c[ok]), tolerances=LOG_TOL)
            out[ok] = np.where(res.success, res.x, np.nan)
    return out.reshape(shape)


def _minimise_log_n(objective: Callable, grid: np.ndarray, args: Sequence[np.ndarray]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Minimise ``objective(u, *args)`` over ``u = log N`` per element: grid, then refine.

    ``grid`` has shape ``(..., G)`` broadcasting against ``args[i][..., None]``. Returns the
    minimiser (NaN where the minimum is at the edge of the grid or the objective is not finite)
    and a status array (0 ok, -1 edge or failure).
    """
    with np.errstate(all="ignore"):
        values = objective(grid, *(a[..., None] for a in args))
    values = np.where(np.isfinite(values), values, np.inf)
    shape = np.broadcast_shapes(values.shape[:-1], *(a.shape for a in args))
    values = np.broadcast_to(values, shape + values.shape[-1:])
    idx = np.argmin(values, axis=-1)
    best = np.take_along_axis(values, idx[..., None], axis=-1)[..., 0]
    g = np.broadcast_to(grid, shape + grid.shape[-1:])
    inner = (idx > 0) & (idx < g.shape[-1] - 1) & np.isfinite(best)
    u = np.full(shape, np.nan)
    status = np.full(shape, -1, dtype=int)
    if inner.any():
        i, rows = idx[inner], g[inner]
        take = np.arange(rows.shape[0])
        bracket = (rows[take, i - 1], rows[take, i], rows[take, i + 1])
        sub = tuple(np.broadcast_to(a, shape)[inner] for a in args)
        with np.errstate(all="ignore"):
            res = elementwise.find_minimum(objective, bracket, args=sub, tolerances=LOG_TOL)
        u[inner] = np.where(res.success, res.x, np.nan)
        status[inner] = np.where(res.success, 0, -1)
    return u, status


def optimal_allocation(law: Law, params: Mapping[str, Any], C: Any, flops: Flops | None = None,
                       fixed: Mapping[str, float] | None = None,
                       method: Literal["auto", "closed", "numerical"] = "auto",
                       log_n_range: tuple[float, float] | None = None) -> dict[str, np.ndarray]:
    """Compute-optimal ``log N`` and ``log D`` for parameter arrays and budgets.

    ``params`` values have shape ``(S,)`` (draws; a single parameter set is ``S = 1``) and ``C``
    shape ``(K,)``; results have shape ``(S, K)``. ``flops=None`` means ``C = 6 N D``.
    """
    fixed = _check_nd_law(law, fixed, "compute_optimal")
    check_choice("method", method, ("auto", "closed", "numerical"))
    closed = law.compute_optimum if flops is None else None
    if method == "closed" and closed is None:
        reason = (" with a custom flops function: closed forms assume C = 6 N D"
                  if flops is not None else
                  ": this law declares no closed form (compute_optimum)")
        raise OptionError(
            f"No closed form for law {law.name!r}{reason}; laws with one: "
            f"{_closed_form_laws()}. Use method='numerical' (or 'auto').")
    params = {k: np.asarray(v, dtype=float).reshape(-1)[:, None] for k, v in params.items()}
    log_c = np.log(np.asarray(C, dtype=float).reshape(-1))[None, :]
    if closed is not None and method != "numerical":
        out = closed(params, np.exp(log_c))
        shape = np.broadcast_shapes(out["log_N"].shape, log_c.shape)
        log_n, log_d = (np.broadcast_to(out[key], shape) for key in ("log_N", "log_D"))
        status = np.zeros(shape, dtype=int)
    else:
        names = list(params)

        def objective(u, lc, *args):
            x = {"N": np.exp(u), "D": np.exp(_log_tokens(flops, u, lc)), **fixed}
            return law.evaluate(dict(zip(names, args, strict=True)), x)

        grid = (log_c[..., None] * np.linspace(0.0, 1.0, GRID_POINTS) if log_n_range is None
                else np.linspace(*log_n_range, GRID_POINTS))  # default: log N from 0 to log C
        shape = np.broadcast_shapes(log_c.shape, *(a.shape for a in params.values()))
        args = [np.broadcast_to(a, shape) for a in (log_c, *(params[n] for n in names))]
        log_n, status = _minimise_log_n(objective, grid, args)
        log_d = _log_tokens(flops, log_n, np.broadcast_to(log_c, shape))
    x = {"N": np.exp(log_n), "D": np.exp(log_d), **fixed}
    with np.errstate(all="ignore"):
        loss = law.mean(params, x)
    return {"log_N": log_n, "log_D": log_d, "loss": np.where(status == 0, loss, np.nan),
            "status": status}


def _slopes(log_c: np.ndarray, log_y: np.ndarray) -> np.ndarray:
    """Least-squares slope of ``log_y`` (S, K) against ``log_c`` (K,) per row."""
    xc = log_c - log_c.mean()
    return ((log_y - log_y.mean(axis=1, keepdims=True)) * xc).sum(axis=1) / (xc ** 2).sum()


def _table(first: dict, draws: Mapping[str, np.ndarray], keys: Sequence[str], prob: float,
           missing: str) -> pd.DataFrame:
    """``first``, then median and interval of each of ``keys`` per column of the draws, then
    (as ``missing``) the share of draws without an answer (NaN ``N``)."""
    frame = dict(first)
    for key in keys:
        q = _summarise(draws[key], prob)
        frame.update({f"{key}_{stat}": q[stat] for stat in ("median", "lower", "upper")})
    frame[missing] = np.mean(np.isnan(draws["N"]), axis=0)
    return pd.DataFrame(frame)


@dataclass
class ComputeOptimal:
    """Posterior of the compute-optimal allocation (see :func:`compute_optimal`).

    Attributes
    ----------
    C : ndarray
        Training budgets in FLOPs, shape ``(K,)``.
    draws : dict of ndarray
        ``N``, ``D``, ``tokens_per_param`` and ``loss`` per draw and budget, shape ``(S, K)``
        (NaN where no interior optimum was found), and exponents ``a``, ``b`` of shape ``(S,)``.
    method : str
        ``"closed"`` or ``"numerical"``.
    prob : float
        Probability of the intervals in the tables.
    """

    C: np.ndarray
    draws: dict[str, np.ndarray]
    method: str
    prob: float = 0.9
    law: str = ""
    notes: list[str] = field(default_factory=list)
    #: ``{input: (smallest, largest)}`` of the fitted runs, for the ``beyond_*`` columns.
    ranges: dict = field(default_factory=dict)

    def beyond(self) -> dict[str, np.ndarray]:
        """``beyond_N``, ``beyond_D`` (and their ``_span``) of the median optimum per budget:
        how far it lies outside the fitted runs (:mod:`bayeslaws.extrapolation`)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # budgets without any optimum
            medians = {k: np.nanmedian(self.draws[k], axis=0) for k in ("N", "D")}
        return distances(self.ranges, medians)

    @property
    def table(self) -> pd.DataFrame:
        """Per budget: median and interval of N_opt, D_opt, tokens per parameter and loss,
        ``p_no_optimum`` and the ``beyond_*`` columns of the median N_opt and D_opt."""
        table = _table({"C": self.C}, self.draws, ("N", "D", "tokens_per_param", "loss"),
                       self.prob, "p_no_optimum")
        return table.assign(**self.beyond())

    @property
    def exponents(self) -> pd.DataFrame:
        """Exponents ``a`` (N_opt ~ C^a) and ``b`` (D_opt ~ C^b): mean, sd, median, interval."""
        rows = {}
        for key in ("a", "b"):
            v = self.draws[key][np.isfinite(self.draws[key])]
            q_lo, q_hi = (1 - self.prob) / 2, (1 + self.prob) / 2
            rows[key] = {"mean": v.mean(), "sd": v.std(ddof=1) if v.size > 1 else 0.0,
                         "median": np.median(v), "lower": np.quantile(v, q_lo),
                         "upper": np.quantile(v, q_hi)}
        return pd.DataFrame.from_dict(rows, orient="index")

    def __repr__(self) -> str:
        e = self.exponents
        return (f"<ComputeOptimal law={self.law!r} method={self.method!r} budgets={len(self.C)} "
                f"a={e.loc['a', 'median']:.3f} b={e.loc['b', 'median']:.3f}>")


def compute_optimal(fit, C: Any, flops: Flops | None = None, prob: float = 0.9,
                    fixed: Mapping[str, float] | None = None,
                    method: Literal["auto", "closed", "numerical"] = "auto",
                    group: str | None = None) -> ComputeOptimal:
    """Posterior of the loss-minimising ``N`` and ``D`` for each training budget ``C``.

    Parameters
    ----------
    fit : Fit
        A fit of a loss law with inputs ``N`` and ``D``.
    C : float or sequence of float
        Training budgets in FLOPs, e.g. ``[1e21, 1e23, 1e25]``.
    flops : callable, optional
        ``flops(N, D)``, vectorised and increasing in ``D``; default ``6 N D``.
    prob : float
        Probability of the intervals.
    fixed : dict, optional
        Values of the law's inputs other than ``N`` and ``D``.
    method : {"auto", "closed", "numerical"}
        ``"auto"`` uses the closed form when the law declares one under ``6 N D``
        (``Law.compute_optimum``: Chinchilla, Kaplan), otherwise a numerical optimum per
        draw: a grid over ``log N`` in ``[0, log C]`` brackets the minimum, which SciPy's
        ``find_minimum`` then refines.
    group : str, optional
        For a hierarchical fit: the fitted group whose law is used.

    Returns
    -------
    ComputeOptimal
        ``table`` per budget, ``exponents`` (``a``, ``b`` of ``N_opt ~ C^a``,
        ``D_opt ~ C^b``: per-draw least-squares slopes over the budgets, and over
        ``C/sqrt(10), C, C*sqrt(10)`` when one budget is given) and the per-draw ``draws``.
        The table's ``beyond_N``/``beyond_D`` columns say how far the median optimum lies
        outside the fitted runs (:mod:`bayeslaws.extrapolation`); an ``ExtrapolationWarning``
        says once when it does.
    """
    prob = check_prob(prob)
    budgets = np.sort(_positive_array(C, "C", "[1e21, 1e23]"))
    if flops is not None and not callable(flops):
        raise OptionError(
            f"flops must be a function flops(N, D) -> FLOPs, e.g. lambda N, D: 6 * N * D; got "
            f"{flops!r}.")
    law = fit.law
    params = law_draws(fit, group)
    use_closed = method != "numerical" and flops is None and law.compute_optimum is not None
    out = optimal_allocation(law, params, budgets, flops=flops, fixed=fixed, method=method)
    slope_c = budgets if budgets.size > 1 else budgets[0] * np.array([10 ** -0.5, 1, 10 ** 0.5])
    slope_out = out if budgets.size > 1 else optimal_allocation(
        law, params, slope_c, flops=flops, fixed=fixed, method=method)
    log_sc = np.log(slope_c)
    with np.errstate(all="ignore"):
        a = _slopes(log_sc, slope_out["log_N"])
        b = _slopes(log_sc, slope_out["log_D"])
    ok = out["status"] == 0
    n_opt, d_opt = (np.where(ok, np.exp(out[key]), np.nan) for key in ("log_N", "log_D"))
    draws = {"N": n_opt, "D": d_opt, "tokens_per_param": d_opt / n_opt, "loss": out["loss"],
             "a": a, "b": b}
    failed = float(np.mean(~ok))
    notes = [f"{failed:.1%} of draw-budget pairs have no interior optimum with N in [1, C]; "
             "their values are left out of the intervals (see p_no_optimum)."] if failed else []
    result = ComputeOptimal(C=budgets, draws=draws,
                            method="closed" if use_closed else "numerical", prob=prob,
                            law=law.name, notes=notes, ranges=data_ranges(fit.observations))
    warn_beyond({k: np.where(np.isfinite(v), v, 0.0) for k, v in result.beyond().items()},
                "compute_optimal (its median N_opt, D_opt)")
    return result


# -- inference-aware allocation ------------------------------------------------------------
def _log_tokens_needed(law: Law, params: Mapping[str, np.ndarray], log_n: np.ndarray,
                       t_link: float, fixed: Mapping[str, float],
                       log_d_bounds: tuple[float, float]) -> np.ndarray:
    """``log D`` at which the law's mean reaches the target at ``N = exp(log_n)`` (NaN: never):
    the law's closed form (``Law.tokens_for_target``) where it declares one, else a root."""
    target = np.exp(t_link) if law.link == "log" else t_link
    if law.tokens_for_target is not None:
        return law.tokens_for_target(params, log_n, target, fixed)
    log_d, _ = solve_along(law, params, "D", {"N": np.exp(log_n), **fixed}, target,
                           log_d_bounds, direction="below")
    return log_d


@dataclass
class InferenceOptimal:
    """Posterior of the inference-aware allocation (see :func:`inference_optimal`)."""

    target: float
    inference_tokens: np.ndarray
    draws: dict[str, np.ndarray]
    prob: float = 0.9
    notes: list[str] = field(default_factory=list)

    @property
    def p_unreachable(self) -> float:
        """Posterior probability that no (N, D) in the search range reaches the target."""
        return float(np.mean(np.isnan(self.draws["N"][:, 0])))

    @property
    def table(self) -> pd.DataFrame:
        """Per inference demand: N, D, tokens per parameter, training and total FLOPs, and the
        ratio of the total cost of the Chinchilla-optimal (training-only) choice to it."""
        keys = ("N", "D", "tokens_per_param", "train_flops", "total_flops", "cost_ratio")
        return _table({"inference_tokens": self.inference_tokens}, self.draws, keys, self.prob,
                      "p_unreachable")


def inference_optimal(fit, target: float, inference_tokens: Any, prob: float = 0.9,
                      fixed: Mapping[str, float] | None = None,
                      n_bounds: tuple[float, float] | None = None,
                      group: str | None = None) -> InferenceOptimal:
    """Cheapest ``N, D`` reaching a target loss, counting inference (Sardana et al. 2024).

    Minimises ``6 N D + 2 N T`` over ``N`` subject to ``L(N, D) = target``, per posterior draw,
    for each lifetime inference demand ``T`` (tokens). ``T = 0`` is the Chinchilla-optimal
    model for that loss.

    Parameters
    ----------
    fit, prob, fixed, group :
        As in :func:`compute_optimal`.
    target : float
        Loss to reach.
    inference_tokens : float or sequence of float
        Lifetime inference demand(s) in tokens (``>= 0``).
    n_bounds : (float, float), optional
        Search range of ``N`` (default ``1e-3 x`` the smallest to ``1e6 x`` the largest
        observed N); tokens are searched up to ``1e9 x`` the largest observed D.

    Returns
    -------
    InferenceOptimal
        ``table`` per demand with ``cost_ratio`` = total cost of the training-only optimum
        divided by the inference-aware optimum's (>= 1), ``p_unreachable`` and ``draws``.
    """
    law = fit.law
    fixed = _check_nd_law(law, fixed, "inference_optimal")
    prob = check_prob(prob)
    target = float(_check_target(law, target))
    try:
        demand = np.atleast_1d(np.asarray(inference_tokens, dtype=float)).ravel()
    except (TypeError, ValueError):
        demand = np.array([np.nan])
    if demand.size == 0 or not np.all(np.isfinite(demand)) or np.any(demand < 0):
        raise OptionError(
            f"inference_tokens must be numbers >= 0 (lifetime tokens served), e.g. 1e12; got "
            f"{inference_tokens!r}.")
    obs = fit.observations.x
    lo_n, hi_n = ((obs["N"].min() * 1e-3, obs["N"].max() * 1e6) if n_bounds is None
                  else n_bounds)
    lo_n, hi_n = _positive_array([lo_n, hi_n], "n_bounds", "(1e6, 1e15)")
    d_bounds = (np.log(obs["D"].min() * 1e-6), np.log(obs["D"].max() * 1e9))
    params = {k: v[:, None] for k, v in law_draws(fit, group).items()}
    names = list(params)
    t_link = float(_link(law, target))
    demands = np.concatenate([[0.0], demand])[None, :]

    def cost(u, tok, *args):
        p = dict(zip(names, args, strict=True))
        log_d = _log_tokens_needed(law, p, u, t_link, fixed, d_bounds)
        total = 6.0 * np.exp(u + log_d) + 2.0 * np.exp(u) * tok
        return np.log(np.where(np.isfinite(log_d), total, np.inf))

    shape = (next(iter(params.values())).shape[0], demands.shape[1])
    args = [np.broadcast_to(a, shape) for a in (demands, *(params[n] for n in names))]
    grid = np.linspace(np.log(lo_n), np.log(hi_n), GRID_POINTS)
    log_n, status = _minimise_log_n(cost, grid, args)
    p_full = {n: np.broadcast_to(params[n], shape) for n in names}
    log_d = _log_tokens_needed(law, p_full, log_n, t_link, fixed, d_bounds)
    n_opt, d_opt = np.exp(log_n), np.exp(log_d)
    train = 6.0 * n_opt * d_opt
    total = train + 2.0 * n_opt * demands
    # The training-only optimum (column 0) serving the same demand:
    naive = train[:, :1] + 2.0 * n_opt[:, :1] * demands
    draws = {"N": n_opt[:, 1:], "D": d_opt[:, 1:], "tokens_per_param": (d_opt / n_opt)[:, 1:],
             "train_flops": train[:, 1:], "total_flops": total[:, 1:],
             "cost_ratio": (naive / total)[:, 1:]}
    edge = float(np.mean(status == -1))
    notes = [f"{edge:.1%} of draws have no optimum with N in [{lo_n:.3g}, {hi_n:.3g}]: the "
             "target is below the loss floor in those draws or needs N outside the range "
             "(n_bounds)."] if edge else []
    return InferenceOptimal(target=target, inference_tokens=demand, draws=draws, prob=prob,
                            notes=notes)

