r"""Over-training law: loss against parameters and token multiplier (Gadre et al. 2024).

.. math:: L(N, M) = E + a N^{-b} + c\,(M N)^{-b}, \qquad M = D / N

``N`` is the number of parameters, ``D`` the training tokens and ``M = D / N`` the token
multiplier (20 is Chinchilla-optimal; over-trained models use 100s). The law is the Chinchilla
form with one exponent ``b`` for parameters and data, which makes the reducible loss at fixed
multiplier a power law in compute ``C = 6 N D`` with exponent ``b / 2``, the same for every
``M`` (the paper's finding). Inputs are ``N`` and ``D`` (``M N = D``); to forecast at a
multiplier give ``D = M N``. (Gadre et al. write the exponent as negative; here ``b > 0``.)

Evaluated in log space as a log-sum-exp; ``a`` and ``c`` are sampled at the centre of ``log N``
and ``log D`` (sheared by ``b``).

Default priors: ``E`` LogNormal with median 0.6 x the smallest loss (sigma 0.7); ``a``, ``c``
as the size of each term at the data's centre (``at_centre``, LogNormal with median a quarter
of the typical loss, sigma 1); ``b`` LogNormal(log 0.3, 0.6). Prior predictive
(``benchmarks/prior_ranges.py``): on Chinchilla's and Gadre's runs the 90% band spans about
0.4 x the smallest to 5-14 x the largest loss (formerly up to 450 x), its median within a
factor of 3.

Declarations: ``E`` is the floor (``floors``); in a grouped fit ``E``, ``a`` and ``c`` vary
between groups by default and the exponent ``b`` is shared.

Reference: Gadre et al. 2024, "Language models scale reliably with over-training and on
downstream tasks" (arXiv:2403.08540), eq. 4.
"""

from bayeslaws.defaults import amplitude_prior, amplitude_start, exponent_prior, floor_prior
from bayeslaws.law import Law, Parameter


def function(p, logx, xp):
    return xp.logsumexp([p.log_E, p.log_a - p.b * logx.N, p.log_c - p.b * logx.D])


def default_priors(s):
    return {"E": floor_prior(s), "a": amplitude_prior(s, "N", share=0.25),
            "c": amplitude_prior(s, "D", share=0.25),
            "b": exponent_prior()}


def initial(s):
    floor = 0.5 * s.y_min
    term = 0.5 * (s.y_centre - floor)
    return {"E": floor, "a": amplitude_start(s, "N", term), "c": amplitude_start(s, "D", term),
            "b": 0.3}


LAW = Law(
    name="overtraining",
    inputs=("N", "D"),
    parameters=(
        Parameter("E", description="irreducible loss"),
        Parameter("a", centre_input="N", centre_slope="b", description="parameter-term amplitude"),
        Parameter("c", centre_input="D", centre_slope="b", description="data-term amplitude"),
        Parameter("b", description="shared exponent of parameters and data"),
    ),
    function=function,
    default_priors=default_priors,
    initial=initial,
    formula="L(N, M) = E + a N^-b + c (M N)^-b, with M = D / N",
    reference="Gadre et al. 2024 (arXiv:2403.08540)",
    description="over-trained language models: one exponent for N and D",
    floors=("E",),
)
