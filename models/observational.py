r"""Observational scaling law: downstream accuracy from principal components of benchmark scores.

.. math:: \mathrm{acc} = c + (1 - c)\,\sigma\!\left(\alpha + \sum_{j=1}^{K} \beta_j S_j\right)

``S_1 ... S_K`` are the principal components of each model's scores on a set of benchmarks
(:func:`bayeslaws.principal_components`; ``S1`` is a general capability), on a linear scale:
they are centred, so about half are negative (the law declares them ``linear_inputs``). ``c``
is the benchmark's chance rate (option ``chance``, default 0), ``sigma`` the logistic
function. Ruan et al. fit this across many public models of different families; a family's
compute efficiency moves its ``S``, not the law, so the law is shared and ``alpha`` varies
between families in a grouped fit (``group="family"``).

Options: ``components`` -- the number ``K`` of components (inputs ``S1 ... SK``, default 3);
``chance`` -- the chance rate ``c`` in [0, 1).

Likelihoods: ``binomial`` or ``betabinomial`` on the count correct when the number of questions
is known (``extra={"trials": "<column>"}``), ``beta`` on the accuracy otherwise (as for
``sigmoid``).

Default priors (``s`` the data summary): ``alpha`` Normal at the logit of the data's mean
accuracy above chance, sd 1.5; each ``beta_j`` Normal(0, 4 / span_j) with ``span_j`` the range
of ``S_j`` in the data (the logit moves by up to about 4 across the data per component, a rise
from 12% to 88% of the way to 1). Prior predictive: accuracies in (c, 1) by construction
(logistic). On Pythia (``tests/test_observational.py``: lambada_openai accuracy of 240
checkpoints from step 1,000 on, against two components of seven other zero-shot tasks; data
0.026-0.715) the 90% band of the law's curve spans 0.003-0.996, almost all of (0, 1), and the
prior median curve stays at 0.42-0.53 (the slopes are centred at 0).

Reference: Ruan, Maddison and Hashimoto 2024, "Observational Scaling Laws and the
Predictability of Language Model Performance" (arXiv:2405.10938), eq. (3)-(5).
"""

from __future__ import annotations

import math

from bayeslaws.exceptions import LawError
from bayeslaws.law import DataSummary, Law, Parameter
from bayeslaws.priors import Prior

NAME = "observational"


def _names(components: int) -> tuple[str, ...]:
    return tuple(f"S{j + 1}" for j in range(components))


def _function(components: int, chance: float):
    names = _names(components)

    def function(p, logx, xp):
        logit = p.alpha
        for j, name in enumerate(names):
            logit = logit + getattr(p, f"beta{j + 1}") * getattr(logx, name)
        return chance + (1.0 - chance) * xp.sigmoid(logit)

    return function


def _logit_centre(s: DataSummary, chance: float) -> float:
    share = min(max((s.y_centre - chance) / (1.0 - chance), 0.02), 0.98)
    return math.log(share) - math.log1p(-share)


def _priors(components: int, chance: float):
    def default_priors(s: DataSummary) -> dict[str, Prior]:
        priors = {"alpha": Prior("Normal", mu=_logit_centre(s, chance), sigma=1.5)}
        for j, name in enumerate(_names(components)):
            span = max(s.inputs[name].log_span, 1e-3)  # the values' range (a linear input)
            priors[f"beta{j + 1}"] = Prior("Normal", mu=0.0, sigma=4.0 / span)
        return priors

    return default_priors


def _initial(components: int, chance: float):
    def initial(s: DataSummary) -> dict[str, float]:
        return {"alpha": _logit_centre(s, chance),
                **{f"beta{j + 1}": 0.0 for j in range(components)}}

    return initial


def build(components: int = 3, chance: float = 0.0) -> Law:
    """Observational law on ``components`` principal components, chance rate ``chance``."""
    if isinstance(components, bool) or not isinstance(components, int) or not (
            1 <= components <= 20):
        raise LawError(f"observational: components={components!r} must be an integer from 1 "
                       "to 20, the number of principal components S1, S2, ... in the data.")
    if isinstance(chance, bool) or not isinstance(chance, int | float) or not 0 <= chance < 1:
        raise LawError(f"observational: chance={chance!r} must be a number in [0, 1), the "
                       "accuracy of random guessing (e.g. 0.25 for four-way multiple choice).")
    names = _names(components)
    chance = float(chance)
    terms = " + ".join(f"beta{j + 1} {n}" for j, n in enumerate(names))
    return Law(
        name=NAME,
        inputs=names,
        linear_inputs=names,
        parameters=(Parameter("alpha", support="real", description="logit at S = 0"),
                    *(Parameter(f"beta{j + 1}", support="real",
                                description=f"logit slope of principal component {n}")
                      for j, n in enumerate(names))),
        function=_function(components, chance),
        default_priors=_priors(components, chance),
        initial=_initial(components, chance),
        formula=(f"acc = logistic(alpha + {terms})" if chance == 0 else
                 f"acc = {chance:g} + (1 - {chance:g}) * logistic(alpha + {terms})"),
        reference="Ruan et al. 2024 (arXiv:2405.10938)",
        link="identity",
        options={"components": components, "chance": chance},
        description="observational scaling law: logistic in principal components of scores",
        varying=("alpha",),
    )
