"""From a :class:`~bayeslaws.spec.ModelSpec` to a PyMC model (the spec/backend split of bambi).

The spec is what the user asked for; :func:`build_model` is how it is built, with or without
groups. Every number that depends on the data -- log inputs, observations, centres, starting
offsets and prior arguments -- enters the model as ``pm.Data``, so one compiled model serves any
data set of the same structure (see :mod:`bayeslaws.sampling`).

Sampling parametrisation: each parameter ``theta`` with support transform ``T`` is sampled as a
free real variable ``z`` with ``T(theta) = loc + z (+ slope * centre)``. ``loc`` is the starting
value (so the sampler's default start at ``z`` near 0 is sensible) and the centring shear removes
the amplitude-exponent correlation. The prior density of ``theta`` itself plus the log-Jacobian
of ``T`` is added as a potential, so priors are exactly those the user gave on the paper's
parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayeslaws import mathops
from bayeslaws.data import Observations
from bayeslaws.hierarchy import GROUP_DIM, GROUP_INDEX, POP_SUFFIX, TAU_SUFFIX
from bayeslaws.law import DataSummary, Law, Parameter, inside_supports, ordered, param_namespace
from bayeslaws.spec import ModelSpec

OBSERVED = "y"


def statistics(law: Law, obs: Observations) -> dict[str, float]:
    """The law's data statistics (used by data-dependent bounds), computed on ``obs``."""
    return {name: float(fn(obs.x)) for name, fn in law.statistics.items()}


def starting_values(spec: ModelSpec, summary: DataSummary,
                    stats: Mapping[str, float] | None = None) -> dict[str, float]:
    """Law-provided starting values where given, prior medians otherwise, moved inside the
    supports (:func:`bayeslaws.law.inside_supports`; ``stats``: the law's data statistics)."""
    start = {n: spec.priors[n].median() for n in spec.parameter_names}
    start.update(spec.law.initial(summary) if spec.law.initial is not None else {})
    return inside_supports(spec.parameters, start, stats)


def data_values(spec: ModelSpec, obs: Observations) -> dict[str, np.ndarray]:
    """Every data-dependent number of the model, keyed by its ``pm.Data`` name."""
    values: dict[str, np.ndarray] = {}
    centred = {par.centre_input for par in spec.parameters if par.centre_input is not None}
    for name, x in obs.x.items():
        values[f"logx__{name}"] = spec.law.input_scale(name, x)
        if name in centred:  # only centres the model uses (compiled models drop unused data)
            values[f"centre__{name}"] = np.asarray(obs.summary.inputs[name].log_centre)
    values.update({f"extra__{role}": column for role, column in obs.extra.items()})
    values["y_obs"] = spec.likelihood.transform(obs.y)
    stats = statistics(spec.law, obs)
    values.update({f"stat__{name}": np.asarray(number) for name, number in stats.items()})
    if spec.grouping is not None:
        values[GROUP_INDEX] = np.asarray(obs.groups, dtype=np.int64)
        values.update({f"tau_scale__{name}": np.asarray(spec.grouping.tau_scale[name])
                       for name in spec.grouping.varying})
    start = starting_values(spec, obs.summary, stats)
    for par in spec.parameters:
        loc = float(par.forward(start[par.name], {**stats, **start}))
        if par.centre_input is not None:
            loc -= centring(par, start) * obs.summary.inputs[par.centre_input].log_centre
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
    Part of the compiled-model cache key, so that data of another layout compile their own
    model instead of being read at the wrong positions of the shared vector."""
    scalars, columns, others = _packing(values)
    kinds = tuple((name, np.asarray(values[name]).dtype.kind, np.ndim(values[name]))
                  for name in others)
    return tuple(scalars), tuple(columns), kinds


def packed(values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The ``pm.Data`` contents for ``values``: scalars in one vector, float columns in one
    matrix, anything else (integer group indices) as it is. nutpie compiles an accessor for
    each shared variable (about 0.3 s each in a new process), so two shared variables instead
    of 23 (Chinchilla) halve that compilation (``benchmarks/speed.py``)."""
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


def centring(par: Parameter, values: Mapping) -> object:
    """Coefficient of the data's centre in ``par``'s sampling value (its centring slope's
    value, signed; 1 for a plain shift), given the natural values of the other parameters."""
    slope = par.slope()
    return 1.0 if slope is None else slope[1] * values[slope[0]]


def build_model(spec: ModelSpec, values: Mapping[str, np.ndarray]) -> pm.Model:
    """Build the PyMC model of ``spec`` with ``values`` as its data.

    Each parameter is sampled as ``z`` with sampling value ``w = loc + z (+ coef * centre)``.
    A parameter that varies by group (``spec.grouping``) gets, on the same scale, the group
    values ``w_g = loc + z + tau * z_g (+ coef_g * centre)`` with ``z_g ~ Normal(0, 1)`` and
    ``tau ~ HalfNormal(tau_scale)``; its typical group (``<name>_pop``) carries the prior.
    """
    grouping = spec.grouping
    coords = {} if grouping is None else {GROUP_DIM: list(grouping.groups)}
    with pm.Model(coords=coords) as model:
        data = register_data(values)
        stats = {k[len("stat__"):]: v for k, v in data.items() if k.startswith("stat__")}
        typical, typical_w = {}, {}  # pooled values, the typical group's of varying ones
        grouped, grouped_w = {}, {}  # per-group values (shape G) of varying parameters
        prior_terms = []
        for par in ordered(spec.parameters):
            name = par.name
            base = data[f"loc__{name}"] + pm.Flat(f"z__{name}")
            centre = 0.0 if par.centre_input is None else data[f"centre__{par.centre_input}"]
            w = base if par.centre_input is None else base + centring(par, typical) * centre
            value, log_jacobian = par.backward(w, mathops.tensor, {**stats, **typical})
            typical[name], typical_w[name] = value, w
            prior = spec.priors[name]
            dist = prior.dist({a: data[f"prior__{name}__{a}"] for a in prior.arguments})
            # at_centre: on the value at the data's centre, exp(base), of log-Jacobian base
            prior_terms.append(pm.logp(dist, pt.exp(base)) + base if prior.at_centre
                               else pm.logp(dist, value) + log_jacobian)
            if not spec.varies(name):
                pm.Deterministic(name, value)
                continue
            tau = pm.HalfNormal(name + TAU_SUFFIX, sigma=data[f"tau_scale__{name}"])
            z = pm.Normal(f"z__{name}__{GROUP_DIM}", 0.0, 1.0, dims=GROUP_DIM)
            refs = {**typical, **grouped}
            w_g = base + tau * z
            if par.centre_input is not None:
                w_g = w_g + centring(par, refs) * centre
            grouped[name], _ = par.backward(w_g, mathops.tensor, {**stats, **refs})
            grouped_w[name] = w_g
            pm.Deterministic(name, grouped[name], dims=GROUP_DIM)
            pm.Deterministic(name + POP_SUFFIX, value)
        pm.Potential("prior", pt.sum(pt.stack(prior_terms)))
        index = data.get(GROUP_INDEX)
        per_run = {n: grouped[n][index] if n in grouped else typical[n] for n in typical}
        logs = {par.name: grouped_w[par.name][index] if par.name in grouped_w
                else typical_w[par.name]
                for par in spec.law.parameters if par.support == "positive"}
        law_params = {p.name: per_run[p.name] for p in spec.law.parameters}
        p = param_namespace(law_params, spec.law.parameters, xp=mathops.tensor, logs=logs)
        logx = SimpleNamespace(**{n: data[f"logx__{n}"] for n in spec.law.inputs})
        extra = {k[len("extra__"):]: v for k, v in data.items() if k.startswith("extra__")}
        if extra:
            p.extra = SimpleNamespace(**extra)
        mean = spec.law.function(p, logx, mathops.tensor)
        likelihood_params = {**{q.name: per_run[q.name] for q in spec.likelihood.parameters},
                             **extra}
        spec.likelihood.observe(OBSERVED, mean, likelihood_params, data["y_obs"])
    return model
