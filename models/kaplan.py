r"""Kaplan law of loss against parameters and tokens.

.. math:: L(N, D) = \left[\left(\frac{N_c}{N}\right)^{\alpha_N / \alpha_D}
          + \frac{D_c}{D}\right]^{\alpha_D}

No irreducible term: the loss falls as a power of ``N`` when data are unlimited and as a power
of ``D`` when the model is large. Evaluated in log space:
``log L = alpha_D * logaddexp((alpha_N / alpha_D)(log N_c - log N), log D_c - log D)``.
``N_c`` and ``D_c`` are sampled relative to the centre of the data's ``log N`` and ``log D``.

Reference: Kaplan et al. 2020, "Scaling Laws for Neural Language Models" (arXiv:2001.08361),
eq. 1.5; published alpha_N = 0.076, alpha_D = 0.095, N_c = 8.8e13, D_c = 5.4e13.
"""

import math

from bayeslaws.defaults import exponent_prior, location_prior
from bayeslaws.law import Law, Parameter


def function(p, logx, xp):
    return p.alpha_D * xp.logaddexp(
        (p.alpha_N / p.alpha_D) * (p.log_N_c - logx.N), p.log_D_c - logx.D
    )


def default_priors(s):
    return {
        "N_c": location_prior(s, "N", offset=10.0, sigma=10.0),
        "D_c": location_prior(s, "D", offset=10.0, sigma=10.0),
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
)
