"""Plots of fits and decisions, in log-log axes (a linear x axis for an input the law declares
linear, :attr:`~bayeslaws.law.Law.linear_inputs`).

- :func:`plot_fit` -- data, posterior median law and bands, beyond the data shaded;
- :func:`plot_compare` -- posterior predictive of several fits on one axis;
- :func:`plot_compute_optimal` -- ``N_opt`` (or ``D_opt``, tokens per parameter, loss) against
  the training budget with bands.

Every function returns the matplotlib Figure; pyplot is imported only when a plot is drawn.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bayeslaws.exceptions import DataError, OptionError

#: Transparency of the interval bands, by probability.
BAND_ALPHA = {0.5: 0.32, 0.9: 0.14}
HELD_OUT_STYLE = {"marker": "X", "s": 46, "color": "crimson", "edgecolor": "k", "lw": 0.4,
                  "zorder": 4}


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def _levels(values: np.ndarray, max_groups: int, linear: bool = False) -> np.ndarray:
    """Levels to draw curves at.

    The distinct values (to 2 decimals in log10; of a linear input, to 1% of its span) when at
    most ``2 * max_groups`` (a grid of budgets: every run then lies on its own curve);
    ``max_groups`` of them evenly picked when at most ``4 * max_groups``; otherwise (e.g.
    digitised, continuous values) ``max_groups`` levels evenly spread in log (linearly for a
    linear input).
    """
    if linear:
        step = _span(values.min(), values.max()) / 100
        forward, back = (lambda v: np.round(v / step)), (lambda v: v * step)  # noqa: E731
    else:
        forward, back = (lambda v: np.round(np.log10(v), 2)), (lambda v: 10.0 ** v)  # noqa: E731
    distinct = np.unique(forward(values))
    if distinct.size <= 2 * max_groups:
        return back(distinct)
    if distinct.size <= 4 * max_groups:
        pick = np.unique(np.round(np.linspace(0, distinct.size - 1, max_groups)).astype(int))
        return back(distinct[pick])
    return _grid(values.min(), values.max(), max_groups, linear)


# -- axes of linear and log inputs ------------------------------------------------------------
def _is_linear(fit, name: str) -> bool:
    return name in fit.law.linear_inputs


def _span(lo: float, hi: float) -> float:
    """The data's extent on a linear axis (1 when every value is the same)."""
    return float(hi - lo) if hi > lo else max(abs(float(hi)), 1.0)


def _widen(lo: float, hi: float, factor: float, linear: bool) -> tuple[float, float]:
    """``[lo, hi]`` widened by ``factor`` on each side: divided and multiplied on a log axis;
    on a linear one by ``log10(factor)`` data spans (a factor of 10 = one span)."""
    if not linear:
        return lo / factor, hi * factor
    pad = _span(lo, hi) * np.log10(factor)
    return lo - pad, hi + pad


def _beyond(lo: float, hi: float, factor: float, linear: bool) -> float:
    """The value ``factor`` beyond ``hi`` (see :func:`_widen`)."""
    return _widen(lo, hi, factor, linear)[1]


def _grid(lo: float, hi: float, n: int, linear: bool) -> np.ndarray:
    return np.linspace(lo, hi, n) if linear else np.geomspace(lo, hi, n)


def _typical(values: np.ndarray, linear: bool) -> float:
    """The centre of an input: its mean, or its geometric mean on a log scale."""
    return float(np.mean(values) if linear else np.exp(np.log(values).mean()))


def _band(ax, x_axis, draws, probs, color, label=None, ls="-"):
    for prob in sorted(probs, reverse=True):
        lo, hi = np.quantile(draws, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
        ax.fill_between(x_axis, lo, hi, color=color, alpha=BAND_ALPHA.get(prob, 0.2), lw=0)
    ax.plot(x_axis, np.median(draws, axis=0), color=color, lw=1.6, ls=ls, label=label)


def _readable_log_y(ax) -> None:
    """Plain numbers on a log y axis; evenly spread ticks when it spans less than a decade."""
    from matplotlib import ticker

    fmt = ticker.FuncFormatter(lambda v, _: f"{v:.3g}")
    lo, hi = ax.get_ylim()
    if lo > 0 and hi / lo < 10:
        ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=7))
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.yaxis.set_major_formatter(fmt)


def _finish(ax, xlabel: str, ylabel: str, title: str, beyond: float | None = None,
            beyond_label: str = "beyond the data", readable: bool = True,
            xscale: str = "log", **legend):
    """Log-log axes (``xscale="linear"``: a linear x axis) with labels, title and legend, the x
    range beyond ``beyond`` shaded; return the figure."""
    ax.set(xscale=xscale, yscale="log", xlabel=xlabel, ylabel=ylabel)
    if beyond is not None:
        right = ax.get_xlim()[1]
        ax.axvspan(beyond, right, color="0.88", zorder=0, label=beyond_label)
        ax.set_xlim(right=right)
    if readable:
        _readable_log_y(ax)
    ax.set_title(title, fontsize=10)
    ax.legend(**legend)
    ax.figure.tight_layout()
    return ax.figure


def _held_out_frame(fit, held_out: Any) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Inputs and y of held-out runs, by the fitted column names or the law's input names."""
    frame = held_out if isinstance(held_out, pd.DataFrame) else pd.DataFrame(held_out)
    obs = fit.observations
    x = {}
    for name in fit.law.inputs:
        column = obs.columns[name] if obs.columns[name] in frame.columns else name
        if column not in frame.columns:
            raise DataError(
                f"held_out lacks a column for input {name} (looked for {obs.columns[name]!r} "
                f"and {name!r}); columns are {list(frame.columns)}.")
        x[name] = frame[column].to_numpy(dtype=float)
    y_col = obs.y_column if obs.y_column in frame.columns else "y"
    if y_col not in frame.columns:
        raise DataError(
            f"held_out lacks the measured column {obs.y_column!r}; columns are "
            f"{list(frame.columns)}.")
    return x, frame[y_col].to_numpy(dtype=float)


def plot_fit(fit, ax=None, probs: Sequence[float] = (0.5, 0.9), extrapolate: float = 10.0,
             max_groups: int = 6, held_out: Any = None, title: str | None = None):
    """Log-log plot of the data, the posterior median law and its 50%/90% bands.

    Parameters
    ----------
    fit : Fit
        A fitted law.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made otherwise.
    probs : sequence of float
        Interval probabilities drawn as bands (of the law's mean curve).
    extrapolate : float
        One-input laws: the curve goes this factor beyond the largest observed scale. Two-input
        laws: one more dashed curve is drawn at this factor times the largest group level
        (e.g. 10x the largest training budget). The region beyond the data is shaded. For a
        linear input (drawn on a linear axis) a factor counts as ``log10(factor)`` data spans
        beyond the largest value (10: one span).
    max_groups : int
        Two-input laws are drawn as one curve per group: per training budget ``C = 6 N D`` for
        ``(N, D)`` laws, per bin of the second input otherwise.
    held_out : DataFrame or dict, optional
        Runs not used in the fit (columns named as in the fitted data, or by the law's inputs,
        and the measured column); drawn as red crosses.
    title : str, optional
        Title (default: law name and bands).

    Returns
    -------
    matplotlib Figure
        A grouped fit (``bl.fit(..., group=...)``) gets one panel per group, each with that
        group's runs and its own curve (``ax`` is then ignored).
    """
    if getattr(fit, "is_grouped", False):
        return _plot_groups(fit, probs=probs, extrapolate=extrapolate, max_groups=max_groups,
                            held_out=held_out, title=title)
    plt = _pyplot()
    grouped = len(fit.law.inputs) > 1
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5.8 if grouped else 4.8))
    obs = fit.observations
    law = fit.law
    inputs = law.inputs
    first = obs.x[inputs[0]]
    linear = _is_linear(fit, inputs[0])
    held = _held_out_frame(fit, held_out) if held_out is not None else None
    top = _beyond(first.min(), first.max(), extrapolate, linear)
    if held is not None:
        top = max(top, _beyond(first.min(), held[0][inputs[0]].max(), 1.5, linear))
    if len(inputs) == 1:
        grid_x = _grid(_widen(first.min(), first.max(), 1.5, linear)[0], top, 240, linear)
        _, draws = fit.predictive_draws({inputs[0]: grid_x}, kind="mean")
        _band(ax, grid_x, draws, probs, "C0", label="posterior median (law)")
        ax.scatter(first, obs.y, s=14, color="k", zorder=3, label=f"data ({obs.n} runs)")
    else:
        _grouped_curves(ax, fit, probs, extrapolate, max_groups)
    if held is not None:
        ax.scatter(held[0][inputs[0]], held[1], label=f"held out ({held[1].size})",
                   **HELD_OUT_STYLE)
    column = obs.columns[inputs[0]]
    bands = "/".join(f"{int(p * 100)}%" for p in sorted(probs))
    legend = ({"ncol": 3, "loc": "upper center", "bbox_to_anchor": (0.5, -0.13)} if grouped
              else {"ncol": 2, "loc": "best"})
    return _finish(ax, column if column == inputs[0] else f"{column} ({inputs[0]})",
                   obs.y_column, title or f"{law.name}: posterior median and {bands} intervals",
                   first.max(), f"beyond the data ({inputs[0]} > max)", fontsize=7,
                   xscale="linear" if linear else "log", **legend)


class _GroupView:
    """One group of a grouped fit, seen as :func:`plot_fit` sees a plain fit: that group's runs
    and forecasts under that group's parameters."""

    def __init__(self, fit: Any, group: str) -> None:
        self._fit, self.group, self.law = fit, group, fit.law
        obs = fit.observations
        keep = obs.groups == fit.groups.index(group)
        self.observations = dataclasses.replace(
            obs, x={k: v[keep] for k, v in obs.x.items()}, y=obs.y[keep],
            extra={k: v[keep] for k, v in obs.extra.items()}, groups=None)

    def predictive_draws(self, at: Any, kind: str = "predictive", random_seed: int | None = 0):
        return self._fit.predictive_draws(at, kind=kind, random_seed=random_seed,
                                          group=self.group)


def _plot_groups(fit, *, held_out: Any, title: str | None, **options):
    """One :func:`plot_fit` panel per group of a grouped fit."""
    plt = _pyplot()
    groups, column = fit.groups, fit.grouping.column
    ncols = min(3, len(groups))
    nrows = -(-len(groups) // ncols)
    two_inputs = len(fit.law.inputs) > 1
    fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                             figsize=(5.2 * ncols, (5.4 if two_inputs else 4.0) * nrows))
    held = None if held_out is None else (
        held_out if isinstance(held_out, pd.DataFrame) else pd.DataFrame(held_out))
    for ax, group in zip(axes.flat, groups, strict=False):
        mine = None
        if held is not None and column in held.columns:
            mine = held[held[column].astype(str) == group]
            mine = mine if len(mine) else None
        plot_fit(_GroupView(fit, group), ax=ax, held_out=mine, title=f"{column} = {group}",
                 **options)
    for ax in list(axes.flat)[len(groups):]:
        ax.set_visible(False)
    fig.suptitle(title or f"{fit.law.name} fitted with partial pooling over {column!r}",
                 fontsize=11)
    fig.tight_layout()
    return fig


def _grouped_curves(ax, fit, probs, extrapolate, max_groups) -> None:
    """Curves at a few levels of the grouping variable; each point in the colour of the
    curve nearest its own level (the runs are grouped into the levels drawn)."""
    from matplotlib.colors import LogNorm, Normalize

    plt = _pyplot()
    obs = fit.observations
    inputs = fit.law.inputs
    first = obs.x[inputs[0]]
    first_linear = _is_linear(fit, inputs[0])
    by_compute = inputs[:2] == ("N", "D") and not fit.law.linear_inputs
    other = inputs[1]
    key_linear = not by_compute and _is_linear(fit, other)
    key = 6.0 * obs.x["N"] * obs.x["D"] if by_compute else obs.x[other]
    key_name = "C = 6ND" if by_compute else other
    levels = list(_levels(key, max_groups, key_linear))
    norm = (Normalize if key_linear else LogNorm)(key.min(), key.max())
    cmap = plt.get_cmap("viridis")
    n_data_levels = len(levels)
    scale = (lambda v: np.asarray(v)) if key_linear else np.log  # noqa: E731
    nearest = np.argmin(np.abs(scale(key)[:, None] - scale(np.asarray(levels))[None, :]), axis=1)
    if extrapolate and extrapolate > 1:
        levels.append(_beyond(key.min(), max(levels), extrapolate, key_linear))
    for i, level in enumerate(levels):
        extrapolated = i >= n_data_levels
        color = "crimson" if extrapolated else cmap(norm(level))
        # x range: the runs whose nearest level this is (the largest level's for the
        # extrapolated curve), widened by 2x on each side
        near = nearest == min(i, n_data_levels - 1)
        lo, hi = _widen(first[near].min(), first[near].max(), 2.0, first_linear)
        if extrapolated and by_compute:
            lo, hi = lo * extrapolate ** 0.5, hi * extrapolate ** 0.5
        xs = _grid(lo, hi, 100, first_linear)
        grid = {inputs[0]: xs}
        if by_compute:
            grid["D"] = level / (6.0 * xs)
        else:
            grid[other] = np.full_like(xs, level)
        for extra_input in inputs[2:]:
            grid[extra_input] = np.full_like(
                xs, _typical(obs.x[extra_input], _is_linear(fit, extra_input)))
        _, draws = fit.predictive_draws(grid, kind="mean")
        probs_here = probs if len(levels) <= 4 or extrapolated else [max(probs)]
        _band(ax, xs, draws, probs_here, color,
              label=f"{key_name} = {level:.2g}" + (" (extrapolated)" if extrapolated else ""),
              ls="--" if extrapolated else "-")
    colors = [cmap(norm(levels[j])) for j in nearest]
    ax.scatter(first, obs.y, s=13, c=colors, edgecolor="k", lw=0.3, zorder=3,
               label=f"data ({obs.n} runs), coloured as the nearest {key_name} curve")


def _default_fixed(fit, along: str) -> dict[str, float]:
    obs = fit.observations
    return {n: _typical(obs.x[n], _is_linear(fit, n)) for n in fit.law.inputs if n != along}


def plot_compare(fits: Mapping[str, Any], along: str | None = None,
                 fixed: Mapping[str, float] | None = None, prob: float = 0.9,
                 kind: str = "predictive", extrapolate: float = 10.0, data: bool = True,
                 held_out: Any = None, ax=None, title: str | None = None):
    """Posterior predictive of several fits on one axis.

    Parameters
    ----------
    fits : dict of str to Fit
        Fits to compare, by label (e.g. ``{"chinchilla": fit1, "kaplan": fit2}``); they must
        share the input ``along``.
    along : str, optional
        Input on the x axis (default: the first fit's first input).
    fixed : dict, optional
        Values of the other inputs (default: the geometric mean of each fit's data).
    prob : float
        Probability of each fit's band.
    kind : {"predictive", "mean"}
        A new run's measurement (with noise) or the law's curve.
    extrapolate : float
        The curves go this factor beyond the largest observed value; that region is shaded.
    data : bool
        Draw the first fit's data (for one-input laws; two-input data do not lie on one curve).
    held_out : DataFrame or dict, optional
        Held-out runs of the first fit, drawn as red crosses.
    """
    if not isinstance(fits, Mapping) or not fits:
        raise OptionError(
            "plot_compare needs a dict of fits by label, e.g. {'chinchilla': fit1, "
            f"'kaplan': fit2}}; got {type(fits).__name__}.")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.8))
    first_fit = next(iter(fits.values()))
    along = first_fit.law.inputs[0] if along is None else along
    for label, fit in fits.items():
        if along not in fit.law.inputs:
            raise OptionError(
                f"Fit {label!r} (law {fit.law.name!r}) has no input {along!r}; its inputs are "
                f"{list(fit.law.inputs)}. Choose along= among the inputs all fits share.")
    lows = [fit.observations.x[along].min() for fit in fits.values()]
    highs = [fit.observations.x[along].max() for fit in fits.values()]
    linear = _is_linear(first_fit, along)
    if any(_is_linear(fit, along) != linear for fit in fits.values()):
        raise OptionError(f"The fits disagree on the scale of {along!r}: linear in some laws, "
                          "log in others; compare fits whose laws treat it alike.")
    grid = _grid(_widen(min(lows), max(highs), 1.5, linear)[0],
                 _beyond(min(lows), max(highs), extrapolate, linear), 200, linear)
    notes = []
    for i, (label, fit) in enumerate(fits.items()):
        others = {**_default_fixed(fit, along), **dict(fixed or {})}
        others = {k: v for k, v in others.items() if k in fit.law.inputs}
        at = {along: grid, **{k: np.full_like(grid, v) for k, v in others.items()}}
        _, draws = fit.predictive_draws(at, kind=kind)
        _band(ax, grid, draws, [prob], f"C{i}", label=label)
        notes += [f"{k}={v:.2g}" for k, v in others.items()]
    obs = first_fit.observations
    one_input = len(first_fit.law.inputs) == 1
    if data and one_input:
        ax.scatter(obs.x[along], obs.y, s=14, color="k", zorder=3, label="data")
    if held_out is not None:
        hx, hy = _held_out_frame(first_fit, held_out)
        ax.scatter(hx[along], hy, label="held out", **HELD_OUT_STYLE)
    ax.set_xlim(grid[0], grid[-1])
    what = "posterior predictive" if kind == "predictive" else "law mean"
    fixed_text = f" at {', '.join(dict.fromkeys(notes))}" if notes else ""
    return _finish(ax, along, obs.y_column,
                   title or f"{what}: median and {int(prob * 100)}% band{fixed_text}",
                   max(highs), fontsize=8, xscale="linear" if linear else "log")


QUANTITY_LABELS = {"N": "compute-optimal parameters N_opt", "D": "compute-optimal tokens D_opt",
                   "tokens_per_param": "tokens per parameter D_opt / N_opt",
                   "loss": "loss at the optimum"}


def plot_compute_optimal(result: Any, quantity: str = "N", probs: Sequence[float] = (0.5, 0.9),
                         reference: Mapping[str, tuple[Any, Any]] | None = None,
                         data_compute: Sequence[float] | None = None, ax=None,
                         title: str | None = None):
    """Compute-optimal allocation against the training budget, with bands.

    Parameters
    ----------
    result : ComputeOptimal or dict of str to ComputeOptimal
        From :func:`bayeslaws.compute_optimal` (best on many budgets, e.g.
        ``np.geomspace(1e18, 1e26, 30)``); a dict draws several.
    quantity : {"N", "D", "tokens_per_param", "loss"}
        What to draw against ``C``.
    probs : sequence of float
        Interval probabilities drawn as bands.
    reference : dict, optional
        Extra dashed lines ``{label: (C values, quantity values)}``, e.g. a published fit.
    data_compute : sequence of float, optional
        The budgets of the fitted runs: the range beyond their maximum is shaded.
    """
    if quantity not in QUANTITY_LABELS:
        raise OptionError(
            f"quantity must be one of {sorted(QUANTITY_LABELS)}; got {quantity!r}.")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.6))
    results = result if isinstance(result, Mapping) else {"posterior": result}
    for i, (label, res) in enumerate(results.items()):
        values = res.draws[quantity]
        ok = np.isfinite(values).all(axis=1)
        _band(ax, res.C, values[ok], probs, f"C{i}", label=f"{label} (median)")
    for j, (label, (c_ref, v_ref)) in enumerate((reference or {}).items()):
        ax.plot(c_ref, v_ref, ls="--", lw=1.3, color=f"C{j + len(results)}", label=label)
    ax.grid(True, which="major", alpha=0.3)
    bands = "/".join(f"{int(p * 100)}%" for p in sorted(probs))
    return _finish(ax, "training compute C (FLOPs)", QUANTITY_LABELS[quantity],
                   title or f"{QUANTITY_LABELS[quantity]}: median and {bands} intervals",
                   None if data_compute is None else float(np.max(data_compute)),
                   "beyond the fitted budgets", quantity in ("loss", "tokens_per_param"),
                   fontsize=8)
