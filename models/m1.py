r"""Revisiting-benchmark estimator M1: a pure power law of the learning curve.

.. math:: y = b\, x^{-c}

``x`` is the number of examples seen, ``y`` the error or loss. (Alabdulmohsin et al. write
``beta x^c`` with ``c < 0``; here ``c > 0``.) The same form as ``power_law``, named as the
benchmark's estimator so that its comparisons can be reproduced. Evaluated in log space;
``b`` is sampled at the centre of ``log x``.

Default priors: ``b`` wide LogNormal centred where ``b x^-0.3`` matches the data; ``c``
LogNormal(log 0.3, 1). Prior predictive: values around the data's scale at the data's centre,
spreading with the distance from it.

Reference: Alabdulmohsin, Neyshabur and Zhai 2022, "Revisiting Neural Scaling Laws in Language
and Vision" (arXiv:2209.06640), section 2 (M1).
"""

from bayeslaws.defaults import amplitude_prior, amplitude_start, exponent_prior
from bayeslaws.law import Law, Parameter


def function(p, logx, xp):
    return p.log_b - p.c * logx.x


LAW = Law(
    name="m1",
    inputs=("x",),
    parameters=(
        Parameter("b", centre_input="x", centre_slope="c", description="amplitude at x = 1"),
        Parameter("c", description="exponent"),
    ),
    function=function,
    default_priors=lambda s: {"b": amplitude_prior(s, "x"), "c": exponent_prior()},
    initial=lambda s: {"b": amplitude_start(s, "x", s.y_centre), "c": 0.3},
    formula="y = b x^-c",
    reference="Alabdulmohsin et al. 2022 (arXiv:2209.06640), M1",
    description="revisiting benchmark M1: power law",
)
