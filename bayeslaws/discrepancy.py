"""Model discrepancy beyond the data: intervals that widen with the distance from the fitted
runs in proportion to how the law has extrapolated *within* them.

A law whose form is slightly wrong (a bend the formula lacks) fits the runs well and still
extrapolates with confidence: its posterior knows nothing of its own misspecification. The
discrepancy term adds to a forecast's ``log y`` a deviation

    delta(x) = c * g(x),    c ~ Normal(0, tau^2),    g = d (S + d),

where ``d(x)`` is the distance in decades of scale beyond the fitted runs (0 inside them) and
``S`` the decades the fitted runs span. ``g`` is how a straight fit over ``S`` decades of a
curve bent by ``c`` per decade squared misses at ``d`` decades beyond (the chord's slope differs
from the end's by ``c S``, and the bend adds ``c d^2``): a wider fitted range or a farther
forecast misses more. One ``c`` per forecast: the law's curve bends away as a whole, so the
deviations of points beyond the data move together.

``tau`` (log y per decade squared) is learned from the data by leave-future-out *inside* the
fitted runs (:func:`forecast_errors`): the law is refitted on the smaller runs at a few cut
points, and its forecasts of the larger fitted runs are compared with what they measured.
Per cut, the residuals share one bend, ``r = c_k g + e`` with ``e ~ N(0, s^2)`` (the refit's
own predictive sd), so ``r ~ N(0, diag(s^2) + tau^2 g g')``; with a HalfNormal(0.05) prior the
posterior of ``tau`` is computed on a grid (:func:`tau_posterior`) and forecasts mix over it.
A law that extrapolates well within the data gets ``tau`` near 0 and nearly unchanged
intervals.

This form was chosen by ``benchmarks/discrepancy_variants.py`` (straight power law fitted to a
bending curve) over growth linear in decades or in spans of the data, independent residuals,
more cut points, heavier-tailed priors and a learned drift; see benchmarks/README.md.

:func:`with_discrepancy` wraps a fit into a :class:`Discrepant` forecaster with the same
``predict``, ``predictive_draws`` and ``log_density`` (the mixture over ``delta``), so it plugs
into :func:`bayeslaws.backtest` (its default ``discrepancy="auto"``). Both
``kind="predictive"`` and ``kind="mean"`` include the discrepancy: beyond the data the law's
curve itself is uncertain. Only laws on a log link (positive y: losses) are supported.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.special import softmax

from bayeslaws.calibration import draw_intervals
from bayeslaws.checks import check_choice, check_prob
from bayeslaws.data import prediction_frame
from bayeslaws.exceptions import DataError, OptionError
from bayeslaws.extrapolation import data_ranges, flag
from bayeslaws.lfo import refit
from bayeslaws.result import Fit
from bayeslaws.trace import shifted_log_density

#: Cut points of :func:`forecast_errors`: refit on the runs below these quantiles of log
#: scale (later cuts see the law's misfit nearest the largest runs, where forecasts start).
CUTS = (0.6, 0.7, 0.8, 0.9)
#: Upper bound of ``tau`` searched (log y per decade of scale, squared).
TAU_MAX = 1.0
#: Scale of the HalfNormal prior of ``tau`` (log y per decade squared: over a 3-decade range,
#: 0.05 is a 20% sd one decade beyond, ``g = 1 * (3 + 1)``).
TAU_PRIOR = 0.05
#: Replicates of ``delta`` in :meth:`Discrepant.log_density` (Monte Carlo of the mixture).
REPLICATES = 32
#: Ways :func:`pool_tau` shares the discrepancy scale across curves.
POOLING = ("partial", "complete", "none")
#: Population scales ``s`` of :func:`pool_tau`'s partial pooling (``tau_j ~ HalfNormal(s)``).
POPULATION_SCALES = np.geomspace(0.005, 1.0, 120)
#: Sd of ``log s`` in its prior, ``log s ~ Normal(log TAU_PRIOR, POPULATION_SD)``.
POPULATION_SD = 1.0


def log10_scale(fit: Fit, frame: pd.DataFrame | Mapping[str, Any]) -> np.ndarray:
    """``log10`` of the scale of each row: the product of the law's inputs (as ``N * D``)."""
    frame = prediction_frame(frame, fit.group_columns)
    total = np.zeros(len(frame))
    for name, column in fit.settings.columns.items():
        key = name if name in frame.columns else column
        total = total + np.log10(np.asarray(frame[key], dtype=float))
    return total


def growth(distance: Any, span: Any) -> np.ndarray:
    """``g = d (S + d)``: the sd of the discrepancy per unit ``tau`` at ``d`` decades beyond
    runs spanning ``S`` decades (see the module docstring)."""
    d = np.asarray(distance, dtype=float)
    return d * (np.asarray(span, dtype=float) + d)


def distance(fit: Fit, frame: Any, reference: np.ndarray | None = None) -> np.ndarray:
    """Decades of scale each row lies outside the fitted runs' scales (0 inside)."""
    ref = log10_scale(fit, fit.data()) if reference is None else reference
    s = log10_scale(fit, frame)
    return np.maximum(0.0, np.maximum(s - ref.max(), ref.min() - s))


def forecast_errors(fit: Fit, cuts: Sequence[float] = CUTS, random_seed: int = 0,
                    progressbar: bool = False) -> pd.DataFrame:
    """Leave-future-out errors inside the fitted runs: per cut point, the law refitted on the
    smaller runs forecasts the larger ones. One row per (cut, forecast run): ``cut``,
    ``span`` (decades of scale the refit's runs cover), ``distance`` (decades beyond them),
    ``residual`` (``log y`` minus the forecast's median ``log y``) and ``sd`` (half the central
    68% interval of the forecast's ``log y`` draws: their sd for normal draws, robust to heavy
    Student-t tails)."""
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
            "cut": cut, "span": s[train].max() - s[train].min(),
            "distance": s[~train] - s[train].max(),
            "residual": np.log(future[fit.settings.y_column].to_numpy(dtype=float)) - median,
            "sd": (high - low) / 2}))
    if not rows:
        raise DataError(
            f"Too few runs to learn the discrepancy: every cut point {tuple(cuts)} leaves no "
            f"more runs to refit on than the law's {fit.n_parameters} parameters (of "
            f"{len(table)} runs). Give more runs, or a tau= of your own.")
    return pd.concat(rows, ignore_index=True)


def _clean(errors: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """``(residual, sd^2, g, cut)`` of the usable rows of :func:`forecast_errors`' table."""
    r, sd, d, span = (errors[c].to_numpy(dtype=float)
                      for c in ("residual", "sd", "distance", "span"))
    cut = errors["cut"].to_numpy(dtype=float) if "cut" in errors else np.zeros(r.size)
    g = growth(d, span)
    ok = np.isfinite(r) & np.isfinite(sd) & np.isfinite(g) & (sd > 0)
    return r[ok], sd[ok] ** 2, g[ok], cut[ok]


def log_likelihood(errors: pd.DataFrame, taus: Any) -> np.ndarray:
    """Log likelihood of each ``tau`` of ``taus`` given the forecast errors: per cut,
    ``residual ~ N(0, diag(sd^2) + tau^2 g g')`` (one bend ``c_k ~ N(0, tau^2)`` shared by the
    cut's forecasts; Sherman-Morrison for the rank-one term)."""
    r, s2, g, cut = _clean(errors)
    t2 = np.asarray(taus, dtype=float) ** 2
    total = np.zeros(t2.shape)
    for k in np.unique(cut):
        m = cut == k
        a, b = np.sum(g[m] ** 2 / s2[m]), np.sum(g[m] * r[m] / s2[m])
        quad = np.sum(r[m] ** 2 / s2[m]) - t2 * b ** 2 / (1 + t2 * a)
        total += -0.5 * (np.sum(np.log(s2[m])) + np.log1p(t2 * a) + quad)
    return total


def tau_posterior(errors: pd.DataFrame, prior_scale: float = TAU_PRIOR,
                  grid: int = 1001) -> tuple[np.ndarray, np.ndarray]:
    """Posterior of ``tau`` on a grid over ``[0, TAU_MAX]``: :func:`log_likelihood` with a
    HalfNormal(``prior_scale``) prior. Returns ``(grid values, probabilities)``. A few cuts
    leave ``tau`` uncertain; forecasts mix over this posterior, which widens the tails."""
    taus = np.linspace(0.0, TAU_MAX, grid)
    return taus, softmax(log_likelihood(errors, taus) - 0.5 * (taus / prior_scale) ** 2)


def _halfnormal_grid(taus: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """HalfNormal(s) prior of each scale ``s`` (rows) on the grid ``taus`` (columns), each row
    normalised to sum 1 over the grid (so narrow scales are not lost between grid points)."""
    logp = -0.5 * (taus[None, :] / scales[:, None]) ** 2
    p = np.exp(logp - logp.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def pool_tau(errors: Mapping[Hashable, pd.DataFrame], pooling: str = "partial",
             prior_scale: float = TAU_PRIOR, population_sd: float = POPULATION_SD,
             grid: int = 1001) -> tuple[np.ndarray, dict[Hashable, np.ndarray], dict[str, Any]]:
    """Posterior of each curve's ``tau`` given the leave-future-out errors of *every* curve of
    a study (``{curve: forecast_errors(fit)}``).

    ``pooling="none"``: each curve alone (:func:`tau_posterior`, HalfNormal(``prior_scale``)).
    ``"complete"``: one ``tau`` for all curves, ``prod_j L_j(tau)`` times that prior.
    ``"partial"`` (default): ``tau_j ~ HalfNormal(s)`` with a population scale ``s`` whose
    prior is ``log s ~ Normal(log prior_scale, population_sd)`` on
    :data:`POPULATION_SCALES`; ``p(s | all) ∝ p(s) prod_j m_j(s)`` with ``m_j(s) = sum_tau
    L_j(tau) HalfNormal(tau; s)``, and each curve's ``p(tau_j | all) = sum_s p(s | all)
    L_j(tau_j) HalfNormal(tau_j; s) / m_j(s)``. Curves whose law extrapolates well inside their
    runs pull ``s`` down and narrow each other's intervals; a curve whose law bends keeps a large
    ``tau`` through its own likelihood. Each curve's bend ``c`` stays its own.

    Returns ``(grid of tau, {curve: probabilities}, population)`` where ``population`` holds
    ``scales`` and ``probs`` (the posterior of ``s``; one point at ``prior_scale`` unless
    partial) and ``pooling``.
    """
    check_choice("pooling", pooling, POOLING)
    if not errors:
        raise DataError("pool_tau needs the forecast errors of at least one curve; got none.")
    taus = np.linspace(0.0, TAU_MAX, grid)
    loglik = {k: log_likelihood(e, taus) for k, e in errors.items()}
    if pooling != "partial":
        if pooling == "complete":
            total = sum(loglik.values())
            loglik = dict.fromkeys(loglik, total)
        prior = -0.5 * (taus / prior_scale) ** 2
        return taus, {k: softmax(ll + prior) for k, ll in loglik.items()}, {
            "pooling": pooling, "scales": np.array([prior_scale]), "probs": np.ones(1)}
    scales = POPULATION_SCALES
    prior_s = -0.5 * ((np.log(scales) - np.log(prior_scale)) / population_sd) ** 2
    hn = _halfnormal_grid(taus, scales)                     # (scales, taus)
    lik = {k: np.exp(ll - ll.max()) for k, ll in loglik.items()}
    marginal = {k: hn @ v for k, v in lik.items()}          # m_j(s), up to a constant
    log_post_s = prior_s + sum(np.log(np.maximum(m, 1e-300)) for m in marginal.values())
    post_s = softmax(log_post_s)
    post = {}
    for k, v in lik.items():
        mix = (post_s / np.maximum(marginal[k], 1e-300)) @ hn  # sum_s p(s) HN(tau; s) / m_j(s)
        w = v * mix
        post[k] = w / w.sum()
    return taus, post, {"pooling": pooling, "scales": scales, "probs": post_s}


def learn_tau(errors: pd.DataFrame) -> float:
    """Maximum-likelihood ``tau`` of :func:`log_likelihood`."""
    best = minimize_scalar(lambda tau: -float(log_likelihood(errors, tau)),
                           bounds=(0.0, TAU_MAX), method="bounded")
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
        Posterior mean of the discrepancy scale: sd of the law's bend, in ``log y`` per decade
        of scale squared (the sd added to ``log y`` is ``tau d (S + d)``, see the module
        docstring).
    span : float
        ``S``, the decades of scale the fitted runs span.
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
        self.span = float(self._reference.max() - self._reference.min())

    def __repr__(self) -> str:
        return (f"<bayeslaws.Discrepant law={self.law.name!r} tau={self.tau:.4g} log y per "
                f"decade^2 beyond runs spanning {self.span:.3g} decades>")

    def _tau_draws(self, n: int, rng) -> np.ndarray:
        return rng.choice(self.taus, size=n, p=self.tau_probs)

    def _growth(self, frame: Any) -> np.ndarray:
        return growth(distance(self.fit, frame, self._reference), self.span)

    def _delta(self, frame: Any, size: tuple[int, int], rng) -> np.ndarray:
        """One bend per draw: ``c ~ N(0, tau^2)`` times each point's ``g``."""
        bend = self._tau_draws(size[0], rng) * rng.standard_normal(size[0])
        return bend[:, None] * self._growth(frame)[None, :]

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
                    group: str | None = None) -> np.ndarray:
        """Log predictive density of measured runs under the fit with the discrepancy:
        ``log mean_{s,k} p(log y_i - delta_k | theta_s)``, ``delta_k`` Monte Carlo
        (:data:`REPLICATES`); for a density of ``log y``, a shift of ``log y`` by ``-delta`` is
        a shift of the law's ``log`` curve by ``+delta``. ``group`` as in
        :meth:`bayeslaws.Fit.pointwise_log_likelihood` (runs of a grouped fit)."""
        frame = prediction_frame(data, self.group_columns)
        column = self.fit.settings.y_column if y is None else y
        g = self._growth(frame)
        rng = np.random.default_rng(random_seed)
        k = REPLICATES if (g > 0).any() and self.tau > 0 else 1
        taus, eps = self._tau_draws(k, rng), rng.standard_normal(k)
        # the law's curve is evaluated once; each replicate shifts log y by its delta
        return shifted_log_density(
            self.spec, self.fit.observations_from(frame, column, group), self.fit.posterior,
            (taus * eps)[:, None] * g[None, :], self.observations)


#: Columns of :func:`forecast_errors`' table (an empty one for a curve with too few runs).
ERROR_COLUMNS = ("cut", "span", "distance", "residual", "sd")


class PooledDiscrepancy(Mapping):
    """Discrepant forecasters of many curves of one study, ``tau`` pooled across them.

    Obtain one with :func:`with_discrepancy` given several fits (a
    :class:`bayeslaws.FitCollection` or a dict). A mapping ``curve -> Discrepant``.

    Attributes
    ----------
    pooling : str
        ``"partial"``, ``"complete"`` or ``"none"`` (:func:`pool_tau`).
    scales, scale_probs : ndarray
        Posterior of the population scale ``s`` (``tau_j ~ HalfNormal(s)``) on a grid.
    skipped : dict
        ``{curve: reason}`` for curves too short to learn from: their ``tau`` is drawn from
        the pooled population alone.
    """

    def __init__(self, members: dict, population: Mapping[str, Any], skipped: dict) -> None:
        self.members = members
        self.pooling = str(population["pooling"])
        self.scales = np.asarray(population["scales"])
        self.scale_probs = np.asarray(population["probs"])
        self.skipped = skipped

    def __getitem__(self, curve: Hashable) -> Discrepant:
        return self.members[curve]

    def __iter__(self):
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)

    @property
    def scale(self) -> float:
        """Posterior mean of the population scale ``s``."""
        return float(self.scales @ self.scale_probs)

    def __repr__(self) -> str:
        return (f"<bayeslaws.PooledDiscrepancy {len(self)} curves, pooling={self.pooling!r}, "
                f"population scale {self.scale:.3g} log y per decade^2>")

    def summary(self) -> pd.DataFrame:
        """One row per curve: posterior mean of ``tau``, its 90% upper bound, ``span``, and the
        number of leave-future-out errors it was learned from."""
        rows = {}
        for curve, member in self.members.items():
            cdf = np.cumsum(member.tau_probs)
            rows[curve] = {"tau": member.tau,
                           "tau_90": float(member.taus[np.searchsorted(cdf, 0.9)]),
                           "span": member.span,
                           "errors": 0 if member.errors is None else len(member.errors)}
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = "curve"
        return table


def _pooled(fits: Mapping[Hashable, Fit], pooling: str, cuts: Sequence[float],
            errors: Mapping[Hashable, pd.DataFrame] | None, random_seed: int,
            progressbar: bool) -> PooledDiscrepancy:
    check_choice("pooling", pooling, POOLING)
    if not fits:
        raise OptionError("with_discrepancy got an empty collection of fits; give one or more.")
    learned, skipped = {}, {}
    for curve, fit in fits.items():
        _check_fit(fit)
        if errors is not None and curve in errors:
            learned[curve] = errors[curve]
            continue
        try:
            learned[curve] = forecast_errors(fit, cuts, random_seed=random_seed,
                                             progressbar=progressbar)
        except DataError as err:
            skipped[curve] = str(err)
            learned[curve] = pd.DataFrame(columns=list(ERROR_COLUMNS), dtype=float)
    taus, probs, population = pool_tau(learned, pooling)
    members = {curve: Discrepant(fit, taus, probs[curve], errors=learned[curve])
               for curve, fit in fits.items()}
    return PooledDiscrepancy(members, population, skipped)


def _check_fit(fit: Any) -> None:
    if not isinstance(fit, Fit):
        raise OptionError(f"with_discrepancy takes a bayeslaws Fit (or a collection of them); "
                          f"got {type(fit).__name__}.")
    if fit.law.link != "log":
        raise OptionError(
            f"The discrepancy term is defined on log y, for laws on a log link (losses); law "
            f"{fit.law.name!r} has link {fit.law.link!r}.")


def with_discrepancy(fit: Fit | Mapping[Hashable, Fit], tau: float | None = None, *,
                     cuts: Sequence[float] = CUTS, random_seed: int = 0,
                     progressbar: bool = False, pooling: str = "partial",
                     errors: Any = None) -> Discrepant | PooledDiscrepancy:
    """``fit`` with a discrepancy term whose scale is learned by leave-future-out.

    Parameters
    ----------
    fit : Fit, or FitCollection or dict of {curve: Fit}
        A fit of a law on a log link (losses); or many curves of one study (e.g. the result
        of :func:`bayeslaws.fit_many`), whose scales ``tau`` are learned together
        (``pooling``).
    tau : float, optional
        The discrepancy scale (sd of the law's bend, log y per decade of scale squared);
        default: its posterior given the fitted runs' leave-future-out errors
        (:func:`forecast_errors`, :func:`tau_posterior`), at the cost of one refit per cut
        point (per curve). Only for one fit.
    cuts : sequence of float
        Quantiles of the runs' log scale at which the law is refitted on the smaller runs.
    random_seed : int
        Seed of the forecasts' draws.
    progressbar : bool
        Progress bars of the refits.
    pooling : {"partial", "complete", "none"}
        With many fits: how their ``tau`` share the evidence (:func:`pool_tau`). ``"partial"``
        (default): each curve's ``tau`` is drawn from a population whose scale is learned
        from every curve's leave-future-out errors, so curves whose law extrapolates well
        within their runs narrow each other's intervals while a curve whose law bends keeps
        its own large ``tau``; ``"complete"``: one ``tau`` for all; ``"none"``: each alone.
        Each curve's bend is its own in every case.
    errors : DataFrame or dict of {curve: DataFrame}, optional
        Leave-future-out errors already computed (:func:`forecast_errors`, or a
        :class:`Discrepant`'s ``errors``), which skips their refits.

    Returns
    -------
    Discrepant, or PooledDiscrepancy (a mapping ``curve -> Discrepant``) for many fits
    """
    if isinstance(fit, Mapping):
        if tau is not None:
            raise OptionError("tau= fixes one fit's discrepancy scale; with many fits give "
                              "none and choose pooling= instead.")
        if errors is not None and not isinstance(errors, Mapping):
            raise OptionError("With many fits, errors= is a dict {curve: forecast errors}; got "
                              f"{type(errors).__name__}.")
        return _pooled(getattr(fit, "fits", fit), pooling, cuts, errors, random_seed,
                       progressbar)
    _check_fit(fit)
    if tau is None:
        if errors is None:
            errors = forecast_errors(fit, cuts, random_seed=random_seed,
                                     progressbar=progressbar)
        return Discrepant(fit, *tau_posterior(errors), errors=errors)
    if not np.isfinite(tau) or tau < 0:
        raise OptionError(f"tau must be a finite number >= 0 (log y per decade squared); got "
                          f"{tau!r}.")
    return Discrepant(fit, tau)
