r"""Pure power law, and its alias ``m1`` (the revisiting benchmark's estimator M1).

.. math:: y = A \, x^{-\alpha}

The simplest scaling law, with no irreducible term: a straight line in log-log axes. Evaluated
in log space; ``A`` is sampled at the centre of ``log x`` (sheared by ``alpha``).

Default priors (``bayeslaws.defaults``): ``A`` as the size of the curve at the data's centre
(``at_centre``), LogNormal with median the typical y and sigma 0.5 (the curve passes near the
data's centre); ``alpha`` the published range LogNormal(log 0.3, 0.6) combined with what the
data's range of y says of a single power law (``exponent_prior(change=observed_change(s))``:
``alpha`` times half the log span of x is LogNormal around half of ``log(y_max / y_min)``,
sigma 0.6). Prior predictive (``benchmarks/prior_ranges.py``, 90% band of the curve against the
data's range, on revisiting learning curves and 4-digit addition): 0.25-0.80 x the smallest to
2.7-4.2 x the largest y, 3 of 8 curves within a factor of 3 (the former priors, sigma 1 and
the published range alone: 0.06-0.47 to 6-30 x); the prior median curve is within a factor of
3 of the data's range.

Declarations: in a grouped fit the amplitude ``A`` varies between groups and the exponent is
shared (``varying``).

Alias ``m1``
------------
Estimator M1 of Alabdulmohsin, Neyshabur and Zhai's benchmark, the same law in the paper's
names (``A`` is ``b``, ``alpha`` is ``c``), so that the benchmark's comparisons can be
reproduced:

.. math:: y = b\, x^{-c}

``x`` is the number of examples seen, ``y`` the error or loss. (Alabdulmohsin et al. write
``beta x^c`` with ``c < 0``; here ``c > 0``.) Priors, starting values and sampling are those of
``power_law`` under the new names: ``b`` wide LogNormal centred where ``b x^-0.3`` matches the
data, ``c`` LogNormal(log 0.3, 1); ``b`` varies between groups.

Reference: Hestness et al. 2017, "Deep Learning Scaling is Predictable, Empirically"
(arXiv:1712.00409); Kaplan et al. 2020 (arXiv:2001.08361), single-variable forms. ``m1``:
Alabdulmohsin, Neyshabur and Zhai 2022, "Revisiting Neural Scaling Laws in Language and Vision"
(arXiv:2209.06640), section 2 (M1).
"""

from bayeslaws.defaults import (
    amplitude_prior,
    amplitude_start,
    exponent_prior,
    observed_change,
)
from bayeslaws.law import Law, Parameter


def function(p, logx, xp):
    return p.log_A - p.alpha * logx.x


def default_priors(s):
    return {"A": amplitude_prior(s, "x", share=1.0),
            "alpha": exponent_prior(summary=s, input_name="x", change=observed_change(s))}


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
    varying=("A",),
)

#: The same law under other names (see "Alias m1" above): ``rename`` maps this law's parameter
#: names to the alias's; the other keys replace fields of the renamed law.
ALIASES = {
    "m1": {
        "rename": {"A": "b", "alpha": "c"},
        "formula": "y = b x^-c",
        "reference": "Alabdulmohsin et al. 2022 (arXiv:2209.06640), M1",
        "description": "revisiting benchmark M1: power law",
    },
}
