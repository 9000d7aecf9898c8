r"""Sigmoid (logistic in log scale) law of downstream accuracy: smooth or "emergent" jumps.

.. math:: \mathrm{acc}(x) = \mathrm{floor} + (\mathrm{ceiling} - \mathrm{floor})\,
          \sigma\!\left(k\,(\log x - \log x_0)\right)

``x`` is the scale (parameters, tokens, compute), ``x0`` the scale of the midpoint of the jump,
``k > 0`` its steepness in natural-log units (the jump from 12% to 88% of its height spans
``4 / k`` e-folds of ``x``), ``floor`` the accuracy of a model that knows nothing and ``ceiling``
the accuracy approached at large scale.

Options: ``chance`` -- the chance rate of the benchmark (0.25 for four-way multiple choice).
Given, the floor is fixed at it (``bl.fit("sigmoid", df, law_options={"chance": 0.25})``);
omitted, ``floor`` is a parameter. ``ceiling`` lies between the floor and 1.

Likelihoods: ``binomial`` on the count correct when the number of questions is known
(``extra={"trials": "<column>"}``), ``beta`` on the accuracy otherwise. This is the honest way to
fit "emergent" jumps: a sharp rise is a large ``k``, and its posterior says how sharp the data
allow it to be.

Default priors (``s`` the data summary): ``floor`` Beta(1, 4) (median 0.16; chance rates of
multiple-choice benchmarks are 0.1-0.5); ``ceiling`` Beta(2, 1) on (floor, 1), favouring high
ceilings; ``k`` LogNormal with median ``4 / span`` (a jump as wide as the data's log range) and
sd 1; ``x0`` LogNormal around the centre of ``log x`` with sd 0.6 x the log span (the data range
and half a span beyond each end). Prior predictive: accuracies in (floor, 1) by construction;
the 90% prior band at every scale covers most of (floor, 1).

Reference: Wei et al. 2022, "Emergent Abilities of Large Language Models" (arXiv:2206.07682);
Schaeffer et al. 2023, "Are Emergent Abilities of Large Language Models a Mirage?"
(arXiv:2304.15004); Ruan et al. 2024, "Observational Scaling Laws" (arXiv:2405.10938), eq. 3.
"""

from __future__ import annotations

import math

from bayeslaws.defaults import break_prior, rate_prior
from bayeslaws.exceptions import LawError
from bayeslaws.law import DataSummary, Law, Parameter
from bayeslaws.priors import Prior

NAME = "sigmoid"


def _function(chance: float | None):
    def function(p, logx, xp):
        floor = chance if chance is not None else p.floor
        rise = xp.sigmoid(p.k * (logx.x - p.log_x0))
        return floor + (p.ceiling - floor) * rise

    return function


def _priors(chance: float | None):
    def default_priors(s: DataSummary) -> dict[str, Prior]:
        priors = {
            "ceiling": Prior("Beta", alpha=2.0, beta=1.0),
            "k": rate_prior(s, "x"),
            "x0": break_prior(s, "x"),
        }
        if chance is None:
            priors["floor"] = Prior("Beta", alpha=1.0, beta=4.0)
        return priors

    return default_priors


def _initial(chance: float | None):
    def initial(s: DataSummary) -> dict[str, float]:
        info = s.inputs["x"]
        floor = chance if chance is not None else min(max(0.5 * s.y_min, 0.01), 0.5)
        ceiling = max(0.5 * (s.y_max + 1.0), floor + 0.5 * (1.0 - floor))
        start = {"ceiling": ceiling, "k": 4.0 / max(info.log_span, 0.5),
                 "x0": math.exp(info.log_centre)}
        if chance is None:
            start["floor"] = floor
        return start

    return initial


def build(chance: float | None = None) -> Law:
    """Sigmoid law; ``chance`` fixes the floor at the benchmark's chance rate."""
    if chance is not None:
        if isinstance(chance, bool) or not isinstance(chance, int | float) or not 0 <= chance < 1:
            raise LawError(
                f"sigmoid: chance={chance!r} must be a number in [0, 1), the accuracy of random "
                "guessing (e.g. 0.25 for four-way multiple choice), or None to fit the floor."
            )
        chance = float(chance)
    parameters = []
    if chance is None:
        parameters.append(Parameter("floor", support="unit",
                                    description="accuracy at small scale (chance rate)"))
    lower = chance if chance is not None else "floor"
    parameters += [
        Parameter("ceiling", support="interval", lower=lower, upper=1.0,
                  description="accuracy approached at large scale"),
        Parameter("k", description="steepness of the rise per e-fold of x"),
        Parameter("x0", centre_input="x", description="scale at the midpoint of the rise"),
    ]
    floor = f"{chance:g}" if chance is not None else "floor"
    return Law(
        name=NAME,
        inputs=("x",),
        parameters=tuple(parameters),
        function=_function(chance),
        default_priors=_priors(chance),
        initial=_initial(chance),
        formula=f"acc = {floor} + (ceiling - {floor}) * logistic(k (log x - log x0))",
        reference="Ruan et al. 2024 (arXiv:2405.10938); Wei et al. 2022 (arXiv:2206.07682)",
        link="identity",
        options={} if chance is None else {"chance": chance},
        description="downstream accuracy rising as a logistic in log scale",
    )
