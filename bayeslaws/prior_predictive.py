"""Prior predictive checks: what a law and its default priors say before seeing y.

:func:`prior_predictive` draws parameters from the priors a fit would use on a data set (the
defaults for those data, overridden by the user's), keeps the draws that satisfy the law's
constraints (ordered break points, bounds such as ``ceiling > floor`` -- the priors are
restricted to that region, so rejection gives exact draws), and evaluates the law, with or
without observation noise, at the data's inputs. A sensible prior puts the observed values
inside the prior predictive band and keeps the band on the scale of the data; each law file
documents the range its defaults give.

Examples
--------
>>> check = prior_predictive("saturating_power_law", df, x="params", y="loss")  # doctest: +SKIP
>>> check.table(prob=0.9)                                                      # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from bayeslaws.checks import check_choice, check_prob
from bayeslaws.data import Observations
from bayeslaws.exceptions import OptionError, PriorError
from bayeslaws.law import DataSummary, Law
from bayeslaws.model import centring, ordered, statistics
from bayeslaws.priors import Prior
from bayeslaws.spec import ModelSpec, prepare_fit
from bayeslaws.trace import draw_y

#: Give up when fewer than this fraction of joint prior draws satisfy the law's constraints.
MIN_ACCEPTANCE = 1e-3


@dataclass(frozen=True)
class PriorPredictive:
    """Prior draws of the parameters and of ``y`` at the data's inputs.

    Attributes
    ----------
    spec : ModelSpec
        Law, likelihood and the priors used.
    observations : Observations
        The data (inputs and observed ``y``).
    parameters : dict of str to ndarray
        Prior draws of every parameter, shape ``(draws,)``.
    draws : ndarray
        Prior predictive ``y`` at each data point, shape ``(draws, n)``.
    kind : {"mean", "predictive"}
        The law's value or a new measurement (with noise).
    """

    spec: ModelSpec
    observations: Observations
    parameters: dict[str, np.ndarray]
    draws: np.ndarray
    kind: str

    def table(self, prob: float = 0.9) -> pd.DataFrame:
        """Per data point: inputs, observed y, prior median and equal-tailed interval."""
        prob = check_prob(prob)
        frame = pd.DataFrame(self.observations.x)
        frame["observed"] = self.observations.y
        frame["median"] = np.nanmedian(self.draws, axis=0)
        frame["lower"] = np.nanquantile(self.draws, (1 - prob) / 2, axis=0)
        frame["upper"] = np.nanquantile(self.draws, (1 + prob) / 2, axis=0)
        return frame

    def coverage(self, prob: float = 0.9) -> float:
        """Fraction of observed values inside the prior predictive ``prob`` interval."""
        table = self.table(prob)
        inside = (table["lower"] <= table["observed"]) & (table["observed"] <= table["upper"])
        return float(inside.mean())


def draw_parameters(spec: ModelSpec, stats: Mapping[str, float], draws: int,
                    random_seed: int | None = 0,
                    summary: DataSummary | None = None) -> dict[str, np.ndarray]:
    """``draws`` joint prior draws of every parameter, restricted to the law's constraints.

    A prior ``at_centre`` is drawn as the value at the data's centre (``summary``) and turned
    into the paper's parameter with the centring slope drawn before it.
    """
    rng = np.random.default_rng(random_seed)
    kept: dict[str, list[np.ndarray]] = {name: [] for name in spec.parameter_names}
    total, accepted, batch = 0, 0, max(draws, 200)
    while accepted < draws:
        values: dict[str, np.ndarray] = {}
        ok = np.ones(batch, dtype=bool)
        for par in ordered(spec.parameters):
            prior: Prior = spec.priors[par.name]
            value = prior.draw(batch, random_seed=rng)
            if prior.at_centre:
                if summary is None:
                    raise PriorError(f"The prior of {par.name!r} is at the data's centre: give "
                                     "the data summary.")
                centre = summary.inputs[par.centre_input].log_centre
                value = value * np.exp(centring(par, values) * centre)
            values[par.name] = value
            lo, hi = par.resolve_bounds({**stats, **values})
            ok &= (np.asarray(lo) < value) & (value < np.asarray(hi))
        for name in kept:
            kept[name].append(values[name][ok])
        total += batch
        accepted += int(ok.sum())
        if accepted < MIN_ACCEPTANCE * total and total >= 100 * draws:
            raise PriorError(
                f"Only {accepted} of {total} prior draws of law {spec.law.name!r} satisfy its "
                "constraints (bounds, ordered break points): the priors put almost no mass "
                "where the law is defined; move them (see the law file's default priors)."
            )
    return {name: np.concatenate(parts)[:draws] for name, parts in kept.items()}


def prior_predictive(law: str | Law, data: Any, x: Mapping[str, str] | str | None = None,
                     y: str = "y", *, likelihood: str | None = None,
                     priors: Mapping[str, Prior] | None = None,
                     law_options: Mapping[str, Any] | None = None,
                     extra: Mapping[str, str] | None = None, draws: int = 1000,
                     kind: Literal["mean", "predictive"] = "mean",
                     random_seed: int | None = 0, allow_few_runs: bool = True
                     ) -> PriorPredictive:
    """Draw from the prior predictive distribution of a law at the inputs of ``data``.

    Parameters
    ----------
    law, data, x, y, likelihood, priors, law_options, extra
        As for :func:`bayeslaws.fit`; the data are checked the same way and the priors are the
        ones that fit would use.
    draws : int
        Number of prior draws.
    kind : {"mean", "predictive"}
        The law's value (``"mean"``) or a new measurement with observation noise.
    random_seed : int, optional
        Seed of the draws.
    allow_few_runs : bool
        Check the priors even on fewer runs than parameters (default; nothing is fitted).

    Returns
    -------
    PriorPredictive
    """
    check_choice("kind", kind, ("mean", "predictive"))
    if not isinstance(draws, int | np.integer) or draws < 1:
        raise OptionError(f"draws must be an integer >= 1, got {draws!r}.")
    spec, obs = prepare_fit(law, data, x, y, priors=priors, likelihood=likelihood,
                            law_options=law_options, extra=extra,
                            allow_few_runs=allow_few_runs)
    params = draw_parameters(spec, statistics(spec.law, obs), int(draws), random_seed,
                             summary=obs.summary)
    rng = np.random.default_rng(None if random_seed is None else random_seed + 1)
    with np.errstate(all="ignore"):
        values = draw_y(spec, {k: v[:, None] for k, v in params.items()}, obs.x, obs.n, kind,
                        obs.extra, rng)
    return PriorPredictive(spec, obs, params, np.asarray(values, dtype=float), kind)
