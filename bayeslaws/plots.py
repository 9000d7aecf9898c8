"""Plots of fits: data, posterior median curve and interval bands in log-log axes."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

BAND_ALPHA = {0.5: 0.35, 0.9: 0.18}


def _groups(values: np.ndarray, max_groups: int) -> np.ndarray:
    """Group labels: distinct values when few, else quantile bins of log values."""
    distinct = np.unique(np.round(np.log10(values), 2))
    if distinct.size <= max_groups:
        return np.round(np.log10(values), 2)
    edges = np.quantile(np.log10(values), np.linspace(0, 1, max_groups + 1))
    return np.clip(np.digitize(np.log10(values), edges[1:-1]), 0, max_groups - 1)


def _bands(ax, fit, grid, x_axis, probs, color, label=None):
    _, draws = fit.predictive_draws(grid, kind="mean")
    for prob in sorted(probs, reverse=True):
        lo, hi = np.quantile(draws, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
        ax.fill_between(x_axis, lo, hi, color=color, alpha=BAND_ALPHA.get(prob, 0.2), lw=0)
    ax.plot(x_axis, np.median(draws, axis=0), color=color, lw=1.5, label=label)


def plot_fit(fit, ax=None, probs: Sequence[float] = (0.5, 0.9), extrapolate: float = 10.0,
             max_groups: int = 9, title: str | None = None):
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
        How far beyond the largest observed scale the curves go (factor); the region beyond
        the data is shaded.
    max_groups : int
        Two-input laws are drawn as one curve per group: per training budget C = 6ND for
        ``(N, D)`` laws, per bin of the second input otherwise.

    Returns
    -------
    matplotlib Figure
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    obs = fit.observations
    law = fit.law
    inputs = law.inputs
    first = obs.x[inputs[0]]
    top = first.max() * extrapolate
    if len(inputs) == 1:
        grid_x = np.geomspace(first.min(), top, 200)
        _bands(ax, fit, {inputs[0]: grid_x}, grid_x, probs, "C0", label="posterior median")
        ax.scatter(first, obs.y, s=14, color="k", zorder=3, label="data")
    else:
        by_compute = set(inputs) >= {"N", "D"}
        other = inputs[1]
        key = 6.0 * obs.x["N"] * obs.x["D"] if by_compute else obs.x[other]
        labels = _groups(key, max_groups)
        cmap = plt.get_cmap("viridis")
        uniq = np.unique(labels)
        for i, lab in enumerate(uniq):
            mask = labels == lab
            color = cmap(i / max(1, len(uniq) - 1))
            level = float(np.exp(np.log(key[mask]).mean()))
            xs = np.geomspace(first[mask].min() / 2, first[mask].max() * 2, 80)
            grid = {inputs[0]: xs}
            if by_compute:
                grid["D"] = level / (6.0 * xs)
                name = f"C={level:.1e}"
            else:
                grid[other] = np.full_like(xs, level)
                name = f"{other}={level:.1e}"
            for extra_input in inputs[2:]:
                grid[extra_input] = np.full_like(xs, np.exp(np.log(obs.x[extra_input]).mean()))
            _bands(ax, fit, grid, xs, probs, color, label=name)
            ax.scatter(first[mask], obs.y[mask], s=12, color=color, edgecolor="k", lw=0.3,
                       zorder=3)
    ax.axvspan(first.max(), ax.get_xlim()[1] if len(inputs) > 1 else top, color="0.9",
               zorder=0, label="beyond the data")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(obs.columns[inputs[0]])
    ax.set_ylabel(obs.y_column)
    bands = "/".join(f"{int(p * 100)}%" for p in sorted(probs))
    ax.set_title(title or f"{law.name}: posterior median and {bands} intervals")
    ax.legend(fontsize=7, ncol=2)
    ax.figure.tight_layout()
    return ax.figure
