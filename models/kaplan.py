r"""Kaplan law of loss against parameters and tokens.

.. math:: L(N, D) = \left[\left(\frac{N_c}{N}\right)^{\alpha_N / \alpha_D}
          + \frac{D_c}{D}\right]^{\alpha_D}

No irreducible term: the loss falls as a power of ``N`` when data are unlimited and as a power
of ``D`` when the model is large. Evaluated in log space:
``log L = alpha_D * logaddexp((alpha_N / alpha_D)(log N_c - log N), log D_c - log D)``.
``N_c`` and ``D_c`` are sampled relative to the centre of the data's ``log N`` and ``log D``.

Declarations: in a grouped fit the critical scales ``N_c`` and ``D_c`` vary between groups
and the exponents are shared (``varying``); the compute-optimal allocation under
``C = 6 N D`` has a closed form (:func:`compute_optimum`).

Reference: Kaplan et al. 2020, "Scaling Laws for Neural Language Models" (arXiv:2001.08361),
eq. 1.5; published alpha_N = 0.076, alpha_D = 0.095, N_c = 8.8e13, D_c = 5.4e13.
"""

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from bayeslaws.defaults import exponent_prior, location_prior
from bayeslaws.law import Law, Parameter


def function(p, logx, xp):
    return p.alpha_D * xp.logaddexp(
        (p.alpha_N / p.alpha_D) * (p.log_N_c - logx.N), p.log_D_c - logx.D
    )


def default_priors(s):
    return {
        # where each term alone gives the typical loss at the data's centre for exponents 0.1
        "N_c": location_prior(s, "N", offset=s.log_y_centre / 0.1, sigma=3.0),
        "D_c": location_prior(s, "D", offset=s.log_y_centre / 0.1, sigma=3.0),
        "alpha_N": exponent_prior(0.1),
        "alpha_D": exponent_prior(0.1),
    }


def initial(s):
    # Each term gives half of the typical y^(1/alpha_D) at the centre, with alpha_N = alpha_D.
    shift = s.log_y_centre / 0.1 - math.log(2.0)
    return {
        "N_c": math.exp(s.inputs["N"].log_centre + shift),
        "D_c": math.exp(s.inputs["D"].log_centre + shift),
        "alpha_N": 0.1,
        "alpha_D": 0.1,
    }


def compute_optimum(params: Mapping[str, Any], C: Any) -> dict[str, np.ndarray]:
    """Closed form under ``C = 6 N D`` for ``[(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D``.

    With ``r = alpha_N / alpha_D`` the bracket ``(N_c/N)^r + 6 D_c N / C`` is minimal at
    ``N_opt = (r N_c^r C / (6 D_c))^(1/(r+1))``: ``a = 1/(r+1)``, ``b = r/(r+1)``.
    """
    r = params["alpha_N"] / params["alpha_D"]
    log_c6 = np.log(np.asarray(C, dtype=float) / 6.0)
    log_n = (np.log(r) + r * np.log(params["N_c"]) - np.log(params["D_c"]) + log_c6) / (r + 1)
    return {"log_N": log_n, "log_D": log_c6 - log_n, "a": 1 / (r + 1), "b": r / (r + 1)}


LAW = Law(
    name="kaplan",
    inputs=("N", "D"),
    parameters=(
        Parameter("N_c", centre_input="N", description="critical parameter count"),
        Parameter("D_c", centre_input="D", description="critical token count"),
        Parameter("alpha_N", description="parameter exponent"),
        Parameter("alpha_D", description="data exponent"),
    ),
    function=function,
    default_priors=default_priors,
    initial=initial,
    formula="L(N, D) = [(N_c / N)^(alpha_N / alpha_D) + D_c / D]^alpha_D",
    reference="Kaplan et al. 2020 (arXiv:2001.08361)",
    varying=("N_c", "D_c"),
    compute_optimum=compute_optimum,
)
