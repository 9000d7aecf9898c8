r"""Revisiting-benchmark estimator M3: a power law that saturates through an offset in 1/x.

.. math:: y = b \left(\frac{1}{x} + g\right)^{c}

``x`` is the number of examples seen, ``y`` the error or loss, ``c > 0``. For ``x << 1/g`` the
curve is the power law ``b x^-c``; for ``x >> 1/g`` it flattens at ``b g^c``, the limiting
error. Evaluated in log space as ``log b + c logaddexp(-log x, log g)``; ``b`` is sampled at
the centre of ``log x`` (sheared by ``c``), where the power-law part fixes it.

Default priors: ``c`` the published range LogNormal(log 0.3, 0.6) combined with the data's
range of y, as for ``power_law`` (``exponent_prior(change=observed_change(s))``); ``b`` the size
of the curve at the data's centre (``at_centre``, LogNormal with median the typical y, sigma
0.5); ``g`` LogNormal centred at ``1 / x`` at the largest ``x`` with sd max(2, log span of x)
(the flattening may start inside or beyond the data). Prior predictive
(``benchmarks/prior_ranges.py``): 90% band 0.34-1.10 x the smallest to 2.9-6.0 x the largest y
on the revisiting curves and 4-digit addition (the former priors: 0.1-0.5 to 9-49 x), its
median within a factor of 3.

M4 of the benchmark, ``(y - e_inf) / (e_0 - y)^a = b x^-c``, defines ``y`` only implicitly:
``models/m4.py``.

Reference: Alabdulmohsin, Neyshabur and Zhai 2022, "Revisiting Neural Scaling Laws in Language
and Vision" (arXiv:2209.06640), section 2 (M3).
"""

import math

from bayeslaws.defaults import amplitude_prior, exponent_prior, observed_change
from bayeslaws.law import Law, Parameter
from bayeslaws.priors import Prior


def function(p, logx, xp):
    return p.log_b + p.c * xp.logaddexp(-logx.x, p.log_g)


def default_priors(s):
    info = s.inputs["x"]
    return {
        "b": amplitude_prior(s, "x", share=1.0),
        "c": exponent_prior(summary=s, input_name="x", change=observed_change(s)),
        "g": Prior("LogNormal", mu=-info.log_max, sigma=max(2.0, info.log_span)),
    }


def initial(s):
    info = s.inputs["x"]
    return {"c": 0.3, "g": math.exp(-info.log_max),
            "b": s.y_centre * math.exp(0.3 * info.log_centre)}


LAW = Law(
    name="m3",
    inputs=("x",),
    parameters=(
        Parameter("b", centre_input="x", centre_slope="c", description="amplitude"),
        Parameter("c", description="exponent"),
        Parameter("g", description="offset in 1/x where the curve flattens"),
    ),
    function=function,
    default_priors=default_priors,
    initial=initial,
    formula="y = b (1/x + g)^c",
    reference="Alabdulmohsin et al. 2022 (arXiv:2209.06640), M3",
    description="revisiting benchmark M3: saturating through 1/x + g",
)
