r"""Data-constrained scaling: the Chinchilla law with repeated data (Muennighoff et al. 2023).

.. math:: L(N, D, U) = E + \frac{A}{N^{\alpha}} + \frac{B}{D'^{\beta}}, \qquad
          D' = U_D + U_D R^{*} \left(1 - e^{-R/R^{*}}\right), \qquad
          U_D = \min(D, U), \quad R = \frac{D}{U_D} - 1

``N`` is the number of parameters, ``D`` the total training tokens, ``U`` the unique tokens
available, ``R`` the number of repeated epochs after the first, and ``R*`` the number of
repetitions after which repeated tokens are worth ``1 - 1/e`` of their value: the effective data
``D'`` grows like ``D`` for a few epochs and saturates at ``U (1 + R*)``. Only data are
repeated here (the paper's first, data-side form; parameters enter as in Chinchilla).

Evaluated in log space: ``log D' = log U + log1p(R* (1 - exp(-R / R*)))`` and the loss as a
log-sum-exp of the three terms. ``A`` and ``B`` are sampled at the centre of ``log N`` and
``log U``. ``U`` is the number of unique tokens available: a run with ``D <= U`` repeats
nothing (``R = 0``, ``D' = D``).

Sampling: with ``R_star`` tied to ``B`` and ``beta`` through the effective data, NUTS at
its usual target acceptance (0.8) left 1 divergence in 4,000 draws on the simulated recovery
case (``tests/test_catalogue.py``, 4 x 1,000 draws) and none at 0.9 (R-hat 1.009), so the law
samples with ``target_accept=0.9`` unless told otherwise. It also keeps nutpie's diagonal
mass-matrix adaptation: the low-rank one (bayeslaws' default) left 18 divergences and R-hat
1.06 on the same case, against none and 1.009 (``benchmarks/adaptation.py``).

Default priors: as ``chinchilla`` (``E`` median 0.6 x the smallest loss; ``A``, ``B`` wide
LogNormal; ``alpha``, ``beta`` LogNormal(log 0.3, 1)) and ``R_star`` LogNormal(log 15, 1)
(the paper's fit is 15.4; 90% prior interval 3-78 epochs). Prior predictive: the observed
losses lie inside the 90% band; its median is within a factor of 300 of the data (measured:
60-130 x above on a repeated-epochs grid), its upper end far above, as for ``chinchilla``.

Declarations: ``E`` is the floor (``floors``); in a grouped fit ``E``, ``A`` and ``B`` vary
between groups by default and the exponents and ``R_star`` are shared.

Reference: Muennighoff et al. 2023, "Scaling Data-Constrained Language Models"
(arXiv:2305.16264), eq. 5 (data side).
"""

from __future__ import annotations

import math

from bayeslaws.defaults import amplitude_prior, amplitude_start, exponent_prior, floor_prior
from bayeslaws.law import DataSummary, Law, Parameter
from bayeslaws.priors import Prior


def effective_log_data(log_d, log_u, r_star, xp):
    """``log D'`` for ``D`` tokens drawn from ``U`` unique ones, at ``R*`` (any namespace).

    A run with ``D <= U`` repeats nothing, so ``D' = D``."""
    repeats = xp.expm1(xp.maximum(log_d - log_u, 0.0))
    return xp.minimum(log_d, log_u) + xp.log1p(-r_star * xp.expm1(-repeats / r_star))


def function(p, logx, xp):
    log_dp = effective_log_data(logx.D, logx.U, p.R_star, xp)
    return xp.logsumexp([p.log_E, p.log_A - p.alpha * logx.N, p.log_B - p.beta * log_dp])


def default_priors(s: DataSummary) -> dict[str, Prior]:
    return {
        "E": floor_prior(s),
        "A": amplitude_prior(s, "N", share=0.25),
        "B": amplitude_prior(s, "U", share=0.25),
        "alpha": exponent_prior(),
        "beta": exponent_prior(),
        "R_star": Prior("LogNormal", mu=math.log(15.0), sigma=1.0),
    }


def initial(s: DataSummary) -> dict[str, float]:
    floor = 0.5 * s.y_min
    term = 0.5 * (s.y_centre - floor)
    return {"E": floor, "A": amplitude_start(s, "N", term), "B": amplitude_start(s, "U", term),
            "alpha": 0.3, "beta": 0.3, "R_star": 15.0}



LAW = Law(
    name="data_constrained",
    inputs=("N", "D", "U"),
    parameters=(
        Parameter("E", description="irreducible loss"),
        Parameter("A", centre_input="N", centre_slope="alpha", description="N-term amplitude"),
        Parameter("B", centre_input="U", centre_slope="beta", description="data-term amplitude"),
        Parameter("alpha", description="parameter exponent"),
        Parameter("beta", description="data exponent"),
        Parameter("R_star", description="repetitions where repeated data lose 1 - 1/e of value"),
    ),
    function=function,
    default_priors=default_priors,
    initial=initial,
    formula=("L = E + A N^-alpha + B D'^-beta, D' = U_D (1 + R* (1 - exp(-R / R*))), "
             "U_D = min(D, U), R = D / U_D - 1"),
    reference="Muennighoff et al. 2023 (arXiv:2305.16264)",
    description="Chinchilla law with the diminishing value of repeated data",
    target_accept=0.9,
    adaptation="diag",
    floors=("E",),
)
