"""How much of a posterior the priors carry: prior against posterior, parameter by parameter.

With few runs the priors decide part of the answer. :func:`prior_vs_posterior` puts each
parameter's prior (drawn exactly as the fit's model has it, at the fitted data's centre, within
the law's constraints: :func:`bayeslaws.prior_predictive.draw_parameters`) next to its
posterior, and gives the ratio of their spreads: near 1 the data taught the parameter nothing
and the prior carries it; near 0 the data pinned it down.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from bayeslaws.checks import check_prob
from bayeslaws.model import statistics
from bayeslaws.prior_predictive import draw_parameters

#: Spread ratios above which a parameter is said to be carried by its prior, and below which
#: by the data.
CARRIED_BY_PRIOR, CARRIED_BY_DATA = 0.7, 0.3


def _spread(values: np.ndarray, positive: bool) -> float:
    values = np.asarray(values, dtype=float)
    return float(np.std(np.log(values)) if positive else np.std(values))


def prior_vs_posterior(fit: Any, prob: float = 0.9, draws: int = 4000,
                       random_seed: int | None = 0) -> pd.DataFrame:
    """Prior and posterior of every parameter, and the ratio of their spreads.

    Parameters
    ----------
    fit : Fit
        A fit (grouped fits: the varying parameters' rows, ``E[rpj]``, are compared with the
        prior of the parameter).
    prob : float
        Probability of the equal-tailed intervals.
    draws : int
        Prior draws.
    random_seed : int, optional
        Seed of the prior draws.

    Returns
    -------
    DataFrame
        One row per parameter: ``prior_median``, ``prior_lower``, ``prior_upper``,
        ``posterior_median``, ``posterior_lower``, ``posterior_upper``, ``sd_ratio``
        (posterior sd / prior sd, of the log for positive parameters) and ``carried_by``
        (``"prior"`` for a ratio above 0.7, ``"data"`` below 0.3, else ``"both"``).
    """
    prob = check_prob(prob)
    obs = fit.observations
    prior = draw_parameters(fit.spec, statistics(fit.law, obs), draws, random_seed,
                            obs.summary)
    posterior = fit.draws()
    q = [(1 - prob) / 2, 0.5, (1 + prob) / 2]
    rows = {}
    for label, values in posterior.items():
        name = label.split("[", 1)[0]
        before = prior[name]
        positive = bool(np.all(before > 0) and np.all(values > 0))
        lo, med, hi = np.quantile(before, q)
        plo, pmed, phi = np.quantile(values, q)
        ratio = _spread(values, positive) / _spread(before, positive)
        rows[label] = {"prior_median": med, "prior_lower": lo, "prior_upper": hi,
                       "posterior_median": pmed, "posterior_lower": plo,
                       "posterior_upper": phi, "sd_ratio": ratio,
                       "carried_by": "prior" if ratio > CARRIED_BY_PRIOR else
                       "data" if ratio < CARRIED_BY_DATA else "both"}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.attrs["prob"] = prob
    return table
