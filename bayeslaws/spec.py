"""What the user asked for: a law, an observation model, priors and an optional grouping.

:class:`ModelSpec` is the specification (the spec/backend split of bambi); :func:`prepare_fit`
checks everything a fit needs before sampling -- law, likelihood, data, priors and grouping --
and returns the spec with the validated :class:`~bayeslaws.data.Observations`.
:mod:`bayeslaws.model` builds the PyMC model of a spec.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bayeslaws.catalogue import get_law
from bayeslaws.data import Observations, as_frame, check_for_likelihood, from_data, prepare
from bayeslaws.exceptions import OptionError, PriorError, choices
from bayeslaws.hierarchy import Grouping, group_labels, resolve_grouping
from bayeslaws.informed import informed_priors, is_informed
from bayeslaws.law import DataSummary, Law, Parameter
from bayeslaws.likelihoods import Likelihood, default_likelihood, get_likelihood
from bayeslaws.priors import Prior, coerce_prior


@dataclass(frozen=True)
class ModelSpec:
    """A law, an observation model, a prior for every parameter and, optionally, groups.

    ``grouping`` is ``None`` for one curve through every run; otherwise the parameters in
    ``grouping.varying`` get one value per group (see :mod:`bayeslaws.hierarchy`).
    """

    law: Law
    likelihood: Likelihood
    priors: dict[str, Prior]
    grouping: Grouping | None = None

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        return self.law.parameters + self.likelihood.parameters

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def posterior_names(self) -> tuple[str, ...]:
        """Variables of the posterior: the parameters, then the population ones if grouped."""
        extra = () if self.grouping is None else self.grouping.population_names()
        return self.parameter_names + extra

    def varies(self, name: str) -> bool:
        """Whether parameter ``name`` has one value per group."""
        return self.grouping is not None and name in self.grouping.varying

    def structure_key(self) -> tuple:
        """What fixes the compiled model: law, options, likelihood, prior families, groups."""
        return (self.law.name, json.dumps(self.law.options, sort_keys=True, default=str),
                self.likelihood.name,
                tuple((name, self.priors[name].distribution) for name in self.parameter_names),
                None if self.grouping is None else self.grouping.structure_key())


def resolve_priors(law: Law, likelihood: Likelihood, summary: DataSummary,
                   user: Mapping[str, Prior] | None) -> dict[str, Prior]:
    """Default priors for the data, overridden by the user's (unknown names are an error);
    ``user="informed"`` (or an :class:`~bayeslaws.informed.InformedPriors`): the priors learned
    from published studies for exponents, floors and noise (:mod:`bayeslaws.informed`)."""
    priors = {**law.default_priors(summary), **likelihood.default_priors(summary)}
    if is_informed(user) or isinstance(user, str):
        priors.update(informed_priors(law, likelihood.name, summary, user))
        user = None
    parameters = law.parameters + likelihood.parameters
    names = [p.name for p in parameters]
    missing = [n for n in names if n not in priors]
    if missing:
        raise PriorError(f"Law {law.name!r} defines no default prior for {missing}.")
    for name, prior in (user or {}).items():
        if name not in priors:
            raise PriorError(f"Unknown prior name {name!r} for law {law.name!r} with likelihood "
                             f"{likelihood.name!r}. Valid names: {choices(names)}.")
        priors[name] = coerce_prior(name, prior)
    for par in parameters:
        if priors[par.name].at_centre and (par.support != "positive" or par.centre_input is None):
            raise PriorError(
                f"The prior of {par.name!r} has at_centre=True, but {par.name!r} is not a "
                "positive parameter sampled at the data's centre (no centre_input in law "
                f"{law.name!r}); drop at_centre=True to put the prior on {par.name!r} itself.")
    return {n: priors[n] for n in names}


def prepare_fit(law: str | Law, data: Any, x: Mapping[str, str] | str | None = None,
                y: str = "y", *, priors: Mapping[str, Prior] | None = None,
                likelihood: str | Likelihood | None = None,
                law_options: Mapping[str, Any] | None = None,
                extra: Mapping[str, str] | None = None, group: str | None = None,
                pooled: Sequence[str] | None = None, varying: Sequence[str] | None = None,
                tau_scale: float | Mapping[str, float] | None = None,
                allow_few_runs: bool = False) -> tuple[ModelSpec, Observations]:
    """Everything a fit checks before sampling: law, likelihood, data, priors and groups.

    Arguments as for :func:`bayeslaws.fit` (``likelihood=None``: the law's default,
    :func:`bayeslaws.likelihoods.default_likelihood`). Returns the spec and the validated
    observations (with each run's group index when ``group`` is given).
    """
    if group is None and (pooled is not None or varying is not None or tau_scale is not None):
        raise OptionError("pooled=, varying= and tau_scale= describe a grouped fit: give "
                          "group=<column of group labels> too, or drop them for a single pooled "
                          "curve.")
    law_obj = get_law(law, **dict(law_options or {}))
    if likelihood is None:
        likelihood = default_likelihood(law_obj.link, extra)
    lik = get_likelihood(likelihood, law_obj.link, law_obj.name)
    index, labels = (None, None) if group is None else group_labels(as_frame(data), group)
    parameters = law_obj.parameters + lik.parameters
    obs = prepare(law_obj, data, x, y, len(parameters), extra=extra,
                  allow_few_runs=allow_few_runs, groups=index)
    check_for_likelihood(lik, obs)
    grouping = None if group is None else resolve_grouping(
        law_obj, parameters, group, labels, pooled, varying, tau_scale, likelihood=lik.name)
    chosen = from_data(law_obj, obs, "default priors", resolve_priors, law_obj, lik,
                       obs.summary, priors)
    return ModelSpec(law_obj, lik, chosen, grouping), obs
