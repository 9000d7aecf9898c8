r"""Loss along a training run under any learning-rate schedule (Tissue et al. 2024).

.. math:: L(s) = L_0 + A\, S_1(s)^{-\alpha} - C\, S_2(s), \qquad
          S_1(s) = \sum_{i \le s} \eta_i, \quad S_2(s) = \sum_{i \le s} m_i, \quad
          m_i = \lambda m_{i-1} + (\eta_{i-1} - \eta_i)

``s`` is the training step and ``eta`` the learning-rate schedule, given as a column next to
the step (one row per logged step of one run): fit with ``x={"step": "<step column>",
"lr": "<learning-rate column>"}``. ``S1``, the forward area, is how far training has moved;
``S2``, the annealing area, the accumulated drops of the learning rate, delayed by the
momentum ``lambda`` (option ``decay``, default 0.999 as in the paper). ``L0`` is the loss
approached with unlimited training at a constant rate, ``A`` and ``alpha`` the power law in the
forward area, ``C`` the loss removed per unit of annealing area. The areas are computed from the
rows (see :mod:`bayeslaws.schedules`), so a fit to one schedule (e.g. constant then cosine)
forecasts the loss curve of another: ``fit.predict({"step": steps, "lr": other_schedule})``
with the whole new schedule's rows. Learning rates must be positive (drop a final row at 0).
Give rows from the end of warm-up on; the rate before the first row is taken as constant.

Evaluated as ``log L`` with ``L0 + A S1^-alpha`` a log-sum-exp; where the annealing term would
make the loss negative the law is floored at a tiny positive value (such parameters have
negligible likelihood).

Default priors: ``L0`` LogNormal with median 0.6 x the smallest loss; ``A`` wide LogNormal
centred where ``A S1^-0.3`` matches the data at a typical forward area; ``alpha``
LogNormal(log 0.5, 1) (the paper reports 0.3-0.6); ``C`` LogNormal centred where ``C S2``
is a tenth of the data's loss for a drop of the whole peak rate held over half the run, sd 2.
Prior predictive: losses around the data's scale, within a few orders of magnitude.

Declarations: none for grouped fits. No parameter is centred or declared a floor, so
:meth:`~bayeslaws.law.Law.default_varying` is empty and a grouped fit names the parameters that
vary (e.g. ``varying=["L0", "A"]``).

Reference: Tissue, Wang, Wang, Yang, Zheng and Dong 2024, "Scaling Law with Learning Rate
Annealing" (arXiv:2408.11029), eq. 1.
"""

from __future__ import annotations

import math

from bayeslaws.defaults import floor_prior
from bayeslaws.exceptions import LawError
from bayeslaws.law import DataSummary, Law, Parameter
from bayeslaws.priors import Prior
from bayeslaws.schedules import DEFAULT_DECAY, areas

NAME = "lr_annealing"
#: Smallest value the law's loss is allowed to take (see the module docstring).
TINY = 1e-12


def _function(decay: float):
    def function(p, logx, xp):
        s1, s2 = areas(xp.exp(logx.step), xp.exp(logx.lr), decay, xp)
        log_power = xp.logaddexp(p.log_L0, p.log_A - p.alpha * xp.log(s1))
        loss = xp.exp(log_power) - p.C * s2
        return xp.log(xp.maximum(loss, TINY * xp.exp(log_power)))

    return function


def _typical_areas(s: DataSummary) -> tuple[float, float]:
    """Log forward area at the centre of the run and log annealing area of a full decay."""
    step, lr = s.inputs["step"], s.inputs["lr"]
    return lr.log_centre + step.log_centre, lr.log_max + step.log_max - math.log(2.0)


def default_priors(s: DataSummary) -> dict[str, Prior]:
    log_s1, log_s2 = _typical_areas(s)
    return {
        "L0": floor_prior(s),
        "A": Prior("LogNormal", mu=s.log_y_centre + 0.5 * log_s1,
                   sigma=max(3.0, 0.5 * abs(log_s1))),
        "alpha": Prior("LogNormal", mu=math.log(0.5), sigma=1.0),
        "C": Prior("LogNormal", mu=s.log_y_centre - math.log(10.0) - log_s2, sigma=2.0),
    }


def initial(s: DataSummary) -> dict[str, float]:
    log_s1, log_s2 = _typical_areas(s)
    floor = 0.5 * s.y_min
    return {"L0": floor, "alpha": 0.5, "A": (s.y_centre - floor) * math.exp(0.5 * log_s1),
            "C": 0.01 * s.y_centre * math.exp(-log_s2)}


def build(decay: float = DEFAULT_DECAY) -> Law:
    """Annealing law; ``decay`` is the per-step momentum of the annealing area."""
    if isinstance(decay, bool) or not isinstance(decay, int | float) or not 0 <= decay < 1:
        raise LawError(
            f"lr_annealing: decay={decay!r} must be a number in [0, 1) (Tissue et al. use "
            "0.999; 0 counts each drop of the rate at once)."
        )
    return Law(
        name=NAME,
        inputs=("step", "lr"),
        parameters=(
            Parameter("L0", description="loss with unlimited training at a constant rate"),
            Parameter("A", description="amplitude of the forward-area power law"),
            Parameter("alpha", description="exponent of the forward area"),
            Parameter("C", description="loss removed per unit of annealing area"),
        ),
        function=_function(float(decay)),
        default_priors=default_priors,
        initial=initial,
        formula="L(s) = L0 + A S1^-alpha - C S2 (S1, S2: areas of the lr schedule)",
        reference="Tissue et al. 2024 (arXiv:2408.11029)",
        options={} if decay == DEFAULT_DECAY else {"decay": float(decay)},
        description="loss curve under a learning-rate schedule",
    )
