"""Hierarchical laws: partial pooling of a law's parameters over groups of runs.

``bl.fit(law, df, ..., group="dataset", pooled=["alpha", "beta"], varying=["E", "A", "B"])``
fits one law to several groups (training sets, model families, tasks) at once. Parameters in
``pooled`` are shared by every group; each parameter in ``varying`` gets one value per group,
drawn from a population whose centre and spread are estimated.

Model
-----
:mod:`bayeslaws.model` samples every parameter ``theta`` on an unconstrained scale ``w`` (log for
positive parameters, logit for bounded ones, and for amplitudes the *centred* log, i.e. the log
of the term at the centre of the data, ``log A - alpha * mean(log N)``). A varying parameter is
given, on that same scale, the non-centred population model

.. math:: w_g = \\mu + \\tau z_g, \\qquad z_g \\sim \\mathrm{Normal}(0, 1),

which samples cleanly with few groups and few points per group (no funnel between ``tau`` and
the group values). ``mu`` -- the value of a typical group -- gets exactly the law's default (or
the user's) prior, with the log-Jacobian of the transform, as a pooled parameter would;
``tau ~ HalfNormal(tau_scale)`` with :data:`DEFAULT_TAU_SCALE` = 0.5 by default: on the log scale
groups are a priori within a factor of about ``exp(2 * 0.5) = 2.7`` of each other (95%), and
much smaller spreads (a few percent) are well supported. Override with ``tau_scale=0.2`` or
``tau_scale={"E": 0.1}``.

The posterior holds each pooled parameter with dims ``(chain, draw)``, each varying one with
dims ``(chain, draw, group)`` (coordinate: the group labels, as strings), and for each varying
parameter ``<name>_pop`` (the typical group's value on the paper's scale) and ``<name>_tau``
(the between-group standard deviation on the sampling scale, e.g. of ``log E``).

Replicates
----------
Several runs of one group at the same scale (different seeds) need no special treatment: they
share the group's law value, so their scatter around it is what the likelihood's noise ``sigma``
measures, while differences between groups go to the group-level parameters. ``sigma`` is
pooled by default (the seed-to-seed scatter of log y); list it in ``varying`` to let it differ
between groups.

Default varying parameters
--------------------------
:data:`DEFAULT_VARYING` lists them per catalogue law (levels vary, exponents are shared, the
usual assumption that training sets or model families shift a curve without changing its
slope): ``chinchilla``: ``E``, ``A``, ``B`` (``alpha``, ``beta`` pooled); ``saturating_power_law``:
``E``, ``A``; ``power_law``: ``A``; ``kaplan``: ``N_c``, ``D_c``. For other laws the default is
every centred parameter (amplitudes and locations), a floor named ``E`` (``a`` in ``bnsl``) and
any parameter bounded by one of those (``bnsl``'s later break points), so ``bnsl`` varies
``a``, ``b`` and the break points and shares the slopes and sharpnesses; every other parameter,
and the likelihood's, is pooled.

Prediction
----------
:meth:`HierarchicalFit.predict` forecasts for existing groups (a group column in ``at``, or
``group="<label>"``) and for a new, unseen group (``group="new"``, the default when ``at`` has no
group column): each posterior draw then draws the new group's parameters from the population,
so the forecast carries the between-group uncertainty ("what would a new training set do?").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from bayeslaws import diagnostics as diag_mod
from bayeslaws import mathops, sampling
from bayeslaws.data import Observations, as_frame, from_data
from bayeslaws.exceptions import BayesLawsError, DataError, choices
from bayeslaws.law import Law, Parameter, param_namespace
from bayeslaws.model import (
    OBSERVED,
    ModelSpec,
    data_values,
    ordered,
    register_data,
    statistics,
)
from bayeslaws.result import Fit, Kind, _check_prob
from bayeslaws.trace import OBS_DIM, SAMPLE_DIMS, sample_stats_group

#: Default scale of the HalfNormal prior on each between-group standard deviation ``tau``.
DEFAULT_TAU_SCALE = 0.5
#: Default varying parameters per catalogue law (all others pooled); see the module docstring.
DEFAULT_VARYING: dict[str, tuple[str, ...]] = {
    "chinchilla": ("E", "A", "B"),
    "saturating_power_law": ("E", "A"),
    "power_law": ("A",),
    "kaplan": ("N_c", "D_c"),
}
#: Names of irreducible floors in the catalogue (vary by default for laws not listed above).
FLOOR_NAMES = ("E", "a")
#: Label of a new, unseen group in predictions.
NEW = "new"
GROUP_DIM = "group"
GROUP_INDEX = "group_index"
POP_SUFFIX = "_pop"
TAU_SUFFIX = "_tau"


@dataclass(frozen=True)
class Hierarchy:
    """Which column defines the groups and which parameters vary between them."""

    column: str
    groups: tuple[str, ...]
    varying: tuple[str, ...]
    pooled: tuple[str, ...]
    tau_scale: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "groups": list(self.groups),
                "varying": list(self.varying), "pooled": list(self.pooled),
                "tau_scale": dict(self.tau_scale)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Hierarchy:
        return cls(column=str(data["column"]), groups=tuple(data["groups"]),
                   varying=tuple(data["varying"]), pooled=tuple(data["pooled"]),
                   tau_scale={k: float(v) for k, v in data["tau_scale"].items()})

    def population_names(self) -> tuple[str, ...]:
        return tuple(n + s for n in self.varying for s in (POP_SUFFIX, TAU_SUFFIX))


# -- resolving the user's choices -----------------------------------------------------------
def default_varying(law: Law) -> tuple[str, ...]:
    """The parameters that vary between groups by default (see :data:`DEFAULT_VARYING`)."""
    if law.name in DEFAULT_VARYING:
        return DEFAULT_VARYING[law.name]
    chosen = {p.name for p in law.parameters
              if p.centre_input is not None or p.name in FLOOR_NAMES}
    grew = True
    while grew:  # parameters bounded by a varying one (e.g. later break points) vary too
        extra = {p.name for p in law.parameters if p.name not in chosen
                 and p.support in ("ordered", "interval")
                 and any(r in chosen for r in p.references())}
        grew = bool(extra)
        chosen |= extra
    return tuple(p.name for p in law.parameters if p.name in chosen)


def _names_list(value, what: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence | set | frozenset | tuple):
        raise BayesLawsError(f"{what} must be a list of parameter names, got {value!r}.")
    return [str(v) for v in value]


def resolve_hierarchy(spec: ModelSpec, column: str, groups: Sequence[str],
                      pooled=None, varying=None,
                      tau_scale: float | Mapping[str, float] | None = None) -> Hierarchy:
    """Check ``pooled``/``varying`` against the law's parameters and fill in defaults.

    Parameters named in neither list are pooled when ``varying`` is given and vary when only
    ``pooled`` is given; with neither, :func:`default_varying` applies.
    """
    names = list(spec.parameter_names)
    pooled_l = _names_list(pooled, "pooled")
    varying_l = _names_list(varying, "varying")
    for what, listed in (("pooled", pooled_l), ("varying", varying_l)):
        unknown = [n for n in (listed or []) if n not in names]
        if unknown:
            raise BayesLawsError(
                f"Unknown parameter(s) {unknown} in {what}= for law {spec.law.name!r} with "
                f"likelihood {spec.likelihood.name!r}. Valid names: {choices(names)}."
            )
    if pooled_l is not None and varying_l is not None:
        both = sorted(set(pooled_l) & set(varying_l))
        if both:
            raise BayesLawsError(
                f"Parameter(s) {both} are listed in both pooled= and varying=; a parameter is "
                "either shared by all groups (pooled) or has one value per group (varying)."
            )
    if varying_l is None:
        varying_l = ([n for n in names if n not in pooled_l] if pooled_l is not None
                     else list(default_varying(spec.law)))
    if not varying_l:
        raise BayesLawsError(
            f"No parameter of law {spec.law.name!r} varies between groups (pooled={pooled_l}). "
            f"Name some in varying= (valid names: {choices(names)}), or drop group= for a "
            "fully pooled fit."
        )
    varying_t = tuple(n for n in names if n in varying_l)
    pooled_t = tuple(n for n in names if n not in varying_t)
    by_name = {p.name: p for p in spec.parameters}
    for name in pooled_t:
        refs = [r for r in by_name[name].references()
                if r in varying_t and (by_name[name].support in ("ordered", "interval")
                                       or r in by_name[name].requires)]
        if refs:
            raise BayesLawsError(
                f"Pooled parameter {name!r} is bounded by varying parameter(s) {refs}, so one "
                f"shared value cannot respect every group's bound: add {name!r} to varying=."
            )
    clash = [n + s for n in varying_t for s in (POP_SUFFIX, TAU_SUFFIX) if n + s in names]
    if clash:
        raise BayesLawsError(f"Parameter names {clash} clash with population names; rename them.")
    scales = _tau_scales(tau_scale, varying_t)
    return Hierarchy(column=column, groups=tuple(groups), varying=varying_t, pooled=pooled_t,
                     tau_scale=scales)


def _tau_scales(tau_scale, varying: tuple[str, ...]) -> dict[str, float]:
    if tau_scale is None or isinstance(tau_scale, int | float):
        value = DEFAULT_TAU_SCALE if tau_scale is None else float(tau_scale)
        scales = dict.fromkeys(varying, value)
    elif isinstance(tau_scale, Mapping):
        unknown = sorted(set(tau_scale) - set(varying))
        if unknown:
            raise BayesLawsError(
                f"tau_scale names {unknown}, which do not vary between groups; varying "
                f"parameters: {choices(varying)}."
            )
        scales = {n: float(tau_scale.get(n, DEFAULT_TAU_SCALE)) for n in varying}
    else:
        raise BayesLawsError(
            f"tau_scale must be a number or a dict {{parameter: number}}, got {tau_scale!r}."
        )
    bad = {k: v for k, v in scales.items() if not np.isfinite(v) or v <= 0}
    if bad:
        raise BayesLawsError(f"tau_scale values must be finite and > 0, got {bad}.")
    return scales


def group_labels(data: Any, column: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Group index of each row and the sorted group labels (as strings)."""
    frame = as_frame(data)
    if not isinstance(column, str):
        raise DataError(f"group must be a column name, got {column!r}.")
    if column not in frame.columns:
        raise DataError(
            f"Group column {column!r} is not in the data. Available columns: "
            f"{choices(map(str, frame.columns))}."
        )
    raw = frame[column]
    if raw.isna().any():
        row = int(np.flatnonzero(raw.isna().to_numpy())[0])
        raise DataError(
            f"Group column {column!r} has a missing value at row {row} "
            f"({int(raw.isna().sum())} such rows); give every run a group or drop those rows."
        )
    labels = raw.astype(str).to_numpy()
    groups = tuple(sorted(set(labels)))
    if len(groups) < 2:
        raise DataError(
            f"Group column {column!r} has a single group {groups[0]!r}: a hierarchical fit "
            "needs two or more groups (drop group= to fit one curve)."
        )
    lookup = {g: i for i, g in enumerate(groups)}
    return np.array([lookup[v] for v in labels], dtype=np.int64), groups


# -- the model --------------------------------------------------------------------------------
def _coef(par: Parameter, values: Mapping[str, Any]):
    """Centring coefficient of ``par`` given the natural values of the other parameters."""
    slope = par.slope()
    return 1.0 if slope is None else slope[1] * values[slope[0]]


def hierarchical_values(spec: ModelSpec, hier: Hierarchy, obs: Observations,
                        index: np.ndarray) -> dict[str, np.ndarray]:
    """The ``pm.Data`` values: those of :func:`bayeslaws.model.data_values` plus groups."""
    values = from_data(spec.law, obs, "starting values", data_values, spec, obs)
    values[GROUP_INDEX] = np.asarray(index, dtype=np.int64)
    for name in hier.varying:
        values[f"tau_scale__{name}"] = np.asarray(hier.tau_scale[name])
    return values


def build_hierarchical_model(spec: ModelSpec, hier: Hierarchy,
                             values: Mapping[str, np.ndarray]) -> pm.Model:
    """PyMC model of ``spec`` with the parameters in ``hier.varying`` varying by group."""
    with pm.Model(coords={GROUP_DIM: list(hier.groups)}) as model:
        data = register_data(values)
        index = data[GROUP_INDEX]
        stats = {k[len("stat__"):]: v for k, v in data.items() if k.startswith("stat__")}
        typical: dict = {}  # pooled values and the typical group's values of varying ones
        typical_w: dict = {}
        grouped: dict = {}  # per-group values (shape G) of varying parameters
        grouped_w: dict = {}
        prior_terms = []
        for par in ordered(spec.parameters):
            name = par.name
            base = data[f"loc__{name}"] + pm.Flat(f"z__{name}")
            centre = 0.0
            if par.centre_input is not None:
                centre = data[f"centre__{par.centre_input}"]
            w = base + (_coef(par, typical) * centre if par.centre_input else 0.0)
            value, log_jacobian = par.backward(w, mathops.tensor, {**stats, **typical})
            typical[name], typical_w[name] = value, w
            prior = spec.priors[name]
            dist = prior.dist({a: data[f"prior__{name}__{a}"] for a in prior.arguments})
            prior_terms.append(pm.logp(dist, value) + log_jacobian)
            if name in hier.varying:
                tau = pm.HalfNormal(name + TAU_SUFFIX, sigma=data[f"tau_scale__{name}"])
                z = pm.Normal(f"z__{name}__{GROUP_DIM}", 0.0, 1.0, dims=GROUP_DIM)
                refs = {**typical, **grouped}
                w_g = base + tau * z
                if par.centre_input is not None:
                    w_g = w_g + _coef(par, refs) * centre
                value_g, _ = par.backward(w_g, mathops.tensor, {**stats, **refs})
                grouped[name], grouped_w[name] = value_g, w_g
                pm.Deterministic(name, value_g, dims=GROUP_DIM)
                pm.Deterministic(name + POP_SUFFIX, value)
            else:
                pm.Deterministic(name, value)
        pm.Potential("prior", pt.sum(pt.stack(prior_terms)))
        per_obs = {n: (grouped[n][index] if n in grouped else typical[n]) for n in typical}
        logs = {}
        for par in spec.law.parameters:
            if par.support == "positive":
                logs[par.name] = (grouped_w[par.name][index] if par.name in grouped_w
                                  else typical_w[par.name])
        law_params = {p.name: per_obs[p.name] for p in spec.law.parameters}
        p = param_namespace(law_params, spec.law.parameters, xp=mathops.tensor, logs=logs)
        logx = _namespace({n: data[f"logx__{n}"] for n in spec.law.inputs})
        extra = {k[len("extra__"):]: v for k, v in data.items() if k.startswith("extra__")}
        if extra:
            p.extra = _namespace(extra)
        mean = spec.law.function(p, logx, mathops.tensor)
        lik_params = {q.name: per_obs[q.name] for q in spec.likelihood.parameters}
        lik_params.update(extra)
        spec.likelihood.observe(OBSERVED, mean, lik_params, data["y_obs"])
    return model


def _namespace(values: Mapping[str, Any]):
    from types import SimpleNamespace

    return SimpleNamespace(**values)


# -- sampling ---------------------------------------------------------------------------------
def run_hierarchical(spec: ModelSpec, hier: Hierarchy, values: Mapping[str, np.ndarray], *,
                     sampler: str, draws: int, tune: int, chains: int, random_seed: int,
                     progressbar: bool, target_accept: float | None = None,
                     adaptation: str | None = None) -> tuple[xr.DataTree, float]:
    """Sample the hierarchical model (compiled once per structure and group labels)."""
    sampling.check_sampler(sampler)
    entry = sampling.cached_entry(spec, values, sampler,
                                  lambda: build_hierarchical_model(spec, hier, values),
                                  "hierarchical", hier.varying, hier.groups)
    keep = list(spec.parameter_names) + list(hier.population_names())
    return sampling.sample_entry(entry, values, keep, sampler=sampler, draws=draws, tune=tune,
                                 chains=chains, random_seed=random_seed,
                                 progressbar=progressbar, target_accept=target_accept,
                                 adaptation=adaptation)


# -- draws on the natural scale (NumPy) -------------------------------------------------------
def _flat(values: xr.DataArray) -> np.ndarray:
    arr = np.asarray(values.values, dtype=float)
    return arr.reshape((-1,) + arr.shape[2:])


def run_parameters(spec: ModelSpec, hier: Hierarchy, posterior: xr.Dataset,
                   index: np.ndarray) -> dict[str, np.ndarray]:
    """Each parameter's draws for each run of groups ``index``: arrays ``(S, runs)`` or
    ``(S, 1)`` for pooled ones."""
    out = {}
    for name in spec.parameter_names:
        flat = _flat(posterior[name])
        out[name] = flat[:, np.asarray(index)] if name in hier.varying else flat[:, None]
    return out


def new_group_parameters(spec: ModelSpec, hier: Hierarchy, posterior: xr.Dataset,
                         obs: Observations, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Parameters of one new group per posterior draw, drawn from the population: ``(S, 1)``."""
    stats = statistics(spec.law, obs)
    typical = {}
    for name in spec.parameter_names:
        source = name + POP_SUFFIX if name in hier.varying else name
        typical[name] = _flat(posterior[source])[:, None]
    new: dict[str, np.ndarray] = {}
    for par in ordered(spec.parameters):
        name = par.name
        if name not in hier.varying:
            new[name] = typical[name]
            continue
        w = par.forward(typical[name], {**stats, **typical})
        if par.centre_input is not None:
            centre = obs.summary.inputs[par.centre_input].log_centre
            refs_new = {**typical, **new}
            w = w + (_coef(par, refs_new) - _coef(par, typical)) * centre
        tau = _flat(posterior[name + TAU_SUFFIX])[:, None]
        w = w + tau * rng.standard_normal(tau.shape)
        new[name], _ = par.backward(w, mathops.numpy, {**stats, **typical, **new})
    return new


def _log_likelihood(spec: ModelSpec, params: Mapping[str, np.ndarray], x, y, extra):
    mean = spec.law.evaluate({p.name: params[p.name] for p in spec.law.parameters}, x)
    lik = {p.name: params[p.name] for p in spec.likelihood.parameters}
    lik.update(extra)
    return np.asarray(spec.likelihood.logpdf(mean, lik, spec.likelihood.transform(y)))


def assemble_hierarchical(raw: xr.DataTree, spec: ModelSpec, hier: Hierarchy,
                          obs: Observations, index: np.ndarray) -> xr.DataTree:
    """Stored trace: posterior (group dim), sample_stats, log_likelihood per run, data."""
    keep = list(spec.parameter_names) + list(hier.population_names())
    posterior = raw["posterior"].to_dataset()[keep].astype(float).reset_coords(drop=True)
    extra_dims = [d for d in posterior.dims if d not in (*SAMPLE_DIMS, GROUP_DIM)]
    if extra_dims:  # samplers name the group dim from the model's coords; be safe
        posterior = posterior.rename({extra_dims[0]: GROUP_DIM})
    posterior = posterior.assign_coords({GROUP_DIM: np.array(hier.groups, dtype=str)})
    posterior.attrs = {}
    groups = {"posterior": posterior}
    groups.update(sample_stats_group(raw))
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    params = run_parameters(spec, hier, posterior, index)
    ll = _log_likelihood(spec, params, obs.x, obs.y, obs.extra).reshape(chains, draws, obs.n)
    obs_coord = {OBS_DIM: np.arange(obs.n)}
    groups["log_likelihood"] = xr.Dataset(
        {OBSERVED: ((*SAMPLE_DIMS, OBS_DIM), ll)},
        coords={"chain": posterior["chain"], "draw": posterior["draw"], **obs_coord},
    )
    groups["observed_data"] = xr.Dataset({OBSERVED: ((OBS_DIM,), obs.y)}, coords=obs_coord)
    constant = {name: ((OBS_DIM,), values) for name, values in obs.x.items()}
    constant.update({f"extra_{k}": ((OBS_DIM,), v) for k, v in obs.extra.items()})
    constant[GROUP_INDEX] = ((OBS_DIM,), np.asarray(index, dtype=np.int64))
    groups["constant_data"] = xr.Dataset(constant, coords=obs_coord)
    return xr.DataTree.from_dict(groups)


# -- the fit ----------------------------------------------------------------------------------
def fit_hierarchical(law, data, x=None, y: str = "y", *, group: str, pooled=None,
                     varying=None, tau_scale=None, priors=None, likelihood: str = "lognormal",
                     sampler: str = sampling.DEFAULT_SAMPLER, draws: int = 1000,
                     tune: int = 1000, chains: int = 4, random_seed: int | None = None,
                     target_accept: float | None = None, adaptation: str | None = None,
                     progressbar: bool = True, strict: bool = False, law_options=None,
                     extra=None, allow_few_runs: bool = False) -> HierarchicalFit:
    """Fit a law with partial pooling over groups; see :func:`bayeslaws.fit` and the module
    docstring. Everything is checked before sampling."""
    from bayeslaws.fitting import (
        _check_settings,
        default_target_accept,
        fit_config,
        prepare_fit,
    )

    _check_settings(draws, tune, chains, target_accept)
    sampling.check_sampler(sampler)
    adaptation = sampling.resolve_adaptation(sampler, adaptation, hierarchical=True)
    index, groups = group_labels(data, group)
    spec, obs = prepare_fit(law, data, x, y, priors=priors, likelihood=likelihood,
                            law_options=law_options, extra=extra,
                            allow_few_runs=allow_few_runs)
    hier = resolve_hierarchy(spec, group, groups, pooled, varying, tau_scale)
    target_accept = default_target_accept(spec, target_accept, adaptation)
    if random_seed is None:
        random_seed = int(np.random.SeedSequence().generate_state(1)[0])
    raw, seconds = run_hierarchical(
        spec, hier, hierarchical_values(spec, hier, obs, index), sampler=sampler, draws=draws,
        tune=tune, chains=chains, random_seed=random_seed, progressbar=progressbar,
        target_accept=target_accept, adaptation=adaptation,
    )
    config = {
        **fit_config(spec, obs, extra, sampler=sampler, draws=draws, tune=tune, chains=chains,
                     random_seed=random_seed, target_accept=target_accept,
                     adaptation=adaptation, seconds=seconds),
        "hierarchy": hier.to_dict(),
    }
    result = HierarchicalFit(assemble_hierarchical(raw, spec, hier, obs, index), spec, config)
    diag_mod.report(result.diagnostics(), strict=strict, stacklevel=4)
    return result


class HierarchicalFit(Fit):
    """A law fitted with partial pooling over groups (see :mod:`bayeslaws.hierarchy`).

    Everything of :class:`~bayeslaws.result.Fit` works; ``predict`` and ``predictive_draws``
    take a group (an existing label or ``"new"``), ``summary`` has one row per group of each
    varying parameter plus the population rows ``<name>_pop`` and ``<name>_tau``.
    """

    def __init__(self, trace: xr.DataTree, spec: ModelSpec, config: dict[str, Any]) -> None:
        super().__init__(trace, spec, config)
        self.hierarchy = Hierarchy.from_dict(config["hierarchy"])
        self.group_columns = (self.hierarchy.column,)
        self.is_grouped = True

    def __repr__(self) -> str:
        h = self.hierarchy
        return (f"<bayeslaws.HierarchicalFit law={self.law.name!r} group={h.column!r} "
                f"groups={len(h.groups)} varying={list(h.varying)} pooled={list(h.pooled)} "
                f"n={self.observations.n}>")

    @property
    def groups(self) -> tuple[str, ...]:
        """Group labels, in the order of the posterior's ``group`` coordinate."""
        return self.hierarchy.groups

    @property
    def group_index(self) -> np.ndarray:
        """Group of each fitted run (index into :attr:`groups`)."""
        return np.asarray(self.trace["constant_data"][GROUP_INDEX].values, dtype=np.int64)

    def data(self) -> pd.DataFrame:
        """The fitted data with the user's column names, including the group column."""
        table = super().data()
        table[self.hierarchy.column] = np.asarray(self.groups)[self.group_index]
        return table

    def as_known_groups(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with group labels this fit does not have replaced by ``"new"`` (runs of
        a group left out of the fit, scored as a new group drawn from the population)."""
        labels = frame[self.hierarchy.column].astype(str)
        return frame.assign(**{self.hierarchy.column: labels.where(labels.isin(self.groups),
                                                                   NEW).to_numpy()})

    def _names(self) -> list[str]:
        return list(self.spec.parameter_names) + list(self.hierarchy.population_names())

    def draws(self, names=None) -> dict[str, np.ndarray]:
        """Flattened draws; a varying parameter gives one entry per group, ``"E[rpj]"``."""
        names = self._names() if names is None else list(names)
        out = {}
        for name in names:
            flat = _flat(self.posterior[name])
            if flat.ndim == 1:
                out[name] = flat
            else:
                for i, label in enumerate(self.groups):
                    out[f"{name}[{label}]"] = flat[:, i]
        return out

    def diagnostics(self) -> diag_mod.Diagnostics:
        """Divergences, R-hat and ESS of every parameter (worst group for varying ones)."""
        if self._diagnostics is None:
            self._diagnostics = diag_mod.compute(self.trace, self._names(),
                                                 self.config.get("target_accept"),
                                                 self.config.get("adaptation"))
        return self._diagnostics

    def summary(self, prob: float = 0.9) -> pd.DataFrame:
        """Posterior table with a row per group of each varying parameter (``E[rpj]``) and the
        population rows ``E_pop`` (typical group) and ``E_tau`` (between-group sd, sampling
        scale)."""
        prob = _check_prob(prob)
        q_lo, q_hi = (1 - prob) / 2, (1 + prob) / 2
        post = self.posterior[self._names()]
        multi = post.sizes["chain"] > 1
        rhat = az.rhat(post) if multi else None
        bulk, tail = az.ess(post, method="bulk"), az.ess(post, method="tail")
        rows = {}
        for name in self._names():
            cells = [(name, {})] if GROUP_DIM not in post[name].dims else [
                (f"{name}[{g}]", {GROUP_DIM: g}) for g in self.groups]
            for label, sel in cells:
                values = np.asarray(post[name].sel(sel).values).ravel()
                rows[label] = {
                    "mean": values.mean(), "sd": values.std(ddof=1),
                    "median": np.median(values),
                    f"eti{int(round(prob * 100))}_lower": np.quantile(values, q_lo),
                    f"eti{int(round(prob * 100))}_upper": np.quantile(values, q_hi),
                    "ess_bulk": float(bulk[name].sel(sel)),
                    "ess_tail": float(tail[name].sel(sel)),
                    "r_hat": float(rhat[name].sel(sel)) if multi else np.nan,
                }
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.attrs["divergences"] = self.diagnostics().divergences
        return table

    # -- groups of new points ---------------------------------------------------------------
    def _point_groups(self, at: Any, group: str | None, points: int) -> np.ndarray:
        """Group index of each prediction point; -1 marks a new group."""
        column = self.hierarchy.column
        lookup = {g: i for i, g in enumerate(self.groups)}
        if group is not None:
            labels = np.full(points, str(group), dtype=object)
        elif _has_column(at, column):
            labels = np.broadcast_to(np.asarray(at[column], dtype=object).ravel(), (points,))
            labels = np.array([str(v) for v in labels], dtype=object)
        else:
            return np.full(points, -1, dtype=np.int64)
        unknown = sorted({v for v in labels if v not in lookup and v != NEW})
        if unknown:
            raise BayesLawsError(
                f"Unknown group(s) {unknown} in column {column!r}. Fitted groups: "
                f"{choices(self.groups)}; use group={NEW!r} to forecast for a new, unseen group "
                "(its parameters drawn from the population)."
            )
        return np.array([lookup.get(v, -1) for v in labels], dtype=np.int64)

    def _parameters_at(self, index: np.ndarray, rng: np.random.Generator):
        params = run_parameters(self.spec, self.hierarchy, self.posterior, np.maximum(index, 0))
        if (index < 0).any():
            new = new_group_parameters(self.spec, self.hierarchy, self.posterior,
                                       self.observations, rng)
            for name in self.hierarchy.varying:
                params[name] = np.where(index[None, :] < 0, new[name], params[name])
        return params

    def predictive_draws(self, at: Any, kind: Kind = "predictive", random_seed: int | None = 0,
                         group: str | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Draws of y at new scales for existing or new groups: ``(inputs, (S, points))``.

        Parameters
        ----------
        at : dict or DataFrame
            Values of every law input, optionally with the group column.
        kind : {"predictive", "mean"}
            With observation noise or the law's curve alone.
        random_seed : int, optional
            Seed of the noise and new-group draws.
        group : str, optional
            A fitted group's label, or ``"new"`` for an unseen group drawn from the
            population. Default: ``at``'s group column if it has one, else ``"new"``.
        """
        from bayeslaws.data import prediction_inputs

        if kind not in ("predictive", "mean"):
            raise BayesLawsError(f"kind must be 'predictive' or 'mean', got {kind!r}.")
        x = prediction_inputs(self.law, _without(at, self.hierarchy.column))
        points = len(next(iter(x.values())))
        index = self._point_groups(at, group, points)
        rng = np.random.default_rng(random_seed)
        params = self._parameters_at(index, rng)
        link_mean = self.law.evaluate({p.name: params[p.name] for p in self.law.parameters}, x)
        link_mean = np.broadcast_to(link_mean, (link_mean.shape[0], points))
        if kind == "mean":
            values = np.exp(link_mean) if self.law.link == "log" else link_mean
        else:
            lik = {p.name: params[p.name] for p in self.spec.likelihood.parameters}
            lik.update(self._prediction_extra(at, points))
            values = self.spec.likelihood.draw(link_mean, lik, rng)
        return x, np.asarray(values)

    def predict(self, at: Mapping[str, Any] | pd.DataFrame, prob: float = 0.9,
                kind: Kind = "predictive", random_seed: int | None = 0,
                group: str | None = None) -> pd.DataFrame:
        """Forecast y for existing or new groups with an equal-tailed interval.

        Same as :meth:`bayeslaws.Fit.predict`, with ``group`` as in :meth:`predictive_draws`;
        the table has a column named like the group column (``"new"`` for a new group).
        """
        prob = _check_prob(prob)
        x, values = self.predictive_draws(at, kind=kind, random_seed=random_seed, group=group)
        points = values.shape[1]
        index = self._point_groups(at, group, points)
        table = pd.DataFrame(x)
        table[self.hierarchy.column] = [self.groups[i] if i >= 0 else NEW for i in index]
        table["mean"] = values.mean(axis=0)
        table["median"] = np.median(values, axis=0)
        table["lower"] = np.quantile(values, (1 - prob) / 2, axis=0)
        table["upper"] = np.quantile(values, (1 + prob) / 2, axis=0)
        return table

    def pointwise_log_likelihood(self, data: Any, y: str | None = None,
                                 random_seed: int | None = 0,
                                 group: str | None = None) -> xr.DataArray:
        """Log density of each run of ``data`` under each draw, dims chain, draw, obs.

        Each run is scored under its group's parameters (``data``'s group column, or
        ``group``); runs of a new group (label ``"new"``; an unknown label is an error) under
        one new group per posterior draw, drawn from the population with ``random_seed``.
        """
        frame = as_frame(data)
        obs = self.observations_from(frame, y)
        index = self._point_groups(frame, group, obs.n)
        params = self._parameters_at(index, np.random.default_rng(random_seed))
        ll = _log_likelihood(self.spec, params, obs.x, obs.y, obs.extra)
        post = self.posterior
        shape = (post.sizes["chain"], post.sizes["draw"], obs.n)
        return xr.DataArray(np.broadcast_to(ll, (shape[0] * shape[1], obs.n)).reshape(shape),
                            dims=(*SAMPLE_DIMS, OBS_DIM),
                            coords={"chain": post["chain"], "draw": post["draw"]})

    def log_density(self, data: Any, y: str | None = None, random_seed: int | None = 0,
                    group: str | None = None) -> np.ndarray:
        """Log posterior-predictive density of measured runs (new runs, e.g. held out).

        ``log mean_s p(y_i | theta_s, group_i)`` as :meth:`bayeslaws.Fit.log_density`, with
        groups as in :meth:`pointwise_log_likelihood`: runs of a new group integrate over the
        population.
        """
        return super().log_density(data, y, random_seed=random_seed, group=group)

    def plot(self, **kwargs):
        """Not available for hierarchical fits yet: forecast per group with :meth:`predict`."""
        raise BayesLawsError(
            "plot() draws one curve and does not support hierarchical fits yet; use "
            f"fit.predict(at, group=<one of {choices(self.groups)} or 'new'>) per group."
        )


def fit_options(fit: Fit) -> dict[str, Any]:
    """Keyword arguments that make :func:`bayeslaws.fit` repeat ``fit``'s grouping.

    ``{}`` for an ordinary fit; ``group``, ``varying`` and ``tau_scale`` for a hierarchical one
    (for refits on other rows, e.g. exact LOO or backtests).
    """
    if not isinstance(fit, HierarchicalFit):
        return {}
    h = fit.hierarchy
    return {"group": h.column, "varying": list(h.varying), "tau_scale": dict(h.tau_scale)}


def _without(at: Any, column: str) -> Any:
    """``at`` without the group column (whose labels are not numbers)."""
    if isinstance(at, pd.DataFrame):
        return at.drop(columns=[column], errors="ignore")
    if isinstance(at, Mapping):
        return {k: v for k, v in at.items() if k != column}
    return at


def _has_column(at: Any, column: str) -> bool:
    try:
        return column in at
    except TypeError:
        return False
