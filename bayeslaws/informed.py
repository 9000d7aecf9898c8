"""Informed priors: population distributions learned from published scaling studies.

``bl.fit(..., priors="informed")`` replaces three kinds of default priors by distributions
learned from the studies in ``../shared/data`` (Chinchilla, Gadre et al.'s three training sets,
the Revisiting-Neural-Scaling-Laws learning curves):

* every **exponent** of the law (the slope of a power-law term: ``alpha``, ``beta``, ``b``)
  gets the population distribution of fitted exponents of its **axis** (below);
* the **noise scale** ``sigma`` (of ``log y``) that of fitted noise scales;
* the **floor** ``E`` that of ``E / min(y)``, put on the data's smallest loss.

Amplitudes (on the data's scale already), Student-t's ``nu`` and any other parameter keep the
law's defaults. Each distribution is LogNormal: the predictive distribution of a new study's
value under a hierarchical random-effects meta-analysis of the per-fit posteriors (fit, then
unit of a study, then population). The numbers, their provenance and the per-unit estimates are
in ``bayeslaws/informed_priors.json``, written by ``benchmarks/informed_priors.py`` (rerun it
when studies are added).

``InformedPriors(without="gadre")`` gives the priors learned without one study, for
leave-one-study-out evaluation (``priors=InformedPriors(without="gadre")``).

Exponent axes
-------------
Exponents of different kinds of input are different populations: the exponents of model size
and training tokens in ``L(N, D)`` laws fitted to the final losses of separate runs
(Chinchilla, Gadre et al., and the published fits of Hoffmann et al., Besiroglu et al. and
Muennighoff et al.; about 0.25-0.37) are not those of learning curves in examples seen
(Alabdulmohsin et al.; 0.2-1.1, median about 0.4). A law declares the axis of an exponent by
the names of the inputs it is the slope of (the ``centre_input`` of the amplitudes whose
``centre_slope`` it is): inputs named ``N`` (parameters) and ``D`` (tokens) are the
``"scale"`` axis, any other input (``x``: examples seen, steps, ...) the ``"curve"`` axis
(:func:`exponent_axis`). ``InformedPriors(exponents="scale" | "curve" | "pooled")`` overrides
that choice for every exponent (``"pooled"``: one population of all fitted exponents, the
format-1 behaviour), e.g. for a one-input power law in model size (input ``x``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bayeslaws.exceptions import PriorError, choices
from bayeslaws.law import DataSummary, Law
from bayeslaws.priors import Prior

#: The shipped file of population distributions.
DATA_FILE = Path(__file__).with_name("informed_priors.json")
#: Name of the prior set for ``bl.fit(..., priors=...)``.
NAME = "informed"
#: Laws whose parameters the learned populations describe: a floor ``E`` plus power-law terms.
COVERED_LAWS = ("chinchilla", "overtraining", "saturating_power_law", "power_law")
#: Likelihoods with the noise scale ``sigma`` of ``log y``.
COVERED_LIKELIHOODS = ("studentt", "lognormal")
#: The learned populations.
QUANTITIES = ("exponent", "noise", "floor")
#: Inputs whose exponents belong to the ``"scale"`` axis (model size and training tokens).
SCALE_INPUTS = ("N", "D")
#: Axes of exponents: the population of exponents of that kind of input (see the module doc).
AXES = ("scale", "curve")
#: Choices of ``InformedPriors(exponents=...)``.
EXPONENT_CHOICES = ("auto", *AXES, "pooled")


@dataclass(frozen=True)
class InformedPriors:
    """The informed prior set, optionally learned without some study (leave-one-study-out).

    Parameters
    ----------
    without : str, optional
        A study left out of the meta-analysis (``"chinchilla"``, ``"gadre"``, ``"revisiting"``).
    use : tuple of str
        The populations applied, of ``"exponent"``, ``"noise"``, ``"floor"``; the others keep
        the law's default priors.
    exponents : {"auto", "scale", "curve", "pooled"}
        Which exponent population applies: ``"auto"`` by the axis of each exponent
        (:func:`exponent_axis`: inputs ``N``/``D`` -> ``"scale"``, others -> ``"curve"``), or
        one population for every exponent.
    """

    without: str | None = None
    use: tuple[str, ...] = QUANTITIES
    exponents: str = "auto"

    def __post_init__(self) -> None:
        bad = [q for q in self.use if q not in QUANTITIES]
        if bad or not self.use:
            raise PriorError(f"InformedPriors(use={self.use!r}): give some of "
                             f"{choices(QUANTITIES)}.")
        if self.exponents not in EXPONENT_CHOICES:
            raise PriorError(f"InformedPriors(exponents={self.exponents!r}): give one of "
                             f"{choices(EXPONENT_CHOICES)}.")

    @property
    def key(self) -> str:
        return "all" if self.without is None else f"without={self.without}"


@cache
def document() -> dict[str, Any]:
    """The shipped file: populations, studies, provenance."""
    return json.loads(DATA_FILE.read_text())


def populations(which: InformedPriors | None = None) -> dict[str, dict[str, float]]:
    """``{"exponent_scale" | "exponent_curve" | "exponent" | "noise" | "floor": {"mu": ...,
    "sigma": ...}}`` of a prior set (``"exponent"``: all exponents pooled)."""
    which = which or InformedPriors()
    sets = document()["populations"]
    if which.key not in sets:
        studies = [k.split("=", 1)[1] for k in sets if k.startswith("without=")]
        raise PriorError(f"InformedPriors(without={which.without!r}): no such study; studies: "
                         f"{choices(studies)} (or without=None for all of them).")
    return sets[which.key]


def exponent_names(law: Law) -> tuple[str, ...]:
    """The law's exponents: the slopes that its power-law amplitudes are centred with."""
    names = [p.centre_slope for p in law.parameters if p.centre_slope]
    return tuple(dict.fromkeys(n for n in names if n in {p.name for p in law.parameters}))


def exponent_axis(law: Law, name: str) -> str:
    """The axis of exponent ``name``: ``"scale"`` if every input it is the slope of (the
    ``centre_input`` of the amplitudes centred with it) is one of :data:`SCALE_INPUTS`
    (``N``, ``D``), else ``"curve"``."""
    inputs = {p.centre_input for p in law.parameters if p.centre_slope == name}
    return "scale" if inputs and inputs <= set(SCALE_INPUTS) else "curve"


def exponent_population(law: Law, name: str, which: InformedPriors) -> str:
    """The key in :func:`populations` of the exponent ``name``'s population: that of its axis,
    or the pooled ``"exponent"`` where the prior set has no fit of that axis (e.g. the curve
    axis learned without the learning-curve study)."""
    if which.exponents == "pooled":
        return "exponent"
    axis = exponent_axis(law, name) if which.exponents == "auto" else which.exponents
    return f"exponent_{axis}" if f"exponent_{axis}" in populations(which) else "exponent"


def is_informed(priors: Any) -> bool:
    """Whether ``priors`` (the ``priors=`` argument of a fit) asks for the informed set."""
    return isinstance(priors, InformedPriors) or (isinstance(priors, str) and priors == NAME)


def informed_priors(law: Law, likelihood_name: str, summary: DataSummary,
                    which: InformedPriors | str = NAME) -> dict[str, Prior]:
    """The informed priors of a law's exponents, floors and noise scale on these data.

    Raises
    ------
    PriorError
        For a law or likelihood the learned populations do not describe.
    """
    if isinstance(which, str):
        if which != NAME:
            raise PriorError(f"priors={which!r}: the only named prior set is {NAME!r}; give "
                             "a dict {parameter: Prior} otherwise.")
        which = InformedPriors()
    if law.name not in COVERED_LAWS:
        raise PriorError(
            f"priors='informed' covers the laws {choices(COVERED_LAWS)} (a floor plus power-"
            f"law terms, as in the studies they were learned from), not {law.name!r}. Use the "
            "default priors, or give priors={parameter: Prior(...)} yourself.")
    if likelihood_name not in COVERED_LIKELIHOODS:
        raise PriorError(
            f"priors='informed' has a noise prior for likelihoods {choices(COVERED_LIKELIHOODS)}"
            f" (noise on log y), not {likelihood_name!r}.")
    pops = populations(which)
    out = {}
    if "exponent" in which.use:
        for name in exponent_names(law):
            pop = pops[exponent_population(law, name, which)]
            out[name] = Prior("LogNormal", mu=pop["mu"], sigma=pop["sigma"])
    if "floor" in which.use:
        out.update({name: Prior("LogNormal", mu=summary.log_y_min + pops["floor"]["mu"],
                                sigma=pops["floor"]["sigma"]) for name in law.floors})
    if "noise" in which.use:
        out["sigma"] = Prior("LogNormal", mu=pops["noise"]["mu"], sigma=pops["noise"]["sigma"])
    return out
