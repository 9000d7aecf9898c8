"""Calibration of predictive intervals: coverage at many levels, MSCE, widths, LOO-PIT, plot.

A forecast is calibrated when its central ``p`` interval holds a share ``p`` of what is then
measured, at every ``p``. :func:`calibration_scores` scores forecasts of measured runs
(e.g. the held-out runs of :func:`bayeslaws.backtest`):

``coverage_<100 p>``
    Share of runs inside the central ``p`` interval (closed: a run on a bound is covered), for
    each ``p`` of :data:`LEVELS` (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99).
``msce``
    Mean squared calibration error: the mean over the levels of ``(coverage - p)^2``, as in
    Lee et al. 2025 (NSL-PFN, arXiv:2505.23032); 0 for perfect calibration, 0.25-0.4 when the
    intervals miss nearly everything.
``width_50``, ``width_90``
    Median over runs of the interval's width relative to the predictive median,
    ``(upper - lower) / |median|`` (a 2% noise gives a 90% width of about 0.066).

:func:`loo_pit` gives the in-sample counterpart: the leave-one-out probability integral transform
of each fitted run (``arviz_stats.loo_pit``), uniform for a calibrated model, and
:func:`pit_coverage` turns PIT values into observed coverage at each level. :func:`plot_calibration`
draws observed against nominal coverage for a backtest table, a fit, or both.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from bayeslaws.exceptions import DataError, OptionError
from bayeslaws.groups import predictive_dataset, stored_posterior_predictive
from bayeslaws.model import OBSERVED
from bayeslaws.trace import OBS_DIM

#: Central interval probabilities scored for coverage (those of NSL-PFN's MSCE).
LEVELS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
#: Interval probabilities whose median relative width is reported.
WIDTH_LEVELS = (0.5, 0.9)


def pct(prob: float) -> int:
    """The percentage naming a level in column names: 0.95 -> 95."""
    return int(round(100 * float(prob)))


def check_levels(levels: Any) -> tuple[float, ...]:
    """``levels`` as a tuple of floats strictly in (0, 1), or an :class:`OptionError`."""
    try:
        out = tuple(float(p) for p in np.atleast_1d(levels))
        bad = not out or any(not 0 < p < 1 for p in out)
    except (TypeError, ValueError):
        bad, out = True, levels
    if bad:
        raise OptionError(f"probs must lie strictly between 0 and 1, e.g. {LEVELS}; got "
                          f"{out!r}.")
    return out


def coverage(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Share of ``y`` inside the closed intervals ``[lower, upper]``."""
    y = np.asarray(y, dtype=float)
    return float(((np.asarray(lower) <= y) & (y <= np.asarray(upper))).mean())


def msce(observed: Mapping[float, float]) -> float:
    """Mean over levels of ``(observed coverage - nominal)^2`` from ``{nominal: observed}``."""
    if not observed:
        raise OptionError("msce needs at least one interval level; got none.")
    return float(np.mean([(float(obs) - float(p)) ** 2 for p, obs in observed.items()]))


def calibration_scores(y: np.ndarray, median: np.ndarray,
                       intervals: Mapping[float, tuple]) -> dict[str, float]:
    """Coverage at each level of ``intervals`` ``{prob: (lower, upper)}``, their MSCE and the
    median relative widths at the :data:`WIDTH_LEVELS` present (see the module docstring)."""
    y, median = np.asarray(y, dtype=float), np.asarray(median, dtype=float)
    observed = {float(p): coverage(y, lo, hi) for p, (lo, hi) in intervals.items()}
    out = {f"coverage_{pct(p)}": value for p, value in observed.items()}
    out["msce"] = msce(observed)
    for p, (lo, hi) in intervals.items():
        if any(np.isclose(p, w) for w in WIDTH_LEVELS):
            relative = (np.asarray(hi, float) - np.asarray(lo, float)) / np.abs(median)
            out[f"width_{pct(p)}"] = float(np.median(relative))
    return out


def draw_intervals(values: np.ndarray, levels: Sequence[float],
                   weights: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Median and central intervals of predictive draws ``values`` (S, points).

    With ``weights`` (S,) (a mixture's draw weights) the quantiles are weighted
    (:func:`weighted_quantile`); without, ``numpy.quantile``'s, as in
    :meth:`bayeslaws.Fit.predict`. Returns ``(median, {prob: (lower, upper)})``.
    """
    values = np.asarray(values, dtype=float)
    qs = [0.5] + [q for p in levels for q in ((1 - p) / 2, (1 + p) / 2)]
    if weights is None:
        quantiles = np.quantile(values, qs, axis=0)
    else:
        quantiles = weighted_quantile(values, np.asarray(weights, dtype=float), qs)
    intervals = {float(p): (quantiles[1 + 2 * i], quantiles[2 + 2 * i])
                 for i, p in enumerate(levels)}
    return quantiles[0], intervals


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q) -> np.ndarray:
    """Quantiles ``q`` of each column of ``values`` (S, P) under sample weights ``weights`` (S,).

    Uses the inverse of the weighted empirical distribution function, interpolated at the
    midpoints of each draw's weight (equal weights reproduce ``numpy.quantile``'s
    ``"hazen"`` method).
    """
    q = np.atleast_1d(np.asarray(q, dtype=float))
    order = np.argsort(values, axis=0)
    sorted_values = np.take_along_axis(values, order, axis=0)
    w = weights[order]
    cum = np.cumsum(w, axis=0) - 0.5 * w
    cum /= w.sum(axis=0, keepdims=True)
    out = np.empty((q.size, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.interp(q, cum[:, j], sorted_values[:, j])
    return out


# -- in-sample: LOO-PIT ---------------------------------------------------------------------
def loo_pit(fit: Any, random_seed: int = 0) -> np.ndarray:
    """Leave-one-out PIT value of each fitted run: ``P(y_new <= y_i | runs without i)``.

    Computed by ``arviz_stats.loo_pit`` from the fit's stored log-likelihood (PSIS weights)
    and its stored ``posterior_predictive`` group (the draws ArviZ plots read); a fit saved
    without that group (``predictive=False``) gets fresh draws at the fitted runs
    (``fit.predictive_draws``, seeded by ``random_seed``). Uniform on [0, 1] for a
    calibrated model; values piled near 0 and 1 mean intervals too narrow, near 0.5 too wide.
    Discrete likelihoods (binomial) get ArviZ's randomised PIT.
    """
    from arviz_stats import loo_pit as az_loo_pit

    trace = fit.trace
    post = trace["posterior"].to_dataset()
    observed = trace["observed_data"].to_dataset()
    predictive = stored_posterior_predictive(trace)
    if predictive is None:
        _, values = fit.predictive_draws(fit.data(), random_seed=random_seed)
        predictive = predictive_dataset(values, post.sizes["chain"], post.sizes["draw"],
                                        observed.sizes[OBS_DIM])
    tree = xr.DataTree.from_dict({
        "posterior": post, "log_likelihood": trace["log_likelihood"].to_dataset(),
        "observed_data": observed, "posterior_predictive": predictive})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        result = az_loo_pit(tree, var_names=[OBSERVED], random_state=random_seed)
    return np.asarray(result[OBSERVED]).reshape(-1)


def pit_coverage(pit: np.ndarray, levels: Sequence[float] = LEVELS) -> dict[float, float]:
    """Observed coverage of the central ``p`` intervals implied by PIT values: the share of
    runs with ``|PIT - 0.5| <= p / 2``, for each ``p`` of ``levels``."""
    pit = np.asarray(pit, dtype=float)
    return {float(p): float((np.abs(pit - 0.5) <= p / 2).mean()) for p in levels}


# -- observed against nominal coverage ------------------------------------------------------
def coverage_table(source: Any, levels: Sequence[float] | None = None) -> pd.DataFrame:
    """Observed coverage by nominal level: one column per forecaster, one row per level.

    ``source`` is a table of :func:`bayeslaws.backtest` (its ``coverage_<pct>`` columns, a
    column per law), a Fit (LOO-PIT coverage of its fitted runs, column ``"LOO-PIT"``) or a
    dict of named ones of either kind.
    """
    levels = None if levels is None else check_levels(levels)
    items = source.items() if isinstance(source, Mapping) else [(None, source)]
    columns: dict[str, pd.Series] = {}
    for name, item in items:
        if isinstance(item, pd.DataFrame):
            found = [c for c in item.columns if str(c).startswith("coverage_")]
            if not found:
                raise DataError(
                    "This table has no coverage_<pct> columns; pass the table of "
                    "bayeslaws.backtest, a Fit or a dict of them.")
            nominal = {int(str(c)[len("coverage_"):]) / 100: c for c in found}
            wanted = sorted(nominal) if levels is None else [
                p for p in sorted(nominal) if any(np.isclose(p, lv) for lv in levels)]
            for law, row in item.iterrows():
                label = str(law) if name is None else f"{name}: {law}"
                columns[label] = pd.Series({p: float(row[nominal[p]]) for p in wanted})
        elif hasattr(item, "trace") and hasattr(item, "predictive_draws"):
            label = "LOO-PIT" if name is None else f"{name} (LOO-PIT)"
            columns[label] = pd.Series(pit_coverage(loo_pit(item), levels or LEVELS))
        else:
            raise OptionError(
                f"plot_calibration takes a backtest table, a Fit or a dict of them; got "
                f"{type(item).__name__}.")
    table = pd.DataFrame(columns)
    table.index.name = "nominal"
    return table


def plot_calibration(source: Any, *, levels: Sequence[float] | None = None, ax=None,
                     title: str | None = None):
    """Observed against nominal coverage of central predictive intervals.

    Parameters
    ----------
    source : DataFrame, Fit or dict
        A table of :func:`bayeslaws.backtest` (a line per law: coverage of the held-out,
        larger runs), a Fit (its fitted runs' LOO-PIT coverage, in-sample) or a dict of named
        ones of either kind.
    levels : sequence of float, optional
        Nominal levels to draw (default: every level the source has, or :data:`LEVELS`).
    ax : matplotlib Axes, optional
        Axes to draw on; default: a new figure.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        Points on the diagonal are calibrated; below it the intervals are too narrow
        (over-confident), above it too wide. The legend gives each line's MSCE.
    """
    import matplotlib.pyplot as plt

    table = coverage_table(source, levels)
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.8, 4.4))
    else:
        fig = ax.figure
    ax.plot([0, 1], [0, 1], color="0.5", lw=1, ls="--", label="calibrated")
    for column in table.columns:
        observed = table[column].dropna()
        error = msce(observed.to_dict()) if len(observed) else float("nan")
        ax.plot(observed.index, observed.to_numpy(), marker="o", lw=1.5,
                label=f"{column} (MSCE {error:.3f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("nominal coverage of the central interval")
    ax.set_ylabel("observed coverage")
    ax.set_title(title or "Calibration: below the diagonal = intervals too narrow",
                 fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    return fig
