"""The law abstraction: what a file in ``models/`` declares.

A law family is a :class:`Law`: its inputs (``N``, ``D``, ...), its parameters with their
support and centring, a function written once with the math namespace ``xp`` (so it runs as a
PyTensor graph under every sampler and as NumPy for prediction), data-aware default priors, the
formula and the paper.

Centring
--------
Scaling data span many orders of magnitude, so a term ``A * N**-alpha`` makes ``log A`` and
``alpha`` almost perfectly correlated in the posterior. A parameter with ``centre_input="N"`` and
``centre_slope="alpha"`` is therefore sampled as its value at the data's centre,
``log A - alpha * mean(log N)``, which removes the correlation; ``A`` itself is recovered exactly
and the prior stays on ``A`` (the shear has unit Jacobian).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np

from bayeslaws import mathops
from bayeslaws.priors import Prior

Support = Literal["positive", "real", "unit", "interval"]


@dataclass(frozen=True)
class InputSummary:
    """Summary of one input column on the log scale."""

    log_min: float
    log_max: float
    log_centre: float

    @property
    def log_span(self) -> float:
        return self.log_max - self.log_min


@dataclass(frozen=True)
class DataSummary:
    """What default priors and starting values may depend on: ranges of the data, in logs."""

    n: int
    inputs: dict[str, InputSummary]
    y_min: float
    y_max: float
    y_centre: float  # geometric mean for positive y, mean otherwise

    @property
    def log_y_min(self) -> float:
        return float(np.log(self.y_min))

    @property
    def log_y_centre(self) -> float:
        return float(np.log(self.y_centre))


@dataclass(frozen=True)
class Parameter:
    """One parameter of a law, as the paper names it.

    Parameters
    ----------
    name : str
        The paper's name (``"alpha"``, ``"E"``).
    support : {"positive", "real", "unit", "interval"}
        Where the parameter lives. Positive parameters are sampled on the log scale, ``unit``
        ones on the logit scale, ``interval`` ones on the logit scale of ``(lower, upper)``.
    centre_input : str, optional
        Sample the parameter at the centre of this input's log range (see module docstring).
    centre_slope : str, optional
        Parameter multiplying the centre in the shear (``"alpha"`` or ``"-b"``); ``None``
        means a plain shift by the centre (for locations such as ``log N_c`` or break points).
    description : str
        One line for tables and reports.
    """

    name: str
    support: Support = "positive"
    centre_input: str | None = None
    centre_slope: str | None = None
    lower: float | None = None
    upper: float | None = None
    description: str = ""

    def forward(self, value):
        """Natural value -> unconstrained sampling value (NumPy)."""
        value = np.asarray(value, dtype=float)
        if self.support == "positive":
            return np.log(value)
        if self.support in ("unit", "interval"):
            lo, hi = self.bounds
            frac = (value - lo) / (hi - lo)
            return np.log(frac) - np.log1p(-frac)
        return value

    def backward(self, w, xp=mathops.tensor):
        """Unconstrained value -> (natural value, log |Jacobian|)."""
        if self.support == "positive":
            return xp.exp(w), w
        if self.support in ("unit", "interval"):
            lo, hi = self.bounds
            value = lo + (hi - lo) * xp.sigmoid(w)
            return value, np.log(hi - lo) + xp.log_sigmoid(w) + xp.log_sigmoid(-w)
        return w, 0.0 * w

    @property
    def bounds(self) -> tuple[float, float]:
        if self.support == "unit":
            return 0.0, 1.0
        if self.support == "interval":
            return float(self.lower), float(self.upper)
        return -np.inf, np.inf

    def slope(self) -> tuple[str, float] | None:
        """Name and sign of the centring slope parameter, if any."""
        if self.centre_slope is None:
            return None
        if self.centre_slope.startswith("-"):
            return self.centre_slope[1:], -1.0
        return self.centre_slope, 1.0


def param_namespace(values: Mapping[str, Any], parameters, xp=mathops.numpy, logs=None):
    """Attribute access to parameter values, with ``log_<name>`` for positive parameters."""
    space = dict(values)
    for par in parameters:
        if par.support == "positive" and par.name in values:
            log_value = None if logs is None else logs.get(par.name)
            space[f"log_{par.name}"] = xp.log(values[par.name]) if log_value is None else log_value
    return SimpleNamespace(**space)


@dataclass(frozen=True)
class Law:
    """A scaling-law family.

    Parameters
    ----------
    name : str
        Lookup name (``"chinchilla"``).
    inputs : tuple of str
        Names of the scale variables, all positive (``("N", "D")``).
    parameters : tuple of Parameter
        The law's parameters, in the paper's names.
    function : callable
        ``function(p, logx, xp)`` returning the mean of ``y`` on the ``link`` scale: ``p`` has
        each parameter as an attribute (and ``log_<name>`` for positive ones), ``logx`` the log
        of each input, ``xp`` a :mod:`bayeslaws.mathops` namespace.
    default_priors : callable
        ``default_priors(summary: DataSummary) -> dict[str, Prior]``.
    formula : str
        The formula in plain text.
    reference : str
        The paper.
    link : {"log", "identity"}
        ``"log"``: the function returns ``log E[y]`` (losses); ``"identity"``: the mean itself
        (accuracies in (0, 1)).
    initial : callable, optional
        ``initial(summary) -> dict`` of starting values (natural scale); default: prior medians.
    options : dict
        Options the law was built with (e.g. ``{"breaks": 2}``), stored in saved fits.
    """

    name: str
    inputs: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    function: Callable
    default_priors: Callable[[DataSummary], dict[str, Prior]]
    formula: str
    reference: str
    link: Literal["log", "identity"] = "log"
    initial: Callable[[DataSummary], dict[str, float]] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    extra_columns: tuple[str, ...] = ()

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def evaluate(self, params: Mapping[str, Any], x: Mapping[str, Any], xp=mathops.numpy):
        """Evaluate the law on the link scale.

        ``params`` values broadcast against ``x`` values: pass posterior draws with shape
        ``(draws, 1)`` and inputs with shape ``(points,)`` to get ``(draws, points)``.
        """
        logx = SimpleNamespace(**{k: xp.log(v) for k, v in x.items()})
        return self.function(param_namespace(params, self.parameters, xp=xp), logx, xp)

    def mean(self, params: Mapping[str, Any], x: Mapping[str, Any]) -> np.ndarray:
        """Law value on the natural scale of ``y`` (NumPy)."""
        value = self.evaluate(params, x)
        return np.exp(value) if self.link == "log" else value
