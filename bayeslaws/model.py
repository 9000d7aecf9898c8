"""From a law, a likelihood and priors to a PyMC model (the spec/backend split of bambi).

:class:`ModelSpec` is what the user asked for; :func:`build_model` is how it is built. Every
number that depends on the data -- log inputs, observations, centres, starting offsets and prior
arguments -- enters the model as ``pm.Data``, so one compiled model serves any data set of the
same structure (see :mod:`bayeslaws.sampling`).

Sampling parametrisation: each parameter ``theta`` with support transform ``T`` is sampled as a
free real variable ``z`` with ``T(theta) = loc + z (+ slope * centre)``. ``loc`` is the starting
value (so the sampler's default start at ``z`` near 0 is sensible) and the centring shear removes
the amplitude-exponent correlation. The prior density of ``theta`` itself plus the log-Jacobian
of ``T`` is added as a potential, so priors are exactly those the user gave on the paper's
parameters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayeslaws import mathops
from bayeslaws.data import Observations
from bayeslaws.exceptions import PriorError, choices
from bayeslaws.law import DataSummary, Law, Parameter, param_namespace
from bayeslaws.likelihoods import Likelihood
from bayeslaws.priors import Prior, coerce_prior

OBSERVED = "y"


@dataclass(frozen=True)
class ModelSpec:
    """A law, an observation model and a prior for every parameter."""

    law: Law
    likelihood: Likelihood
    priors: dict[str, Prior]

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        return self.law.parameters + self.likelihood.parameters

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    def structure_key(self) -> tuple:
        """What fixes the compiled model: law, options, likelihood and prior families."""
        return (
            self.law.name,
            json.dumps(self.law.options, sort_keys=True, default=str),
            self.likelihood.name,
            tuple((name, self.priors[name].distribution) for name in self.parameter_names),
        )


def resolve_priors(law: Law, likelihood: Likelihood, summary: DataSummary,
                   user: Mapping[str, Prior] | None) -> dict[str, Prior]:
    """Default priors for the data, overridden by the user's (unknown names are an error)."""
    priors = {**law.default_priors(summary), **likelihood.default_priors(summary)}
    names = [p.name for p in law.parameters + likelihood.parameters]
    missing = [n for n in names if n not in priors]
    if missing:
        raise PriorError(f"Law {law.name!r} defines no default prior for {missing}.")
    for name, prior in (user or {}).items():
        if name not in priors:
            raise PriorError(
                f"Unknown prior name {name!r} for law {law.name!r} with likelihood "
                f"{likelihood.name!r}. Valid names: {choices(names)}."
            )
        priors[name] = coerce_prior(name, prior)
    return {n: priors[n] for n in names}


def ordered(parameters: tuple[Parameter, ...]) -> list[Parameter]:
    """Parameters in an order where each comes after those its transform refers to.

    Centring slopes and named or computed bounds make a parameter depend on others; the order
    is otherwise that of the law (names that are not parameters, i.e. statistics, are ignored).
    """
    names = {p.name for p in parameters}
    done: list[Parameter] = []
    pending = list(parameters)
    while pending:
        placed = {p.name for p in done}
        ready = [p for p in pending if all(r in placed or r not in names
                                           for r in p.references())]
        if not ready:
            raise PriorError(
                f"Parameters {[p.name for p in pending]} refer to each other in a cycle "
                "(through centre_slope or bounds); break the cycle in the law file."
            )
        # centred parameters stay after uncentred ones when both are ready (stable order)
        ready.sort(key=lambda p: p.centre_input is not None)
        done.append(ready[0])
        pending.remove(ready[0])
    return done


def statistics(law: Law, obs: Observations) -> dict[str, float]:
    """The law's data statistics (used by data-dependent bounds), computed on ``obs``."""
    return {name: float(fn(obs.x)) for name, fn in law.statistics.items()}


def starting_values(spec: ModelSpec, summary: DataSummary,
                    stats: Mapping[str, float] | None = None) -> dict[str, float]:
    """Law-provided starting values where given, prior medians otherwise (moved inside the
    support where needed; ``stats`` are the law's data statistics, for data-dependent bounds)."""
    start = {n: spec.priors[n].median() for n in spec.parameter_names}
    if spec.law.initial is not None:
        start.update(spec.law.initial(summary))
    for par in ordered(spec.parameters):
        lo, hi = par.resolve_bounds({**(stats or {}), **start})
        lo, hi = float(lo), float(hi)
        value = start[par.name]
        if lo < value < hi:
            continue
        if par.support == "positive":
            start[par.name] = 1.0
        elif par.support == "negative":
            start[par.name] = -1.0
        elif par.support == "ordered":
            start[par.name] = lo * 2.0
        elif par.support in ("unit", "interval"):
            start[par.name] = 0.5 * (lo + hi)
    return start


def data_values(spec: ModelSpec, obs: Observations) -> dict[str, np.ndarray]:
    """Every data-dependent number of the model, keyed by its ``pm.Data`` name."""
    values: dict[str, np.ndarray] = {}
    centred = {par.centre_input for par in spec.parameters if par.centre_input is not None}
    for name, x in obs.x.items():
        values[f"logx__{name}"] = np.log(x)
        if name in centred:  # only centres the model uses (compiled models drop unused data)
            values[f"centre__{name}"] = np.asarray(obs.summary.inputs[name].log_centre)
    for role, column in obs.extra.items():
        values[f"extra__{role}"] = column
    if spec.likelihood.check is not None:
        spec.likelihood.check(obs.y, obs.extra)
    values["y_obs"] = spec.likelihood.transform(obs.y)
    stats = statistics(spec.law, obs)
    for name, number in stats.items():
        values[f"stat__{name}"] = np.asarray(number)
    start = starting_values(spec, obs.summary, stats)
    for par in spec.parameters:
        loc = float(par.forward(start[par.name], {**stats, **start}))
        if par.centre_input is not None:
            slope = par.slope()
            coef = 1.0 if slope is None else slope[1] * start[slope[0]]
            loc -= coef * obs.summary.inputs[par.centre_input].log_centre
        values[f"loc__{par.name}"] = np.asarray(loc)
        for arg, number in spec.priors[par.name].arguments.items():
            values[f"prior__{par.name}__{arg}"] = np.asarray(number)
    return values


#: Names of the two ``pm.Data`` holding the model's numbers: one vector of every scalar, one
#: matrix with a row per float column of the observations (log inputs, y, extra columns).
SCALARS = "scalars"
COLUMNS = "columns"


def _packing(values: Mapping[str, np.ndarray]) -> tuple[list[str], list[str], list[str]]:
    """Names packed into :data:`SCALARS`, into :data:`COLUMNS`, and the rest (all sorted)."""
    scalars = sorted(name for name, value in values.items() if np.ndim(value) == 0)
    floats = {name: np.asarray(value) for name, value in values.items()
              if np.ndim(value) == 1 and np.asarray(value).dtype.kind == "f"}
    if len({value.shape for value in floats.values()}) > 1:
        floats = {}  # columns of different lengths stay separate
    others = sorted(set(values) - set(scalars) - set(floats))
    return scalars, sorted(floats), others


def data_layout(values: Mapping[str, np.ndarray]) -> tuple:
    """What a compiled model's data must match besides the law: the names packed into the
    scalar vector and the column matrix (in order), and the other arrays with their dtypes.
    Part of the compiled-model cache key (a safeguard: the law's structure key fixes the names
    today), so that data of another layout compile their own model instead of being read at
    the wrong positions of the shared vector."""
    scalars, columns, others = _packing(values)
    kinds = tuple((name, np.asarray(values[name]).dtype.kind, np.ndim(values[name]))
                  for name in others)
    return tuple(scalars), tuple(columns), kinds


def packed(values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The ``pm.Data`` contents for ``values``: scalars in one vector, float columns in one
    matrix, anything else (integer group indices) as it is.

    Centres, starting offsets and prior arguments are scalars (about 20 for a Chinchilla fit).
    nutpie compiles an accessor for each shared variable of a model when it compiles the model
    in a new process (about 0.3 s each), so two shared variables instead of 23 halve that
    compilation (``benchmarks/speed.py``; a compiled model is reused in-process either way).
    """
    return _packed(values, *_packing(values))


def _packed(values, scalars, columns, others) -> dict[str, np.ndarray]:
    data = {name: np.asarray(values[name]) for name in others}
    data[SCALARS] = np.array([float(values[name]) for name in scalars], dtype=float)
    if columns:
        data[COLUMNS] = np.stack([np.asarray(values[name], dtype=float) for name in columns])
    return data


def register_data(values: Mapping[str, np.ndarray]) -> dict:
    """Add the ``pm.Data`` of :func:`packed` to the model in context; return a tensor per name
    of ``values`` (an element of the scalar vector, a row of the column matrix, or its own)."""
    scalars, columns, others = _packing(values)
    shared = {name: pm.Data(name, value)
              for name, value in _packed(values, scalars, columns, others).items()}
    vector, matrix = shared.pop(SCALARS), shared.pop(COLUMNS, None)
    shared.update({name: vector[i] for i, name in enumerate(scalars)})
    shared.update({name: matrix[i] for i, name in enumerate(columns)})
    return shared


def set_data(model: pm.Model, values: Mapping[str, np.ndarray]) -> None:
    """Replace the data of a model built by :func:`register_data` with ``values``."""
    with model:
        pm.set_data(packed(values))


def build_model(spec: ModelSpec, values: Mapping[str, np.ndarray]) -> pm.Model:
    """Build the PyMC model of ``spec`` with ``values`` as its data."""
    with pm.Model() as model:
        data = register_data(values)
        natural: dict = {}
        logs: dict = {}
        prior_terms = []
        stats = {k[len("stat__"):]: v for k, v in data.items() if k.startswith("stat__")}
        for par in ordered(spec.parameters):
            w = data[f"loc__{par.name}"] + pm.Flat(f"z__{par.name}")
            if par.centre_input is not None:
                slope = par.slope()
                coef = 1.0 if slope is None else slope[1] * natural[slope[0]]
                w = w + coef * data[f"centre__{par.centre_input}"]
            value, log_jacobian = par.backward(w, mathops.tensor, {**stats, **natural})
            natural[par.name] = value
            if par.support == "positive":
                logs[par.name] = w
            prior = spec.priors[par.name]
            dist = prior.dist({a: data[f"prior__{par.name}__{a}"] for a in prior.arguments})
            prior_terms.append(pm.logp(dist, value) + log_jacobian)
            pm.Deterministic(par.name, value)
        pm.Potential("prior", pt.sum(pt.stack(prior_terms)))
        law_params = {p.name: natural[p.name] for p in spec.law.parameters}
        p = param_namespace(law_params, spec.law.parameters, xp=mathops.tensor, logs=logs)
        logx = SimpleNamespace(**{n: data[f"logx__{n}"] for n in spec.law.inputs})
        extra = {k[len("extra__"):]: v for k, v in data.items() if k.startswith("extra__")}
        if extra:
            p.extra = SimpleNamespace(**extra)
        mean = spec.law.function(p, logx, mathops.tensor)
        likelihood_params = {p.name: natural[p.name] for p in spec.likelihood.parameters}
        likelihood_params.update(extra)
        spec.likelihood.observe(OBSERVED, mean, likelihood_params, data["y_obs"])
    return model
