"""Observation models: how measured y scatter around the law.

``lognormal`` (default): Normal noise on ``log y`` -- losses are positive and spread over
orders of magnitude, so errors are multiplicative. ``studentt``: Student-t noise on ``log y``,
the robust Bayesian counterpart of the Huber loss that published point fits use.

Each likelihood has a PyTensor form for sampling and a NumPy form for the pointwise
log-likelihood (stored in every fit, so LOO always works) and posterior predictive draws.
Both are densities of the transformed observation (``log y``), so fits of one data set with
different laws or likelihoods are comparable by LOO.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pymc as pm
from scipy import stats

from bayeslaws.exceptions import BayesLawsError, choices
from bayeslaws.law import DataSummary, Parameter
from bayeslaws.priors import Prior


@dataclass(frozen=True)
class Likelihood:
    """An observation model: its parameters, priors and densities."""

    name: str
    link: str
    parameters: tuple[Parameter, ...]
    default_priors: Callable[[DataSummary], dict[str, Prior]]
    observe: Callable  # (name, mean, params, observed) -> PyMC RV, inside a model
    logpdf: Callable  # (mean, params, observed) -> array
    draw: Callable  # (mean, params, rng) -> array of y on the natural scale
    transform: Callable  # natural y -> observed value passed to observe/logpdf
    description: str = ""


def _lognormal_observe(name, mean, p, observed):
    return pm.Normal(name, mu=mean, sigma=p["sigma"], observed=observed)


def _lognormal_logpdf(mean, p, observed):
    return stats.norm.logpdf(observed, loc=mean, scale=p["sigma"])


def _lognormal_draw(mean, p, rng):
    return np.exp(mean + p["sigma"] * rng.standard_normal(np.shape(mean)))


def _studentt_observe(name, mean, p, observed):
    return pm.StudentT(name, nu=p["nu"], mu=mean, sigma=p["sigma"], observed=observed)


def _studentt_logpdf(mean, p, observed):
    return stats.t.logpdf(observed, df=p["nu"], loc=mean, scale=p["sigma"])


def _studentt_draw(mean, p, rng):
    return np.exp(mean + p["sigma"] * rng.standard_t(p["nu"], size=np.shape(mean)))


_NOISE = Parameter("sigma", description="noise scale of log y")

LIKELIHOODS: dict[str, Likelihood] = {
    "lognormal": Likelihood(
        name="lognormal",
        link="log",
        parameters=(_NOISE,),
        default_priors=lambda s: {"sigma": Prior("HalfNormal", sigma=0.5)},
        observe=_lognormal_observe,
        logpdf=_lognormal_logpdf,
        draw=_lognormal_draw,
        transform=np.log,
        description="Normal noise on log y (multiplicative noise)",
    ),
    "studentt": Likelihood(
        name="studentt",
        link="log",
        parameters=(_NOISE, Parameter("nu", description="degrees of freedom")),
        default_priors=lambda s: {
            "sigma": Prior("HalfNormal", sigma=0.5),
            "nu": Prior("Gamma", alpha=2.0, beta=0.1),
        },
        observe=_studentt_observe,
        logpdf=_studentt_logpdf,
        draw=_studentt_draw,
        transform=np.log,
        description="Student-t noise on log y (robust to outlying runs)",
    ),
}


def get_likelihood(name: str | Likelihood, law_link: str, law_name: str) -> Likelihood:
    """Look up a likelihood and check it suits the law's scale."""
    if isinstance(name, Likelihood):
        likelihood = name
    elif name not in LIKELIHOODS:
        raise BayesLawsError(
            f"Unknown likelihood {name!r}. Valid choices: {choices(LIKELIHOODS)}."
        )
    else:
        likelihood = LIKELIHOODS[name]
    if likelihood.link != law_link:
        fitting = sorted(k for k, v in LIKELIHOODS.items() if v.link == law_link)
        raise BayesLawsError(
            f"Likelihood {likelihood.name!r} does not suit law {law_name!r} (which models "
            f"{'a positive loss' if law_link == 'log' else 'a fraction'}); use one of "
            f"{choices(fitting)}."
        )
    return likelihood
