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

Support = Literal["positive", "real", "unit", "interval", "negative", "ordered"]
SUPPORTS = ("positive", "real", "unit", "interval", "negative", "ordered")
Bound = float | str | Callable | None


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
    support : {"positive", "real", "unit", "interval", "negative", "ordered"}
        Where the parameter lives. Positive parameters are sampled on the log scale, negative
        ones as the log of minus the value, ``unit`` ones on the logit scale, ``interval`` ones
        on the logit scale of ``(lower, upper)``. ``ordered`` parameters are positive and above
        ``lower`` (another parameter's name): they are sampled as the log of the gap in log
        scale, ``log value = log lower + exp(w)``, so that chains cannot swap ordered break
        points.
    centre_input : str, optional
        Sample the parameter at the centre of this input's log range (see module docstring).
    centre_slope : str, optional
        Parameter multiplying the centre in the shear (``"alpha"`` or ``"-b"``); ``None``
        means a plain shift by the centre (for locations such as ``log N_c`` or break points).
    lower, upper : float, str or callable, optional
        Bounds of ``interval`` (both) and ``ordered`` (``lower``) parameters: a number, the
        name of another parameter or of a data statistic of the law (see
        :attr:`Law.statistics`), or ``f(refs, xp)`` computing the bound from those (then list
        the names it reads in ``requires``).
    description : str
        One line for tables and reports.
    requires : tuple of str
        Names of parameters and statistics read by callable bounds.

    Notes
    -----
    Every transform is a bijection from the real line onto the support given the parameters it
    depends on, so the joint transform is triangular: the model adds each one's log-Jacobian to
    the exact prior density of the paper's parameters. The prior is therefore the product of
    the priors given, restricted to the constrained region.
    """

    name: str
    support: Support = "positive"
    centre_input: str | None = None
    centre_slope: str | None = None
    lower: Bound = None
    upper: Bound = None
    description: str = ""
    requires: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.support not in SUPPORTS:
            raise ValueError(
                f"Parameter {self.name!r}: unknown support {self.support!r}; valid choices: "
                f"{', '.join(SUPPORTS)}."
            )
        if self.support == "interval" and (self.lower is None or self.upper is None):
            raise ValueError(
                f"Parameter {self.name!r} has support 'interval' but lower={self.lower!r}, "
                f"upper={self.upper!r}: give both bounds."
            )
        if self.support == "ordered" and self.lower is None:
            raise ValueError(
                f"Parameter {self.name!r} has support 'ordered': give lower=<name of the "
                "parameter it must exceed>."
            )

    def references(self) -> tuple[str, ...]:
        """Names of parameters (or statistics) this parameter's transform depends on."""
        names = list(self.requires)
        names += [b for b in (self.lower, self.upper) if isinstance(b, str)]
        slope = self.slope()
        if slope is not None:
            names.append(slope[0])
        return tuple(dict.fromkeys(names))

    def resolve_bounds(self, refs: Mapping[str, Any] | None = None, xp=mathops.numpy):
        """``(lower, upper)`` with named and computed bounds evaluated from ``refs``."""
        if self.support == "unit":
            return 0.0, 1.0
        if self.support in ("interval", "ordered"):
            return (_resolve(self.lower, refs, xp, -np.inf, self.name),
                    _resolve(self.upper, refs, xp, np.inf, self.name))
        if self.support == "positive":
            return 0.0, np.inf
        if self.support == "negative":
            return -np.inf, 0.0
        return -np.inf, np.inf

    def forward(self, value, refs: Mapping[str, Any] | None = None):
        """Natural value -> unconstrained sampling value (NumPy)."""
        value = np.asarray(value, dtype=float)
        if self.support == "positive":
            return np.log(value)
        if self.support == "negative":
            return np.log(-value)
        if self.support == "ordered":
            lo, _ = self.resolve_bounds(refs)
            return np.log(np.log(value) - np.log(lo))
        if self.support in ("unit", "interval"):
            lo, hi = self.resolve_bounds(refs)
            frac = (value - lo) / (hi - lo)
            return np.log(frac) - np.log1p(-frac)
        return value

    def backward(self, w, xp=mathops.tensor, refs: Mapping[str, Any] | None = None):
        """Unconstrained value -> (natural value, log |Jacobian|)."""
        if self.support == "positive":
            return xp.exp(w), w
        if self.support == "negative":
            return -xp.exp(w), w
        if self.support == "ordered":
            lo, _ = self.resolve_bounds(refs, xp)
            log_value = xp.log(lo) + xp.exp(w)
            return xp.exp(log_value), log_value + w
        if self.support in ("unit", "interval"):
            lo, hi = self.resolve_bounds(refs, xp)
            width = hi - lo
            log_width = np.log(width) if isinstance(width, float | int) else xp.log(width)
            value = lo + width * xp.sigmoid(w)
            return value, log_width + xp.log_sigmoid(w) + xp.log_sigmoid(-w)
        return w, 0.0 * w

    @property
    def bounds(self) -> tuple[float, float]:
        """Numeric bounds (named or computed bounds are given as infinite; see resolve_bounds)."""
        if self.support == "unit":
            return 0.0, 1.0
        if self.support == "interval":
            lo = float(self.lower) if isinstance(self.lower, int | float) else -np.inf
            hi = float(self.upper) if isinstance(self.upper, int | float) else np.inf
            return lo, hi
        return -np.inf, np.inf

    def slope(self) -> tuple[str, float] | None:
        """Name and sign of the centring slope parameter, if any."""
        if self.centre_slope is None:
            return None
        if self.centre_slope.startswith("-"):
            return self.centre_slope[1:], -1.0
        return self.centre_slope, 1.0


def _resolve(bound, refs, xp, default, name):
    if bound is None:
        return default
    if isinstance(bound, int | float):
        return float(bound)
    if refs is None:
        raise ValueError(f"Parameter {name!r}: its bound {bound!r} needs the values it refers to.")
    if isinstance(bound, str):
        if bound not in refs:
            raise KeyError(
                f"Parameter {name!r} is bounded by {bound!r}, which is neither a parameter nor "
                f"a statistic of the law (known: {sorted(refs)})."
            )
        return refs[bound]
    return bound(SimpleNamespace(**refs), xp)


def param_namespace(values: Mapping[str, Any], parameters, xp=mathops.numpy, logs=None):
    """Attribute access to parameter values, with ``log_<name>`` for positive parameters."""
    space = dict(values)
    for par in parameters:
        if par.support in ("positive", "ordered") and par.name in values:
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
    target_accept : float, optional
        NUTS target acceptance used when the user gives none (the sampler's default, 0.8,
        otherwise). Set by laws whose posteriors keep narrow curved ridges after
        reparametrisation (``bnsl`` and ``loss_to_loss`` 0.95, ``loss_to_accuracy`` and
        ``data_constrained`` 0.9), with the measurement that justifies it in the law file.
    adaptation : {"low_rank", "diag", "draw_diag"}, optional
        nutpie's mass-matrix adaptation used when the user gives none (bayeslaws' default,
        ``low_rank``, otherwise). The laws with curved ridges above set ``"diag"``: there the
        low-rank estimate diverged where the diagonal one did not
        (``benchmarks/adaptation.py``).
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
    statistics: Mapping[str, Callable[[Mapping[str, np.ndarray]], float]] = field(
        default_factory=dict)
    target_accept: float | None = None
    adaptation: str | None = None

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
