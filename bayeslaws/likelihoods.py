"""Observation models: how measured y scatter around the law.

``studentt`` (default for losses): Student-t noise on ``log y``, the robust Bayesian
counterpart of the Huber loss that published point fits use. ``lognormal``: Normal noise on
``log y`` -- losses are positive and spread over orders of magnitude, so errors are
multiplicative. A new run's loss under ``studentt`` has no finite mean (``exp`` of a heavy
tail), so forecasts report the mean of the law's curve in its place.

Each likelihood has a PyTensor form for sampling and a NumPy form for the pointwise
log-likelihood (stored in every fit, so LOO always works) and posterior predictive draws.
Both are densities of the transformed observation (``log y``), so fits of one data set with
different laws or likelihoods are comparable by LOO.

For laws of a fraction (``link="identity"``: accuracies, coverage, error rates):
``binomial`` counts correct answers out of ``n`` questions per row (``n`` from
``extra={"trials": "<column>"}``; the observed count is ``round(y * n)``; its log-likelihood is
that of the count) and ``beta`` puts a Beta distribution with mean the law and precision
``phi`` on the fraction itself (for averages over tasks, where no count exists). Predictive
draws of both are fractions. ``betabinomial`` is the Binomial count with overdispersion: each
row's true accuracy scatters around the law as Beta(mean the law, precision ``phi``), so
differences between models beyond the questions' sampling noise (architecture, data order,
a law that is only approximately right) widen the forecast instead of being ignored; as
``phi`` grows it becomes ``binomial``. Its density is that of the count, so ``binomial`` and
``betabinomial`` fits of one table are comparable by LOO. LOO compares fits only within one
of these families (counts, or fractions for ``beta``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy import stats

from bayeslaws.defaults import noise_prior
from bayeslaws.exceptions import DataError, OptionError, choices
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
    check: Callable | None = None  # (y, extra) -> None, raises DataError on unusable data
    #: What the density is of, when it is not read from ``transform`` (fits whose likelihoods
    #: share a scale are comparable by LOO, see :func:`bayeslaws.compare.density_scale`).
    scale: str = ""
    #: Whether a new run's y has a finite mean. ``exp`` of Student-t noise has none (its tail
    #: is heavier than any exponential), so forecasts report the mean of the law's curve.
    finite_mean: bool = True


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


#: Probabilities are kept this far inside (0, 1) so that a law's value of exactly 0 or 1 (in
#: floating point) never gives an infinite log-likelihood.
EPS = 1e-12


def _binomial_observe(name, mean, p, observed):
    n = p["trials"]
    prob = pt.clip(mean, EPS, 1.0 - EPS)
    return pm.Binomial(name, n=n, p=prob, observed=pt.round(observed * n))


def _binomial_logpdf(mean, p, observed):
    n = np.asarray(p["trials"], dtype=float)
    return stats.binom.logpmf(np.round(observed * n), n, np.clip(mean, EPS, 1.0 - EPS))


def _binomial_draw(mean, p, rng):
    prob = np.clip(mean, 0.0, 1.0)
    n = np.broadcast_to(np.round(np.asarray(p["trials"], dtype=float)), np.shape(prob))
    return rng.binomial(n.astype(np.int64), prob) / n


def _trials_check(likelihood: str) -> Callable:
    """Check that a count likelihood has whole numbers of questions per row."""

    def check(y, extra):
        if "trials" not in extra:
            raise DataError(
                f"Likelihood {likelihood!r} needs the number of questions (trials) behind each "
                "accuracy: pass extra={'trials': '<column>'} (for a benchmark reported with a "
                "standard error, n = round(acc * (1 - acc) / stderr**2))."
            )
        n = np.asarray(extra["trials"], dtype=float)
        bad = np.abs(n - np.round(n)) > 1e-6
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"Likelihood {likelihood!r}: trials must be whole numbers, but row {row} has "
                f"{float(n[row])!r}; "
                "round the column (e.g. df['n'] = df['n'].round())."
            )

    return check


def _beta_params(mean, phi):
    mean = np.clip(mean, EPS, 1.0 - EPS)
    return mean * phi, (1.0 - mean) * phi


def _beta_observe(name, mean, p, observed):
    mean = pt.clip(mean, EPS, 1.0 - EPS)
    return pm.Beta(name, alpha=mean * p["phi"], beta=(1.0 - mean) * p["phi"], observed=observed)


def _beta_logpdf(mean, p, observed):
    a, b = _beta_params(mean, p["phi"])
    return stats.beta.logpdf(observed, a, b)


def _beta_draw(mean, p, rng):
    a, b = _beta_params(mean, p["phi"])
    return rng.beta(a, b)


def _beta_check(y, extra):
    bad = (y <= 0) | (y >= 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"Likelihood 'beta' needs fractions strictly between 0 and 1, but row {row} has "
            f"{float(y[row])!r} ({int(bad.sum())} such rows); use likelihood='binomial' with "
            "extra={'trials': '<column>'} when the counts are known."
        )


def _betabinomial_observe(name, mean, p, observed):
    n = p["trials"]
    mean = pt.clip(mean, EPS, 1.0 - EPS)
    return pm.BetaBinomial(name, alpha=mean * p["phi"], beta=(1.0 - mean) * p["phi"], n=n,
                           observed=pt.round(observed * n))


def _betabinomial_logpdf(mean, p, observed):
    n = np.asarray(p["trials"], dtype=float)
    a, b = _beta_params(mean, p["phi"])
    return stats.betabinom.logpmf(np.round(observed * n), n, a, b)


def _betabinomial_draw(mean, p, rng):
    a, b = _beta_params(mean, p["phi"])
    prob = rng.beta(a, b)
    n = np.broadcast_to(np.round(np.asarray(p["trials"], dtype=float)), np.shape(prob))
    return rng.binomial(n.astype(np.int64), prob) / n


def _fraction(y):
    return np.asarray(y, dtype=float)


_NOISE = Parameter("sigma", description="noise scale of log y")
def _precision_prior(summary: DataSummary) -> dict[str, Prior]:
    """Prior of the Beta precision ``phi``: median 200 (sd of an accuracy of 0.5 about 0.035),
    90% between about 7 and 5,400."""
    return {"phi": Prior("LogNormal", mu=float(np.log(200.0)), sigma=2.0)}


#: Density scale of the count likelihoods (binomial and beta-binomial fits are comparable).
COUNT_SCALE = "count correct out of the trials"

LIKELIHOODS: dict[str, Likelihood] = {
    "lognormal": Likelihood(
        name="lognormal",
        link="log",
        parameters=(_NOISE,),
        default_priors=lambda s: {"sigma": noise_prior()},
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
            "sigma": noise_prior(),
            "nu": Prior("Gamma", alpha=2.0, beta=0.1),
        },
        observe=_studentt_observe,
        logpdf=_studentt_logpdf,
        draw=_studentt_draw,
        transform=np.log,
        description="Student-t noise on log y (robust to outlying runs)",
        finite_mean=False,
    ),
    "binomial": Likelihood(
        name="binomial",
        link="identity",
        parameters=(),
        default_priors=lambda s: {},
        observe=_binomial_observe,
        logpdf=_binomial_logpdf,
        draw=_binomial_draw,
        transform=_fraction,
        description="Binomial count of correct answers out of extra 'trials' questions",
        check=_trials_check("binomial"),
        scale=COUNT_SCALE,
    ),
    "beta": Likelihood(
        name="beta",
        link="identity",
        parameters=(Parameter("phi", description="Beta precision (alpha + beta)"),),
        default_priors=_precision_prior,
        observe=_beta_observe,
        logpdf=_beta_logpdf,
        draw=_beta_draw,
        transform=_fraction,
        description="Beta noise on a fraction, mean the law, precision phi",
        check=_beta_check,
    ),
    "betabinomial": Likelihood(
        name="betabinomial",
        link="identity",
        parameters=(Parameter("phi", description="Beta precision of the per-row accuracy"),),
        default_priors=_precision_prior,
        observe=_betabinomial_observe,
        logpdf=_betabinomial_logpdf,
        draw=_betabinomial_draw,
        transform=_fraction,
        description="Binomial count whose accuracy scatters around the law (Beta, precision "
                    "phi): rows differ by more than the questions' sampling noise",
        check=_trials_check("betabinomial"),
        scale=COUNT_SCALE,
    ),
}


#: Default likelihood of laws of a positive loss (``link="log"``); see :func:`default_likelihood`.
DEFAULT_LOSS_LIKELIHOOD = "studentt"


def default_likelihood(law_link: str, extra: Mapping[str, str] | None = None) -> str:
    """The likelihood a fit uses when none is given.

    Losses (``link="log"``): ``studentt``, Student-t noise on ``log y``, chosen by
    ``benchmarks/defaults.py`` (see the README's reliability table): one outlying run no longer
    drags the exponents (on Chinchilla's 245 runs the Normal noise gave beta 0.61 and a falling
    tokens-per-parameter ratio), and where no run is an outlier the posterior of ``nu`` is large
    and the fit matches ``lognormal``'s. Fractions (``link="identity"``): ``betabinomial`` when
    ``extra`` gives the number of questions (``{"trials": ...}``), else ``beta``.
    """
    if law_link == "log":
        return DEFAULT_LOSS_LIKELIHOOD
    return "betabinomial" if "trials" in (extra or {}) else "beta"


def get_likelihood(name: str | Likelihood, law_link: str, law_name: str) -> Likelihood:
    """Look up a likelihood and check it suits the law's scale."""
    if isinstance(name, Likelihood):
        likelihood = name
    elif name not in LIKELIHOODS:
        raise OptionError(
            f"Unknown likelihood {name!r}. Valid choices: {choices(LIKELIHOODS)}."
        )
    else:
        likelihood = LIKELIHOODS[name]
    if likelihood.link != law_link:
        fitting = sorted(k for k, v in LIKELIHOODS.items() if v.link == law_link)
        raise OptionError(
            f"Likelihood {likelihood.name!r} does not suit law {law_name!r} (which models "
            f"{'a positive loss' if law_link == 'log' else 'a fraction'}); use one of "
            f"{choices(fitting)}."
        )
    return likelihood
