"""Which run to train next: the expected value of a candidate run for a forecast, per cost.

:func:`next_run` scores candidate runs (any values of the law's inputs) by how much measuring
them is expected to shrink the uncertainty of the forecast at a target scale, per unit cost.
It works from the fit's posterior draws alone, without refitting (preposterior analysis by
importance reweighting):

1. draw ``outcomes`` possible measurements of the candidate from the posterior predictive
   (a posterior draw, then its observation noise);
2. for each possible measurement, reweight the posterior draws by its likelihood (the same
   density as the fit's ``log_likelihood``, :func:`bayeslaws.trace.log_likelihood`): the
   reweighted draws are the posterior after that run;
3. compute the target's uncertainty under each reweighted posterior and average over the
   possible measurements.

The uncertainty is the variance of the law's curve at the target (``criterion=
"variance"``: the part of the forecast's variance that more runs can remove; the target run's
own noise stays), the width of the forecast's predictive interval (``"width"``), or the
entropy of the target's predictive distribution under a Gaussian approximation
(``"information"``): ``H = log(2 pi e v) / 2`` with ``v`` the (reweighted) variance of the
predictive draws of the target run, so that the expected drop ``H_now - E[H_after]`` is the
expected information gain about the target's loss in nats (the mutual information between the
candidate's measurement and the target's outcome, exact for a Gaussian predictive). Unlike
the variance, it counts a reduction relative to what is left, and stops rewarding runs once
the forecast's spread is down to the target run's own noise. Reweighting
is accurate while a run changes the posterior moderately; the table's ``ess`` column (the
effective number of reweighted draws, averaged over the possible measurements) says when a
candidate would change it so much that only a few draws carry the estimate.
``tests/test_design.py`` checks the reweighted posterior against exact refits with the run
added.

A batch of ``k`` runs is chosen greedily: each step adds the candidate that most reduces the
expected uncertainty per cost given the runs already chosen (their possible measurements are
drawn jointly from the same posterior draws).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from bayeslaws.checks import check_choice, check_prob
from bayeslaws.data import Observations, as_frame, input_columns, prediction_frame
from bayeslaws.exceptions import DataError, OptionError, SamplerWarning, choices
from bayeslaws.trace import draw_y, log_likelihood, run_parameters

CRITERIA = ("variance", "width", "information")
#: Effective number of reweighted draws below which an estimate is flagged as unreliable.
ESS_WARN = 30.0

Cost = Callable[[pd.DataFrame], Any] | str | None


def _law_inputs(fit: Any, frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """The law's inputs of ``frame``, by input name or by the fit's column names."""
    columns = dict(fit.settings.columns)
    renamed = {columns[name]: name for name in fit.law.inputs
               if name not in frame.columns and columns.get(name) in frame.columns}
    frame = frame.rename(columns=renamed)
    missing = [name for name in fit.law.inputs if name not in frame.columns]
    if missing:
        raise DataError(
            f"{what} need a value for input(s) {missing} of law {fit.law.name!r} (inputs: "
            f"{choices(fit.law.inputs)}, or the fitted columns {choices(columns.values())}).")
    values = input_columns(frame, fit.law.inputs)
    return pd.DataFrame(values, index=frame.index)


def default_cost(inputs: pd.DataFrame, law_name: str = "") -> np.ndarray:
    """Training compute ``6 N D`` of runs with inputs ``N`` (parameters) and ``D`` (tokens)."""
    if not {"N", "D"} <= set(inputs.columns):
        raise OptionError(
            f"No default cost for law {law_name!r} with inputs {choices(inputs.columns)}: the "
            "default 6*N*D needs inputs N and D. Give cost=<function of a table of candidate "
            "inputs returning one cost per row> (e.g. cost=lambda runs: runs['x']) or "
            "cost=<name of a column of candidates>.")
    return 6.0 * inputs["N"].to_numpy() * inputs["D"].to_numpy()


def _costs(cost: Cost, inputs: pd.DataFrame, frame: pd.DataFrame, law_name: str) -> np.ndarray:
    if cost is None:
        values = default_cost(inputs, law_name)
    elif isinstance(cost, str):
        if cost not in frame.columns:
            raise OptionError(f"cost={cost!r} is not a column of the candidates; columns: "
                              f"{choices(frame.columns)}.")
        values = frame[cost].to_numpy()
    elif callable(cost):
        values = cost(inputs.copy())
    else:
        raise OptionError(f"cost must be None (6*N*D), a column name or a function of the "
                          f"candidates' inputs, got {cost!r}.")
    values = np.asarray(values, dtype=float).ravel()
    if values.shape != (len(inputs),) or not np.all(np.isfinite(values) & (values > 0)):
        raise OptionError(f"cost must give one positive finite number per candidate "
                          f"({len(inputs)}), got {values[:5]!r}.")
    return values


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    if (not isinstance(value, int | np.integer) or isinstance(value, bool) or value < low
            or (high is not None and value > high)):
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise OptionError(f"{name} must be an integer {bound}, got {value!r}.")
    return int(value)


class _Preposterior:
    """Posterior draws, the target's draws, and the possible measurements of candidates."""

    def __init__(self, fit: Any, target: pd.DataFrame, outcomes: int, max_draws: int,
                 rng: np.random.Generator) -> None:
        self.fit, self.spec, self.rng = fit, fit.spec, rng
        params = run_parameters(fit.spec, fit.posterior)
        total = len(next(iter(params.values())))
        keep = np.unique(np.linspace(0, total - 1, min(total, max_draws)).astype(int))
        self.params = {name: values[keep] for name, values in params.items()}
        self.size = len(keep)
        x = {name: target[name].to_numpy() for name in fit.law.inputs}
        self.curve = draw_y(self.spec, self.params, x, 1, "mean", {}, rng)[:, 0]
        extra = self._extra(1)
        self.predictive = draw_y(self.spec, self.params, x, 1, "predictive", extra, rng)[:, 0]
        #: The posterior draw behind each possible measurement (shared by all candidates).
        self.source = rng.integers(0, self.size, outcomes)
        self.outcomes = outcomes

    def _extra(self, points: int) -> dict[str, np.ndarray]:
        return {role: np.full(points, np.median(values))
                for role, values in self.fit.observations.extra.items()}

    def log_weights(self, inputs: Mapping[str, float]) -> np.ndarray:
        """Log-likelihood of each possible measurement of one candidate under every draw,
        ``(draws, outcomes)``."""
        m = self.outcomes
        one = {name: np.array([float(inputs[name])]) for name in self.fit.law.inputs}
        sub = {name: values[self.source] for name, values in self.params.items()}
        with np.errstate(over="ignore", divide="ignore"):
            y = draw_y(self.spec, sub, one, 1, "predictive", self._extra(1), self.rng)[:, 0]
        x = {name: np.full(m, value[0]) for name, value in one.items()}
        obs = self.fit.observations
        with np.errstate(all="ignore"):  # y = 0 or inf: see uncertainty()
            new = Observations.of(x, np.asarray(y, dtype=float), dict(obs.columns),
                                  obs.y_column, self.fit.law.link == "log", self._extra(m))
            return log_likelihood(self.spec, self.params, new)

    def uncertainty(self, log_w: np.ndarray | None, criterion: str, prob: float
                    ) -> tuple[np.ndarray, np.ndarray]:
        """The criterion under each reweighted posterior and the effective number of draws:
        arrays ``(outcomes,)`` (one value, the current posterior's, if ``log_w`` is None)."""
        if log_w is None:
            w = np.full((self.size, 1), 1.0 / self.size)
        else:
            # a measurement drawn so far in a heavy noise tail that it over- or underflows
            # (y = 0 or inf: zero density under every draw) is left out of the average
            log_w = log_w[:, np.isfinite(log_w).any(axis=0) & ~np.isnan(log_w).any(axis=0)]
            w = np.exp(log_w - log_w.max(axis=0))
            w /= w.sum(axis=0)
        ess = 1.0 / (w**2).sum(axis=0)
        if criterion == "variance":
            mean = w.T @ self.curve
            return np.maximum(w.T @ self.curve**2 - mean**2, 0.0), ess
        if criterion == "information":
            mean = w.T @ self.predictive
            var = np.maximum(w.T @ self.predictive**2 - mean**2, np.finfo(float).tiny)
            return 0.5 * np.log(2.0 * np.pi * np.e * var), ess
        order = np.argsort(self.predictive)
        cum = np.cumsum(w[order], axis=0)
        lower = (cum >= (1 - prob) / 2).argmax(axis=0)
        upper = (cum >= (1 + prob) / 2).argmax(axis=0)
        ranked = self.predictive[order]
        return ranked[upper] - ranked[lower], ess


def next_run(fit: Any, candidates: Any, target: Mapping[str, Any] | pd.DataFrame, *,
             cost: Cost = None, k: int = 1, criterion: str = "variance", prob: float = 0.9,
             outcomes: int = 200, max_draws: int = 2000,
             random_seed: int | None = 0) -> pd.DataFrame:
    """Rank candidate runs by the expected reduction of the target forecast's uncertainty
    per unit cost, and choose a batch of ``k`` runs greedily.

    Parameters
    ----------
    fit : Fit
        A fit without groups (:func:`bayeslaws.fit` or :func:`bayeslaws.load`).
    candidates : DataFrame or dict of columns
        One row per run that could be trained: a value of every law input, named like the
        law's inputs (``N``, ``D``) or like the fitted columns; other columns are kept.
    target : dict or one-row DataFrame
        The scale whose forecast matters, e.g. ``{"N": 7e10, "D": 1.4e12}``.
    cost : callable, str or None
        Cost of each candidate: ``None`` for the training compute ``6 N D`` (laws with inputs
        ``N`` and ``D``; other laws need a cost), a column of ``candidates``, or a function
        taking the candidates' inputs (a DataFrame with the law's input names) and returning
        one positive number per row.
    k : int
        Size of the batch chosen greedily (at most the number of candidates).
    criterion : {"variance", "width", "information"}
        ``"variance"``: variance of the law's curve at the target (what runs can reduce);
        ``"width"``: width of the forecast's ``prob`` predictive interval;
        ``"information"``: entropy (nats) of the target's predictive under a Gaussian
        approximation, so that ``reduction`` is the expected information gain about the
        target's loss.
    prob : float
        Probability of the interval for ``criterion="width"``.
    outcomes : int
        Possible measurements simulated per candidate (Monte Carlo size of the expectation).
    max_draws : int
        Posterior draws used (evenly thinned beyond this).
    random_seed : int, optional
        Seed of the simulated measurements; the default makes calls repeatable.

    Returns
    -------
    DataFrame
        One row per candidate (the candidates' index and columns, sorted by ``score``):
        ``cost``, ``current`` (the criterion now), ``expected`` (expected after the run),
        ``reduction`` (``current - expected``; for ``"information"`` the expected information
        gain in nats), ``relative_reduction`` (``reduction / current``; for
        ``"information"`` ``1 - exp(-2 reduction)``, the share of the predictive's
        Gaussian-equivalent variance removed), ``score``
        (``reduction / cost``), ``ess`` (mean effective number of reweighted draws) and
        ``batch`` (1..k: the order of the greedy batch; 0 for runs not chosen).
        ``attrs`` holds ``target``, ``criterion``, ``batch`` (candidate index labels in
        order) and ``batch_expected`` (the criterion expected after each step).

    Raises
    ------
    OptionError, DataError
        For a grouped fit, a bad option, candidates or target missing an input, or a cost
        that cannot be computed -- before any simulation.
    """
    if getattr(fit, "grouping", None) is not None:
        raise OptionError("next_run works on fits without groups; fit the group of interest "
                          "alone (bl.fit(..., data=runs of that group)) and call it on that.")
    check_choice("criterion", criterion, CRITERIA)
    prob = check_prob(prob)
    outcomes = _check_int("outcomes", outcomes, 8)
    max_draws = _check_int("max_draws", max_draws, 50)
    frame = as_frame(candidates, what="the candidates")
    if len(frame) == 0:
        raise DataError("candidates is empty: give at least one run to score.")
    inputs = _law_inputs(fit, frame, "Candidates")
    k = _check_int("k", k, 1, len(frame))
    target_frame = _law_inputs(fit, prediction_frame(target), "The target")
    if len(target_frame) != 1:
        raise OptionError(f"target must be one scale (one row), got {len(target_frame)}; score "
                          "each target with its own call.")
    costs = _costs(cost, inputs, frame, fit.law.name)

    pre = _Preposterior(fit, target_frame, outcomes, max_draws,
                        np.random.default_rng(random_seed))
    current = float(pre.uncertainty(None, criterion, prob)[0][0])
    weights = [pre.log_weights(row) for _, row in inputs.iterrows()]
    expected, ess = np.empty(len(frame)), np.empty(len(frame))
    for i, log_w in enumerate(weights):
        value, eff = pre.uncertainty(log_w, criterion, prob)
        expected[i], ess[i] = value.mean(), eff.mean()

    # greedy batch: each step conditions on the runs already chosen (joint possible outcomes)
    chosen: list[int] = [int(np.argmax((current - expected) / costs))]
    level, base = [float(expected[chosen[0]])], weights[chosen[0]]
    while len(chosen) < k:
        best, best_score, best_value = -1, -math.inf, math.nan
        for i in range(len(frame)):
            if i in chosen:
                continue
            value = float(pre.uncertainty(base + weights[i], criterion, prob)[0].mean())
            if (level[-1] - value) / costs[i] > best_score:
                best, best_score, best_value = i, (level[-1] - value) / costs[i], value
        chosen.append(best)
        level.append(best_value)
        base = base + weights[best]

    table = frame.copy()
    table["cost"] = costs
    table["current"] = current
    table["expected"] = expected
    table["reduction"] = current - expected
    if criterion == "information":  # share of the (Gaussian-equivalent) variance removed
        table["relative_reduction"] = 1.0 - np.exp(-2.0 * (current - expected))
    else:
        table["relative_reduction"] = (current - expected) / current if current > 0 else 0.0
    table["score"] = (current - expected) / costs
    table["ess"] = ess
    table["batch"] = 0
    for step, i in enumerate(chosen, start=1):
        table.iloc[i, table.columns.get_loc("batch")] = step
    low = table.index[(table["ess"] < ESS_WARN) & (table["batch"] > 0)]
    if len(low):
        warnings.warn(
            f"next_run: for chosen candidate(s) {list(low)} only about "
            f"{table.loc[low, 'ess'].min():.0f} reweighted posterior draws carry the estimate "
            "(the run would change the posterior a lot): its expected reduction is noisy; "
            "refit with more draws or check it with an exact refit.", SamplerWarning,
            stacklevel=2)
    table.attrs.update(target=target_frame.iloc[0].to_dict(), criterion=criterion,
                       batch=[frame.index[i] for i in chosen], batch_expected=level,
                       current=current)
    return table.sort_values("score", ascending=False)


def plot_next_run(table: pd.DataFrame, ax: Any = None):
    """Expected relative reduction of the target's uncertainty against each candidate's cost
    (log scale), the greedy batch numbered in its order; returns the axes."""
    import matplotlib.pyplot as plt

    if "relative_reduction" not in table.columns:
        raise OptionError("plot_next_run takes the table returned by next_run.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    chosen = table[table["batch"] > 0]
    ax.scatter(table["cost"], 100 * table["relative_reduction"], s=18, color="0.5",
               label="candidates")
    ax.scatter(chosen["cost"], 100 * chosen["relative_reduction"], s=40, color="C3",
               label=f"chosen batch (k={len(chosen)})")
    for _, row in chosen.iterrows():
        ax.annotate(str(int(row["batch"])), (row["cost"], 100 * row["relative_reduction"]),
                    textcoords="offset points", xytext=(4, 4), color="C3")
    ax.set_xscale("log")
    ax.set_xlabel("cost of the run")
    what = {"variance": "variance of the forecast", "width": "width of the forecast interval",
            "information": "forecast's (Gaussian) variance, by information"}.get(
                table.attrs.get("criterion"), "uncertainty")
    ax.set_ylabel(f"expected reduction of the {what} (%)")
    target = table.attrs.get("target")
    if target:
        ax.set_title("target " + ", ".join(f"{k}={v:.3g}" for k, v in target.items()))
    ax.legend(frameon=False)
    return ax
