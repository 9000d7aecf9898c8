"""Priors: a tiny, JSON-round-trippable description of a PyMC distribution.

``Prior("Normal", mu=0.3, sigma=0.05)`` names a PyMC distribution and its arguments. Priors are
placed on the parameters as the papers write them (``A``, ``alpha``, ``E``); bayeslaws samples a
centred reparametrisation internally and adds the exact prior density of the paper parameters,
so a user's prior means what it says.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bayeslaws.exceptions import PriorError, choices

#: Distributions accepted for priors: the arguments a user gives (the common parametrisation
#: of each), and those of them that must be strictly positive.
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Normal": (("mu", "sigma"), ("sigma",)),
    "LogNormal": (("mu", "sigma"), ("sigma",)),
    "HalfNormal": (("sigma",), ("sigma",)),
    "StudentT": (("nu", "mu", "sigma"), ("nu", "sigma")),
    "HalfStudentT": (("nu", "sigma"), ("nu", "sigma")),
    "Cauchy": (("alpha", "beta"), ("beta",)),
    "HalfCauchy": (("beta",), ("beta",)),
    "Laplace": (("mu", "b"), ("b",)),
    "Gamma": (("alpha", "beta"), ("alpha", "beta")),
    "InverseGamma": (("alpha", "beta"), ("alpha", "beta")),
    "Exponential": (("lam",), ("lam",)),
    "Weibull": (("alpha", "beta"), ("alpha", "beta")),
    "Beta": (("alpha", "beta"), ("alpha", "beta")),
    "Uniform": (("lower", "upper"), ()),
    "TruncatedNormal": (("mu", "sigma", "lower", "upper"), ("sigma",)),
    "LogitNormal": (("mu", "sigma"), ("sigma",)),
}
#: A TruncatedNormal's bounds when left out (``mu``, wherever taken, defaults to 0).
_UNBOUNDED = {"lower": -math.inf, "upper": math.inf}


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

    def __init__(self, distribution: str, *, at_centre: bool = False, **arguments: float) -> None:
        if distribution not in DISTRIBUTIONS:
            raise PriorError(
                f"Unknown prior distribution {distribution!r}. Valid choices: "
                f"{choices(DISTRIBUTIONS)}. Use the PyMC class name, e.g. Prior('Normal', mu=0, "
                "sigma=1).")
        valid, positive = DISTRIBUTIONS[distribution]
        unknown = sorted(set(arguments) - set(valid))
        if unknown:
            raise PriorError(f"Prior {distribution!r} does not take argument(s) "
                             f"{', '.join(unknown)}. Valid arguments: {choices(valid)}.")
        bounds = _UNBOUNDED if distribution == "TruncatedNormal" else {}
        full = {"mu": 0.0, **bounds, **arguments}
        missing = [name for name in valid if name not in full]
        if missing:
            example = ", ".join(f"{name}=1.0" for name in valid)
            raise PriorError(f"Prior {distribution!r} needs argument(s) {', '.join(missing)} "
                             f"(got {sorted(arguments)}). Example: Prior({distribution!r}, "
                             f"{example}).")
        clean: dict[str, float] = {}
        for name in valid:
            value = full[name]
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise PriorError(f"Prior {distribution!r}: argument {name}={value!r} is not a "
                                 "number.") from None
            if math.isnan(number) or (math.isinf(number) and name not in _UNBOUNDED):
                raise PriorError(f"Prior {distribution!r}: argument {name}={value!r} must be "
                                 "finite.")
            if name in positive and number <= 0:
                raise PriorError(
                    f"Prior {distribution!r}: argument {name}={value!r} must be > 0 "
                    f"(the positive arguments of {distribution} are {choices(positive)}).")
            clean[name] = number
        if "lower" in clean and "upper" in clean and not clean["lower"] < clean["upper"]:
            raise PriorError(f"Prior {distribution!r}: lower={clean['lower']} must be below "
                             f"upper={clean['upper']}.")
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
        import pymc as pm  # imported here: validating a prior needs no PyMC (fast CLI errors)

        args = dict(self.arguments if arguments is None else arguments)
        return getattr(pm, self.distribution).dist(**args)

    def median(self) -> float:
        """Median of the prior, exact (closed forms and SciPy's special functions)."""
        a = self.arguments
        elementary = {
            "Normal": lambda: a["mu"],
            "StudentT": lambda: a["mu"],
            "Laplace": lambda: a["mu"],
            "Cauchy": lambda: a["alpha"],
            "LogNormal": lambda: math.exp(a["mu"]),
        }
        if self.distribution in elementary:
            return float(elementary[self.distribution]())
        from scipy import special  # here: checking the catalogue's priors needs no SciPy

        closed = {
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
        return float(closed[self.distribution]())

    def draw(self, n: int, random_seed: int | np.random.Generator | None = None) -> np.ndarray:
        """Draw ``n`` values from the prior: with NumPy's generator for the common families
        (:data:`NUMPY_DRAWS`, in PyMC's parametrisation), else with PyMC's ``pm.draw``, which
        compiles a function per call (about 0.06 s, most of a reused fit's prior group)."""
        numpy_draw = NUMPY_DRAWS.get(self.distribution)
        if numpy_draw is not None:
            rng = np.random.default_rng(random_seed)
            return np.asarray(numpy_draw(rng, n, **self.arguments), dtype=float)
        import pymc as pm

        return np.asarray(pm.draw(self.dist(), draws=n, random_seed=random_seed), dtype=float)


#: Draws of the common prior families with a NumPy generator, in PyMC's parametrisation
#: (``Gamma``: shape ``alpha`` and rate ``beta``); tested against PyMC's own draws.
NUMPY_DRAWS = {
    "Normal": lambda rng, n, sigma, mu=0.0: rng.normal(mu, sigma, n),
    "LogNormal": lambda rng, n, sigma, mu=0.0: np.exp(rng.normal(mu, sigma, n)),
    "HalfNormal": lambda rng, n, sigma: np.abs(rng.normal(0.0, sigma, n)),
    "Beta": lambda rng, n, alpha, beta: rng.beta(alpha, beta, n),
    "Gamma": lambda rng, n, alpha, beta: rng.gamma(alpha, 1.0 / beta, n),
    "Uniform": lambda rng, n, lower, upper: rng.uniform(lower, upper, n),
    "Exponential": lambda rng, n, lam: rng.exponential(1.0 / lam, n),
}


def coerce_prior(name: str, value: Prior | Mapping[str, Any]) -> Prior:
    """Accept a :class:`Prior` or its dictionary form; anything else is an error naming ``name``."""
    if isinstance(value, Prior):
        return value
    if isinstance(value, Mapping) and "distribution" in value:
        return Prior.from_dict(value)
    raise PriorError(f"Prior for {name!r} must be a bayeslaws.Prior, e.g. Prior('Normal', "
                     f"mu=0.3, sigma=0.05); got {value!r}.")
