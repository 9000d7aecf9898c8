"""Errors and warnings raised by bayeslaws.

Every error names the offending value, the valid choices and the fix, in the style of ArviZ.
All errors derive from :class:`BayesLawsError`, itself a ``ValueError`` so that generic
handlers keep working.
"""

from __future__ import annotations


class BayesLawsError(ValueError):
    """Base class of every bayeslaws error."""


class DataError(BayesLawsError):
    """The measurement table cannot be fitted as given (raised before any sampling)."""


class LawError(BayesLawsError):
    """Unknown law, bad law options, or a law file that does not define a valid law."""


class PriorError(BayesLawsError):
    """Unknown prior name, unknown distribution, or invalid distribution arguments."""


class OptionError(BayesLawsError):
    """An option of a call is out of range or of the wrong kind (``prob``, ``draws``,
    ``kind``, ``sampler``, ``pooled=``, ...)."""


class FitFileError(BayesLawsError):
    """A saved fit cannot be read: damaged, foreign, or from an unknown law or version."""


class SamplerError(BayesLawsError):
    """Sampling failed, or ``strict=True`` turned a sampler warning into an error."""


class SamplerWarning(UserWarning):
    """Sampler trouble: divergences, R-hat above 1.01, low effective sample size, high Pareto k."""


class FewRunsWarning(UserWarning):
    """A fit with as many parameters as runs (``allow_few_runs=True``): the priors carry it."""


def choices(values) -> str:
    """Format valid choices as a sorted, quoted, comma-separated list."""
    return ", ".join(repr(v) for v in sorted(values))


class ExtrapolationWarning(UserWarning):
    """A forecast or decision lies beyond the range of the fitted runs (in some input): the
    law's form, not the data, carries it there (see :mod:`bayeslaws.extrapolation`)."""
