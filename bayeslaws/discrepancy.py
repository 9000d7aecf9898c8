"""Model discrepancy beyond the data: intervals that widen with the distance from the fitted
runs in proportion to how the law has extrapolated *within* them.

A law whose form is slightly wrong (a bend the formula lacks) fits the runs well and still
extrapolates with confidence: its posterior knows nothing of its own misspecification. The
discrepancy term adds to a forecast's ``log y`` a deviation

    delta(x) ~ Normal(0, (tau * d(x))^2),

where ``d(x)`` is the distance in decades of scale beyond the fitted runs (0 inside them) and
``tau`` (log y per decade) is learned from the data by leave-future-out *inside* the fitted
runs (:func:`learn_tau`): the law is refitted on the smaller runs at a few cut points, its
forecasts of the larger fitted runs are compared with what they measured, and ``tau`` is the
scale of the forecast errors beyond what the refits' own predictive intervals allow,
``r_i ~ Normal(0, s_i^2 + tau^2 d_i^2)``, with a HalfNormal(0.1) prior and its posterior
computed on a grid (:func:`tau_posterior`; forecasts mix over it). A law that extrapolates
well within the data gets ``tau`` near 0 and unchanged intervals; one that bends away gets
intervals growing linearly in the log-distance.

:func:`with_discrepancy` wraps a fit into a :class:`Discrepant` forecaster with the same
``predict``, ``predictive_draws`` and ``log_density`` (the mixture over ``delta``), so it
plugs into :func:`bayeslaws.backtest` (``discrepancy=True``). Both ``kind="predictive"`` and
``kind="mean"`` include the discrepancy: beyond the data the law's curve itself is uncertain.
Only laws on a log link (positive y: losses) are supported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from bayeslaws.calibration import draw_intervals
from bayeslaws.checks import check_prob
from bayeslaws.data import prediction_frame
from bayeslaws.exceptions import DataError, OptionError
from bayeslaws.extrapolation import data_ranges, flag
from bayeslaws.lfo import refit
from bayeslaws.result import Fit

#: Cut points of :func:`forecast_errors`: refit on the runs below these quantiles of log
#: scale (later cuts see the law's misfit nearest the largest runs, where forecasts start).
CUTS = (0.6, 0.7, 0.8, 0.9)
#: Upper bound of ``tau`` searched (log y per decade of scale).
TAU_MAX = 2.0
#: Scale of the HalfNormal prior of ``tau`` (log y per decade: 0.1 is 10% per decade).
TAU_PRIOR = 0.1
#: Replicates of ``delta`` in :meth:`Discrepant.log_density` (Monte Carlo of the mixture).
REPLICATES = 32


def log10_scale(fit: Fit, frame: pd.DataFrame | Mapping[str, Any]) -> np.ndarray:
    """``log10`` of the scale of each row: the product of the law's inputs (as ``N * D``)."""
    frame = prediction_frame(frame, fit.group_columns)
    total = np.zeros(len(frame))
    for name, column in fit.settings.columns.items():
        key = name if name in frame.columns else column
        total = total + np.log10(np.asarray(frame[key], dtype=float))
    return total


def distance(fit: Fit, frame: Any, reference: np.ndarray | None = None) -> np.ndarray:
    """Decades of scale each row lies outside the fitted runs' scales (0 inside)."""
    ref = log10_scale(fit, fit.data()) if reference is None else reference
    s = log10_scale(fit, frame)
    return np.maximum(0.0, np.maximum(s - ref.max(), ref.min() - s))


def forecast_errors(fit: Fit, cuts: Sequence[float] = CUTS, random_seed: int = 0,
                    progressbar: bool = False) -> pd.DataFrame:
    """Leave-future-out errors inside the fitted runs: per cut point, the law refitted on the
    smaller runs forecasts the larger ones. One row per (cut, forecast run): ``cut``,
    ``distance`` (decades beyond the refit's runs), ``residual`` (``log y`` minus the forecast's
    median ``log y``) and ``sd`` (half the central 68% interval of the forecast's ``log y``
    draws: their sd for normal draws, robust to heavy Student-t tails)."""
    table = fit.data()
    s = log10_scale(fit, table)
    rows = []
    for k, cut in enumerate(cuts):
        train = s <= np.quantile(s, cut)
        if train.sum() <= fit.n_parameters or train.all():
            continue
        refitted = refit(fit, table.loc[train].reset_index(drop=True),
                         random_seed=fit.settings.random_seed + 104729 * (k + 1),
                         progressbar=progressbar)
        future = table.loc[~train].reset_index(drop=True)
        at = pd.DataFrame({name: future[column].to_numpy(dtype=float)
                           for name, column in fit.settings.columns.items()})
        for column in fit.group_columns:
            at[column] = future[column].to_numpy()
        _, draws = refitted.predictive_draws(refitted.as_known_groups(at),
                                             random_seed=random_seed)
        with np.errstate(all="ignore"):
            logd = np.log(draws)
        logd = np.where(np.isfinite(logd), logd, np.nan)  # overflowing heavy-tailed draws
        low, median, high = np.nanquantile(logd, [0.1587, 0.5, 0.8413], axis=0)
        rows.append(pd.DataFrame({
            "cut": cut, "distance": s[~train] - s[train].max(),
            "residual": np.log(future[fit.settings.y_column].to_numpy(dtype=float)) - median,
            "sd": (high - low) / 2}))
    if not rows:
        raise DataError(
            f"Too few runs to learn the discrepancy: every cut point {tuple(cuts)} leaves no "
            f"more runs to refit on than the law's {fit.n_parameters} parameters (of "
            f"{len(table)} runs). Give more runs, or a tau= of your own.")
    return pd.concat(rows, ignore_index=True)


def tau_posterior(errors: pd.DataFrame, prior_scale: float = TAU_PRIOR,
                  grid: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Posterior of ``tau`` on a grid: ``residual ~ Normal(0, sd^2 + tau^2 distance^2)`` with
    a HalfNormal(``prior_scale``) prior, by numerical integration over ``[0, TAU_MAX]``.
    Returns ``(grid values, probabilities)``. Few forecast errors leave ``tau`` uncertain;
    forecasts mix over this posterior, so an uncertain ``tau`` widens the tails."""
    r, s2, d2 = (errors[c].to_numpy(dtype=float) for c in ("residual", "sd", "distance"))
    ok = np.isfinite(r) & np.isfinite(s2) & np.isfinite(d2) & (s2 > 0)
    r, s2, d2 = r[ok], s2[ok] ** 2, d2[ok] ** 2
    taus = np.linspace(0.0, TAU_MAX, grid)
    var = s2[None, :] + taus[:, None] ** 2 * d2[None, :]
    log_post = -0.5 * np.sum(np.log(var) + r[None, :] ** 2 / var, axis=1)
    log_post = log_post - 0.5 * (taus / prior_scale) ** 2
    weights = np.exp(log_post - log_post.max())
    return taus, weights / weights.sum()


def learn_tau(errors: pd.DataFrame) -> float:
    """Maximum-likelihood ``tau`` of ``residual ~ Normal(0, sd^2 + tau^2 distance^2)``."""
    r, s2, d2 = (errors[c].to_numpy(dtype=float) for c in ("residual", "sd", "distance"))
    s2, d2 = s2 ** 2, d2 ** 2

    def negative_log_likelihood(tau: float) -> float:
        var = s2 + tau ** 2 * d2
        return float(0.5 * np.sum(np.log(var) + r ** 2 / var))

    best = minimize_scalar(negative_log_likelihood, bounds=(0.0, TAU_MAX), method="bounded")
    return float(best.x)


class Discrepant:
    """A fit whose forecasts include the discrepancy ``delta ~ N(0, (tau d)^2)`` on ``log y``.

    Obtain one with :func:`with_discrepancy`. ``predict``, ``predictive_draws`` and
    ``log_density`` are those of :class:`bayeslaws.Fit` with the discrepancy added.

    Attributes
    ----------
    fit : Fit
        The fit.
    tau : float
        Posterior mean of the discrepancy scale: sd of ``log y`` added per decade of scale
        beyond the fitted runs.
    taus, tau_probs : ndarray
        The posterior of ``tau`` on a grid (:func:`tau_posterior`; one point for a given
        ``tau``); forecasts draw ``tau`` from it.
    errors : DataFrame or None
        The leave-future-out errors ``tau`` was learned from (:func:`forecast_errors`).
    """

    def __init__(self, fit: Fit, taus: Any, tau_probs: Any = None,
                 errors: pd.DataFrame | None = None) -> None:
        self.fit = fit
        self.taus = np.atleast_1d(np.asarray(taus, dtype=float))
        self.tau_probs = (np.full(self.taus.size, 1.0 / self.taus.size) if tau_probs is None
                          else np.asarray(tau_probs, dtype=float))
        self.tau = float(self.taus @ self.tau_probs)
        self.errors = errors
        self.law, self.spec, self.settings = fit.law, fit.spec, fit.settings
        self.group_columns = fit.group_columns
        self.observations = fit.observations
        self._reference = log10_scale(fit, fit.data())

    def __repr__(self) -> str:
        return (f"<bayeslaws.Discrepant law={self.law.name!r} tau={self.tau:.4g} log y per "
                "decade beyond the data>")

    def _tau_draws(self, n: int, rng) -> np.ndarray:
        return rng.choice(self.taus, size=n, p=self.tau_probs)

    def _delta(self, frame: Any, size: tuple[int, int], rng) -> np.ndarray:
        d = distance(self.fit, frame, self._reference)
        tau = self._tau_draws(size[0], rng)
        return tau[:, None] * d[None, :] * rng.standard_normal(size)

    def predictive_draws(self, at: Any, kind: str = "predictive", random_seed: int | None = 0,
                         group: str | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """As :meth:`bayeslaws.Fit.predictive_draws`, times ``exp(delta)`` (both kinds)."""
        x, values = self.fit.predictive_draws(at, kind=kind, random_seed=random_seed,
                                              group=group)
        rng = np.random.default_rng(None if random_seed is None else int(random_seed) + 1)
        return x, values * np.exp(self._delta(at, values.shape, rng))

    def predict(self, at: Any, prob: float = 0.9, kind: str = "predictive",
                random_seed: int | None = 0, group: str | None = None) -> pd.DataFrame:
        """As :meth:`bayeslaws.Fit.predict` (without a finite mean under Student-t noise,
        ``mean`` is the mean of the draws' median curve), with the discrepancy."""
        prob = check_prob(prob)
        x, values = self.predictive_draws(at, kind=kind, random_seed=random_seed, group=group)
        median, intervals = draw_intervals(values, (prob,))
        table = pd.DataFrame(x).assign(mean=np.mean(values, axis=0), median=median,
                                       lower=intervals[prob][0], upper=intervals[prob][1])
        return flag(table, data_ranges(self.observations), x, "Discrepant.predict")

    def log_density(self, data: Any, y: str | None = None, random_seed: int = 0,
                    **options) -> np.ndarray:
        """Log predictive density of measured runs under the fit with the discrepancy:
        ``log mean_{s,k} p(log y_i - delta_k | theta_s)``, ``delta_k`` Monte Carlo
        (:data:`REPLICATES`); for a density of ``log y``, a shift of ``log y`` by ``-delta`` is
        a shift of the law's ``log`` curve by ``+delta``."""
        frame = prediction_frame(data, self.group_columns).copy()
        column = self.fit.settings.y_column if y is None else y
        d = distance(self.fit, frame, self._reference)
        y0 = frame[column].to_numpy(dtype=float)
        rng = np.random.default_rng(random_seed)
        parts = []
        k = REPLICATES if (d > 0).any() and self.tau > 0 else 1
        for tau, eps in zip(self._tau_draws(k, rng), rng.standard_normal(k), strict=True):
            frame[column] = y0 * np.exp(-tau * d * eps)
            values = np.asarray(self.fit.pointwise_log_likelihood(frame, y=column, **options))
            parts.append(values.reshape(-1, values.shape[-1]))
        stacked = np.concatenate(parts, axis=0)
        return np.logaddexp.reduce(stacked, axis=0) - np.log(stacked.shape[0])


def with_discrepancy(fit: Fit, tau: float | None = None, *, cuts: Sequence[float] = CUTS,
                     random_seed: int = 0, progressbar: bool = False) -> Discrepant:
    """``fit`` with a discrepancy term whose scale is learned by leave-future-out.

    Parameters
    ----------
    fit : Fit
        A fit of a law on a log link (losses).
    tau : float, optional
        The discrepancy scale (sd of ``log y`` per decade of scale beyond the fitted runs);
        default: its posterior given the fitted runs' leave-future-out errors
        (:func:`forecast_errors`, :func:`tau_posterior`), at the cost of one refit per cut
        point.
    cuts : sequence of float
        Quantiles of the runs' log scale at which the law is refitted on the smaller runs.
    random_seed : int
        Seed of the forecasts' draws.
    progressbar : bool
        Progress bars of the refits.

    Returns
    -------
    Discrepant
    """
    if not isinstance(fit, Fit):
        raise OptionError(f"with_discrepancy takes a bayeslaws Fit; got {type(fit).__name__}.")
    if fit.law.link != "log":
        raise OptionError(
            f"The discrepancy term is defined on log y, for laws on a log link (losses); law "
            f"{fit.law.name!r} has link {fit.law.link!r}.")
    if tau is None:
        errors = forecast_errors(fit, cuts, random_seed=random_seed, progressbar=progressbar)
        return Discrepant(fit, *tau_posterior(errors), errors=errors)
    if not np.isfinite(tau) or tau < 0:
        raise OptionError(f"tau must be a finite number >= 0 (log y per decade); got {tau!r}.")
    return Discrepant(fit, tau)
