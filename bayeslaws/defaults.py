"""Building blocks for the default priors of law files.

Defaults are weakly informative and set on the scale of the log data: exponents are positive and
of order 0.05-2, irreducible losses sit below the smallest observed loss, and amplitudes are
wide normal priors on their logarithm, centred where the term is of the size of the data at the
centre of the inputs. Law files combine these; users override any of them by name.
"""

from __future__ import annotations

import math

from bayeslaws.law import DataSummary
from bayeslaws.priors import Prior

#: Typical exponent used to centre amplitude priors and starting values.
TYPICAL_EXPONENT = 0.3
#: Spread of the default amplitude priors (LogNormal sigma of the term at the data's centre).
AMPLITUDE_SIGMA = 1.0
#: Spread of the default exponent prior (LogNormal sigma).
EXPONENT_SIGMA = 0.6
#: Median of the default noise prior: run-to-run scatter of published final losses is 0.1-2%.
NOISE_MEDIAN = 0.01
#: Spread (LogNormal sigma) of the change a single-term curve makes across half the data.
CHANGE_SIGMA = 0.6
#: Spread of the amplitude prior of a term that is the whole curve (``share=1``): the curve
#: must pass near the data's centre.
WHOLE_CURVE_SIGMA = 0.5


def exponent_prior(median: float = TYPICAL_EXPONENT, sigma: float = EXPONENT_SIGMA, *,
                   summary: DataSummary | None = None, input_name: str | None = None,
                   change: float | None = None) -> Prior:
    """LogNormal exponent prior.

    By default the range of published scaling exponents: 90% between 0.11 and 0.80, 99%
    between 0.064 and 1.4 (Kaplan et al.'s 0.076-0.095 to Chinchilla's 0.28-0.37 and the
    learning curves of Alabdulmohsin et al.); a wider sigma puts prior curves far off the data
    (``benchmarks/prior_ranges.py``).

    With ``summary``, ``input_name`` and ``change`` (for a law whose whole curve is the one
    term ``A x^-alpha``, :func:`observed_change`), it also uses what the data's range of ``y``
    says: ``alpha`` times half the data's log span of ``x`` is LogNormal around ``change``
    with sigma :data:`CHANGE_SIGMA`, and the two are combined (product of the densities, again
    a LogNormal). A pure power law over a long, flat curve then gets the small exponent the
    curve shows instead of prior curves that climb 10-30 times above the data.
    """
    if summary is None or change is None:
        return Prior("LogNormal", mu=math.log(median), sigma=sigma)
    half = max(0.5 * summary.inputs[input_name].log_span, 1e-3)
    mu_change = math.log(change / half)
    precision = 1.0 / sigma**2 + 1.0 / CHANGE_SIGMA**2
    mu = (math.log(median) / sigma**2 + mu_change / CHANGE_SIGMA**2) / precision
    return Prior("LogNormal", mu=mu, sigma=math.sqrt(1.0 / precision))


def observed_change(summary: DataSummary) -> float:
    """Half the data's log range of ``y``, ``log(y_max / y_min) / 2`` (at least 0.02): the log
    change between the centre and an edge of a curve that is a single power-law term."""
    return max(0.5 * math.log(summary.y_max / summary.y_min), 0.02)


def floor_prior(summary: DataSummary) -> Prior:
    """Irreducible loss ``E``: median 0.6 x the smallest observed y, LogNormal sigma 0.7 (90%
    between 0.19 and 1.9 times the smallest y; 23% above it, where no run could lie)."""
    return Prior("LogNormal", mu=summary.log_y_min - 0.5, sigma=0.7)


def amplitude_prior(summary: DataSummary, input_name: str, share: float = 0.5,
                    sigma: float | None = None) -> Prior:
    """Amplitude ``A`` of a term ``A x^-alpha``, as the size of the term at the data's centre.

    The prior is on the term's value at the geometric centre of ``x`` (``at_centre=True``, see
    :class:`~bayeslaws.priors.Prior`), LogNormal with median ``share`` times the data's typical
    y and ``sigma`` (default :data:`AMPLITUDE_SIGMA`: 90% within a factor of 5 either way). The
    paper's ``A`` is derived from it and the exponent, so the prior stays on the data's scale
    whatever units ``x`` is in (a prior on ``A`` itself, at ``x = 1``, needed a standard
    deviation of about 10 on ``log A`` for Chinchilla and put most curves far off the data).
    """
    summary.inputs[input_name]  # a KeyError for an input the law does not have
    if sigma is None:
        sigma = WHOLE_CURVE_SIGMA if share >= 1.0 else AMPLITUDE_SIGMA
    return Prior("LogNormal", mu=math.log(share * summary.y_centre), sigma=sigma,
                 at_centre=True)


def location_prior(summary: DataSummary, input_name: str, offset: float = 0.0,
                   sigma: float | None = None) -> Prior:
    """A scale location (``N_c``, a break point) given as LogNormal around the data's centre."""
    info = summary.inputs[input_name]
    return Prior("LogNormal", mu=info.log_centre + offset,
                 sigma=sigma if sigma is not None else max(2.0, info.log_span))


def noise_prior() -> Prior:
    """Scale ``sigma`` of the multiplicative noise (standard deviation of ``log y``):
    LogNormal with median 1% (:data:`NOISE_MEDIAN`) and sigma 1.2, 90% between 0.14% and 7.2%,
    10% noise still plausible (2.7% of the mass above it), 50% noise not."""
    return Prior("LogNormal", mu=math.log(NOISE_MEDIAN), sigma=1.2)


def amplitude_start(summary: DataSummary, input_name: str, term_value: float,
                    exponent: float = TYPICAL_EXPONENT) -> float:
    """Amplitude that makes ``A x^-exponent`` equal ``term_value`` at the input's centre."""
    return term_value * math.exp(exponent * summary.inputs[input_name].log_centre)


def negative_exponent_prior(median: float = -TYPICAL_EXPONENT, sigma: float = 0.5) -> Prior:
    """Exponent ``b < 0`` of a term ``a x^b`` (papers that write the sign into the exponent):
    a Normal truncated above at 0 with median near ``median``; the default puts 90% of its mass
    between about -1.1 and -0.03."""
    return Prior("TruncatedNormal", mu=median, sigma=sigma, upper=0.0)


def break_prior(summary: DataSummary, input_name: str) -> Prior:
    """Break point ``d`` of a broken power law, on the scale of ``x``.

    LogNormal around the centre of the data's ``log x`` with a standard deviation of 0.6 times
    the data's log span (at least 0.5): its 90% interval covers the data range and reaches
    about half a span beyond either end, where a break can still shape the observed curve.
    """
    info = summary.inputs[input_name]
    return Prior("LogNormal", mu=info.log_centre, sigma=max(0.5, 0.6 * info.log_span))


def sharpness_prior(summary: DataSummary, input_name: str) -> Prior:
    """Sharpness ``f > 0`` of a break: the width of the transition in natural-log units of x.

    Median a tenth of the data's log span (at least 0.05); sigma 1.5 lets the transition be
    anything from a near-step between two measurements to a bend spanning the whole range.
    """
    span = max(summary.inputs[input_name].log_span, 0.5)
    return Prior("LogNormal", mu=math.log(0.1 * span), sigma=1.5)


def slope_change_prior(sigma: float = 3.0) -> Prior:
    """Change ``c`` of the log-log slope at a break; may be negative (U-shapes, double descent).
    Normal(0, 3): slope changes of several units (sharp emergent drops) stay plausible.

    A span-aware Normal(0, min(3, 5 / log span of x)) for the slopes was measured in session 7
    (benchmarks/README.md): it narrowed bnsl's prior band from 1e5-1e17 to 270-22,000 times the
    data, but did not help convergence on real curves and pulled a double-descent slope change
    toward 0 (tests/test_recovery.py's double-descent case: c1 -0.936 +- 0.038 against -0.964
    +- 0.060, truth -1), so the former prior stays.
    """
    return Prior("Normal", mu=0.0, sigma=sigma)


def rate_prior(summary: DataSummary, input_name: str, sigma: float = 1.0) -> Prior:
    """Slope ``k > 0`` of a logistic in ``log x``: median ``4 / span``, so the transition
    (from 12% to 88% of its range) spans about the data's log range."""
    span = max(summary.inputs[input_name].log_span, 0.5)
    return Prior("LogNormal", mu=math.log(4.0 / span), sigma=sigma)
