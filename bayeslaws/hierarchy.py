"""Grouping: partial pooling of a law's parameters over groups of runs.

``bl.fit(law, df, ..., group="dataset", pooled=["alpha", "beta"], varying=["E", "A", "B"])``
fits one law to several groups (training sets, model families, tasks) at once. Parameters in
``pooled`` are shared by every group; each parameter in ``varying`` gets one value per group,
drawn from a population whose centre and spread are estimated. By default the law file's
:meth:`~bayeslaws.law.Law.default_varying` vary (levels vary, exponents are shared: groups
shift a curve without changing its slope), e.g. ``chinchilla``: ``E``, ``A``, ``B``. This
module only describes the pooling (:class:`Grouping`, checked by :func:`resolve_grouping`); it
is part of :class:`bayeslaws.spec.ModelSpec`, so one model builder, trace and result class
serve grouped and plain fits alike.

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
``tau ~ HalfNormal(tau_scale)`` with :data:`DEFAULT_TAU_SCALE` = 0.5 by default: on the log
scale groups are a priori within a factor of about ``exp(2 * 0.5) = 2.7`` of each other (95%),
and much smaller spreads (a few percent) are well supported. Override with ``tau_scale=0.2``
or ``tau_scale={"E": 0.1}``.

The posterior holds each pooled parameter with dims ``(chain, draw)``, each varying one with
dims ``(chain, draw, group)`` (coordinate: the group labels, as strings), and for each varying
parameter ``<name>_pop`` (the typical group's value on the paper's scale) and ``<name>_tau``
(the between-group standard deviation on the sampling scale, e.g. of ``log E``). Replicates
(several runs of a group at one scale) share the group's law value, so their scatter is what
the noise ``sigma`` measures; ``sigma`` is pooled by default (list it in ``varying`` to let it
differ). Forecasts for a new group (``group="new"``) draw its parameters from the population
for each posterior draw, so they carry the between-group uncertainty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bayeslaws.exceptions import DataError, OptionError, choices
from bayeslaws.law import Law, Parameter

#: Default scale of the HalfNormal prior on each between-group standard deviation ``tau``.
DEFAULT_TAU_SCALE = 0.5
#: Label of a new, unseen group in predictions.
NEW = "new"
GROUP_DIM = "group"
GROUP_INDEX = "group_index"
POP_SUFFIX = "_pop"
TAU_SUFFIX = "_tau"


@dataclass(frozen=True)
class Grouping:
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
    def from_dict(cls, data: Mapping[str, Any]) -> Grouping:
        return cls(column=str(data["column"]), groups=tuple(data["groups"]),
                   varying=tuple(data["varying"]), pooled=tuple(data["pooled"]),
                   tau_scale={k: float(v) for k, v in data["tau_scale"].items()})

    def population_names(self) -> tuple[str, ...]:
        """``<name>_pop`` and ``<name>_tau`` of every varying parameter."""
        return tuple(n + s for n in self.varying for s in (POP_SUFFIX, TAU_SUFFIX))

    def structure_key(self) -> tuple:
        """What the grouping adds to a compiled model's structure."""
        return (self.varying, self.groups)

    def fit_options(self) -> dict[str, Any]:
        """Keyword arguments that make :func:`bayeslaws.fit` repeat this grouping."""
        return {"group": self.column, "varying": list(self.varying),
                "tau_scale": dict(self.tau_scale)}

    def index_of(self, labels: Sequence[Any]) -> np.ndarray:
        """Group index of each label; -1 for :data:`NEW` (unknown labels are an error)."""
        lookup = {g: i for i, g in enumerate(self.groups)}
        labels = [str(v) for v in labels]
        unknown = sorted({v for v in labels if v not in lookup and v != NEW})
        if unknown:
            raise DataError(
                f"Unknown group(s) {unknown} in column {self.column!r}. Fitted groups: "
                f"{choices(self.groups)}; use group={NEW!r} to forecast for a new, unseen group "
                "(its parameters drawn from the population).")
        return np.array([lookup.get(v, -1) for v in labels], dtype=np.int64)


def _names_list(value: Any, what: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Sequence | set | frozenset | tuple):
        raise OptionError(f"{what} must be a list of parameter names, got {value!r}.")
    return [str(v) for v in value]


def resolve_grouping(law: Law, parameters: Sequence[Parameter], column: str,
                     groups: Sequence[str], pooled: Any = None, varying: Any = None,
                     tau_scale: float | Mapping[str, float] | None = None,
                     likelihood: str = "") -> Grouping:
    """Check ``pooled``/``varying`` against the parameters (law's and likelihood's) and fill in
    defaults: parameters named in neither list are pooled when ``varying`` is given and vary
    when only ``pooled`` is; with neither, the law's :meth:`~bayeslaws.law.Law.default_varying`.
    """
    names = [p.name for p in parameters]
    pooled_l = _names_list(pooled, "pooled")
    varying_l = _names_list(varying, "varying")
    for what, listed in (("pooled", pooled_l), ("varying", varying_l)):
        unknown = [n for n in (listed or []) if n not in names]
        if unknown:
            raise OptionError(f"Unknown parameter(s) {unknown} in {what}= for law {law.name!r} "
                              f"with likelihood {likelihood!r}. Valid names: {choices(names)}.")
    both = sorted(set(pooled_l or ()) & set(varying_l or ()))
    if both:
        raise OptionError(
            f"Parameter(s) {both} are listed in both pooled= and varying=; a parameter is "
            "either shared by all groups (pooled) or has one value per group (varying).")
    if varying_l is None:
        varying_l = ([n for n in names if n not in pooled_l] if pooled_l is not None
                     else list(law.default_varying()))
    if not varying_l:
        raise OptionError(
            f"No parameter of law {law.name!r} varies between groups (pooled={pooled_l}). "
            f"Name some in varying= (valid names: {choices(names)}), or drop group= for a "
            "fully pooled fit.")
    varying_t = tuple(n for n in names if n in varying_l)
    pooled_t = tuple(n for n in names if n not in varying_t)
    for par in parameters:
        refs = [r for r in par.references() if r in varying_t
                and (par.support in ("ordered", "interval") or r in par.requires)]
        if par.name in pooled_t and refs:
            raise OptionError(
                f"Pooled parameter {par.name!r} is bounded by varying parameter(s) {refs}, so "
                f"one shared value cannot respect every group's bound: add {par.name!r} to "
                "varying=.")
    clash = [n + s for n in varying_t for s in (POP_SUFFIX, TAU_SUFFIX) if n + s in names]
    if clash:
        raise OptionError(f"Parameter names {clash} clash with population names; rename them.")
    return Grouping(column=column, groups=tuple(groups), varying=varying_t, pooled=pooled_t,
                    tau_scale=_tau_scales(tau_scale, varying_t))


def _tau_scales(tau_scale: Any, varying: tuple[str, ...]) -> dict[str, float]:
    if tau_scale is None or isinstance(tau_scale, int | float):
        value = DEFAULT_TAU_SCALE if tau_scale is None else float(tau_scale)
        scales = dict.fromkeys(varying, value)
    elif isinstance(tau_scale, Mapping):
        unknown = sorted(set(tau_scale) - set(varying))
        if unknown:
            raise OptionError(f"tau_scale names {unknown}, which do not vary between groups; "
                              f"varying parameters: {choices(varying)}.")
        scales = {n: float(tau_scale.get(n, DEFAULT_TAU_SCALE)) for n in varying}
    else:
        raise OptionError(
            f"tau_scale must be a number or a dict {{parameter: number}}, got {tau_scale!r}.")
    bad = {k: v for k, v in scales.items() if not np.isfinite(v) or v <= 0}
    if bad:
        raise OptionError(f"tau_scale values must be finite and > 0, got {bad}.")
    return scales


def group_labels(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """Group index of each row and the sorted group labels (as strings)."""
    if not isinstance(column, str):
        raise DataError(f"group must be a column name, got {column!r}.")
    if column not in frame.columns:
        raise DataError(f"Group column {column!r} is not in the data. Available columns: "
                        f"{choices(map(str, frame.columns))}.")
    missing = frame[column].isna().to_numpy()
    if missing.any():
        raise DataError(
            f"Group column {column!r} has a missing value at row {np.flatnonzero(missing)[0]} "
            f"({int(missing.sum())} such rows); give every run a group or drop those rows.")
    labels = frame[column].astype(str).to_numpy()
    groups = tuple(sorted(set(labels)))
    if len(groups) < 2:
        raise DataError(f"Group column {column!r} has a single group {groups[0]!r}: a grouped "
                        "fit needs two or more groups (drop group= to fit one curve).")
    lookup = {g: i for i, g in enumerate(groups)}
    return np.array([lookup[v] for v in labels], dtype=np.int64), groups
