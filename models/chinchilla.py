r"""Chinchilla law of loss against parameters and tokens.

.. math:: L(N, D) = E + \frac{A}{N^{\alpha}} + \frac{B}{D^{\beta}}

``N`` is the number of parameters, ``D`` the number of training tokens, ``E`` the irreducible
loss. Evaluated in log space as a log-sum-exp of the three terms; ``A`` and ``B`` are sampled at
the centre of the data's ``log N`` and ``log D``.

Reference: Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models"
(arXiv:2203.15556), approach 3; Besiroglu et al. 2024, "Chinchilla Scaling: A replication
attempt" (arXiv:2404.10102).
"""

from bayeslaws.defaults import amplitude_prior, amplitude_start, exponent_prior, floor_prior
from bayeslaws.law import Law, Parameter


def function(p, logx, xp):
    return xp.logsumexp([p.log_E, p.log_A - p.alpha * logx.N, p.log_B - p.beta * logx.D])


def default_priors(s):
    return {
        "E": floor_prior(s),
        "A": amplitude_prior(s, "N"),
        "B": amplitude_prior(s, "D"),
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
)
