r"""Revisiting-benchmark estimator M2: a power law with a limiting error.

.. math:: y = e_{\infty} + b\, x^{-c}

``x`` is the number of examples seen, ``y`` the error or loss and ``e_inf`` the error reached
with unlimited data. (Alabdulmohsin et al. write ``beta x^c`` with ``c < 0``; here ``c > 0``.)
The form of ``saturating_power_law`` in the benchmark's names. Evaluated in log space as
``logaddexp(log e_inf, log b - c log x)``; ``b`` is sampled at the centre of ``log x``.

Default priors: ``e_inf`` LogNormal with median 0.6 x the smallest y; ``b`` wide LogNormal
centred where ``b x^-0.3`` matches the data; ``c`` LogNormal(log 0.3, 1). Prior predictive:
values around the data's scale, within a few orders of magnitude.

Reference: Alabdulmohsin, Neyshabur and Zhai 2022, "Revisiting Neural Scaling Laws in Language
and Vision" (arXiv:2209.06640), section 2 (M2).
"""

from bayeslaws.defaults import amplitude_prior, amplitude_start, exponent_prior, floor_prior
from bayeslaws.law import Law, Parameter


def function(p, logx, xp):
    return xp.logaddexp(p.log_e_inf, p.log_b - p.c * logx.x)


def initial(s):
    floor = 0.5 * s.y_min
    return {"e_inf": floor, "b": amplitude_start(s, "x", s.y_centre - floor), "c": 0.3}


LAW = Law(
    name="m2",
    inputs=("x",),
    parameters=(
        Parameter("e_inf", description="error with unlimited data"),
        Parameter("b", centre_input="x", centre_slope="c", description="amplitude at x = 1"),
        Parameter("c", description="exponent"),
    ),
    function=function,
    default_priors=lambda s: {"e_inf": floor_prior(s), "b": amplitude_prior(s, "x"),
                              "c": exponent_prior()},
    initial=initial,
    formula="y = e_inf + b x^-c",
    reference="Alabdulmohsin et al. 2022 (arXiv:2209.06640), M2",
    description="revisiting benchmark M2: power law with limiting error",
)
