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

Everything specific to a law lives in its file (see the fields of :class:`Law`), so that the
engine never tests a law's name; :meth:`Law.renamed` gives a law under other names (the aliases
``m1`` and ``m2`` of ``power_law`` and ``saturating_power_law``; see :mod:`bayeslaws.catalogue`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np

from bayeslaws import mathops
from bayeslaws.exceptions import LawError, choices
from bayeslaws.priors import Prior

Support = Literal["positive", "real", "unit", "interval", "negative", "ordered"]
SUPPORTS = ("positive", "real", "unit", "interval", "negative", "ordered")
Bound = float | str | Callable | None
#: Bounds of the supports that do not depend on ``lower`` and ``upper``.
_FIXED_BOUNDS = {"unit": (0.0, 1.0), "positive": (0.0, np.inf), "negative": (-np.inf, 0.0),
                 "real": (-np.inf, np.inf)}


@dataclass(frozen=True)
class InputSummary:
    """Summary of one input column on the scale the law sees it: the log scale, or the values
    themselves for an input the law declares linear (:attr:`Law.linear_inputs`)."""

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

    Raises
    ------
    LawError
        An unknown support, an ``interval`` parameter without both bounds or an ``ordered``
        one without ``lower``.

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
            raise LawError(
                f"Parameter {self.name!r}: unknown support {self.support!r}; valid choices: "
                f"{', '.join(SUPPORTS)}.")
        if self.support == "interval" and (self.lower is None or self.upper is None):
            raise LawError(
                f"Parameter {self.name!r} has support 'interval' but lower={self.lower!r}, "
                f"upper={self.upper!r}: give both bounds.")
        if self.support == "ordered" and self.lower is None:
            raise LawError(
                f"Parameter {self.name!r} has support 'ordered': give lower=<name of the "
                "parameter it must exceed>.")

    def references(self) -> tuple[str, ...]:
        """Names of parameters (or statistics) this parameter's transform depends on."""
        names = [*self.requires, *(b for b in (self.lower, self.upper) if isinstance(b, str))]
        if self.centre_slope is not None:
            names.append(self.slope()[0])
        return tuple(dict.fromkeys(names))

    def resolve_bounds(self, refs: Mapping[str, Any] | None = None, xp=mathops.numpy):
        """``(lower, upper)`` with named and computed bounds evaluated from ``refs``.

        Raises :class:`~bayeslaws.exceptions.LawError` when a named or computed bound needs
        ``refs`` and none are given, or names something ``refs`` lacks.
        """
        if self.support in _FIXED_BOUNDS:
            return _FIXED_BOUNDS[self.support]
        return (_resolve(self.lower, refs, xp, -np.inf, self.name),
                _resolve(self.upper, refs, xp, np.inf, self.name))

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

    def backward(self, w, xp=None, refs: Mapping[str, Any] | None = None):
        """Unconstrained value -> (natural value, log |Jacobian|); ``xp`` defaults to
        :data:`bayeslaws.mathops.tensor`."""
        xp = mathops.tensor if xp is None else xp
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

    def slope(self) -> tuple[str, float] | None:
        """Name and sign of the centring slope parameter, if any."""
        if self.centre_slope is None:
            return None
        return self.centre_slope.removeprefix("-"), -1.0 if self.centre_slope[:1] == "-" else 1.0


def _resolve(bound, refs, xp, default, name):
    if bound is None:
        return default
    if isinstance(bound, int | float):
        return float(bound)
    if refs is None:
        raise LawError(f"Parameter {name!r}: its bound {bound!r} needs the values it refers to.")
    if isinstance(bound, str):
        if bound not in refs:
            raise LawError(
                f"Parameter {name!r} is bounded by {bound!r}, which is neither a parameter nor "
                f"a statistic of the law (known: {sorted(refs)}).")
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


def ordered(parameters: Sequence[Parameter]) -> list[Parameter]:
    """Parameters in an order where each comes after those its transform refers to.

    Centring slopes, named or computed bounds and ``requires`` make a parameter depend on
    others; the order is otherwise the given one, uncentred before centred parameters when both
    are ready (names that are not parameters, i.e. statistics, are ignored). A cycle of
    references is a :class:`~bayeslaws.exceptions.LawError`.
    """
    names = {p.name for p in parameters}
    done: list[Parameter] = []
    pending = list(parameters)
    while pending:
        placed = {p.name for p in done}
        ready = [p for p in pending if all(r in placed or r not in names
                                           for r in p.references())]
        if not ready:
            raise LawError(
                f"parameters {[p.name for p in pending]} refer to each other in a cycle "
                "(through centre_slope, bounds or requires); break the cycle in the law file.")
        done.append(min(ready, key=lambda p: p.centre_input is not None))  # the first such
        pending.remove(done[-1])
    return done


def inside_supports(parameters: Sequence[Parameter], start: Mapping[str, float],
                    stats: Mapping[str, float] | None = None) -> dict[str, float]:
    """``start`` (natural values) with every value outside its parameter's support moved
    inside: to 1 (positive), -1 (negative), twice the lower bound (ordered) or the middle
    (unit, interval). ``stats`` are the law's data statistics, for data-dependent bounds."""
    start = dict(start)
    for par in ordered(parameters):
        try:
            lo, hi = (float(b) for b in par.resolve_bounds({**(stats or {}), **start}))
        except Exception as err:
            raise LawError(
                f"the bounds of parameter {par.name!r} cannot be evaluated at the starting "
                f"values {start} ({type(err).__name__}: {err}); fix its lower/upper.") from err
        if not lo < start[par.name] < hi:
            middle = 0.5 * (lo + hi)
            start[par.name] = {"positive": 1.0, "negative": -1.0, "ordered": 2.0 * lo,
                               "unit": middle, "interval": middle}.get(par.support, start[par.name])
    return start


@dataclass(frozen=True)
class Law:
    """A scaling-law family.

    Parameters
    ----------
    name : str
        Lookup name (``"chinchilla"``).
    inputs : tuple of str
        Names of the scale variables, positive unless linear (``("N", "D")``).
    parameters : tuple of Parameter
        The law's parameters, in the paper's names.
    function : callable
        ``function(p, logx, xp)`` returning the mean of ``y`` on the ``link`` scale: ``p`` has
        each parameter as an attribute (and ``log_<name>`` for positive ones), ``logx`` the log
        of each input (the value itself for ``linear_inputs``), ``xp`` a
        :mod:`bayeslaws.mathops` namespace.
    default_priors : callable
        ``default_priors(summary: DataSummary) -> dict[str, Prior]``, one prior for each
        parameter and no other name.
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
    description : str
        One line for tables and reports.
    extra_columns : tuple of str
        Data columns the law needs besides its inputs.
    statistics : dict of callable
        Data statistics the law's bounds may name, ``{"Lx_min": lambda x: min(x["Lx"])}``
        (``x`` maps each input to its observed values).
    target_accept : float, optional
        NUTS target acceptance used when the user gives none (else the sampler's default), for
        posteriors with narrow curved ridges (``bnsl`` 0.95); the law file says why.
    adaptation : {"low_rank", "diag", "draw_diag"}, optional
        nutpie's mass-matrix adaptation used when the user gives none (else ``low_rank``);
        ``"diag"`` where the low-rank estimate diverged (``benchmarks/adaptation.py``).
    varying : tuple of str, optional
        Parameters that vary between groups by default in a grouped (hierarchical) fit, the
        others being shared; ``None`` (the default) means the rule of :meth:`default_varying`.
        ``chinchilla`` declares ``("E", "A", "B")``: levels vary, exponents are shared.
    floors : tuple of str
        Names of the law's irreducible-floor parameters (``("E",)`` for ``chinchilla``,
        ``("a",)`` for ``bnsl``); they vary between groups under the rule of
        :meth:`default_varying`.
    compute_optimum : callable, optional
        Closed-form compute-optimal allocation under ``C = 6 N D`` (laws with inputs ``N`` and
        ``D``): ``compute_optimum(params, C) -> {"log_N", "log_D", "a", "b"}``, where
        ``params`` maps each parameter name to a NumPy array (they broadcast against ``C``),
        ``log_N`` and ``log_D`` are the optimum and ``a``, ``b`` the exponents of
        ``N_opt ~ C^a`` and ``D_opt ~ C^b``. Used by :func:`bayeslaws.compute_optimal`;
        without it the optimum is found numerically.
    tokens_for_target : callable, optional
        Closed form of the ``log D`` at which the law's mean reaches a target:
        ``tokens_for_target(params, log_N, target, fixed) -> log_D`` with ``params`` as
        above, ``log_N`` an array broadcasting against them, ``target`` on the natural scale
        of ``y`` and ``fixed`` the values of the law's other inputs; NaN where the target is
        never reached. Used by :func:`bayeslaws.inference_optimal`; without it a root finder
        solves for ``D``.
    linear_inputs : tuple of str
        Inputs on a linear scale: any finite value is allowed (zero and negative ones too) and
        the function gets the value itself in ``logx`` (principal components of benchmark
        scores, a difference of losses). Their :class:`InputSummary` is of the values.

    Raises
    ------
    LawError
        ``varying`` or ``floors`` given as a single string rather than a tuple of names
        (everything else is checked when the catalogue loads the law; see
        :func:`bayeslaws.catalogue.check_law`).
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
    varying: tuple[str, ...] | None = None
    floors: tuple[str, ...] = ()
    compute_optimum: Callable[[Mapping[str, Any], Any], dict[str, Any]] | None = None
    tokens_for_target: Callable[..., Any] | None = None
    linear_inputs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.linear_inputs, str) or not set(self.linear_inputs) <= set(self.inputs):
            raise LawError(f"Law {self.name!r}: linear_inputs={self.linear_inputs!r} must be a "
                           f"tuple of some of its inputs {self.inputs}.")
        object.__setattr__(self, "linear_inputs", tuple(self.linear_inputs))
        for what in ("varying", "floors"):
            value = getattr(self, what)
            if isinstance(value, str):
                raise LawError(f"Law {self.name!r}: {what}={value!r} must be a tuple of "
                               f"parameter names, e.g. {what}=({value!r},).")
            if value is not None:
                object.__setattr__(self, what, tuple(value))

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def default_varying(self) -> tuple[str, ...]:
        """The parameters that vary between groups by default in a grouped fit.

        :attr:`varying` when the law declares it. Otherwise the rule: every centred parameter
        (``centre_input`` set: amplitudes and locations, the levels of the curve) and every
        parameter in :attr:`floors`, plus, repeatedly, every ``ordered`` or ``interval``
        parameter whose bounds refer to one already chosen (later break points follow the
        first); in the law's order. Exponents and rates are shared.
        """
        if self.varying is not None:
            return tuple(self.varying)
        chosen = {p.name for p in self.parameters
                  if p.centre_input is not None or p.name in self.floors}
        while extra := {p.name for p in self.parameters if p.name not in chosen
                        and p.support in ("ordered", "interval")
                        and any(r in chosen for r in p.references())}:
            chosen |= extra
        return tuple(p.name for p in self.parameters if p.name in chosen)

    def renamed(self, name: str, rename: Mapping[str, str], *,
                descriptions: Mapping[str, str] | None = None, **overrides) -> Law:
        """The same law under another name, with some parameters renamed (an alias).

        ``rename`` maps old parameter names to new ones (others keep theirs); ``descriptions``
        gives new one-line descriptions by new name; ``overrides`` replace any other field of
        the :class:`Law` (``formula``, ``reference``, ``varying``, ...), in the new names.
        Parameters, priors, starting values, bounds, centring slopes, ``varying``, ``floors``
        and the closed forms take the new names; the function calls this law's function with
        the old names (and ``log_<old>``), so both are numerically identical.

        Raises :class:`~bayeslaws.exceptions.LawError` for a name in ``rename`` or
        ``descriptions`` that is not a parameter, two parameters under one name, a new name
        that is a data statistic's, or an override that is not a field of :class:`Law`.
        """
        rename, descriptions = dict(rename), dict(descriptions or {})
        inverse = {new: old for old, new in rename.items()}

        def new_name(old: str) -> str:
            return rename.get(old, old)

        names = self.parameter_names
        new_names = [new_name(n) for n in names]
        fields = set(self.__dataclass_fields__)
        unknown = [old for old in rename if old not in names]
        clash = sorted(set(new_names) & (set(self.statistics) - set(names)))
        undescribed = sorted(set(descriptions) - set(new_names))
        not_fields = sorted(set(overrides) - fields)
        for problem, message in (
            (unknown, f"renames {unknown}, which are not its parameters; valid names: "
                      f"{choices(names)}."),
            (len(set(new_names)) < len(new_names),
             f"renaming {rename} gives two parameters one name ({new_names}); choose distinct "
             "names."),
            (clash, f"new parameter name(s) {clash} are already names of the law's data "
                    "statistics; choose other names."),
            (undescribed, f"describes {undescribed}, which are not its parameters; valid names: "
                          f"{choices(new_names)}."),
            (not_fields, f"{not_fields} are not fields of a Law; valid overrides: "
                         f"{choices(fields - {'name', 'parameters', 'function'})}."),
        ):
            if problem:
                raise LawError(f"Alias {name!r} of law {self.name!r}: {message}")
        def old_space(space):  # a namespace in the new names, seen in the old names
            return SimpleNamespace(**_renamed_keys(vars(space), inverse))

        def bound(b: Bound) -> Bound:
            if isinstance(b, str):
                return new_name(b)
            return _adapted(b, before=old_space) if callable(b) else b

        def parameter(par: Parameter) -> Parameter:
            new, slope = new_name(par.name), par.slope()
            if slope is not None:
                slope = ("-" if slope[1] < 0 else "") + new_name(slope[0])
            return replace(par, name=new, centre_slope=slope, lower=bound(par.lower),
                           upper=bound(par.upper), requires=tuple(map(new_name, par.requires)),
                           description=descriptions.get(new, par.description))

        new_keys = functools.partial(_renamed_keys, names=rename)
        old_keys = functools.partial(_renamed_keys, names=inverse)
        derived: dict[str, Any] = {
            "name": name,
            "parameters": tuple(parameter(p) for p in self.parameters),
            "function": _adapted(self.function, before=old_space),
            "default_priors": _adapted(self.default_priors, after=new_keys),
            "initial": _adapted(self.initial, after=new_keys),
            "varying": None if self.varying is None else tuple(map(new_name, self.varying)),
            "floors": tuple(map(new_name, self.floors)),
            "compute_optimum": _adapted(self.compute_optimum, before=old_keys),
            "tokens_for_target": _adapted(self.tokens_for_target, before=old_keys),
        }
        return replace(self, **{**derived, **overrides})

    def evaluate(self, params: Mapping[str, Any], x: Mapping[str, Any], xp=mathops.numpy):
        """Evaluate the law on the link scale.

        ``params`` values broadcast against ``x`` values: pass posterior draws with shape
        ``(draws, 1)`` and inputs with shape ``(points,)`` to get ``(draws, points)``.
        """
        logx = SimpleNamespace(**{k: self.input_scale(k, v, xp) for k, v in x.items()})
        return self.function(param_namespace(params, self.parameters, xp=xp), logx, xp)

    def input_scale(self, name: str, values, xp=mathops.numpy):
        """Input ``name`` as the function sees it: its log, or the values of a linear input."""
        return values if name in self.linear_inputs else xp.log(values)

    def mean(self, params: Mapping[str, Any], x: Mapping[str, Any]) -> np.ndarray:
        """Law value on the natural scale of ``y`` (NumPy)."""
        value = self.evaluate(params, x)
        return np.exp(value) if self.link == "log" else value


# -- aliases: a law under other parameter names ---------------------------------------------
def _renamed_keys(values: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """``values`` with each key in ``names`` renamed, and ``log_<key>`` with it."""
    def new(key: str) -> str:
        if key in names:
            return names[key]
        base = key.removeprefix("log_")
        return "log_" + names[base] if base != key and base in names else key

    return {new(key): value for key, value in values.items()}


def _adapted(function: Callable | None, before: Callable | None = None,
             after: Callable | None = None) -> Callable | None:
    """``function`` with its first argument passed through ``before`` and its result through
    ``after`` (``None`` stays ``None``); ``__wrapped__`` and ``__doc__`` are the original's."""
    if function is None:
        return None

    def adapted(first, *args, **kwargs):
        out = function(first if before is None else before(first), *args, **kwargs)
        return out if after is None else after(out)

    return functools.update_wrapper(adapted, function)
