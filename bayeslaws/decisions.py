"""Decisions from a posterior: tail probabilities and scales that reach a target.

Every answer is computed per posterior draw and then summarised, so its uncertainty is that of
the fit:

- :func:`prob_below` -- probability that the loss at a scale is below a target;
- :func:`scale_for` -- the scale along one input (others fixed) at which the law's mean curve
  reaches a target, with the probability that it never does (e.g. a target below the
  irreducible loss ``E``).

Compute-optimal and inference-aware allocation are in :mod:`bayeslaws.optimal`. Roots are found
with SciPy's elementwise :func:`scipy.optimize.elementwise.find_root`, on all draws at once in
log scale.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import elementwise

from bayeslaws.checks import check_choice, check_prob
from bayeslaws.exceptions import OptionError, choices
from bayeslaws.extrapolation import data_ranges, distances, flag, warn_beyond
from bayeslaws.law import Law

Direction = Literal["auto", "below", "above"]

LOG_TOL = {"xatol": 1e-9, "xrtol": 1e-12}


def _positive_array(values: Any, name: str, example: str) -> np.ndarray:
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float)).ravel()
    except (TypeError, ValueError):
        raise OptionError(
            f"{name} must be a positive number or a list of them, e.g. {example}; got "
            f"{values!r}.") from None
    bad = ~np.isfinite(arr) | (arr <= 0)
    if arr.size == 0 or bad.any():
        shown = arr[bad][0] if bad.any() else "an empty list"
        raise OptionError(
            f"{name} must hold finite positive numbers, e.g. {example}; got {shown!r}.")
    return arr


def _check_target(fit_law: Law, target: Any) -> np.ndarray:
    try:
        arr = np.asarray(target, dtype=float)
    except (TypeError, ValueError):
        arr = np.array(np.nan)  # refused below
    if not np.all(np.isfinite(arr)):
        raise OptionError(f"target must be a finite number (a loss or accuracy); got "
                             f"{target!r}.")
    if fit_law.link == "log" and np.any(arr <= 0):
        raise OptionError(
            f"target must be > 0 for law {fit_law.name!r}, which models a positive loss; got "
            f"{target!r}.")
    return arr


def law_draws(fit, group: str | None = None) -> dict[str, np.ndarray]:
    """Posterior draws of the law's own parameters (no noise parameters), each shape ``(S,)``.

    For a grouped fit, ``group`` names the fitted group whose parameters are used.
    """
    names = [p.name for p in fit.law.parameters]
    draws = fit.draws(names)
    if not fit.is_grouped:
        if group is not None:
            raise OptionError(
                f"group={group!r} was given but this fit has no groups; leave group out.")
        return draws
    if group is None or str(group) not in fit.groups:
        raise OptionError(
            f"This is a grouped fit: pass group= one of its groups "
            f"({choices(fit.groups)}); got {group!r}.")
    return {n: draws.get(f"{n}[{group}]", draws.get(n)) for n in names}


def _to_scale(value: Any, linear: bool) -> np.ndarray:
    """An input on the scale roots are searched on: its log, or its value if linear."""
    value = np.asarray(value, dtype=float)
    return value if linear else np.log(value)


def _from_scale(value: Any, linear: bool) -> np.ndarray:
    return value if linear else np.exp(value)


def _finite_array(values: Any, name: str, example: str) -> np.ndarray:
    """As :func:`_positive_array`, for linear-scale inputs: any finite numbers."""
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float)).ravel()
    except (TypeError, ValueError):
        arr = np.array([np.nan])
    if arr.size == 0 or not np.isfinite(arr).all():
        raise OptionError(f"{name} must hold finite numbers (a linear-scale input), e.g. "
                          f"{example}; got {values!r}.")
    return arr


def _link(law: Law, value):
    return np.log(value) if law.link == "log" else np.asarray(value, dtype=float)


def _quantiles(values: np.ndarray, prob: float) -> dict[str, np.ndarray]:
    """Median and equal-tailed interval along axis 0; NaN counts as +inf (never reached)."""
    filled = np.where(np.isnan(values), np.inf, values)
    out = np.quantile(filled, [0.5, (1 - prob) / 2, (1 + prob) / 2], axis=0,
                      method="inverted_cdf")
    return {"median": out[0], "lower": out[1], "upper": out[2]}


def _summarise(values: np.ndarray, prob: float) -> dict[str, np.ndarray]:
    """Median and interval over the finite draws (NaN = no answer, counted separately)."""
    with np.errstate(all="ignore"):
        ok = np.isfinite(values).any(axis=0)
        out = np.full((3,) + values.shape[1:], np.nan)
        if ok.any():
            out[:, ok] = np.nanquantile(values[:, ok], [0.5, (1 - prob) / 2, (1 + prob) / 2],
                                        axis=0)
    return {"median": out[0], "lower": out[1], "upper": out[2]}


# -- tail probabilities --------------------------------------------------------------------
def prob_below(fit, at: Any, target: float | Sequence[float], kind: str = "predictive",
               random_seed: int | None = 0) -> pd.DataFrame:
    """Posterior probability that ``y`` at each scale is below ``target``.

    Parameters
    ----------
    fit : Fit
        A fitted law.
    at : dict or DataFrame
        Values of every law input, e.g. ``{"N": [7e10], "D": [1.4e12]}``.
    target : float or sequence of float
        One target for all rows or one per row.
    kind, random_seed :
        As in :meth:`bayeslaws.Fit.predict` (``"mean"``: parameter uncertainty only).

    Returns
    -------
    DataFrame
        The inputs, ``target`` and ``prob_below``, then the ``beyond_*`` columns (how far
        each point lies outside the fitted runs, :mod:`bayeslaws.extrapolation`; an
        ``ExtrapolationWarning`` says so once). With ``S`` draws a probability of 0 means
        "below 1/S"; ``n_draws`` is in ``table.attrs``.
    """
    target_arr = _check_target(fit.law, target)
    x, values = fit.predictive_draws(at, kind=kind, random_seed=random_seed)
    points = values.shape[1]
    if target_arr.size not in (1, points):
        raise OptionError(
            f"target has {target_arr.size} values but there are {points} prediction points; "
            "give one target or one per point.")
    target_row = np.broadcast_to(target_arr.ravel(), (points,))
    table = pd.DataFrame(x).assign(target=target_row,
                                   prob_below=np.mean(values < target_row, axis=0))
    table.attrs["n_draws"] = values.shape[0]
    return flag(table, data_ranges(fit.observations), x, "prob_below")


def format_prob(p: float, n_draws: int) -> str:
    """A probability estimated from ``n_draws`` draws, printing 0 and 1 honestly."""
    if p <= 0:
        return f"< 1/{n_draws}"
    if p >= 1:
        return f"> 1 - 1/{n_draws}"
    return f"{p:.3g}"


# -- scale reaching a target ---------------------------------------------------------------
def solve_along(law: Law, params: Mapping[str, Any], along: str, fixed: Mapping[str, Any],
                target: Any, log_bounds: tuple[Any, Any],
                direction: Direction = "auto") -> tuple[np.ndarray, np.ndarray]:
    """Log of the scale along ``along`` where the law's mean reaches ``target``, elementwise.

    ``params``, ``fixed`` values, ``target`` and the bounds broadcast together. The law is
    assumed monotone along ``along`` between the bounds. For the law's linear inputs
    (:attr:`~bayeslaws.law.Law.linear_inputs`) "log" means the value itself: the bounds and
    the returned scale of a linear ``along`` are values, and linear ``fixed`` inputs are used
    as given.

    Returns
    -------
    log_x : ndarray
        The log scale, or the value of a linear ``along`` (NaN where the target is not reached
        below the upper bound; the lower bound where it is already met there).
    status : ndarray of int
        0: root found; 1: already met at the lower bound; -1: not reached by the upper bound.
    """
    check_choice("direction", direction, ("auto", "below", "above"))
    names, others = list(params), list(fixed)
    arrays = [np.asarray(params[n], dtype=float) for n in names]
    linear = set(law.linear_inputs)
    arrays += [_to_scale(fixed[n], n in linear) for n in others]
    t = _link(law, target)
    lo, hi = (np.asarray(b, dtype=float) for b in log_bounds)
    shape = np.broadcast_shapes(*(a.shape for a in arrays), t.shape, lo.shape, hi.shape)
    arrays = [np.broadcast_to(a, shape).ravel() for a in arrays]
    t, lo, hi = (np.broadcast_to(a, shape).ravel() for a in (t, lo, hi))

    def eta(u, *args):
        p = dict(zip(names, args[:len(names)], strict=True))
        x = {n: _from_scale(v, n in linear) for n, v in zip(others, args[len(names):],
                                                             strict=True)}
        x[along] = _from_scale(u, along in linear)
        return law.evaluate(p, x)

    with np.errstate(all="ignore"):
        e_lo, e_hi = eta(lo, *arrays), eta(hi, *arrays)
    sign = (np.where(e_hi <= e_lo, 1.0, -1.0) if direction == "auto"
            else np.full(t.shape, 1.0 if direction == "below" else -1.0))
    g_lo, g_hi = sign * (e_lo - t), sign * (e_hi - t)
    log_x, status = np.full(t.shape, np.nan), np.full(t.shape, -1, dtype=int)
    met = g_lo <= 0
    log_x[met], status[met] = lo[met], 1
    todo = ~met & (g_hi <= 0)
    if todo.any():
        sub = [a[todo] for a in arrays]

        def g(u, s, tt, *args):
            return s * (eta(u, *args) - tt)

        with np.errstate(all="ignore"):
            res = elementwise.find_root(g, (lo[todo], hi[todo]),
                                        args=(sign[todo], t[todo], *sub), tolerances=LOG_TOL)
        log_x[todo] = res.x
        status[todo] = np.where(res.success, 0, -1)
        log_x[todo & (status == -1)] = np.nan
    return log_x.reshape(shape), status.reshape(shape)


@dataclass
class ScaleFor:
    """Posterior of the scale needed to reach a target (see :func:`scale_for`).

    Attributes
    ----------
    along : str
        The input that is scaled.
    target : float
        Target value of the law's mean.
    fixed : dict
        Values of the other inputs.
    draws : ndarray
        The scale per posterior draw; NaN where the target is never reached (below the upper
        search bound).
    bounds : tuple of float
        Search range of the scale.
    prob : float
        Probability of the interval in :attr:`table`.
    ranges : dict
        ``{input: (smallest, largest)}`` of the fitted runs, for the ``beyond_*`` columns.
    """

    along: str
    target: float
    fixed: dict[str, float]
    draws: np.ndarray
    bounds: tuple[float, float]
    prob: float = 0.9
    at_lower: float = 0.0
    ranges: dict = field(default_factory=dict)

    def beyond(self) -> dict[str, np.ndarray]:
        """``beyond_*`` distances (:mod:`bayeslaws.extrapolation`) of the median scale (that of
        :attr:`table`, ``inf`` when never reached) and of the fixed inputs from the fitted
        runs."""
        median = float(_quantiles(self.draws[:, None], self.prob)["median"][0])
        return distances(self.ranges, {self.along: np.array([median]),
                                       **{k: np.array([v]) for k, v in self.fixed.items()}})

    @property
    def p_never(self) -> float:
        """Posterior probability that the target is not reached within the search range."""
        return float(np.mean(np.isnan(self.draws)))

    @property
    def table(self) -> pd.DataFrame:
        """One row: median and interval (``inf`` when that quantile is never reached)."""
        q = _quantiles(self.draws[:, None], self.prob)
        row = {"along": self.along, "target": self.target, **self.fixed,
               "median": q["median"][0], "lower": q["lower"][0], "upper": q["upper"][0],
               "p_never": self.p_never}
        row.update({k: float(v[0]) for k, v in self.beyond().items()})
        return pd.DataFrame([row])

    def __repr__(self) -> str:
        q = self.table.iloc[0]
        return (f"<ScaleFor {self.along} reaching {self.target:g}: median {q['median']:.4g}, "
                f"{int(self.prob * 100)}% interval [{q['lower']:.4g}, {q['upper']:.4g}], "
                f"P(never) = {format_prob(self.p_never, self.draws.size)}>")


def scale_for(fit, target: float, along: str | None = None,
              fixed: Mapping[str, float] | None = None, prob: float = 0.9,
              bounds: tuple[float, float] | None = None,
              direction: Direction = "auto", group: str | None = None) -> ScaleFor:
    """Posterior of the scale at which the law's mean reaches ``target``: a :class:`ScaleFor`
    with the draws of the scale, ``p_never`` and a summary ``table``.

    Parameters
    ----------
    fit : Fit
        A fitted law.
    target : float
        Loss (or accuracy) to reach.
    along : str, optional
        The input to scale (default: the law's first input).
    fixed : dict, optional
        Values of every other input, e.g. ``{"D": 1e12}``.
    prob : float
        Probability of the reported interval.
    bounds : (float, float), optional
        Search range of the scale; default ``1e-6 x`` the smallest to ``1e15 x`` the largest
        observed value (a linear input, :attr:`~bayeslaws.law.Law.linear_inputs`: from 10
        data spans below the smallest to 10 above the largest value, any sign). A target not
        reached by the upper bound counts as never reached.
    direction : {"auto", "below", "above"}
        Reach means falling to the target (``"below"``, losses) or rising to it (``"above"``,
        accuracies); ``"auto"`` takes the way the curve goes in each draw.
    group : str, optional
        For a grouped fit: the fitted group whose law is used.

    The ``table`` reports how far the median scale (and the fixed inputs) lie beyond the
    fitted runs (``beyond_*`` columns, :mod:`bayeslaws.extrapolation`); an
    ``ExtrapolationWarning`` says once when they lie outside.
    """
    law = fit.law
    prob = check_prob(prob)
    along = law.inputs[0] if along is None else along
    if along not in law.inputs:
        raise OptionError(
            f"along={along!r} is not an input of law {law.name!r}; valid choices: "
            f"{choices(law.inputs)}.")
    fixed = dict(fixed or {})
    if along in fixed:
        raise OptionError(f"{along!r} is the input being scaled: remove it from fixed.")
    others = [n for n in law.inputs if n != along]
    unknown = sorted(set(fixed) - set(law.inputs))
    missing = [n for n in others if n not in fixed]
    if unknown or missing:
        raise OptionError(
            f"fixed must give a value for each other input of law {law.name!r} ({others}); "
            + (f"unknown {unknown}; " if unknown else "")
            + (f"missing {missing}; " if missing else "")
            + "e.g. fixed={" + ", ".join(f"{n!r}: 1e12" for n in others) + "}.")
    linear = set(law.linear_inputs)
    fixed = {k: float((_finite_array(v, f"fixed[{k!r}]", "-1.5") if k in linear
                       else _positive_array(v, f"fixed[{k!r}]", "1e12"))[0])
             for k, v in fixed.items()}
    target_value = float(_check_target(law, target))
    observed = fit.observations.x[along]
    if along in linear:
        span = max(float(np.ptp(observed)), 1e-12)
        lo, hi = ((observed.min() - 10 * span, observed.max() + 10 * span) if bounds is None
                  else bounds)
        lo, hi = _finite_array([lo, hi], "bounds", "(-10.0, 10.0)")
    else:
        lo, hi = (observed.min() * 1e-6, observed.max() * 1e15) if bounds is None else bounds
        lo, hi = _positive_array([lo, hi], "bounds", "(1e6, 1e15)")
    if not lo < hi:
        raise OptionError(f"bounds must be (lower, upper) with lower < upper; got {bounds!r}.")
    params = law_draws(fit, group)
    scaled = along in linear
    log_x, status = solve_along(law, params, along, fixed, target_value,
                                (_to_scale(lo, scaled), _to_scale(hi, scaled)), direction)
    result = ScaleFor(along=along, target=target_value, fixed=fixed,
                      draws=_from_scale(log_x, scaled),
                      bounds=(float(lo), float(hi)), prob=prob,
                      at_lower=float(np.mean(status == 1)), ranges=data_ranges(fit.observations))
    warn_beyond({k: np.where(np.isfinite(v), v, 0.0) for k, v in result.beyond().items()},
                "scale_for (its median scale)", linear=frozenset(f"beyond_{k}" for k in linear))
    return result
