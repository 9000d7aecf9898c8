r"""Chinchilla law of loss against parameters and tokens.

.. math:: L(N, D) = E + \frac{A}{N^{\alpha}} + \frac{B}{D^{\beta}}

``N`` is the number of parameters, ``D`` the number of training tokens, ``E`` the irreducible
loss. Evaluated in log space as a log-sum-exp of the three terms; ``A`` and ``B`` are sampled at
the centre of the data's ``log N`` and ``log D``.

Default priors (``bayeslaws.defaults``): ``E`` LogNormal with median 0.6 x the smallest loss
(sigma 0.7); ``A``, ``B`` as the size of each term at the data's centre (``at_centre``),
LogNormal with median a quarter of the typical loss, sigma 1; ``alpha``, ``beta``
LogNormal(log 0.3, 0.6). Prior predictive (``benchmarks/prior_ranges.py``, 90% band of the
law's curve against the data's range): Chinchilla's 240 runs 0.43 x the smallest to 5.4 x the
largest loss (the former priors: 0.40 to 60 x; 60% of their curves exceeded a loss of 100),
Gadre's sets 0.39-0.41 to 13-14 x; the prior median curve lies within a factor of 3.

Declarations: in a grouped fit ``E``, ``A`` and ``B`` vary between groups and the exponents
are shared (``varying``); ``E`` is the floor (``floors``). Closed forms: the compute-optimal
allocation under ``C = 6 N D`` (:func:`compute_optimum`, Hoffmann et al.'s eq. 4) and the
tokens that reach a target loss at given ``N`` (:func:`tokens_for_target`).

Reference: Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models"
(arXiv:2203.15556), approach 3; Besiroglu et al. 2024, "Chinchilla Scaling: A replication
attempt" (arXiv:2404.10102).
"""

from collections.abc import Mapping
from typing import Any

import numpy as np

from bayeslaws.defaults import amplitude_prior, amplitude_start, exponent_prior, floor_prior
from bayeslaws.law import Law, Parameter


def function(p, logx, xp):
    return xp.logsumexp([p.log_E, p.log_A - p.alpha * logx.N, p.log_B - p.beta * logx.D])


def default_priors(s):
    return {
        "E": floor_prior(s),
        "A": amplitude_prior(s, "N", share=0.25),
        "B": amplitude_prior(s, "D", share=0.25),
        "alpha": exponent_prior(),
        "beta": exponent_prior(),
    }


def initial(s):
    floor = 0.5 * s.y_min
    term = 0.5 * (s.y_centre - floor)
    return {
        "E": floor,
        "A": amplitude_start(s, "N", term),
        "B": amplitude_start(s, "D", term),
        "alpha": 0.3,
        "beta": 0.3,
    }


def compute_optimum(params: Mapping[str, Any], C: Any) -> dict[str, np.ndarray]:
    """Hoffmann et al.'s closed form under ``C = 6 N D`` for ``E + A/N^alpha + B/D^beta``.

    ``N_opt = G (C/6)^a``, ``D_opt = (C/6)^b / G`` with ``a = beta/(alpha+beta)``,
    ``b = alpha/(alpha+beta)``, ``G = (alpha A / (beta B))^(1/(alpha+beta))``.
    """
    alpha, beta = params["alpha"], params["beta"]
    a, b = beta / (alpha + beta), alpha / (alpha + beta)
    log_g = (np.log(alpha * params["A"]) - np.log(beta * params["B"])) / (alpha + beta)
    log_c6 = np.log(np.asarray(C, dtype=float) / 6.0)
    return {"log_N": log_g + a * log_c6, "log_D": b * log_c6 - log_g, "a": a, "b": b}


def tokens_for_target(params: Mapping[str, Any], log_N: Any, target: float,
                      fixed: Mapping[str, float]) -> np.ndarray:
    """``log D`` at which the loss reaches ``target`` at ``N = exp(log_N)`` (NaN: never).

    ``B / D^beta = target - E - A / N^alpha``, so ``log D = (log B - log gap) / beta`` where
    the gap is positive.
    """
    gap = target - params["E"] - params["A"] * np.exp(-params["alpha"] * log_N)
    with np.errstate(all="ignore"):
        out = (np.log(params["B"]) - np.log(gap)) / params["beta"]
    return np.where(gap > 0, out, np.nan)


LAW = Law(
    name="chinchilla",
    inputs=("N", "D"),
    parameters=(
        Parameter("E", description="irreducible loss"),
        Parameter("A", centre_input="N", centre_slope="alpha", description="N-term amplitude"),
        Parameter("B", centre_input="D", centre_slope="beta", description="data-term amplitude"),
        Parameter("alpha", description="parameter exponent"),
        Parameter("beta", description="data exponent"),
    ),
    function=function,
    default_priors=default_priors,
    initial=initial,
    formula="L(N, D) = E + A N^-alpha + B D^-beta",
    reference="Hoffmann et al. 2022 (arXiv:2203.15556)",
    varying=("E", "A", "B"),
    floors=("E",),
    compute_optimum=compute_optimum,
    tokens_for_target=tokens_for_target,
)
