r"""Downstream error as a function of the loss (Gadre et al. 2024).

.. math:: \mathrm{Err}(L) = E - a\, e^{-b L}

``L`` is a model's loss (e.g. validation loss in nats/token), ``Err`` its average top-1 error on
downstream tasks, ``E`` the error of a model with no skill (reached as the loss grows; near the
chance error of the tasks), ``a e^{-b L}`` the improvement a lower loss buys. Fitted on
(loss, error) pairs, it turns a loss forecast (chinchilla, overtraining, ...) into an error
forecast: push posterior draws of the loss through this law.

Likelihoods: ``beta`` on the error (averages over tasks), or ``binomial`` when the number of
questions is known (``extra={"trials": "<column>"}``). Errors are fractions in (0, 1).

Sampling: ``E`` and ``a`` trade off along a curved ridge when the losses do not reach the
floor; NUTS at its usual target acceptance (0.8) left 1 divergence in 4,000 draws on the
simulated recovery case (``tests/test_catalogue.py``, 4 x 1,000 draws) and none at 0.9 (R-hat
1.005), so the law samples with ``target_accept=0.9`` unless told otherwise. It keeps nutpie's
diagonal mass-matrix adaptation: the low-rank one (bayeslaws' default) left 3 divergences and
a lower ESS per second on the same case (``benchmarks/adaptation.py``).

Default priors: ``E`` Beta(4, 2) (median 0.69: the error of guessing on a mix of
multiple-choice tasks; keep it above the largest observed error); ``b`` LogNormal with median
``2 / L_c`` (``L_c`` the data's central loss: 0.67 per nat at ``L_c = 3``), sd 1; ``a``
LogNormal with median ``0.23 e^2``, where ``a e^{-b L_c}`` is a third of a typical ``E`` for the
median ``b``, sd 3. Prior predictive: errors below ``E`` and mostly within (0, 1); draws below
0 are clipped by the likelihood.

Declarations: in a grouped fit the levels ``E`` and ``a`` vary between groups by default and
the rate ``b`` is shared (``varying``).

Reference: Gadre et al. 2024, "Language models scale reliably with over-training and on
downstream tasks" (arXiv:2403.08540), eq. 5.
"""

from __future__ import annotations

import math

from bayeslaws.law import DataSummary, Law, Parameter
from bayeslaws.priors import Prior


def function(p, logx, xp):
    return p.E - xp.exp(p.log_a - p.b * xp.exp(logx.L))


#: Typical ``b L`` at the data's central loss (so priors do not depend on the loss's units).
TYPICAL_RATE = 2.0


def default_priors(s: DataSummary) -> dict[str, Prior]:
    loss = math.exp(s.inputs["L"].log_centre)
    return {
        "E": Prior("Beta", alpha=4.0, beta=2.0),
        "a": Prior("LogNormal", mu=math.log(0.7 / 3.0) + TYPICAL_RATE, sigma=3.0),
        "b": Prior("LogNormal", mu=math.log(TYPICAL_RATE / loss), sigma=1.0),
    }


def initial(s: DataSummary) -> dict[str, float]:
    ceiling = min(0.5 * (s.y_max + 1.0), 0.99)
    loss = math.exp(s.inputs["L"].log_centre)
    gap = max(ceiling - s.y_centre, 0.05)
    return {"E": ceiling, "b": TYPICAL_RATE / loss, "a": gap * math.exp(TYPICAL_RATE)}


LAW = Law(
    name="loss_to_accuracy",
    inputs=("L",),
    parameters=(
        Parameter("E", support="unit", description="error of a model with no skill"),
        Parameter("a", description="amplitude of the improvement"),
        Parameter("b", description="rate of improvement per unit of loss"),
    ),
    function=function,
    default_priors=default_priors,
    initial=initial,
    formula="Err(L) = E - a exp(-b L)",
    reference="Gadre et al. 2024 (arXiv:2403.08540)",
    link="identity",
    description="downstream error against loss",
    target_accept=0.9,
    adaptation="diag",
    varying=("E", "a"),
)
