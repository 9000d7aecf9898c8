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


def exponent_prior(median: float = TYPICAL_EXPONENT, sigma: float = 1.0) -> Prior:
    """LogNormal exponent prior; the default's 90% interval is about 0.06-1.5."""
    return Prior("LogNormal", mu=math.log(median), sigma=sigma)


def floor_prior(summary: DataSummary) -> Prior:
    """Irreducible loss ``E``: median 0.6 x the smallest observed y, one e-fold either way."""
    return Prior("LogNormal", mu=summary.log_y_min - 0.5, sigma=1.0)


def amplitude_prior(summary: DataSummary, input_name: str) -> Prior:
    """Amplitude ``A`` of a term ``A x^-alpha``, wide on ``log A``.

    Centred where the term equals the data's typical y at the centre of ``log x`` for a typical
    exponent; the standard deviation grows with the distance of the data from x = 1, where
    ``A`` is defined, so that the prior stays weak whatever units x is in.
    """
    centre = summary.inputs[input_name].log_centre
    return Prior(
        "LogNormal",
        mu=summary.log_y_centre + TYPICAL_EXPONENT * centre,
        sigma=max(3.0, 0.5 * abs(centre)),
    )


def location_prior(summary: DataSummary, input_name: str, offset: float = 0.0,
                   sigma: float | None = None) -> Prior:
    """A scale location (``N_c``, a break point) given as LogNormal around the data's centre."""
    info = summary.inputs[input_name]
    return Prior(
        "LogNormal",
        mu=info.log_centre + offset,
        sigma=sigma if sigma is not None else max(2.0, info.log_span),
    )


def noise_prior() -> Prior:
    """Scale of the multiplicative noise (standard deviation of log y)."""
    return Prior("HalfNormal", sigma=0.5)


def amplitude_start(summary: DataSummary, input_name: str, term_value: float,
                    exponent: float = TYPICAL_EXPONENT) -> float:
    """Amplitude that makes ``A x^-exponent`` equal ``term_value`` at the input's centre."""
    return term_value * math.exp(exponent * summary.inputs[input_name].log_centre)
