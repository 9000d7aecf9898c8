"""Priors: a tiny, JSON-round-trippable description of a PyMC distribution.

``Prior("Normal", mu=0.3, sigma=0.05)`` names a PyMC distribution and its arguments. Priors are
placed on the parameters as the papers write them (``A``, ``alpha``, ``E``); bayeslaws samples a
centred reparametrisation internally and adds the exact prior density of the paper parameters,
so a user's prior means what it says.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pymc as pm
from scipy import special

from bayeslaws.exceptions import PriorError, choices

#: Distributions accepted for priors, with the arguments that must be strictly positive.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "Normal": ("sigma",),
    "LogNormal": ("sigma",),
    "HalfNormal": ("sigma",),
    "StudentT": ("nu", "sigma"),
    "HalfStudentT": ("nu", "sigma"),
    "Cauchy": ("beta",),
    "HalfCauchy": ("beta",),
    "Laplace": ("b",),
    "Gamma": ("alpha", "beta"),
    "InverseGamma": ("alpha", "beta"),
    "Exponential": ("lam",),
    "Weibull": ("alpha", "beta"),
    "Beta": ("alpha", "beta"),
    "Uniform": (),
    "TruncatedNormal": ("sigma",),
    "LogitNormal": ("sigma",),
}

#: Arguments a user may give, per distribution (the common parametrisation of each).
ARGUMENTS: dict[str, tuple[str, ...]] = {
    "Normal": ("mu", "sigma"),
    "LogNormal": ("mu", "sigma"),
    "HalfNormal": ("sigma",),
    "StudentT": ("nu", "mu", "sigma"),
    "HalfStudentT": ("nu", "sigma"),
    "Cauchy": ("alpha", "beta"),
    "HalfCauchy": ("beta",),
    "Laplace": ("mu", "b"),
    "Gamma": ("alpha", "beta"),
    "InverseGamma": ("alpha", "beta"),
    "Exponential": ("lam",),
    "Weibull": ("alpha", "beta"),
    "Beta": ("alpha", "beta"),
    "Uniform": ("lower", "upper"),
    "TruncatedNormal": ("mu", "sigma", "lower", "upper"),
    "LogitNormal": ("mu", "sigma"),
}

_DEFAULTS: dict[str, dict[str, float]] = {
    "Normal": {"mu": 0.0},
    "LogNormal": {"mu": 0.0},
    "StudentT": {"mu": 0.0},
    "Laplace": {"mu": 0.0},
    "LogitNormal": {"mu": 0.0},
    "TruncatedNormal": {"mu": 0.0, "lower": -math.inf, "upper": math.inf},
}


@dataclass(frozen=True)
class Prior:
    """A prior distribution: a PyMC distribution name and its arguments.

    Parameters
    ----------
    distribution : str
        Name of a PyMC distribution, one of :data:`DISTRIBUTIONS`.
    at_centre : bool
        For an amplitude or location sampled at the centre of the data (a parameter with
        ``centre_input``): the prior is on its value *at the centre of the data*, e.g. on the
        term ``A * N_c^-alpha`` at the geometric centre ``N_c`` of the runs' ``N``, rather than
        on ``A`` at ``N = 1``. The paper's ``A`` is then derived; its prior depends on the
        exponent's. The catalogue's default amplitude priors are of this kind (the size of
        each term where the data are), which keeps them on the data's scale whatever the units.
    **arguments : float
        The distribution's arguments, e.g. ``mu=0.3, sigma=0.05``.

    Examples
    --------
    >>> Prior("Normal", mu=0.3, sigma=0.05)
    Prior('Normal', mu=0.3, sigma=0.05)
    """

    distribution: str
    arguments: dict[str, float] = field(default_factory=dict)
    at_centre: bool = False

    def __init__(self, distribution: str, *, at_centre: bool = False,
                 **arguments: float) -> None:
        if distribution not in DISTRIBUTIONS:
            raise PriorError(
                f"Unknown prior distribution {distribution!r}. Valid choices: "
                f"{choices(DISTRIBUTIONS)}. Use the PyMC class name, e.g. Prior('Normal', mu=0, "
                "sigma=1)."
            )
        valid = ARGUMENTS[distribution]
        unknown = sorted(set(arguments) - set(valid))
        if unknown:
            raise PriorError(
                f"Prior {distribution!r} does not take argument(s) {', '.join(unknown)}. "
                f"Valid arguments: {choices(valid)}."
            )
        full = {**_DEFAULTS.get(distribution, {}), **arguments}
        missing = [name for name in valid if name not in full]
        if missing:
            raise PriorError(
                f"Prior {distribution!r} needs argument(s) {', '.join(missing)} "
                f"(got {sorted(arguments)}). Example: Prior({distribution!r}, "
                + ", ".join(f"{name}=1.0" for name in valid)
                + ")."
            )
        clean: dict[str, float] = {}
        for name in valid:
            value = full[name]
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise PriorError(
                    f"Prior {distribution!r}: argument {name}={value!r} is not a number."
                ) from None
            if math.isnan(number) or (math.isinf(number) and name not in ("lower", "upper")):
                raise PriorError(
                    f"Prior {distribution!r}: argument {name}={value!r} must be finite."
                )
            if name in DISTRIBUTIONS[distribution] and number <= 0:
                raise PriorError(
                    f"Prior {distribution!r}: argument {name}={value!r} must be > 0 "
                    f"(the positive arguments of {distribution} are "
                    f"{choices(DISTRIBUTIONS[distribution])})."
                )
            clean[name] = number
        if "lower" in clean and "upper" in clean and not clean["lower"] < clean["upper"]:
            raise PriorError(
                f"Prior {distribution!r}: lower={clean['lower']} must be below "
                f"upper={clean['upper']}."
            )
        object.__setattr__(self, "distribution", distribution)
        object.__setattr__(self, "arguments", clean)
        object.__setattr__(self, "at_centre", bool(at_centre))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self.arguments.items())
        where = ", at_centre=True" if self.at_centre else ""
        return f"Prior({self.distribution!r}, {args}{where})"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dictionary (see :meth:`from_dict`)."""
        extra = {"at_centre": True} if self.at_centre else {}
        return {"distribution": self.distribution, **self.arguments, **extra}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Prior:
        """Rebuild a prior from :meth:`to_dict` output."""
        data = dict(data)
        return cls(data.pop("distribution"), **data)

    def dist(self, arguments: Mapping[str, Any] | None = None):
        """Return the PyMC distribution (``pm.<Name>.dist``), optionally with tensor arguments."""
        args = dict(self.arguments if arguments is None else arguments)
        return getattr(pm, self.distribution).dist(**args)

    def median(self) -> float:
        """Median of the prior: exact (closed forms and SciPy's special functions) for every
        family of :data:`DISTRIBUTIONS`, from 2001 draws for any other."""
        a = self.arguments
        closed = {
            "Normal": lambda: a["mu"],
            "StudentT": lambda: a["mu"],
            "Laplace": lambda: a["mu"],
            "Cauchy": lambda: a["alpha"],
            "LogNormal": lambda: math.exp(a["mu"]),
            "LogitNormal": lambda: special.expit(a["mu"]),
            "HalfNormal": lambda: a["sigma"] * special.ndtri(0.75),
            "HalfStudentT": lambda: a["sigma"] * special.stdtrit(a["nu"], 0.75),
            "HalfCauchy": lambda: a["beta"],
            "Exponential": lambda: math.log(2.0) / a["lam"],
            "Gamma": lambda: special.gammaincinv(a["alpha"], 0.5) / a["beta"],
            "InverseGamma": lambda: a["beta"] / special.gammaincinv(a["alpha"], 0.5),
            "Weibull": lambda: a["beta"] * math.log(2.0) ** (1.0 / a["alpha"]),
            "Beta": lambda: special.betaincinv(a["alpha"], a["beta"], 0.5),
            "Uniform": lambda: 0.5 * (a["lower"] + a["upper"]),
            "TruncatedNormal": lambda: a["mu"] + a["sigma"] * special.ndtri(0.5 * (
                special.ndtr((a["lower"] - a["mu"]) / a["sigma"])
                + special.ndtr((a["upper"] - a["mu"]) / a["sigma"]))),
        }
        if self.distribution in closed:
            return float(closed[self.distribution]())
        return float(np.median(self.draw(2001, random_seed=0)))

    def draw(self, n: int, random_seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Draw ``n`` values from the prior with PyMC."""
        return np.asarray(pm.draw(self.dist(), draws=n, random_seed=random_seed), dtype=float)


def coerce_prior(name: str, value: Prior | Mapping[str, Any]) -> Prior:
    """Accept a :class:`Prior` or its dictionary form; anything else is an error naming ``name``."""
    if isinstance(value, Prior):
        return value
    if isinstance(value, Mapping) and "distribution" in value:
        return Prior.from_dict(value)
    raise PriorError(
        f"Prior for {name!r} must be a bayeslaws.Prior, e.g. Prior('Normal', mu=0.3, sigma=0.05); "
        f"got {value!r}."
    )


def signature_arguments(distribution: str) -> tuple[str, ...]:
    """Arguments of a PyMC distribution's ``dist`` (for documentation and error messages)."""
    return tuple(inspect.signature(getattr(pm, distribution).dist).parameters)
