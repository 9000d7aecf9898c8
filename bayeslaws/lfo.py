"""Leave-future-out cross-validation: how well a law fitted on the smaller runs predicts the
next larger ones, estimated by PSIS-LFO (``arviz_stats.lfo_cv``) with exact refits.

LOO (:func:`bayeslaws.compare.loo`) asks how well a law predicts a run from all the others,
larger and smaller: interpolation. Scaling laws are used to extrapolate. :func:`lfo` orders the
fitted runs by scale (by default the product of the law's inputs, e.g. ``N * D``), groups runs
of the same scale into one *level* (every run of an IsoFLOP budget, say), and for each level
``t`` from ``start`` on scores the joint log predictive density of level ``t``'s runs under
the law fitted to levels ``0 .. t-1`` only.

With ``method="approx"`` (the default) the law is refitted on the first ``start`` levels; the
posterior is then carried forward by Pareto-smoothed importance sampling (adding the levels
seen since the last refit) and refitted exactly whenever the Pareto k of the weights exceeds
``k_threshold`` (Bürkner, Gabry & Vehtari 2020, arXiv:1902.06281). ``method="exact"`` refits
at every level. Refits use the fit's own priors and settings (:func:`refit`), reusing the
compiled model.

The result is ArviZ's ``ELPDDataLFO`` (``elpd``, ``se``, ``elpd_i`` per forecast level,
``refits``), which ``arviz.compare`` accepts: ``bayeslaws.compare(fits, criterion="lfo")``
ranks laws and computes stacking weights from it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import arviz as az
import numpy as np
import xarray as xr

from bayeslaws.exceptions import DataError, OptionError, choices
from bayeslaws.fitting import fit as fit_law
from bayeslaws.result import Fit

#: Name of the scale dimension of LFO's pointwise values (ArviZ's ``time_dim``).
LEVEL_DIM = "level"
#: Runs whose log scale differs by less than this share the same level.
LEVEL_TOLERANCE = 1e-9


def refit(fit: Fit, data: Any, *, random_seed: int | None = None,
          progressbar: bool = False) -> Fit:
    """Fit ``fit``'s law again on other data with the same priors, likelihood and settings.

    The priors are those stored in ``fit`` (not recomputed from the new data), so a refit with
    some runs left out is the same model on less data, as exact cross-validation requires. The
    compiled model is reused, so a refit costs sampling only. A grouped fit is refitted with
    the same group column, varying parameters and population priors. ``data`` has the columns
    ``fit`` was fitted on; ``random_seed`` defaults to the fit's own seed.
    """
    cfg = fit.settings
    grouping = {} if fit.grouping is None else fit.grouping.fit_options()
    return fit_law(
        fit.law, data, x=dict(cfg.columns), y=cfg.y_column, priors=dict(fit.spec.priors),
        likelihood=fit.spec.likelihood, sampler=cfg.sampler, draws=cfg.draws, tune=cfg.tune,
        chains=cfg.chains, random_seed=cfg.random_seed if random_seed is None else int(random_seed),
        target_accept=cfg.target_accept, adaptation=cfg.adaptation, init=cfg.init,
        stuck_chains=cfg.stuck_chains, progressbar=progressbar,
        extra=dict(cfg.extra_columns) or None,
        allow_few_runs=cfg.allow_few_runs, predictive=False, **grouping)


def run_scale(fit: Fit, scale: str | Sequence[str] | np.ndarray | None = None) -> np.ndarray:
    """Log scale of each fitted run: ``log`` of the product of the columns ``scale`` of the
    fitted table (default: the law's input columns), or ``log`` of given per-run values."""
    table = fit.data()
    if scale is None:
        scale = list(fit.settings.columns.values())
    if isinstance(scale, str):
        scale = [scale]
    values = np.asarray(scale) if not all(isinstance(s, str) for s in scale) else None
    if values is None:
        absent = [c for c in scale if c not in table.columns]
        if absent:
            raise DataError(
                f"scale column(s) {absent} are not columns of the fitted data; columns: "
                f"{choices(table.columns)}. Give the column(s) whose product orders the runs "
                "by scale, e.g. scale=['params', 'tokens'].")
        values = np.prod([table[c].to_numpy(dtype=float) for c in dict.fromkeys(scale)], axis=0)
    values = np.asarray(values, dtype=float).reshape(-1)
    if values.shape != (len(table),) or not (np.isfinite(values) & (values > 0)).all():
        raise DataError(
            f"scale must give one positive, finite value per fitted run ({len(table)} runs); "
            f"got {values.size} values. Give column names of the fitted data or such an array.")
    return np.log(values)


def scale_levels(log_scale: np.ndarray) -> np.ndarray:
    """Level of each run: the rank of its scale among the distinct scales (ties share one)."""
    order = np.sort(np.unique(log_scale))
    distinct = order[np.concatenate([[True], np.diff(order) > LEVEL_TOLERANCE * np.maximum(
        1.0, np.abs(order[1:]))])]
    return np.searchsorted(distinct, log_scale + LEVEL_TOLERANCE * np.maximum(
        1.0, np.abs(log_scale)), side="right") - 1


def _by_level(values: np.ndarray, levels: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Sum of ``values`` (..., runs) over the runs of each level of ``keep``: (..., len(keep))."""
    onehot = (levels[:, None] == keep[None, :]).astype(float)
    return np.asarray(values) @ onehot


class RefitWrapper(az.SamplingWrapper):
    """ArviZ :class:`~arviz_stats.SamplingWrapper` that refits a bayeslaws fit on part of its
    runs (:func:`refit`, seeded from the fit's seed and the refit count); subclasses say which
    runs are left out (``sel_observations``) and how they are scored (``log_likelihood__i``).
    """

    def __init__(self, fit: Fit, progressbar: bool = False) -> None:
        super().__init__(model=fit, idata_orig=fit.trace)
        self.fit = fit
        self.table = fit.data()
        self.progressbar = progressbar
        self.refits = 0

    def sample(self, modified_observed_data):
        """Refit on the kept runs."""
        self.refits += 1
        seed = self.fit.settings.random_seed + 7919 * self.refits
        return refit(self.fit, modified_observed_data, random_seed=seed,
                     progressbar=self.progressbar)

    def get_inference_data(self, fitted_model):
        """The refit itself (it has the ``posterior`` ArviZ reads)."""
        return fitted_model


class LFOWrapper(RefitWrapper):
    """Refits on a fit's smaller runs, for :func:`arviz_stats.lfo_cv`.

    Observations are *levels* (runs of one scale, see :func:`lfo`): :meth:`sel_observations`
    gets the levels to leave out (the future) and returns the runs of the others and of those;
    :meth:`log_likelihood__i` sums the left-out runs' log densities per level.
    """

    def __init__(self, fit: Fit, levels: np.ndarray, progressbar: bool = False) -> None:
        super().__init__(fit, progressbar)
        self.levels = levels

    def sel_observations(self, idx):
        """``(runs of the kept levels, runs of the levels idx)``, each with its level."""
        future = np.isin(self.levels, np.asarray(idx).reshape(-1))
        return (self.table.loc[~future].reset_index(drop=True),
                self.table.loc[future].assign(_level=self.levels[future]).reset_index(drop=True))

    def log_likelihood__i(self, excluded_obs, idata__i):
        """Joint log density of each left-out level's runs under the refit: dims chain, draw,
        level (a run of a group the refit has not seen is scored as a new group's)."""
        refitted: Fit = idata__i
        runs = excluded_obs.drop(columns="_level")
        values = refitted.pointwise_log_likelihood(refitted.as_known_groups(runs))
        keep = np.unique(excluded_obs["_level"].to_numpy())
        summed = _by_level(values.values, excluded_obs["_level"].to_numpy(), keep)
        return xr.DataArray(summed, dims=("chain", "draw", LEVEL_DIM),
                            coords={"chain": values["chain"].values,
                                    "draw": values["draw"].values, LEVEL_DIM: keep})


def _start(start: Any, levels: np.ndarray, n_min: int) -> int:
    """The first forecast level: ``start`` levels, or a fraction of them, raised until the
    smaller levels hold at least ``n_min`` runs."""
    n_levels = int(levels.max()) + 1
    if isinstance(start, bool) or not isinstance(start, int | float | np.integer | np.floating):
        raise OptionError(f"start must be a number of levels (int) or a fraction in (0, 1); "
                          f"got {start!r}.")
    if isinstance(start, int | np.integer):
        first = int(start)
    elif 0 < float(start) < 1:
        first = int(np.ceil(float(start) * n_levels))
    else:
        raise OptionError(f"start as a fraction must lie strictly between 0 and 1; got "
                          f"{start!r}. Give e.g. start=0.5 (fit on the smaller half).")
    counts = np.bincount(levels, minlength=n_levels)
    while first < n_levels and counts[:first].sum() < n_min:
        first += 1
    if first < 1 or first >= n_levels:
        raise DataError(
            f"Leave-future-out needs at least {n_min} runs before the first forecast level and "
            f"one level after it; with {levels.size} runs at {n_levels} distinct scales and "
            f"start={start!r} there is none. Use a smaller start, fewer scale columns (scale=) "
            "or more runs.")
    return first


def first_level(fit: Fit, scale: Any = None, start: int | float = 0.5) -> int:
    """The first forecast level :func:`lfo` uses for ``fit`` with these ``scale`` and
    ``start``."""
    levels = scale_levels(run_scale(fit, scale))
    return _start(start, levels, fit.n_parameters + 1)


def lfo(fit: Fit, *, scale: str | Sequence[str] | np.ndarray | None = None,
        start: int | float = 0.5, horizon: int = 1, method: str = "approx",
        k_threshold: float = 0.7, progressbar: bool = False):
    """Leave-future-out cross-validation of a fit along the scale of its runs.

    Parameters
    ----------
    fit : Fit
        A fitted law.
    scale : str, list of str or array, optional
        Column(s) of the fitted data whose product orders the runs (default: the law's input
        columns, e.g. ``N * D``), or one positive value per run. Runs of equal scale form one
        level, forecast together.
    start : int or float
        First forecast level: a number of levels, or a fraction of them (default 0.5: the
        smaller half is the first training set), raised until the training runs outnumber the
        law's parameters.
    horizon : int
        Levels ahead scored jointly at each forecast origin (1: the next level).
    method : {"approx", "exact"}
        PSIS between refits, refitting where Pareto k exceeds ``k_threshold`` (default), or a
        refit at every level.
    k_threshold : float
        Pareto k above which the approximate method refits (0.7).
    progressbar : bool
        Progress bars of the refits.

    Returns
    -------
    arviz_stats.ELPDDataLFO
        ``elpd`` (sum over forecast levels of the log predictive density of the level's runs,
        of ``log y`` for the log-scale likelihoods), ``se``, ``elpd_i`` (dim ``level``),
        ``pareto_k``, ``refits`` and ``n_refits``; plus ``levels`` (level of each fitted run)
        and ``criterion = "lfo"``.

    Raises
    ------
    OptionError
        A bad ``method``, ``start`` or ``horizon``.
    DataError
        ``scale`` columns not in the data, or too few runs or levels to forecast any.
    """
    if not isinstance(fit, Fit):
        raise OptionError(f"lfo takes a bayeslaws Fit; got {type(fit).__name__}.")
    if str(method).lower() not in ("approx", "exact"):
        raise OptionError(f"method must be 'approx' (PSIS with refits where needed) or "
                          f"'exact' (a refit per level); got {method!r}.")
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise OptionError(f"horizon must be an integer >= 1 (levels ahead); got {horizon!r}.")
    levels = scale_levels(run_scale(fit, scale))
    n_levels = int(levels.max()) + 1
    first = _start(start, levels, fit.n_parameters + 1)
    if first + horizon > n_levels:
        raise DataError(f"horizon={horizon} levels after start level {first} exceeds the "
                        f"{n_levels} levels of scale; use a smaller horizon or start.")
    log_lik = fit.trace["log_likelihood"].to_dataset()
    name = next(iter(log_lik.data_vars))
    per_level = _by_level(log_lik[name].values, levels, np.arange(n_levels))
    tree = xr.DataTree.from_dict({
        "posterior": fit.posterior,
        "log_likelihood": xr.Dataset(
            {name: (("chain", "draw", LEVEL_DIM), per_level)},
            coords={"chain": log_lik["chain"].values, "draw": log_lik["draw"].values,
                    LEVEL_DIM: np.arange(n_levels)})})
    wrapper = LFOWrapper(fit, levels, progressbar=progressbar)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # refits' own sampler warnings
        result = az.lfo_cv(tree, wrapper, min_observations=first, forecast_horizon=horizon,
                           time_dim=LEVEL_DIM, pointwise=True, var_name=name,
                           method=str(method).lower(), k_threshold=k_threshold)
    result.levels = levels
    result.criterion = "lfo"
    result.n_fits = wrapper.refits
    return result
