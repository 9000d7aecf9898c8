r"""Pure power law.

.. math:: y = A \, x^{-\alpha}

The simplest scaling law, with no irreducible term: a straight line in log-log axes.

Reference: Hestness et al. 2017, "Deep Learning Scaling is Predictable, Empirically"
(arXiv:1712.00409); Kaplan et al. 2020 (arXiv:2001.08361), single-variable forms.
"""

from bayeslaws.defaults import amplitude_prior, amplitude_start, exponent_prior
from bayeslaws.law import Law, Parameter


def function(p, logx, xp):
    return p.log_A - p.alpha * logx.x


def default_priors(s):
    return {"A": amplitude_prior(s, "x"), "alpha": exponent_prior()}


def initial(s):
    return {"A": amplitude_start(s, "x", s.y_centre), "alpha": 0.3}


LAW = Law(
    name="power_law",
    inputs=("x",),
    parameters=(
        Parameter("A", centre_input="x", centre_slope="alpha", description="amplitude at x = 1"),
        Parameter("alpha", description="exponent"),
    ),
    function=function,
    default_priors=default_priors,
    initial=initial,
    formula="y = A x^-alpha",
    reference="Hestness et al. 2017 (arXiv:1712.00409)",
)
