"""Observation models: how measured y scatter around the law.

Losses (``link="log"``): ``studentt`` (the default), Student-t noise on ``log y``, the robust
Bayesian counterpart of the Huber loss that published point fits use; ``lognormal``, Normal
noise on ``log y`` (losses are positive and spread over orders of magnitude, so errors are
multiplicative). A new run's loss under ``studentt`` has no finite mean (``exp`` of a heavy
tail), so forecasts report the mean of the law's curve in its place.

Frontier fits (losses): ``frontier`` is for sweeps where only some runs lie on the compute
frontier that the law describes and the others lie above it (under-trained, data-limited or
badly tuned runs): each run is on the law with Normal noise ``sigma`` on ``log y``, or, with
probability ``off``, above it by an Exponential excess of mean ``gap`` (log y then has an
exponentially modified Gaussian density). The law's curve (``predict(kind="mean")``) is the
frontier; predictive draws are of a new run of the same sweep (off the frontier with probability
``off``). Its on-frontier noise prior is narrower than the other losses' (LogNormal, median 1%,
sigma 0.6: 90% between 0.37% and 2.7%): with the package's wider noise prior, few runs on the
frontier and a tiny ``sigma`` make a funnel (the law must pass within ``sigma`` of those runs):
43 divergences in 3 x 4,000 draws on Gadre et al.'s runs, 3 with the narrower prior
(``benchmarks/frontier_divergences.py``).

Fractions (``link="identity"``: accuracies, coverage, error rates): ``binomial`` counts correct
answers out of ``n`` questions per row (``n`` from ``extra={"trials": "<column>"}``, the count
``round(y * n)``); ``betabinomial`` adds overdispersion: each row's true accuracy scatters
around the law as Beta(mean the law, precision ``phi``), so differences between models beyond
the questions' sampling noise (architecture, data order, a law only approximately right) widen
the forecast instead of being ignored (as ``phi`` grows it becomes ``binomial``); ``beta`` puts
a Beta distribution of precision ``phi`` on the fraction itself (averages over tasks, where no
count exists). Predictive draws are fractions.

Each likelihood has a PyTensor form for sampling and a NumPy form for the pointwise
log-likelihood (stored in every fit, so LOO always works) and predictive draws. Densities are
of ``log y`` for losses, of the count for ``binomial`` and ``betabinomial``, of the fraction for
``beta``: LOO compares fits (any laws) within one of these scales.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy import special, stats

from bayeslaws.defaults import NOISE_MEDIAN, noise_prior
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


#: Probabilities are kept this far inside (0, 1) so that a law's value of exactly 0 or 1 (in
#: floating point) never gives an infinite log-likelihood.
EPS = 1e-12


def _beta_params(mean, phi, xp=np):
    """Beta shapes of mean ``mean`` (kept inside (0, 1)) and precision ``phi``."""
    mean = xp.clip(mean, EPS, 1.0 - EPS)
    return mean * phi, (1.0 - mean) * phi


def _counts(observed, p):
    """Correct answers (``round(y * n)``) and questions ``n`` per row, NumPy."""
    n = np.asarray(p["trials"], dtype=float)
    return np.round(observed * n), n


def _count_draw(prob, p, rng):
    """Fraction correct of each row's questions, each answered correctly with ``prob``."""
    n = np.broadcast_to(np.round(np.asarray(p["trials"], dtype=float)), np.shape(prob))
    return rng.binomial(n.astype(np.int64), prob) / n


def _trials_check(likelihood: str) -> Callable:
    """Check that a count likelihood has whole numbers of questions per row."""

    def check(y, extra):
        if "trials" not in extra:
            raise DataError(
                f"Likelihood {likelihood!r} needs the number of questions (trials) behind each "
                "accuracy: pass extra={'trials': '<column>'} (for a benchmark reported with a "
                "standard error, n = round(acc * (1 - acc) / stderr**2)).")
        n = np.asarray(extra["trials"], dtype=float)
        bad = np.abs(n - np.round(n)) > 1e-6
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"Likelihood {likelihood!r}: trials must be whole numbers, but row {row} has "
                f"{float(n[row])!r}; round the column (e.g. df['n'] = df['n'].round()).")

    return check


def _beta_check(y, extra):
    bad = (y <= 0) | (y >= 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"Likelihood 'beta' needs fractions strictly between 0 and 1, but row {row} has "
            f"{float(y[row])!r} ({int(bad.sum())} such rows); use likelihood='binomial' with "
            "extra={'trials': '<column>'} when the counts are known.")


def _fraction(y):
    return np.asarray(y, dtype=float)


def _loss(name: str, parameters: tuple[Parameter, ...], priors: Callable, observe: Callable,
          logpdf: Callable, draw: Callable, description: str, **options) -> Likelihood:
    """A likelihood of ``log y`` (laws of a positive loss)."""
    return Likelihood(name, "log", parameters, priors, observe, logpdf, draw, np.log,
                      description, **options)


def _fractional(name: str, parameters: tuple[Parameter, ...], observe: Callable,
                logpdf: Callable, draw: Callable, description: str, **options) -> Likelihood:
    """A likelihood of a fraction in [0, 1] (accuracies); its precision ``phi``, if any, gets
    the prior of median 200 (sd of an accuracy of 0.5 about 0.035, 90% between 7 and 5,400)."""
    priors = ((lambda s: {"phi": Prior("LogNormal", mu=float(np.log(200.0)), sigma=2.0)})
              if parameters else (lambda s: {}))
    return Likelihood(name, "identity", parameters, priors, observe, logpdf, draw, _fraction,
                      description, **options)


_NOISE = Parameter("sigma", description="noise scale of log y")
_OFF = Parameter("off", support="unit", description="share of runs off the frontier")
_GAP = Parameter("gap", description="mean excess of log y of an off-frontier run")


def _frontier_observe(name, mean, p, y):
    """Mixture: on the frontier Normal(mean, sigma) on log y; off it the same plus an
    Exponential excess of mean ``gap`` (an exponentially modified Gaussian)."""
    weights = pt.stack([1.0 - p["off"], p["off"]])
    return pm.Mixture(name, w=weights, comp_dists=[
        pm.Normal.dist(mu=mean, sigma=p["sigma"]),
        pm.ExGaussian.dist(mu=mean, sigma=p["sigma"], nu=p["gap"])], observed=y)


def _frontier_logpdf(mean, p, y):
    sigma, off, gap = p["sigma"], p["off"], p["gap"]
    on = np.log1p(-off) + stats.norm.logpdf(y, loc=mean, scale=sigma)
    above = np.log(off) + stats.exponnorm.logpdf(y, gap / sigma, loc=mean, scale=sigma)
    return np.logaddexp(on, above)


def _frontier_draw(mean, p, rng):
    shape = np.shape(mean)
    off = rng.random(shape) < np.broadcast_to(p["off"], shape)
    excess = rng.exponential(1.0, shape) * np.broadcast_to(p["gap"], shape)
    return np.exp(mean + p["sigma"] * rng.standard_normal(shape) + np.where(off, excess, 0.0))


def _studentt_logpdf(mean, p, y):
    """Student-t log density of ``y`` (as ``scipy.stats.t.logpdf``, several times faster on
    (draws x runs) arrays: the normalising constant is computed once per draw of ``nu`` and
    ``sigma``, not per run)."""
    nu, sigma = np.asarray(p["nu"], dtype=float), np.asarray(p["sigma"], dtype=float)
    # log Gamma((nu + 1) / 2) - log Gamma(nu / 2) - log(pi nu) / 2, through log B(nu / 2, 1 / 2):
    # exact to rounding also for very large nu, where the difference of two log-gammas is not
    const = -special.betaln(nu / 2.0, 0.5) - 0.5 * np.log(nu) - np.log(sigma)
    z = (np.asarray(y, dtype=float) - mean) / sigma
    return const - (nu + 1.0) / 2.0 * np.log1p(z * z / nu)


#: Default priors of ``frontier``: the on-frontier noise LogNormal with median 1% and sigma 0.6
#: (90% between 0.37% and 2.7%; narrower than ``noise_prior()``'s 1.2, which lets ``sigma``
#: shrink into a funnel when few runs are on the frontier, see the module docstring); the
#: off-frontier share uniform; the mean excess LogNormal with median 10% of the loss (90%
#: between 1.9% and 52%).
FRONTIER_PRIORS = {"sigma": Prior("LogNormal", mu=float(np.log(NOISE_MEDIAN)), sigma=0.6),
                   "off": Prior("Beta", alpha=1.0, beta=1.0),
                   "gap": Prior("LogNormal", mu=float(np.log(0.1)), sigma=1.0)}
#: Density scale of the count likelihoods (binomial and beta-binomial fits are comparable).
COUNT_SCALE = "count correct out of the trials"

#: Each: name, parameters, (losses) default priors, then PyMC observation, NumPy log density
#: and NumPy draws of y (see :class:`Likelihood`), description.
LIKELIHOODS: dict[str, Likelihood] = {
    "lognormal": _loss(
        "lognormal", (_NOISE,), lambda s: {"sigma": noise_prior()},
        lambda name, mean, p, y: pm.Normal(name, mu=mean, sigma=p["sigma"], observed=y),
        lambda mean, p, y: stats.norm.logpdf(y, loc=mean, scale=p["sigma"]),
        lambda mean, p, rng: np.exp(mean + p["sigma"] * rng.standard_normal(np.shape(mean))),
        "Normal noise on log y (multiplicative noise)"),
    "studentt": _loss(
        "studentt", (_NOISE, Parameter("nu", description="degrees of freedom")),
        lambda s: {"sigma": noise_prior(), "nu": Prior("Gamma", alpha=2.0, beta=0.1)},
        lambda name, mean, p, y: pm.StudentT(name, nu=p["nu"], mu=mean, sigma=p["sigma"],
                                             observed=y),
        _studentt_logpdf,
        lambda mean, p, rng: np.exp(mean + p["sigma"] * rng.standard_t(p["nu"], np.shape(mean))),
        "Student-t noise on log y (robust to outlying runs)", finite_mean=False),
    "frontier": _loss(
        "frontier", (_NOISE, _OFF, _GAP), lambda s: dict(FRONTIER_PRIORS),
        _frontier_observe, _frontier_logpdf, _frontier_draw,
        "Frontier fit: a share 'off' of the runs lie above the law (under-trained, "
        "data-limited, badly tuned) by an Exponential excess of mean 'gap' in log y, the rest "
        "on it with Normal noise sigma"),
    "binomial": _fractional(
        "binomial", (),
        lambda name, mean, p, y: pm.Binomial(name, n=p["trials"], p=pt.clip(mean, EPS, 1.0 - EPS),
                                             observed=pt.round(y * p["trials"])),
        lambda mean, p, y: stats.binom.logpmf(*_counts(y, p), np.clip(mean, EPS, 1.0 - EPS)),
        lambda mean, p, rng: _count_draw(np.clip(mean, 0.0, 1.0), p, rng),
        "Binomial count of correct answers out of extra 'trials' questions",
        check=_trials_check("binomial"), scale=COUNT_SCALE),
    "beta": _fractional(
        "beta", (Parameter("phi", description="Beta precision (alpha + beta)"),),
        lambda name, mean, p, y: pm.Beta(name, *_beta_params(mean, p["phi"], pt), observed=y),
        lambda mean, p, y: stats.beta.logpdf(y, *_beta_params(mean, p["phi"])),
        lambda mean, p, rng: rng.beta(*_beta_params(mean, p["phi"])),
        "Beta noise on a fraction, mean the law, precision phi", check=_beta_check),
    "betabinomial": _fractional(
        "betabinomial", (Parameter("phi", description="Beta precision of the per-row accuracy"),),
        lambda name, mean, p, y: pm.BetaBinomial(name, *_beta_params(mean, p["phi"], pt),
                                                 n=p["trials"], observed=pt.round(y * p["trials"])),
        lambda mean, p, y: stats.betabinom.logpmf(*_counts(y, p), *_beta_params(mean, p["phi"])),
        lambda mean, p, rng: _count_draw(rng.beta(*_beta_params(mean, p["phi"])), p, rng),
        "Binomial count whose accuracy scatters around the law (Beta, precision phi): rows "
        "differ by more than the questions' sampling noise",
        check=_trials_check("betabinomial"), scale=COUNT_SCALE),
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
    if not isinstance(name, Likelihood) and name not in LIKELIHOODS:
        raise OptionError(f"Unknown likelihood {name!r}. Valid choices: {choices(LIKELIHOODS)}.")
    likelihood = name if isinstance(name, Likelihood) else LIKELIHOODS[name]
    if likelihood.link != law_link:
        fitting = sorted(k for k, v in LIKELIHOODS.items() if v.link == law_link)
        raise OptionError(
            f"Likelihood {likelihood.name!r} does not suit law {law_name!r} (which models "
            f"{'a positive loss' if law_link == 'log' else 'a fraction'}); use one of "
            f"{choices(fitting)}.")
    return likelihood
