r"""Power law with an irreducible floor.

.. math:: y = E + A \, x^{-\alpha}

``E`` is the irreducible loss that no amount of scale removes. Evaluated in log space as
``logaddexp(log E, log A - alpha log x)``.

Reference: Hestness et al. 2017 (arXiv:1712.00409); Henighan et al. 2020, "Scaling Laws for
Autoregressive Generative Modeling" (arXiv:2010.14701).
"""

from bayeslaws.defaults import amplitude_prior, amplitude_start, exponent_prior, floor_prior
from bayeslaws.law import Law, Parameter


def function(p, logx, xp):
    return xp.logaddexp(p.log_E, p.log_A - p.alpha * logx.x)


def default_priors(s):
    return {"E": floor_prior(s), "A": amplitude_prior(s, "x"), "alpha": exponent_prior()}


def initial(s):
    floor = 0.5 * s.y_min
    return {"E": floor, "A": amplitude_start(s, "x", s.y_centre - floor), "alpha": 0.3}


LAW = Law(
    name="saturating_power_law",
    inputs=("x",),
    parameters=(
        Parameter("E", description="irreducible loss"),
        Parameter("A", centre_input="x", centre_slope="alpha", description="amplitude at x = 1"),
        Parameter("alpha", description="exponent"),
    ),
    function=function,
    default_priors=default_priors,
    initial=initial,
    formula="y = E + A x^-alpha",
    reference="Henighan et al. 2020 (arXiv:2010.14701)",
)
